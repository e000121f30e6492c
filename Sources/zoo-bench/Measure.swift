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

struct Result {
    var name: String
    var samplesPerSecond: Double
    var peakResidentBytes: Int
    var allocationsPerStep: Double
    var bytesPerStep: Double
    /// Bytes newly taken from the system allocator per step (the rest came from the storage pool).
    var systemBytesPerStep: Double
    var gemmFractionOfSGEMM: Double?

    /// The object of `--json`: `name`, `samples_per_second`, `peak_rss_bytes`, `threads`, and more.
    var jsonObject: [String: Any] {
        var object: [String: Any] = [
            "name": name, "samples_per_second": samplesPerSecond, "peak_rss_bytes": peakResidentBytes,
            "threads": Threading.threadCount, "allocations_per_step": allocationsPerStep,
            "bytes_allocated_per_step": bytesPerStep, "system_bytes_allocated_per_step": systemBytesPerStep,
        ]
        if let gemmFractionOfSGEMM { object["gemm_fraction_of_sgemm"] = gemmFractionOfSGEMM }
        return object
    }

    init(name: String, samplesPerSecond: Double, peakResidentBytes: Int, allocationsPerStep: Double,
         bytesPerStep: Double, systemBytesPerStep: Double, gemmFractionOfSGEMM: Double?) {
        (self.name, self.samplesPerSecond, self.peakResidentBytes) = (name, samplesPerSecond, peakResidentBytes)
        (self.allocationsPerStep, self.bytesPerStep) = (allocationsPerStep, bytesPerStep)
        (self.systemBytesPerStep, self.gemmFractionOfSGEMM) = (systemBytesPerStep, gemmFractionOfSGEMM)
    }

    init?(json: Data) {
        guard let object = try? JSONSerialization.jsonObject(with: json) as? [String: Any],
              let name = object["name"] as? String, let rate = object["samples_per_second"] as? Double,
              let peak = object["peak_rss_bytes"] as? Int, let allocations = object["allocations_per_step"] as? Double,
              let bytes = object["bytes_allocated_per_step"] as? Double,
              let system = object["system_bytes_allocated_per_step"] as? Double else { return nil }
        self.init(name: name, samplesPerSecond: rate, peakResidentBytes: peak, allocationsPerStep: allocations,
                  bytesPerStep: bytes, systemBytesPerStep: system, gemmFractionOfSGEMM: object["gemm_fraction_of_sgemm"] as? Double)
    }
}

/// Runs `workload` for `warmup` then `steps` steps; median-free: total time over the timed steps.
func measure(_ workload: Workload, steps: Int, warmup: Int, sgemm: Double, gemmFraction: Bool) -> Result {
    for _ in 0..<warmup { workload.step() }
    let before = StoragePool.statistics
    GEMMStatistics.reset()
    GEMMStatistics.isEnabled = gemmFraction
    let start = now()
    for _ in 0..<steps { workload.step() }
    let elapsed = now() - start
    GEMMStatistics.isEnabled = false
    let after = StoragePool.statistics
    let gemm = GEMMStatistics.totals
    return Result(
        name: workload.name, samplesPerSecond: Double(workload.batch * steps) / elapsed,
        peakResidentBytes: peakResidentBytes(),
        allocationsPerStep: Double(after.requests - before.requests) / Double(steps),
        bytesPerStep: Double(after.requestedBytes - before.requestedBytes) / Double(steps),
        systemBytesPerStep: Double(after.freshBytes - before.freshBytes) / Double(steps),
        gemmFractionOfSGEMM: gemmFraction && gemm.seconds > 0 ? gemm.operations / gemm.seconds / 1e9 / sgemm : nil)
}
