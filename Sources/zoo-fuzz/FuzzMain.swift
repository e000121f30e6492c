import Foundation

/// `zoo-fuzz`: the readers of Zoo under damaged and hostile input.
///
///     zoo-fuzz [TARGET…|all] [--seed S] [--count N] [--corpus DIR] [--add-seed TARGET=FILE]… [--work DIR] [--timeout SECONDS]
///
/// Each target's seeds (files of `DIR/TARGET/`, default `Tests/Fixtures/fuzz`, and inputs made in
/// code) are mutated `N` times (default 2000) from seed `S` (default 1) and read as `zoo` reads
/// them. Exit 0: every input was read or refused with an error. A crash ends the process with its
/// signal, the input left in `WORK/TARGET/`; a hang exits 3. The memory budget is 16 MiB unless
/// `ZOO_MEMORY_BUDGET` says otherwise, so that inputs asking for more are refused quickly.
///
/// Built with `-sanitize=fuzzer -DZOO_LIBFUZZER`, the same targets run under libFuzzer instead
/// (coverage-guided; `ZOO_FUZZ_TARGET` names the target): see the README.
enum FuzzSetup {
    static func prepareEnvironment() {
        if getenv("ZOO_MEMORY_BUDGET") == nil { setenv("ZOO_MEMORY_BUDGET", "16M", 1) }
    }
}

#if ZOO_LIBFUZZER
nonisolated(unsafe) private var libFuzzerTarget: FuzzTarget?
nonisolated(unsafe) private var libFuzzerFile: URL?

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    if libFuzzerTarget == nil {
        FuzzSetup.prepareEnvironment()
        let name = ProcessInfo.processInfo.environment["ZOO_FUZZ_TARGET"] ?? "idx"
        guard let target = FuzzTarget.all.first(where: { $0.name == name }) else {
            fatalError("ZOO_FUZZ_TARGET=\(name) is not a target (\(FuzzTarget.all.map(\.name).joined(separator: ", ")))")
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("zoo-libfuzzer-\(getpid())/\(name)")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try? target.companions(folder)
        (libFuzzerTarget, libFuzzerFile) = (target, folder.appendingPathComponent(target.fileName))
    }
    guard let target = libFuzzerTarget, let file = libFuzzerFile else { return 0 }
    let bytes = data.map { Data(bytes: $0, count: size) } ?? Data()
    guard (try? bytes.write(to: file)) != nil else { return 0 }
    _ = try? target.read(file)
    return 0
}

/// libFuzzer's driver, called from the executable's entry point (SwiftPM names the entry point
/// `zoo_fuzz_main` and makes it `main`, so libFuzzer's own `main` is not linked).
@_silgen_name("LLVMFuzzerRunDriver")
func runLibFuzzer(_ argc: UnsafeMutablePointer<Int32>,
                  _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                  _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32

@_cdecl("zoo_fuzz_main")
func libFuzzerMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var count = argc
    var values = argv
    return runLibFuzzer(&count, &values) { data, size in fuzzOneInput(data, size) }
}
#else
@main
enum FuzzTool {
    static func main() {
        FuzzSetup.prepareEnvironment()
        var names: [String] = [], seed: UInt64 = 1, count = 2000, timeout = 20.0
        var corpus: URL? = URL(fileURLWithPath: "Tests/Fixtures/fuzz", isDirectory: true)
        var work = FileManager.default.temporaryDirectory.appendingPathComponent("zoo-fuzz-\(getpid())", isDirectory: true)
        var extraSeeds: [String: [[UInt8]]] = [:]
        var arguments = CommandLine.arguments.dropFirst()
        func value(_ option: String) -> String {
            guard let next = arguments.popFirst() else { usage("\(option) needs a value") }
            return next
        }
        while let argument = arguments.popFirst() {
            switch argument {
            case "--seed": seed = UInt64(value(argument)) ?? { usage("--seed: expected a non-negative integer") }()
            case "--count": count = Int(value(argument)).flatMap { $0 >= 0 ? $0 : nil } ?? { usage("--count: expected a count") }()
            case "--timeout": timeout = Double(value(argument)).flatMap { $0 > 0 ? $0 : nil } ?? { usage("--timeout: expected seconds") }()
            case "--corpus": corpus = URL(fileURLWithPath: value(argument), isDirectory: true)
            case "--no-corpus": corpus = nil
            case "--add-seed":
                let entry = value(argument)
                guard let equals = entry.firstIndex(of: "="), let data = FileManager.default.contents(atPath: String(entry[entry.index(after: equals)...])) else {
                    usage("--add-seed \(entry): expected TARGET=FILE naming a readable file")
                }
                extraSeeds[String(entry[..<equals]), default: []].append([UInt8](data))
            case "--work": work = URL(fileURLWithPath: value(argument), isDirectory: true)
            case "-h", "--help": usage(nil)
            case "all": names += FuzzTarget.all.map(\.name)
            default:
                guard FuzzTarget.all.contains(where: { $0.name == argument }) else { usage("unknown target \(argument)") }
                names.append(argument)
            }
        }
        if names.isEmpty { names = FuzzTarget.all.map(\.name) }
        var total = 0
        let started = Date()
        for name in names {
            let target = FuzzTarget.all.first { $0.name == name }!
            let clock = Date()
            do {
                let result = try FuzzRun(target: target, work: work, corpus: corpus, extraSeeds: extraSeeds[name] ?? [], seed: seed,
                                     count: count, timeout: timeout).run()
                total += result.refused + result.accepted
                print("\(name): \(result.refused + result.accepted) inputs (\(result.seeds) seeds + \(count) mutants of seed \(seed)): "
                      + "\(result.refused) refused, \(result.accepted) read, no crash, in \(String(format: "%.1f", Date().timeIntervalSince(clock))) s")
            } catch {
                FileHandle.standardError.write(Data("zoo-fuzz: \(error)\n".utf8))
                exit(2)
            }
        }
        print("\(total) inputs in \(String(format: "%.1f", Date().timeIntervalSince(started))) s, no crash and no hang")
        try? FileManager.default.removeItem(at: work)
    }

    static func usage(_ problem: String?) -> Never {
        let text = "usage: zoo-fuzz [TARGET…|all] [--seed S] [--count N] [--corpus DIR | --no-corpus] [--add-seed TARGET=FILE]… [--work DIR] [--timeout SECONDS]\n"
            + "targets: \(FuzzTarget.all.map(\.name).joined(separator: ", "))\n"
        if let problem {
            FileHandle.standardError.write(Data("zoo-fuzz: \(problem)\n\(text)".utf8))
            exit(2)
        }
        print(text, terminator: "")
        exit(0)
    }
}
#endif
