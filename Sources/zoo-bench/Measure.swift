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

/// How this executable was built: `release` or `debug`.
#if DEBUG
let buildConfiguration = "debug"
#else
let buildConfiguration = "release"
#endif

/// Tensor storage taken per step, from this process's storage pool.
struct AllocationCounts {
    var tensorsPerStep: Double
    var bytesPerStep: Double
    /// Bytes newly taken from the system allocator per step (the rest came from the storage pool).
    var systemBytesPerStep: Double
}

/// One measurement of one workload.
struct Result {
    var name: String
    var samplesPerSecond: Double
    var peakResidentBytes: Int
    var steps: Int
    var warmup: Int
    /// Only for the workloads that compute in this process's ZooTensor (not through plug-ins).
    var allocations: AllocationCounts?
    var gemmFractionOfSGEMM: Double?

    /// The object of `--worker` and `--json`: `implementation` (`zoo`), `name`, `samples_per_second`,
    /// `peak_rss_bytes`, `threads`, `build`, `steps`, `warmup`, and more when measured. The PyTorch
    /// script prints the same keys.
    var jsonObject: [String: Any] {
        var object: [String: Any] = [
            "implementation": "zoo", "name": name, "samples_per_second": samplesPerSecond,
            "peak_rss_bytes": peakResidentBytes, "threads": Threading.threadCount, "build": buildConfiguration,
            "steps": steps, "warmup": warmup,
        ]
        if let allocations {
            object["allocations_per_step"] = allocations.tensorsPerStep
            object["bytes_allocated_per_step"] = allocations.bytesPerStep
            object["system_bytes_allocated_per_step"] = allocations.systemBytesPerStep
        }
        if let gemmFractionOfSGEMM { object["gemm_fraction_of_sgemm"] = gemmFractionOfSGEMM }
        return object
    }

    init(name: String, samplesPerSecond: Double, peakResidentBytes: Int, steps: Int, warmup: Int,
         allocations: AllocationCounts?, gemmFractionOfSGEMM: Double?) {
        (self.name, self.samplesPerSecond, self.peakResidentBytes) = (name, samplesPerSecond, peakResidentBytes)
        (self.steps, self.warmup, self.allocations, self.gemmFractionOfSGEMM) = (steps, warmup, allocations, gemmFractionOfSGEMM)
    }

    init?(json: Data) {
        guard let object = try? JSONSerialization.jsonObject(with: json) as? [String: Any],
              let name = object["name"] as? String, let rate = object["samples_per_second"] as? Double,
              let peak = object["peak_rss_bytes"] as? Int else { return nil }
        var allocations: AllocationCounts?
        if let tensors = object["allocations_per_step"] as? Double, let bytes = object["bytes_allocated_per_step"] as? Double,
           let system = object["system_bytes_allocated_per_step"] as? Double {
            allocations = AllocationCounts(tensorsPerStep: tensors, bytesPerStep: bytes, systemBytesPerStep: system)
        }
        self.init(name: name, samplesPerSecond: rate, peakResidentBytes: peak, steps: object["steps"] as? Int ?? 0,
                  warmup: object["warmup"] as? Int ?? 0, allocations: allocations,
                  gemmFractionOfSGEMM: object["gemm_fraction_of_sgemm"] as? Double)
    }
}

/// Runs `workload` for `warmup` then `steps` steps and reports the samples per second over the
/// timed steps; with `sgemm` (GFLOP/s), also the GEMM rate as a fraction of it, for the workloads
/// counted in this process.
func measure(_ workload: Workload, steps: Int, warmup: Int, sgemm: Double?) throws -> Result {
    for _ in 0..<warmup { try workload.step() }
    let counted = workload.countedInProcess
    let before = StoragePool.statistics
    GEMMStatistics.reset()
    GEMMStatistics.isEnabled = counted && sgemm != nil
    let start = now()
    for _ in 0..<steps { try workload.step() }
    let elapsed = now() - start
    GEMMStatistics.isEnabled = false
    let after = StoragePool.statistics
    let gemm = GEMMStatistics.totals
    let allocations = AllocationCounts(
        tensorsPerStep: Double(after.requests - before.requests) / Double(steps),
        bytesPerStep: Double(after.requestedBytes - before.requestedBytes) / Double(steps),
        systemBytesPerStep: Double(after.freshBytes - before.freshBytes) / Double(steps))
    var fraction: Double?
    if counted, let sgemm, gemm.seconds > 0 { fraction = gemm.operations / gemm.seconds / 1e9 / sgemm }
    return Result(name: workload.name, samplesPerSecond: Double(workload.batch * steps) / elapsed,
                  peakResidentBytes: peakResidentBytes(), steps: steps, warmup: warmup,
                  allocations: counted ? allocations : nil, gemmFractionOfSGEMM: fraction)
}
