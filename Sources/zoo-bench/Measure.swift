import Foundation
import ZooTensor

/// Wall-clock seconds since an arbitrary origin.
func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) * 1e-9 }

/// The process's peak resident set (VmHWM), in bytes.
func peakResidentBytes() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
          let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
    return kilobytes * 1024
}

/// Resets the peak resident set to the current one (Linux: write 5 to clear_refs).
func resetPeakResident() {
    try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
}

struct Result {
    var name: String
    var samplesPerSecond: Double
    var peakResidentBytes: Int
    var allocationsPerStep: Double
    var bytesPerStep: Double
    var gemmFractionOfSGEMM: Double?
}

/// Runs `workload` for `warmup` then `steps` steps; median-free: total time over the timed steps.
func measure(_ workload: Workload, steps: Int, warmup: Int, sgemm: Double, gemmFraction: Bool) -> Result {
    resetPeakResident()
    for _ in 0..<warmup { workload.step() }
    let before = AllocationCounter.snapshot
    GEMMStatistics.reset()
    GEMMStatistics.isEnabled = gemmFraction
    let start = now()
    for _ in 0..<steps { workload.step() }
    let elapsed = now() - start
    GEMMStatistics.isEnabled = false
    let after = AllocationCounter.snapshot
    let gemm = GEMMStatistics.totals
    return Result(
        name: workload.name, samplesPerSecond: Double(workload.batch * steps) / elapsed,
        peakResidentBytes: peakResidentBytes(),
        allocationsPerStep: Double(after.allocations - before.allocations) / Double(steps),
        bytesPerStep: Double(after.bytes - before.bytes) / Double(steps),
        gemmFractionOfSGEMM: gemmFraction && gemm.seconds > 0 ? gemm.operations / gemm.seconds / 1e9 / sgemm : nil)
}
