import Foundation
import XCTest
import ZooData
import ZooManifest
import ZooPipeline
import ZooPluginHost
import ZooTensor
import ZooTestSupport
@testable import ZooTrain

extension BuiltProducts {
    /// The folder of the built-in plug-ins; one that is missing or does not load fails the test.
    static func pluginFolder() throws -> URL {
        var folder: URL?
        for name in ["ZooBackbones", "ZooHeads", "ZooLosses", "ZooRelations"] {
            let file = try library(name)
            do {
                _ = try PluginLibrary.load(file: file)
            } catch {
                throw MissingBuiltProduct("lib\(name).so", failsToLoad: error)
            }
            folder = file.deletingLastPathComponent()
        }
        return folder!
    }

    /// Runs the built `zoo` without a `ZOO_PLUGIN_PATH` from the environment.
    static func runZoo(_ arguments: [String]) throws -> (status: Int32, output: String) {
        var environment = ProcessInfo.processInfo.environment
        environment["ZOO_PLUGIN_PATH"] = nil
        return try runZoo(arguments, environment: environment)
    }
}

/// A temporary folder, removed afterwards.
final class ScratchFolder {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("zoo-train-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> URL {
        let file = url.appendingPathComponent(name)
        try text.write(to: file, atomically: true, encoding: .utf8)
        return file
    }
}

final class TrainerTests: XCTestCase {
    /// Three Gaussian clusters in four features, `perClass` samples each, as CSV (label last).
    static func clusters(perClass: [Int], seed: UInt64) -> String {
        var generator = RandomGenerator(seed: seed)
        let centres: [[Float]] = [[2, 0, 0, 1], [0, 2, 0, -1], [0, 0, 2, 0]]
        var lines = ["a,b,c,d,label"]
        for (label, count) in perClass.enumerated() {
            for _ in 0..<count {
                let values = centres[label].map { $0 + generator.nextNormal() }
                lines.append(values.map { "\($0)" }.joined(separator: ",") + ",\(label)")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A manifest over CSV data in `scratch`: MLP, BatchFormer V1, linear head, cross-entropy, 2 epochs.
    static func manifest(in scratch: ScratchFolder, train: String = "train.csv", extra: String = "") throws -> URL {
        try scratch.write("train.csv", clusters(perClass: [60, 40, 30], seed: 1))
        try scratch.write("test.csv", clusters(perClass: [20, 20, 20], seed: 2))
        return try scratch.write("run.yaml", """
            zoo: 1
            plugins: [{name: zoo-backbones}, {name: zoo-heads}, {name: zoo-losses}, {name: zoo-relations}]
            model:
              backbone: {module: mlp, config: {hidden: [16]}}
              relations: [{module: batchformer-v1, config: {heads: 4}, learning_rate_multiplier: 0.1}]
              head: {module: linear}
              losses: [{module: cross-entropy}]
            data: {format: csv, train: \(train), test: test.csv, input_shape: [4], num_classes: 3}
            optimizer: {name: sgd, learning_rate: 0.05, momentum: 0.9, weight_decay: 0.0005}
            schedule: {name: cosine}
            training: {epochs: 2, batch_size: 16, seed: 3}
            evaluation: {every: 1, shot_groups: true}
            \(extra)
            """)
    }

    func testTrainingLowersTheLossAndWritesTheRunFolder() throws {
        let plugins = try BuiltProducts.pluginFolder()
        let scratch = try ScratchFolder()
        let file = try Self.manifest(in: scratch, extra: "output: {folder: runs}")
        let pipeline = try PipelineBuilder(pluginFolders: [plugins], environment: [:]).build(file: file)
        let run = scratch.url.appendingPathComponent("run")
        let lines = LockedLines()
        let options = TrainerOptions(runFolder: run, dataFolder: scratch.url, logEvery: 4, live: false, write: { lines.append($0) })
        let result = try Trainer(pipeline: pipeline, options: options).run()

        XCTAssertEqual(result.epochs, 2)
        XCTAssertEqual(result.steps, 2 * (130 / 16))
        XCTAssertLessThan(result.epochLosses[1], result.epochLosses[0], "\(result.epochLosses)")
        let printed = lines.text
        XCTAssertTrue(printed.contains("train: 130 samples in 3 classes, per class [60, 40, 30]"), printed)
        XCTAssertTrue(printed.contains("epoch 1/2  step 4/8  loss "), printed)
        XCTAssertTrue(printed.contains("samples/s  left "), printed)
        XCTAssertTrue(printed.contains("samples  top-1    top-5    many     medium   few"), printed)

        // metrics.jsonl: one JSON object per epoch.
        let jsonl = try String(contentsOf: run.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
            .split(separator: "\n")
        XCTAssertEqual(jsonl.count, 2)
        let metrics = try jsonl.map { try JSONDecoder().decode(EpochMetrics.self, from: Data($0.utf8)) }
        XCTAssertEqual(metrics.map(\.epoch), [1, 2])
        XCTAssertEqual(metrics.map(\.step), [8, 16])
        XCTAssertEqual(metrics.map(\.loss), result.epochLosses)
        XCTAssertNotNil(metrics[0].testTop1)
        // metrics.csv: a header and one row per epoch.
        let csv = try String(contentsOf: run.appendingPathComponent("metrics.csv"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(csv.count, 3)
        XCTAssertEqual(String(csv[0]), EpochMetrics.csvHeader)
        XCTAssertTrue(csv[2].hasPrefix("2,16,"), String(csv[2]))

        // evaluation.json and confusion.csv.
        let report = try JSONDecoder().decode(EvaluationReport.self, from: Data(contentsOf: run.appendingPathComponent("evaluation.json")))
        XCTAssertEqual(report, result.evaluation)
        XCTAssertEqual(report.samples, 60)
        XCTAssertEqual(report.trainingCounts, [60, 40, 30])
        XCTAssertEqual(try String(contentsOf: run.appendingPathComponent("confusion.csv"), encoding: .utf8), report.confusionCSV)
        XCTAssertEqual(try String(contentsOf: run.appendingPathComponent("per-class-accuracy.svg"), encoding: .utf8),
                       Plots.perClassAccuracy(report))
        XCTAssertTrue(FileManager.default.fileExists(atPath: run.appendingPathComponent("training-curves.svg").path))

        // The resolved manifest reads back.
        let resolved = try ManifestLoader.load(file: run.appendingPathComponent("resolved.yaml")).manifest
        XCTAssertEqual(resolved.training.epochs, 2)
        XCTAssertEqual(resolved.plugins.map(\.version), pipeline.manifest.plugins.map(\.version))

        // The checkpoint: every state tensor by name, and the metadata.
        let archive = try SafeTensorsArchive(contentsOf: run.appendingPathComponent("checkpoint.safetensors"))
        let optimizerKeys = archive.tensors.keys.filter { $0.hasPrefix(Checkpoint.optimizerPrefix) }
        XCTAssertEqual(Set(archive.tensors.keys).subtracting(optimizerKeys), Set(pipeline.namedState.map(\.0)))
        // SGD with momentum: one momentum buffer per trainable parameter, under PyTorch's key.
        let trainable = pipeline.parameterGroups.flatMap { group in group.parameters.map { "optimizer.\(group.stage).\($0.0).momentum_buffer" } }
        XCTAssertEqual(Set(optimizerKeys), Set(trainable))
        for (name, tensor) in pipeline.namedState { XCTAssertEqual(archive.tensors[name]?.scalars, tensor.scalars, name) }
        XCTAssertEqual(archive.metadata[Checkpoint.epochKey], "2")
        XCTAssertEqual(archive.metadata[Checkpoint.stepKey], "16")
        XCTAssertEqual(Checkpoint.classCounts(archive), [60, 40, 30])
        let recorded = try JSONSerialization.jsonObject(with: Data(XCTUnwrap(archive.metadata[Checkpoint.pluginsKey]).utf8)) as? [[String: String]]
        XCTAssertEqual(recorded?.map { $0["name"] }, ["zoo-backbones", "zoo-heads", "zoo-losses", "zoo-relations"])
        XCTAssertEqual(recorded?.map { $0["version"] }, pipeline.manifest.plugins.map(\.version))
        XCTAssertEqual(recorded?.first?["sha256"]?.count, 64)
        let position = try Checkpoint.position(archive, file: run)
        XCTAssertEqual([position.epoch, position.epochStep, position.step], [2, 0, 16])
        XCTAssertEqual(archive.metadata[Checkpoint.generatorKey]?.split(separator: ",").count, 4)
        let manifestJSON = try XCTUnwrap(archive.metadata[Checkpoint.manifestKey])
        let reread = try ManifestLoader.load(text: manifestJSON, file: "checkpoint.json").manifest
        XCTAssertEqual(reread, pipeline.manifest)
    }

    func testAdamWWithClippingAndAStepSchedule() throws {
        let plugins = try BuiltProducts.pluginFolder()
        let scratch = try ScratchFolder()
        let file = try Self.manifest(in: scratch)
        let overrides = try ["optimizer.name=adamw", "optimizer.learning_rate=0.01", "optimizer.momentum=0",
                             "training.gradient_clip_norm=1", "schedule.name=step", "schedule.step_size=1", "schedule.gamma=0.5",
                             "training.epochs=3"].map { try ManifestOverride($0) }
        let pipeline = try PipelineBuilder(pluginFolders: [plugins], environment: [:]).build(file: file, overrides: overrides)
        let run = scratch.url.appendingPathComponent("run")
        let options = TrainerOptions(runFolder: run, dataFolder: scratch.url, logEvery: 0, live: false, write: { _ in })
        let result = try Trainer(pipeline: pipeline, options: options).run()
        XCTAssertLessThan(result.epochLosses[2], result.epochLosses[0], "\(result.epochLosses)")
        let metrics = try String(contentsOf: run.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n")
            .map { try JSONDecoder().decode(EpochMetrics.self, from: Data($0.utf8)) }
        XCTAssertEqual(metrics.map(\.learningRate), [0.01, 0.005, 0.0025])
    }

    func testZooEvalWithTheCheckpointReproducesTheFinalEvaluation() throws {
        let plugins = try BuiltProducts.pluginFolder()
        let scratch = try ScratchFolder()
        let file = try Self.manifest(in: scratch)
        let run = scratch.url.appendingPathComponent("run")
        let trained = try BuiltProducts.runZoo(["train", file.path, "--plugin-path", plugins.path, "--out", run.path, "--log-every", "4"])
        XCTAssertEqual(trained.status, 0, trained.output)
        XCTAssertTrue(trained.output.contains("epoch 2/2  step 8/8  loss "), trained.output)
        XCTAssertFalse(trained.output.contains("\r"), "no live line when standard output is not a terminal")

        let checked = scratch.url.appendingPathComponent("eval")
        let evaluated = try BuiltProducts.runZoo(["eval", file.path, "--checkpoint", run.appendingPathComponent("checkpoint.safetensors").path,
                                                  "--plugin-path", plugins.path, "--out", checked.path])
        XCTAssertEqual(evaluated.status, 0, evaluated.output)
        let final = try JSONDecoder().decode(EvaluationReport.self, from: Data(contentsOf: run.appendingPathComponent("evaluation.json")))
        let again = try JSONDecoder().decode(EvaluationReport.self, from: Data(contentsOf: checked.appendingPathComponent("evaluation.json")))
        XCTAssertEqual(again, final)
        XCTAssertTrue(evaluated.output.contains(final.table), evaluated.output)
        XCTAssertTrue(trained.output.contains(final.table), trained.output)
    }

    func testANonFiniteLossStopsTheRunAtItsStepWithoutACheckpoint() throws {
        let plugins = try BuiltProducts.pluginFolder()
        let scratch = try ScratchFolder()
        let file = try Self.manifest(in: scratch)
        let run = scratch.url.appendingPathComponent("run")
        let result = try BuiltProducts.runZoo(["train", file.path, "--plugin-path", plugins.path, "--out", run.path,
                                               "--set", "optimizer.learning_rate=1e30"])
        XCTAssertEqual(result.status, 1, result.output)
        XCTAssertTrue(result.output.contains("at epoch 1, step 2 (step 2/8 of the epoch), in head (linear) or before it: the logits are not finite; "),
                      result.output)
        XCTAssertTrue(result.output.contains("last finite loss "), result.output)
        XCTAssertFalse(result.output.contains("last finite loss none"), result.output)
        XCTAssertFalse(FileManager.default.fileExists(atPath: run.appendingPathComponent("checkpoint.safetensors").path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: run.appendingPathComponent("evaluation.json").path))
    }

    func testAMissingDataFileIsNamed() throws {
        let plugins = try BuiltProducts.pluginFolder()
        let scratch = try ScratchFolder()
        let file = try Self.manifest(in: scratch, train: "nowhere/missing.csv")
        let result = try BuiltProducts.runZoo(["train", file.path, "--plugin-path", plugins.path,
                                               "--out", scratch.url.appendingPathComponent("run").path])
        XCTAssertEqual(result.status, 2, result.output)
        let missing = scratch.url.appendingPathComponent("nowhere/missing.csv").standardizedFileURL.path
        XCTAssertTrue(result.output.contains("data.train: file not found: \(missing)"), result.output)
    }

    func testCheckpointLoadingIsStrictAndNamesEveryProblem() throws {
        let plugins = try BuiltProducts.pluginFolder()
        let scratch = try ScratchFolder()
        let file = try Self.manifest(in: scratch)
        let pipeline = try PipelineBuilder(pluginFolders: [plugins], environment: [:]).build(file: file)
        var tensors = Dictionary(uniqueKeysWithValues: pipeline.namedState.map { ($0.0, $0.1.copied()) })
        tensors["head.weight"] = nil
        tensors["backbone.fc1.bias"] = Tensor.zeros([5])
        tensors["extra.weight"] = Tensor.zeros([2])
        let url = scratch.url.appendingPathComponent("bad.safetensors")
        try SafeTensorsArchive(tensors: tensors).write(to: url)
        XCTAssertThrowsError(try Checkpoint.load(url, into: pipeline)) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("missing: head.weight"), message)
            XCTAssertTrue(message.contains("unexpected: extra.weight"), message)
            XCTAssertTrue(message.contains("wrong shape: backbone.fc1.bias (file [5], model [16])"), message)
            XCTAssertEqual((error as? TrainError)?.isUsage, true)
        }
    }

    func testLongTailCutAndSyntheticData() throws {
        let manifest = Manifest(
            model: ModelSpec(backbone: ModuleSpec(module: "mlp"), head: ModuleSpec(module: "linear"), losses: [LossSpec(module: "cross-entropy")]),
            data: DataSpec(format: .synthetic, inputShape: [4], numClasses: 10, longTail: LongTailSpec(ratio: 100, nMax: 1000, seed: 0)))
        let data = try TrainingData.load(manifest, folder: URL(fileURLWithPath: "/"))
        XCTAssertEqual(data.classCounts, [1000, 599, 359, 215, 129, 77, 46, 27, 16, 10])
        XCTAssertEqual(data.test?.count, 500)
        XCTAssertEqual(data.train.sampleShape, [4])
    }

    func testIDXFolderWithTheStandardNames() throws {
        let scratch = try ScratchFolder()
        func idx(_ shape: [Int], _ bytes: [UInt8]) -> Data {
            var data = Data([0, 0, 8, UInt8(shape.count)])
            for extent in shape { data.append(contentsOf: withUnsafeBytes(of: UInt32(extent).bigEndian) { Array($0) }) }
            data.append(contentsOf: bytes)
            return data
        }
        let images = (0..<(6 * 4)).map { UInt8($0) }
        try idx([6, 2, 2], images).write(to: scratch.url.appendingPathComponent("train-images-idx3-ubyte"))
        try idx([6], [0, 1, 2, 0, 1, 2]).write(to: scratch.url.appendingPathComponent("train-labels-idx1-ubyte"))
        try idx([3, 2, 2], Array(images.prefix(12))).write(to: scratch.url.appendingPathComponent("t10k-images-idx3-ubyte"))
        try idx([3], [2, 1, 0]).write(to: scratch.url.appendingPathComponent("t10k-labels-idx1-ubyte"))
        let manifest = Manifest(
            model: ModelSpec(backbone: ModuleSpec(module: "mlp"), head: ModuleSpec(module: "linear"), losses: [LossSpec(module: "cross-entropy")]),
            data: DataSpec(format: .idx, train: ".", inputShape: [4], numClasses: 3))
        let data = try TrainingData.load(manifest, folder: scratch.url)
        XCTAssertEqual(data.train.count, 6)
        XCTAssertEqual(data.train.sampleShape, [1, 2, 2])
        XCTAssertEqual(data.test?.labels, [2, 1, 0])
        XCTAssertThrowsError(try TrainingData.load(manifest, folder: scratch.url.appendingPathComponent("none"))) { error in
            XCTAssertTrue("\(error)".contains("data.train: file not found: "), "\(error)")
        }
    }

    func testTheDefaultRunFolderIsNamedAfterTheManifestAndTheTime() throws {
        let scratch = try ScratchFolder()
        var manifest = Manifest(model: ModelSpec(backbone: ModuleSpec(module: "mlp"), head: ModuleSpec(module: "linear"),
                                                 losses: [LossSpec(module: "cross-entropy")]))
        manifest.output.folder = "runs/here"
        let file = scratch.url.appendingPathComponent("my-recipe.yaml")
        let date = Date(timeIntervalSince1970: 1_800_000_000)
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        let first = RunFolder.unique(for: manifest, manifestFile: file, date: date).url
        XCTAssertEqual(first.path, scratch.url.appendingPathComponent("runs/here/my-recipe-\(formatter.string(from: date))").standardizedFileURL.path)
        try FileManager.default.createDirectory(at: first, withIntermediateDirectories: true)
        let second = RunFolder.unique(for: manifest, manifestFile: file, date: date).url
        XCTAssertEqual(second.lastPathComponent, first.lastPathComponent + "-2")
    }

    func testABadManifestExitsTwoAndTrainsNothing() throws {
        let plugins = try BuiltProducts.pluginFolder()
        let scratch = try ScratchFolder()
        let file = try Self.manifest(in: scratch)
        let run = scratch.url.appendingPathComponent("run")
        let result = try BuiltProducts.runZoo(["train", file.path, "--plugin-path", plugins.path, "--out", run.path,
                                               "--set", "training.epocs=2"])
        XCTAssertEqual(result.status, 2, result.output)
        XCTAssertTrue(result.output.contains("training.epocs"), result.output)
        XCTAssertFalse(FileManager.default.fileExists(atPath: run.path))
    }

    func testScheduleWarmsUpThenFollowsTheCosine() {
        let schedule = TrainingSchedule.make(ScheduleSpec(name: .cosine, warmupEpochs: 1), epochs: 5)
        XCTAssertEqual(schedule.learningRate(at: 0, base: 0.1), 0.05, accuracy: 1e-7)
        XCTAssertEqual(schedule.learningRate(at: 1, base: 0.1), 0.1, accuracy: 1e-7)
        XCTAssertEqual(schedule.learningRate(at: 3, base: 0.1), 0.05, accuracy: 1e-7)
    }
}

/// Collects what the trainer writes.
final class LockedLines: @unchecked Sendable {
    private let lock = NSLock()
    private var parts: [String] = []
    func append(_ text: String) { lock.lock(); parts.append(text); lock.unlock() }
    var text: String { lock.lock(); defer { lock.unlock() }; return parts.joined() }
}
