import Foundation

/// Time and floating-point work spent in GEMM, collected while `isEnabled` (for the benchmark's
/// "fraction of sgemm" figure). Off by default: then it costs one branch per GEMM.
public enum GEMMStatistics {
    nonisolated(unsafe) public static var isEnabled = false
    nonisolated(unsafe) private static var seconds = 0.0
    nonisolated(unsafe) private static var operations = 0.0

    /// Seconds in GEMM and floating-point operations done there since the last `reset()`.
    public static var totals: (seconds: Double, operations: Double) { (seconds, operations) }

    public static func reset() {
        seconds = 0
        operations = 0
    }

    static func record(m: Int, n: Int, k: Int, since start: UInt64) {
        seconds += Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
        operations += 2 * Double(m) * Double(n) * Double(k)
    }
}
