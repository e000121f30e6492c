import COpenBLAS
import Foundation

/// Time and floating-point work spent in GEMM, collected while `isEnabled` (for the benchmark's
/// "fraction of sgemm" figure). Off by default: then it costs one branch per GEMM.
///
/// Time is kept in thread-seconds: a GEMM split over the whole pool counts its wall time once per
/// thread, a single-threaded GEMM inside a parallel loop (one per worker) counts its own. The rate
/// is therefore the pool's, comparable with OpenBLAS's multi-threaded sgemm.
public enum GEMMStatistics {
    nonisolated(unsafe) public static var isEnabled = false
    private static let lock = NSLock()
    nonisolated(unsafe) private static var threadSeconds = 0.0
    nonisolated(unsafe) private static var operations = 0.0

    /// Seconds in GEMM (thread-seconds over the thread count) and floating-point operations done
    /// there since the last `reset()`.
    public static var totals: (seconds: Double, operations: Double) {
        lock.withLock { (threadSeconds / Double(Threading.threadCount), operations) }
    }

    public static func reset() {
        lock.withLock {
            threadSeconds = 0
            operations = 0
        }
    }

    /// Runs one single-threaded `m×k · k×n` product, charged to GEMM time (`OpTimer`) and, while
    /// enabled, to the GEMM rate.
    @inline(__always)
    static func measureSerial(m: Int, n: Int, k: Int, _ product: () -> Void) {
        OpTimer.measure(.gemm) {
            let start = isEnabled ? DispatchTime.now().uptimeNanoseconds : 0
            product()
            if isEnabled { record(m: m, n: n, k: k, since: start, threads: 1) }
        }
    }

    /// Adds one product of `threads` threads' wall time since `start`.
    static func record(m: Int, n: Int, k: Int, since start: UInt64, threads: Int) {
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
        lock.withLock {
            threadSeconds += seconds * Double(threads)
            operations += 2 * Double(m) * Double(n) * Double(k)
        }
    }
}

/// The reference GEMM rate: OpenBLAS's own multi-threaded `sgemm` on `size`³ with Zoo's thread
/// count, best of `repeats`, in GFLOP/s. OpenBLAS is set back to single-threaded afterwards.
public func openBLASReferenceRate(size n: Int = 1024, repeats: Int = 10) -> Double {
    Threading.configure()
    var generator = RandomGenerator(seed: 9)
    let a = Tensor.normal([n, n], generator: &generator), b = Tensor.normal([n, n], generator: &generator)
    let c = Tensor.zeros([n, n])
    openblas_set_num_threads(Int32(Threading.threadCount))
    defer { openblas_set_num_threads(1) }
    var best = Double.infinity
    for round in 0...repeats {
        let start = DispatchTime.now().uptimeNanoseconds
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(n), Int32(n), 1,
                    a.storage.pointer, Int32(n), b.storage.pointer, Int32(n), 0, c.storage.pointer, Int32(n))
        if round > 0 { best = Swift.min(best, Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9) }
    }
    return 2 * Double(n * n * n) / best / 1e9
}
