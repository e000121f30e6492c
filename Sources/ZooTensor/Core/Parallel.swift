import COpenBLAS
import Foundation

/// The number of threads Zoo computes with: `ZOO_NUM_THREADS` when set, otherwise every core.
///
/// One pool serves everything: OpenBLAS runs single-threaded inside Zoo's own workers (GEMMs are
/// split into row or column blocks across them), so that OpenBLAS's threads never spin against
/// Zoo's between calls.
public enum Threading {
    public static let threadCount: Int = {
        let environment = ProcessInfo.processInfo.environment["ZOO_NUM_THREADS"]
        let requested = environment.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        let count = (requested.map { $0 > 0 ? $0 : nil } ?? nil) ?? ProcessInfo.processInfo.activeProcessorCount
        openblas_set_num_threads(1)
        return count
    }()

    /// Elements per thread below which an element-wise loop is not worth splitting.
    public static let elementwiseGrain = 1 << 15

    /// Makes sure OpenBLAS has been set to one thread before the first GEMM.
    @inline(__always) static func configure() { _ = threadCount }

    /// Runs `body` over `0..<count` split into contiguous chunks on up to `threadCount` threads.
    /// Work smaller than `grain` items per thread runs inline.
    public static func parallelFor(_ count: Int, grain: Int = 4096, _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let chunks = Swift.min(threadCount, Swift.max(1, count / Swift.max(grain, 1)))
        if chunks <= 1 {
            body(0..<count)
            return
        }
        parallelParts(chunks) { chunk in
            body((count * chunk / chunks)..<(count * (chunk + 1) / chunks))
        }
    }

    /// Calls `body(part)` for each of `parts` parts across the worker threads.
    public static func parallelParts(_ parts: Int, _ body: (Int) -> Void) {
        if let executor = lentExecutor {
            executor(parts, body)
        } else {
            pool.run(parts: parts, body)
        }
    }

    /// Runs `body(part)` for every part of `0..<parts` on threads someone else owns, returning when all are done.
    public typealias Executor = (_ parts: Int, _ body: (Int) -> Void) -> Void

    /// Hands every parallel loop to another pool (a plug-in's copy of ZooTensor uses the host's
    /// threads, so that one pool serves the whole process). Set once, before the first loop.
    public static func lendThreads(_ executor: @escaping Executor) {
        lentExecutor = executor
    }

    nonisolated(unsafe) private static var lentExecutor: Executor?

    static let pool = WorkerPool(width: threadCount)
}

/// Carries a value that the caller knows is safe to share across the threads of one parallel loop.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
