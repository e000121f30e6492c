import Foundation

/// Wall time per kind of work, collected while `isEnabled` (for the benchmark's breakdown).
///
/// Time is exclusive: a GEMM inside a convolution counts as GEMM, not as convolution, because
/// entering a category stops the clock of the one it interrupts. Only the thread that enabled the
/// timer is timed (kernels are entered from the caller's thread; their workers are inside them).
/// Off by default: then `measure` costs one branch.
public enum OpTimer {
    /// What the time went to.
    public enum Category: Int, CaseIterable, Sendable {
        case gemm, convolution, normalization, elementwise, allocation, optimizer, pluginBoundary, other

        public var label: String {
            switch self {
            case .gemm: "GEMM"
            case .convolution: "convolution (im2col, col2im, layout)"
            case .normalization: "normalisation"
            case .elementwise: "element-wise, reductions, copies"
            case .allocation: "allocation"
            case .optimizer: "optimiser"
            case .pluginBoundary: "plug-in boundary"
            case .other: "other (autodiff, softmax, attention glue)"
            }
        }
    }

    nonisolated(unsafe) public private(set) static var isEnabled = false
    nonisolated(unsafe) private static var seconds = [Double](repeating: 0, count: Category.allCases.count)
    nonisolated(unsafe) private static var current = Category.other
    nonisolated(unsafe) private static var mark: UInt64 = 0
    nonisolated(unsafe) private static var owner = pthread_self()
    nonisolated(unsafe) private static var usesCPUClock = false

    /// Starts timing on the calling thread, from zero: wall time, or with `cpuClock` the thread's
    /// own CPU time (which other processes on a busy machine do not inflate; best with one thread).
    public static func start(cpuClock: Bool = false) {
        seconds = [Double](repeating: 0, count: Category.allCases.count)
        owner = pthread_self()
        current = .other
        usesCPUClock = cpuClock
        mark = clock()
        isEnabled = true
    }

    /// Nanoseconds on the selected clock.
    public static func clock() -> UInt64 {
        guard usesCPUClock else { return DispatchTime.now().uptimeNanoseconds }
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }

    /// Stops timing and returns the seconds per category since `start()`.
    public static func stop() -> [Category: Double] {
        charge()
        isEnabled = false
        return Dictionary(uniqueKeysWithValues: Category.allCases.map { ($0, seconds[$0.rawValue]) })
    }

    /// Runs `body`, charging its time (less that of categories entered inside it) to `category`.
    @inline(__always)
    public static func measure<R>(_ category: Category, _ body: () throws -> R) rethrows -> R {
        guard isEnabled else { return try body() }
        guard let previous = enter(category) else { return try body() }
        defer { leave(previous) }
        return try body()
    }

    /// Switches the clock to `category`; nil when called off the timed thread.
    private static func enter(_ category: Category) -> Category? {
        guard pthread_equal(owner, pthread_self()) != 0 else { return nil }
        charge()
        let previous = current
        current = category
        return previous
    }

    private static func leave(_ previous: Category) {
        charge()
        current = previous
    }

    private static func charge() {
        let now = clock()
        seconds[current.rawValue] += Double(now - mark) * 1e-9
        mark = now
    }
}
