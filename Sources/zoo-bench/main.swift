import Foundation
import ZooTensor

// zoo-bench: the fixed workloads W1 (MLP + BatchFormer) and W2 (CIFAR ResNet-32 + BatchFormer),
// with and without BatchFormer, W2 inference, and the OpenBLAS sgemm rate measured in the same run.
//
//   swift run -c release zoo-bench [--json] [--steps N] [--only NAME]
//   ZOO_NUM_THREADS sets the thread count (default: every core).

let arguments = CommandLine.arguments.dropFirst()
let json = arguments.contains("--json")
func option(_ name: String) -> String? {
    arguments.firstIndex(of: name).flatMap { arguments.index(after: $0) < arguments.endIndex ? arguments[arguments.index(after: $0)] : nil }
}
let steps = option("--steps").flatMap(Int.init) ?? 10
let only = option("--only")

let sgemm = openBLASReferenceRate()
let plans: [(String, () -> Workload)] = [
    ("w1.train.bf", { Workload.w1(batchFormer: true) }),
    ("w1.train.plain", { Workload.w1(batchFormer: false) }),
    ("w2.train.bf", { Workload.w2(batchFormer: true, train: true) }),
    ("w2.train.plain", { Workload.w2(batchFormer: false, train: true) }),
    ("w2.infer", { Workload.w2(batchFormer: false, train: false) }),
]
var results: [Result] = []
for (name, build) in plans where only == nil || only == name {
    let workload = build()
    let isW2 = name.hasPrefix("w2")
    results.append(measure(workload, steps: isW2 ? max(2, steps / 3) : steps, warmup: 2, sgemm: sgemm,
                           gemmFraction: name == "w1.train.bf"))
}

if json {
    var objects: [[String: Any]] = [["name": "sgemm.1024", "gflops": sgemm, "threads": Threading.threadCount]]
    for result in results {
        var object: [String: Any] = [
            "name": result.name, "samples_per_second": result.samplesPerSecond,
            "peak_rss_bytes": result.peakResidentBytes, "threads": Threading.threadCount,
            "allocations_per_step": result.allocationsPerStep, "bytes_allocated_per_step": result.bytesPerStep,
        ]
        if let fraction = result.gemmFractionOfSGEMM { object["gemm_fraction_of_sgemm"] = fraction }
        objects.append(object)
    }
    let data = try JSONSerialization.data(withJSONObject: objects, options: [.prettyPrinted, .sortedKeys])
    print(String(decoding: data, as: UTF8.self))
} else {
    print("zoo-bench — threads: \(Threading.threadCount), OpenBLAS sgemm 1024³: \(String(format: "%.1f", sgemm)) GFLOP/s")
    print("workload          samples/s   peak RSS MiB   tensor allocs/step   MiB allocated/step   GEMM rate / sgemm")
    for result in results {
        let fraction = result.gemmFractionOfSGEMM.map { String(format: "%.2f", $0) } ?? "-"
        let name = result.name.padding(toLength: 16, withPad: " ", startingAt: 0)
        print(name + String(format: " %10.1f %14.1f %20.1f %20.1f", result.samplesPerSecond,
                            Double(result.peakResidentBytes) / 1_048_576, result.allocationsPerStep,
                            result.bytesPerStep / 1_048_576) + fraction.leftPadded(20))
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}
