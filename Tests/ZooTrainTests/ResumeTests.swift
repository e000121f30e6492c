import Foundation
import XCTest
import ZooManifest
import ZooPipeline
import ZooPluginHost
import ZooTensor
import ZooTestSupport
@testable import ZooTrain

/// Losses in the order the steps took them.
final class LockedLosses: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Int: Double] = [:]
    func record(_ step: Int, _ loss: Double) { lock.withLock { values[step] = loss } }
    var ordered: [Double] { lock.withLock { values.sorted { $0.key < $1.key }.map(\.value) } }
}

/// Stops the run once `step` steps have been taken.
final class StopAfter: @unchecked Sendable {
    private let lock = NSLock()
    private var taken = 0
    let step: Int
    init(_ step: Int) { self.step = step }
    func tick() -> String? { lock.withLock { taken += 1; return taken == step ? "test stop" : nil } }
}

final class ResumeTests: XCTestCase {
    /// The test manifest for 3 epochs, with BatchFormer's dropout (0.5) so that the generator matters.
    func manifest(_ scratch: ScratchFolder) throws -> URL {
        try TrainerTests.manifest(in: scratch, extra: "")
    }

    func build(_ file: URL, plugins: URL, overrides: [String] = ["training.epochs=3"]) throws -> Pipeline {
        let parsed = try overrides.map { try ManifestOverride($0) }
        return try PipelineBuilder(pluginFolders: [plugins], environment: [:]).build(file: file, overrides: parsed)
    }

    func options(_ run: URL, _ scratch: ScratchFolder, losses: LockedLosses, resume: URL? = nil,
                 stop: StopAfter? = nil) -> TrainerOptions {
        TrainerOptions(runFolder: run, dataFolder: scratch.url, logEvery: 0, live: false, resume: resume,
                       stopRequested: { stop?.tick() }, stepLoss: { losses.record($0, $1) }, write: { _ in })
    }

    /// A run stopped after `stopStep` steps and resumed gives the same losses, weights, optimiser
    /// state and evaluation as a run never stopped: at an epoch's end (8) and inside one (11).
    func testAResumedRunMatchesAnUninterruptedOneBitForBit() throws {
        let plugins = try BuiltProducts.pluginFolder()
        let scratch = try ScratchFolder()
        let file = try manifest(scratch)

        let straightLosses = LockedLosses()
        let straight = try build(file, plugins: plugins)
        let whole = try Trainer(pipeline: straight, options: options(scratch.url.appendingPathComponent("whole"), scratch,
                                                                   losses: straightLosses)).run()
        XCTAssertEqual(whole.steps, 24)

        for stopStep in [8, 11] {
            let run = scratch.url.appendingPathComponent("stopped-\(stopStep)")
            let losses = LockedLosses()
            let first = try build(file, plugins: plugins)
            XCTAssertThrowsError(try Trainer(pipeline: first, options: options(run, scratch, losses: losses,
                                                                               stop: StopAfter(stopStep))).run()) { error in
                let stopped = error as? TrainingInterrupted
                XCTAssertEqual(stopped?.position.step, stopStep)
                XCTAssertEqual(stopped?.position.epochStep, stopStep == 8 ? 8 : 3)
                XCTAssertEqual(stopped?.description,
                               "test stop: stopped after step \(stopStep) (epoch \(stopStep == 8 ? 1 : 2), step \(stopStep == 8 ? 8 : 3) of the epoch); "
                               + "checkpoint written to \(run.appendingPathComponent("checkpoint.safetensors").path)")
            }
            let checkpoint = run.appendingPathComponent("checkpoint.safetensors")
            let second = try build(file, plugins: plugins)
            let resumed = try Trainer(pipeline: second, options: options(run, scratch, losses: losses, resume: checkpoint)).run()

            XCTAssertEqual(losses.ordered, straightLosses.ordered, "stopped after \(stopStep)")
            XCTAssertEqual(resumed.epochLosses, whole.epochLosses, "stopped after \(stopStep)")
            XCTAssertEqual(resumed.evaluation, whole.evaluation, "stopped after \(stopStep)")
            for ((name, a), (_, b)) in zip(straight.namedState, second.namedState) {
                XCTAssertEqual(a.scalars, b.scalars, "\(name), stopped after \(stopStep)")
            }
            // Both checkpoints hold the same optimiser state.
            let ended = try SafeTensorsArchive(contentsOf: checkpoint)
            let reference = try SafeTensorsArchive(contentsOf: scratch.url.appendingPathComponent("whole/checkpoint.safetensors"))
            XCTAssertEqual(ended.tensors.mapValues(\.scalars), reference.tensors.mapValues(\.scalars))
            // metrics.jsonl holds each epoch once.
            let epochs = try String(contentsOf: run.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n")
                .map { try JSONDecoder().decode(EpochMetrics.self, from: Data($0.utf8)).epoch }
            XCTAssertEqual(epochs, [1, 2, 3])
        }
    }

    /// Without the saved generator the dropout masks differ: the comparison above can fail.
    func testTheDropoutMasksFollowTheHostGenerator() throws {
        let plugins = try BuiltProducts.pluginFolder()
        let scratch = try ScratchFolder()
        let file = try manifest(scratch)
        var runs: [[Double]] = []
        for shift in [false, false, true] {
            let losses = LockedLosses()
            let pipeline = try build(file, plugins: plugins, overrides: ["training.epochs=1"])
            if shift { _ = pipeline.host.nextSeed() }
            _ = try Trainer(pipeline: pipeline, options: options(scratch.url.appendingPathComponent("run-\(runs.count)"), scratch,
                                                                 losses: losses)).run()
            runs.append(losses.ordered)
        }
        XCTAssertEqual(runs[0], runs[1])
        XCTAssertNotEqual(runs[0], runs[2])
    }

    func testResumingFromAnotherManifestNamesTheKeysThatDiffer() throws {
        let plugins = try BuiltProducts.pluginFolder()
        let scratch = try ScratchFolder()
        let file = try manifest(scratch)
        let run = scratch.url.appendingPathComponent("run")
        let losses = LockedLosses()
        _ = try Trainer(pipeline: build(file, plugins: plugins, overrides: ["training.epochs=1"]),
                        options: options(run, scratch, losses: losses)).run()
        let checkpoint = run.appendingPathComponent("checkpoint.safetensors")

        let changed = try build(file, plugins: plugins, overrides: ["training.epochs=3", "training.seed=4", "optimizer.learning_rate=0.1"])
        XCTAssertThrowsError(try Trainer(pipeline: changed, options: options(run, scratch, losses: losses, resume: checkpoint)).run()) { error in
            XCTAssertEqual("\(error)", "checkpoint \(checkpoint.path) was written by a run whose manifest differs at "
                           + "optimizer.learning_rate, training.seed; resume with the same manifest and --set overrides "
                           + "(only training.epochs, evaluation and output may change)")
        }
        let finished = try build(file, plugins: plugins, overrides: ["training.epochs=1"])
        XCTAssertThrowsError(try Trainer(pipeline: finished, options: options(run, scratch, losses: losses, resume: checkpoint)).run()) { error in
            XCTAssertEqual("\(error)", "checkpoint \(checkpoint.path) has finished all 1 epochs of the run; "
                           + "raise training.epochs (--set training.epochs=N) to train on")
        }
        // More epochs than before is allowed.
        let longer = try build(file, plugins: plugins, overrides: ["training.epochs=2"])
        let result = try Trainer(pipeline: longer, options: options(run, scratch, losses: losses, resume: checkpoint)).run()
        XCTAssertEqual(result.steps, 16)
    }

    /// A checkpoint written by plug-ins that are absent or of another version says which.
    func testACheckpointFromOtherPluginsNamesThem() throws {
        let plugins = try BuiltProducts.pluginFolder()
        let scratch = try ScratchFolder()
        let file = try manifest(scratch)
        let pipeline = try build(file, plugins: plugins, overrides: [])
        let good = scratch.url.appendingPathComponent("good.safetensors")
        try Checkpoint.write(pipeline, position: TrainingPosition(), classCounts: [60, 40, 30], to: good)
        let archive = try SafeTensorsArchive(contentsOf: good)

        var entries = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(archive.metadata[Checkpoint.pluginsKey]!.utf8)) as? [[String: String]])
        let relations = try XCTUnwrap(entries.firstIndex { $0["name"] == "zoo-relations" })
        let version = try XCTUnwrap(entries[relations]["version"])
        entries[relations]["version"] = "0.0.1"
        entries.append(["name": "zoo-extras", "version": "2.0.0", "sha256": "", "file": "/opt/zoo/libZooExtras.so"])
        var metadata = archive.metadata
        metadata[Checkpoint.pluginsKey] = String(decoding: try JSONSerialization.data(withJSONObject: entries), as: UTF8.self)
        let other = scratch.url.appendingPathComponent("other.safetensors")
        try SafeTensorsArchive(metadata: metadata, tensors: archive.tensors).write(to: other)

        let relationsFile = try XCTUnwrap(pipeline.manifest.plugins.first { $0.name == "zoo-relations" }?.file)
        XCTAssertThrowsError(try Checkpoint.load(other, into: pipeline)) { error in
            XCTAssertEqual("\(error)", """
                checkpoint \(other.path) does not fit the model:
                  plug-in zoo-relations is version \(version) here (\(relationsFile)); the checkpoint was written with version 0.0.1
                  plug-in zoo-extras 2.0.0 (/opt/zoo/libZooExtras.so) wrote part of it and is not loaded here
                """)
        }
        XCTAssertNoThrow(try Checkpoint.load(good, into: pipeline))
    }
}
