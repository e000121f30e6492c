import Foundation
import XCTest
import ZooManifest

final class IncludeAndOverrideTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("zoo-manifest-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("shared"), withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    func write(_ name: String, _ text: String) throws -> URL {
        let url = folder.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    func testIncludesMergeAndLaterKeysOverride() throws {
        _ = try write("shared/base.yaml", """
            zoo: 1
            model:
              backbone: {module: mlp, config: {in_dim: 8, hidden: [16]}}
              head: {module: linear}
              losses: [{module: cross-entropy}]
            optimizer: {name: sgd, learning_rate: 0.1, momentum: 0.9}
            training: {epochs: 10, batch_size: 32}
            """)
        let main = try write("main.yaml", """
            zoo: 1
            include: shared/base.yaml
            model:
              backbone: {config: {hidden: [32, 32]}}
            optimizer: {learning_rate: 0.01}
            """)
        let loaded = try ManifestLoader.load(file: main)
        let m = loaded.manifest
        XCTAssertEqual(m.model.backbone.module, "mlp")
        XCTAssertEqual(m.model.backbone.config["in_dim"], ManifestNode(.integer(8)))
        XCTAssertEqual(m.model.backbone.config["hidden"], ManifestNode(.array([ManifestNode(.integer(32)), ManifestNode(.integer(32))])))
        XCTAssertEqual(m.optimizer.learningRate, 0.01)
        XCTAssertEqual(m.optimizer.momentum, 0.9)
        XCTAssertEqual(m.training.epochs, 10)
        XCTAssertEqual(loaded.files.map(\.lastPathComponent), ["main.yaml", "base.yaml"])
        // Values keep the file they came from.
        XCTAssertEqual(loaded.document.nearestLocation(of: "training.epochs")?.description, "shared/base.yaml:7:20")
        XCTAssertEqual(loaded.document.nearestLocation(of: "optimizer.learning_rate")?.description, "main.yaml:5:28")
    }

    func testSetOverridesApplyAfterIncludesAndParseValuesAsYAML() throws {
        _ = try write("base.yaml", "zoo: 1\ntraining: {epochs: 10}\n")
        let main = try write("main.yaml", """
            zoo: 1
            include: [base.yaml]
            model:
              backbone: {module: mlp}
              relations: [{module: batchformer-v1}]
              head: {module: linear}
              losses: [{module: cross-entropy}]
            """)
        let m = try ManifestLoader.load(file: main, overrides: [
            try ManifestOverride("training.epochs=3"),
            try ManifestOverride("model.relations[0].learning_rate_multiplier=0.1"),
            try ManifestOverride("model.head.config.num_classes=10"),
            try ManifestOverride("training.two_stream=false"),
            try ManifestOverride("output.folder=runs/x"),
            try ManifestOverride("model.backbone.config.hidden=[8, 8]"),
            try ManifestOverride("model.losses.0.module=balanced-softmax"),   // `.0` indexes a list as `[0]` does
        ]).manifest
        XCTAssertEqual(m.model.losses[0].module, "balanced-softmax")
        XCTAssertEqual(m.training.epochs, 3)
        XCTAssertEqual(m.training.twoStream, false)
        XCTAssertEqual(m.model.relations[0].learningRateMultiplier, 0.1)
        XCTAssertEqual(m.model.head.config["num_classes"], ManifestNode(.integer(10)))
        XCTAssertEqual(m.output.folder, "runs/x")
        XCTAssertEqual(m.model.backbone.config["hidden"], ManifestNode(.array([ManifestNode(.integer(8)), ManifestNode(.integer(8))])))
    }

    func testAnOverriddenValueThatIsWrongNamesTheOption() throws {
        let main = try write("main.yaml", ManifestDecodingTests.minimal)
        XCTAssertThrowsError(try ManifestLoader.load(file: main, overrides: [try ManifestOverride("training.epochs=many")])) { error in
            XCTAssertEqual("\(error)", "--set training.epochs=many: training.epochs: expected an integer, found \"many\"")
        }
    }

    func testIncludeCyclesAreErrorsNamingTheChain() throws {
        _ = try write("a.yaml", "zoo: 1\ninclude: b.yaml\n")
        _ = try write("b.yaml", "zoo: 1\ninclude: shared/c.yaml\n")
        _ = try write("shared/c.yaml", "zoo: 1\ninclude: ../a.yaml\n")
        XCTAssertThrowsError(try ManifestLoader.load(file: folder.appendingPathComponent("a.yaml"))) { error in
            XCTAssertEqual("\(error)", "shared/c.yaml:2:10: include: include cycle: a.yaml → b.yaml → shared/c.yaml → a.yaml")
        }
    }

    func testAMissingIncludeNamesTheFileAndWhereItWasIncluded() throws {
        let main = try write("main.yaml", "zoo: 1\ninclude: nothing.yaml\n")
        XCTAssertThrowsError(try ManifestLoader.load(file: main)) { error in
            XCTAssertEqual("\(error)", "main.yaml:2:10: include: file \(self.folder.appendingPathComponent("nothing.yaml").standardizedFileURL.path) not found")
        }
    }
}
