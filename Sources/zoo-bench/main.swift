import Foundation
import ZooTensor

// zoo-bench: the fixed workloads W1 (MLP + BatchFormer) and W2 (CIFAR ResNet-32 + BatchFormer),
// with and without BatchFormer, W2 inference, and the OpenBLAS sgemm rate measured in the same run.
//
//   swift run -c release zoo-bench [--json] [--steps N] [--rounds N] [--only NAME]
//   swift run -c release zoo-bench --breakdown [--cpu] [--steps N] [--only NAME]   (time per kind of op)
//
// Each round runs every workload once, in its own process (so that peak RSS is the workload's
// own), interleaved with the others; the median round is reported. ZOO_NUM_THREADS sets the
// thread count (default: every core).

let arguments = Array(CommandLine.arguments.dropFirst())
func option(_ name: String) -> String? {
    arguments.firstIndex(of: name).flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil }
}
let steps = option("--steps").flatMap(Int.init) ?? 10
let workloadNames = ["w1.train.bf", "w1.train.plain", "w2.train.bf", "w2.train.plain", "w2.infer"]

if arguments.contains("--plugin-load-worker") {
    let objects = pluginLoadMilliseconds().map { ["name": $0.name, "milliseconds": $0.milliseconds] as [String: Any] }
    print(String(decoding: try JSONSerialization.data(withJSONObject: objects, options: [.sortedKeys]), as: UTF8.self))
    exit(0)
}

if let name = option("--worker") {
    // One measurement in this process, printed as one JSON object.
    let sgemm = Double(option("--sgemm") ?? "") ?? openBLASReferenceRate()
    let result = measure(Workload.named(name), steps: name.hasPrefix("w2") ? max(2, steps / 3) : steps, warmup: 2,
                         sgemm: sgemm, gemmFraction: name == "w1.train.bf")
    print(String(decoding: try JSONSerialization.data(withJSONObject: result.jsonObject, options: [.sortedKeys]),
                 as: UTF8.self))
    exit(0)
}

if arguments.contains("--breakdown") {
    printBreakdowns(workloadNames.filter { option("--only") == nil || option("--only") == $0 }, steps: steps,
                    cpuClock: arguments.contains("--cpu"))
    exit(0)
}

let rounds = max(1, option("--rounds").flatMap(Int.init) ?? 3)
let selected = workloadNames.filter { option("--only") == nil || option("--only") == $0 }
guard !selected.isEmpty else {
    FileHandle.standardError.write(Data("zoo-bench: unknown workload '\(option("--only")!)'; known: \(workloadNames.joined(separator: ", "))\n".utf8))
    exit(2)
}
let sgemm = openBLASReferenceRate()
var runs: [String: [Result]] = [:]
for _ in 0..<rounds {
    for name in selected {
        runs[name, default: []].append(try runWorker(name, steps: steps, sgemm: sgemm))
    }
}
let results = selected.map { name in runs[name]!.sorted { $0.samplesPerSecond < $1.samplesPerSecond }[rounds / 2] }
// In a child process too, so that each library is loaded for the first time.
let pluginLoads = option("--only") == nil ? try runPluginLoadWorker() : []

if arguments.contains("--json") {
    let objects: [[String: Any]] = [["name": "sgemm.1024", "gflops": sgemm, "threads": Threading.threadCount]]
        + results.map(\.jsonObject) + pluginLoads.map { ["name": $0.name, "milliseconds": $0.milliseconds] }
    let data = try JSONSerialization.data(withJSONObject: objects, options: [.prettyPrinted, .sortedKeys])
    print(String(decoding: data, as: UTF8.self))
} else {
    print("zoo-bench (release) — threads: \(Threading.threadCount), OpenBLAS sgemm 1024³: "
          + "\(String(format: "%.1f", sgemm)) GFLOP/s; median of \(rounds) rounds")
    print("workload          samples/s   peak RSS MiB   tensors/step   tensor MiB/step   malloc MiB/step   GEMM rate / sgemm")
    for result in results {
        let fraction = result.gemmFractionOfSGEMM.map { String(format: "%.2f", $0) } ?? "-"
        let name = result.name.padding(toLength: 16, withPad: " ", startingAt: 0)
        print(name + String(format: " %10.1f %14.1f %14.1f %17.1f %17.1f", result.samplesPerSecond,
                            Double(result.peakResidentBytes) / 1_048_576, result.allocationsPerStep,
                            result.bytesPerStep / 1_048_576, result.systemBytesPerStep / 1_048_576) + fraction.leftPadded(20))
    }
    for load in pluginLoads {
        print(load.name.padding(toLength: 18, withPad: " ", startingAt: 0)
              + String(format: " %.2f ms (load, hash, handshake, create one module)", load.milliseconds))
    }
}

/// Measures plug-in loading in a child process of this executable.
func runPluginLoadWorker() throws -> [(name: String, milliseconds: Double)] {
    let output = try runSelf(["--plugin-load-worker"])
    guard let objects = try JSONSerialization.jsonObject(with: output) as? [[String: Any]] else { return [] }
    return objects.compactMap { object in
        guard let name = object["name"] as? String, let milliseconds = object["milliseconds"] as? Double else { return nil }
        return (name, milliseconds)
    }
}

/// Runs this executable with `arguments` and returns its standard output.
func runSelf(_ arguments: [String]) throws -> Data {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
    if !FileManager.default.isExecutableFile(atPath: process.executableURL!.path) {
        process.executableURL = Bundle.main.executableURL
    }
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw BenchmarkError(message: "\(arguments.joined(separator: " ")) failed (status \(process.terminationStatus)): "
                             + String(decoding: output, as: UTF8.self))
    }
    return output
}

/// Runs one measurement of `name` in a child process of this executable.
func runWorker(_ name: String, steps: Int, sgemm: Double) throws -> Result {
    let output = try runSelf(["--worker", name, "--steps", "\(steps)", "--sgemm", "\(sgemm)"])
    guard let result = Result(json: output) else {
        throw BenchmarkError(message: "worker for \(name) printed no result: " + String(decoding: output, as: UTF8.self))
    }
    return result
}

struct BenchmarkError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}
