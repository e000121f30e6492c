import Foundation
import XCTest
import ZooData
import ZooManifest
import ZooPipeline
import ZooPluginHost
import ZooTensor
import ZooTestSupport
@testable import ZooTrain

/// What a run refuses or cleans up instead of crashing: test labels outside the model's classes,
/// and the temporary file of a checkpoint write that was killed.
final class BadRunInputTests: XCTestCase {
    func pipeline(in scratch: ScratchFolder) throws -> Pipeline {
        let plugins = try BuiltProducts.pluginFolder()
        let file = try TrainerTests.manifest(in: scratch, extra: "output: {folder: runs}")
        return try PipelineBuilder(pluginFolders: [plugins], environment: [:]).build(file: file)
    }

    func testATestLabelOutsideTheModelsClassesIsADataError() throws {
        let scratch = try ScratchFolder()
        let pipeline = try pipeline(in: scratch)
        let file = try scratch.write("bad-test.csv", "0.5,1,2,3,0\n1,2,3,4,5\n")
        let test = try CSV.dataset(file.path)
        XCTAssertThrowsError(try Evaluator(pipeline: pipeline).evaluate(test, trainingCounts: [60, 40, 30])) { error in
            XCTAssertEqual("\(error)", "data.test (\(file.path)): sample 1 has label 5, outside the model's 3 classes 0..<3")
        }
    }

    func testAKilledCheckpointWritesTemporaryFileIsRemovedAtTheNextStart() throws {
        let scratch = try ScratchFolder()
        let pipeline = try pipeline(in: scratch)
        let run = scratch.url.appendingPathComponent("run", isDirectory: true)
        try FileManager.default.createDirectory(at: run, withIntermediateDirectories: true)
        // A writer that is gone (no process has this pid), the form without a pid, and a write of
        // this process, which is in progress and stays.
        let gone = run.appendingPathComponent(".checkpoint.safetensors.2147483646.\(UUID().uuidString).tmp")
        let old = run.appendingPathComponent(".checkpoint.safetensors.\(UUID().uuidString).tmp")
        let live = run.appendingPathComponent(".checkpoint.safetensors.\(getpid()).\(UUID().uuidString).tmp")
        for file in [gone, old, live] { try Data("partial".utf8).write(to: file) }
        final class Lines: @unchecked Sendable {
            let lock = NSLock()
            var all: [String] = []
            func add(_ text: String) { lock.withLock { all += text.split(separator: "\n").map(String.init) } }
        }
        let lines = Lines()
        let trainer = Trainer(pipeline: pipeline, options: TrainerOptions(runFolder: run, dataFolder: scratch.url, logEvery: 0, live: false,
                                                                          write: { lines.add($0) }))
        _ = try trainer.run()
        XCTAssertFalse(FileManager.default.fileExists(atPath: gone.path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: old.path))
        XCTAssertTrue(FileManager.default.fileExists(atPath: live.path))
        XCTAssertEqual(lines.all.filter { $0.hasPrefix("removed ") }.sorted(),
                       [gone, old].map { "removed \($0.path), left by a checkpoint write that was killed" }.sorted())
        XCTAssertTrue(FileManager.default.fileExists(atPath: run.appendingPathComponent("checkpoint.safetensors").path))
    }
}
