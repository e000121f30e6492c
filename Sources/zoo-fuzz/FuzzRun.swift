import Foundation
import ZooTensor

/// A bounded, seeded mutation run of one target: `count` mutants of its seeds, each written to the
/// target's file in `work` and read. Returns how many were refused and accepted. A crash kills
/// the process, leaving the input that caused it in that file; a read taking longer than
/// `timeout` seconds is reported as a hang, with its input saved beside it, and exits 3.
struct FuzzRun {
    let target: FuzzTarget
    let work: URL
    let corpus: URL?
    /// Seeds given on the command line (e.g. a built plug-in library for `elf`).
    var extraSeeds: [[UInt8]] = []
    let seed: UInt64
    let count: Int
    let timeout: Double

    /// The target's seeds: its corpus folder's files (sorted by name), those given, then those made in code.
    func seeds() -> [[UInt8]] {
        var seeds: [[UInt8]] = []
        if let folder = corpus?.appendingPathComponent(target.name),
           let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) {
            for name in names.sorted() where !name.hasPrefix(".") {
                if let data = FileManager.default.contents(atPath: folder.appendingPathComponent(name).path) { seeds.append([UInt8](data)) }
            }
        }
        return seeds + extraSeeds + target.builtInSeeds()
    }

    func run() throws -> (refused: Int, accepted: Int, seeds: Int) {
        let folder = work.appendingPathComponent(target.name, isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try target.companions(folder)
        let file = folder.appendingPathComponent(target.fileName)
        let inputs = seeds()
        guard !inputs.isEmpty else { throw FuzzSetupError("\(target.name): no seed inputs (corpus \(corpus?.path ?? "none"))") }
        var mutator = Mutator(seed: seed)
        var refused = 0, accepted = 0
        let watchdog = Watchdog(timeout: timeout, file: file, target: target.name, seed: seed)
        // The seeds themselves first: each must be read without a crash (most are accepted).
        for index in 0..<(inputs.count + count) {
            let input = index < inputs.count ? inputs[index] : mutator.mutate(inputs[mutator.below(inputs.count)], textual: target.textual)
            try Data(input).write(to: file)
            watchdog.start(index)
            do {
                try target.read(file)
                accepted += 1
            } catch {
                refused += 1
            }
            watchdog.stop()
        }
        return (refused, accepted, inputs.count)
    }
}

struct FuzzSetupError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Ends the process (exit 3) when one input takes longer than its timeout: a hang is a bug too.
final class Watchdog: @unchecked Sendable {
    private let condition = NSCondition()
    private var current: Int?
    private var generation = 0

    init(timeout: Double, file: URL, target: String, seed: UInt64) {
        let thread = Thread { [condition] in
            condition.lock()
            while true {
                guard let index = self.current else { condition.wait(); continue }
                let seen = self.generation
                if !condition.wait(until: Date().addingTimeInterval(timeout)), self.generation == seen, self.current == index {
                    let saved = file.path + ".hang"
                    try? FileManager.default.copyItem(atPath: file.path, toPath: saved)
                    FileHandle.standardError.write(Data("zoo-fuzz: \(target) seed \(seed) input \(index) took more than \(timeout) s (hang); input saved as \(saved)\n".utf8))
                    exit(3)
                }
            }
        }
        thread.start()
    }

    func start(_ index: Int) {
        condition.lock()
        current = index
        generation += 1
        condition.signal()
        condition.unlock()
    }

    func stop() {
        condition.lock()
        current = nil
        generation += 1
        condition.signal()
        condition.unlock()
    }
}
