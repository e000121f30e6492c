import Foundation
import XCTest
import ZooTestSupport
@testable import ZooTrain

#if canImport(Glibc)
import Glibc
#endif

final class InterruptTests: XCTestCase {
    /// `zoo train` under Ctrl-C: finishes the step, writes the checkpoint, exits 130 and prints the
    /// command that resumes; that command finishes the run as if it had never stopped.
    func testSIGINTWritesACheckpointAndTheResumeCommandFinishesTheSameRun() throws {
        let plugins = try BuiltProducts.pluginFolder()
        let zoo = try BuiltProducts.zooExecutable()
        let scratch = try ScratchFolder()
        let file = try TrainerTests.manifest(in: scratch)
        let run = scratch.url.appendingPathComponent("run")
        let common = ["--plugin-path", plugins.path, "--set", "training.epochs=60", "--set", "evaluation.every=100"]

        let process = Process()
        process.executableURL = zoo
        process.arguments = ["train", file.path, "--set", "training.epochs=60", "--set", "evaluation.every=100",
                             "--plugin-path", plugins.path, "--out", run.path, "--log-every", "1"]
        var environment = ProcessInfo.processInfo.environment
        environment["ZOO_PLUGIN_PATH"] = nil
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        var output = ""
        while !output.contains("epoch 1/60  step 3/8") {
            let chunk = pipe.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            output += String(decoding: chunk, as: UTF8.self)
        }
        kill(process.processIdentifier, SIGINT)
        output += String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()

        XCTAssertEqual(process.terminationStatus, 130, output)
        let checkpoint = run.appendingPathComponent("checkpoint.safetensors")
        XCTAssertTrue(output.contains("stopped by SIGINT after step "), output)
        XCTAssertTrue(output.contains("checkpoint: \(checkpoint.path)\n"), output)
        let resumeLine = try XCTUnwrap(output.split(separator: "\n").first { $0.hasPrefix("resume with: ") })
        let expected = "resume with: \(zoo.path) train \(file.path) --set training.epochs=60 --set evaluation.every=100 "
            + "--plugin-path \(plugins.path) --resume \(checkpoint.path)"
        XCTAssertEqual(String(resumeLine), expected)
        let archive = try Checkpoint.read(checkpoint)
        let position = try Checkpoint.position(archive, file: checkpoint)
        XCTAssertGreaterThanOrEqual(position.step, 3)
        XCTAssertLessThan(position.step, 60 * 8, "the signal arrived before the run ended")

        // The printed command (its words need no quoting here) resumes and finishes the run.
        let words = resumeLine.dropFirst("resume with: ".count).split(separator: " ").map(String.init)
        let resumed = try BuiltProducts.runZoo(Array(words.dropFirst()))
        XCTAssertEqual(resumed.status, 0, resumed.output)
        XCTAssertTrue(resumed.output.contains("resumed from \(checkpoint.path): epoch "), resumed.output)

        let straight = scratch.url.appendingPathComponent("straight")
        let whole = try BuiltProducts.runZoo(["train", file.path] + common + ["--out", straight.path])
        XCTAssertEqual(whole.status, 0, whole.output)
        let a = try SafeTensorsArchiveTensors.read(run.appendingPathComponent("checkpoint.safetensors"))
        let b = try SafeTensorsArchiveTensors.read(straight.appendingPathComponent("checkpoint.safetensors"))
        XCTAssertEqual(a, b, "the resumed run's final weights and optimiser state equal the uninterrupted run's")
        XCTAssertEqual(try Data(contentsOf: run.appendingPathComponent("evaluation.json")),
                       try Data(contentsOf: straight.appendingPathComponent("evaluation.json")))
    }
}

/// A checkpoint's tensors as plain arrays, for equality.
enum SafeTensorsArchiveTensors {
    static func read(_ url: URL) throws -> [String: [Float]] {
        try Checkpoint.read(url).tensors.mapValues(\.scalars)
    }
}
