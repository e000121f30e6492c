import Foundation
import ZooTensor

// zoo-bench: the fixed workloads of docs/ARCHITECTURE.md §5 on the path users run (manifests of
// Benchmarks/manifests, modules loaded as plug-ins, composed by the pipeline, the optimiser's step
// included): W1 (MLP + BatchFormer) and W2 (CIFAR ResNet-32 + BatchFormer), with and without
// BatchFormer, W2 inference with BatchFormer absent and loaded; the same model built in-process
// from ZooNN for the GEMM rate; the OpenBLAS sgemm rate and the time to load a plug-in.
//
//   zoo-bench [--json] [--rounds N] [--steps N] [--only NAME]
//       every workload, each round in its own processes, interleaved; the median round is reported
//   zoo-bench --worker NAME [--steps N] [--warmup N] [--sgemm GFLOPS]
//       one measurement in this process, printed as one JSON line (what Benchmarks/compare.py runs)
//   zoo-bench --machine
//       the CPU (vendor, family/model, SIMD extensions, the kernel variant and OpenBLAS core chosen
//       at load time) as one JSON object; every result records it too
//   zoo-bench --list
//       the workload names (plug-in path, then the in-process `nn.` ones)
//   zoo-bench --breakdown [--cpu] [--steps N] [--only NAME]
//       time per kind of op, for the in-process `nn.` workloads (a plug-in's ops run in its own copy)
//
// --manifests DIR (default: the repository's Benchmarks/manifests) and --plugin-path DIR
// (default: this executable's folder) say where the plug-in workloads find what they load.
// ZOO_NUM_THREADS sets the thread count (default: every core).

let arguments = Array(CommandLine.arguments.dropFirst())
func option(_ name: String) -> String? {
    arguments.firstIndex(of: name).flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil }
}
let executableFolder = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.deletingLastPathComponent()
let workloadOptions = PluginWorkloadOptions(
    manifests: option("--manifests").map { URL(fileURLWithPath: $0) } ?? PluginWorkloadOptions.defaultManifests,
    pluginFolder: option("--plugin-path").map { URL(fileURLWithPath: $0) } ?? executableFolder)
/// The options a child process gets again.
let forwardedOptions = ["--manifests", "--plugin-path"].flatMap { name in option(name).map { [name, $0] } ?? [] }
let steps = option("--steps").flatMap(Int.init) ?? 10
/// W2 steps take a second or so: a third as many as W1's (at least 2).
func defaultSteps(_ name: String) -> Int { name.contains("w2.") ? max(2, steps / 3) : steps }
/// The workloads of a full run: the plug-in path, and W1 with BatchFormer in-process for the GEMM rate.
let workloadNames = PluginWorkload.names + ["nn.w1.train.bf"]

if arguments.contains("--machine") {
    print(String(decoding: try JSONSerialization.data(withJSONObject: CPUDescription.current.jsonObject, options: [.sortedKeys]),
                 as: UTF8.self))
    exit(0)
}

if arguments.contains("--list") {
    print((PluginWorkload.names + NNWorkload.names).joined(separator: "\n"))
    exit(0)
}

if arguments.contains("--plugin-load-worker") {
    let objects = pluginLoadMilliseconds().map { ["name": $0.name, "milliseconds": $0.milliseconds] as [String: Any] }
    print(String(decoding: try JSONSerialization.data(withJSONObject: objects, options: [.sortedKeys]), as: UTF8.self))
    exit(0)
}

if let name = option("--worker") {
    // One measurement in this process, printed as one JSON object on one line.
    do {
        let workload = try Workload.named(name, options: workloadOptions)
        let result = try measure(workload, steps: option("--steps").flatMap(Int.init) ?? defaultSteps(name),
                                 warmup: option("--warmup").flatMap(Int.init) ?? 2, sgemm: option("--sgemm").flatMap(Double.init))
        print(String(decoding: try JSONSerialization.data(withJSONObject: result.jsonObject, options: [.sortedKeys]),
                     as: UTF8.self))
        exit(0)
    } catch {
        FileHandle.standardError.write(Data("zoo-bench: \(name): \(error)\n".utf8))
        exit(1)
    }
}

if arguments.contains("--breakdown") {
    printBreakdowns(NNWorkload.names.filter { option("--only") == nil || option("--only") == $0 }, steps: steps,
                    cpuClock: arguments.contains("--cpu"))
    exit(0)
}

let rounds = max(1, option("--rounds").flatMap(Int.init) ?? 3)
let known = PluginWorkload.names + NNWorkload.names
let selected = option("--only").map { [$0] } ?? workloadNames
guard selected.allSatisfy(known.contains) else {
    FileHandle.standardError.write(Data("zoo-bench: unknown workload '\(option("--only")!)'; known: \(known.joined(separator: ", "))\n".utf8))
    exit(2)
}
let sgemm = openBLASReferenceRate()
var runs: [String: [Result]] = [:]
for _ in 0..<rounds {
    for name in selected {
        runs[name, default: []].append(try runWorker(name, sgemm: name == "nn.w1.train.bf" ? sgemm : nil))
    }
}
let results = selected.map { name in runs[name]!.sorted { $0.samplesPerSecond < $1.samplesPerSecond }[rounds / 2] }
/// (max − min) / median of a workload's rounds, in percent.
let spreads = runs.mapValues { results in
    let rates = results.map(\.samplesPerSecond).sorted()
    return (rates.last! - rates.first!) / rates[rates.count / 2] * 100
}
// In a child process too, so that each library is loaded for the first time.
let pluginLoads = option("--only") == nil ? try runPluginLoadWorker() : []

if arguments.contains("--json") {
    let machine = CPUDescription.current.jsonObject.merging(["name": "machine", "build": buildConfiguration]) { $1 }
    let objects: [[String: Any]] = [machine, ["name": "sgemm.1024", "gflops": sgemm, "threads": Threading.threadCount]]
        + results.map { $0.jsonObject.merging(["spread_percent": spreads[$0.name]!, "rounds": rounds]) { $1 } }
        + pluginLoads.map { ["name": $0.name, "milliseconds": $0.milliseconds] }
    let data = try JSONSerialization.data(withJSONObject: objects, options: [.prettyPrinted, .sortedKeys])
    print(String(decoding: data, as: UTF8.self))
} else {
    print("cpu: \(CPUDescription.current.summary)")
    print("zoo-bench (\(buildConfiguration)) — threads: \(Threading.threadCount), OpenBLAS sgemm 1024³: "
          + "\(String(format: "%.1f", sgemm)) GFLOP/s; median of \(rounds) rounds, each workload in its own process")
    print("workload             samples/s  spread %  peak RSS MiB  tensors/step  tensor MiB/step  malloc MiB/step  GEMM rate / sgemm")
    for result in results {
        func cell(_ value: Double?, _ format: String, _ width: Int) -> String {
            (value.map { String(format: format, $0) } ?? "-").leftPadded(width)
        }
        let counts = result.allocations
        print(result.name.padding(toLength: 19, withPad: " ", startingAt: 0)
              + cell(result.samplesPerSecond, "%.1f", 11) + cell(spreads[result.name], "%.1f", 10)
              + cell(Double(result.peakResidentBytes) / 1_048_576, "%.1f", 14)
              + cell(counts?.tensorsPerStep, "%.1f", 14) + cell(counts.map { $0.bytesPerStep / 1_048_576 }, "%.1f", 17)
              + cell(counts.map { $0.systemBytesPerStep / 1_048_576 }, "%.1f", 17) + cell(result.gemmFractionOfSGEMM, "%.2f", 19))
    }
    if let loaded = results.first(where: { $0.name == "w2.infer.bf-loaded" }), let absent = results.first(where: { $0.name == "w2.infer" }) {
        print(String(format: "W2 inference with BatchFormer in the manifest / without: %.3f (rounds spread %.1f%% and %.1f%%)",
                     loaded.samplesPerSecond / absent.samplesPerSecond, spreads[loaded.name]!, spreads[absent.name]!))
    }
    print("w1/w2 rows: plug-ins loaded from \(workloadOptions.pluginFolder.path), composed by the pipeline; "
          + "nn. rows: ZooNN in this process (tensor counts and GEMM rate are only seen there)")
    for load in pluginLoads {
        print(load.name.padding(toLength: 19, withPad: " ", startingAt: 0)
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
func runWorker(_ name: String, sgemm: Double?) throws -> Result {
    let output = try runSelf(["--worker", name, "--steps", "\(defaultSteps(name))"] + forwardedOptions
                             + (sgemm.map { ["--sgemm", "\($0)"] } ?? []))
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
