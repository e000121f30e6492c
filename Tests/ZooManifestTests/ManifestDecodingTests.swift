import Foundation
import XCTest
import ZooManifest

final class ManifestDecodingTests: XCTestCase {
    static let full = """
        zoo: 1
        plugins:
          - name: zoo-backbones
          - path: ./libmine.so
            sha256: 00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF
        model:
          backbone:
            module: resnet-cifar
            config: {depth: 32}
          relations:
            - module: batchformer-v1
              config: {heads: 4, dropout: 0.5}
              placement: features
              learning_rate_multiplier: 0.1
          head:
            module: linear
            config: {num_classes: 100}
          losses:
            - module: cross-entropy
              weight: 1
            - module: balanced-softmax
              weight: 0.5
        data:
          format: cifar100-binary
          train: data/train.bin
          test: data/test.bin
          long_tail: {ratio: 100, n_max: 500, seed: 3}
          sampler: square-root
          augmentation: {crop_padding: 4, horizontal_flip: true, mean: [125.3, 123.0, 113.9], std: [63.0, 62.1, 66.7]}
        optimizer:
          name: sgd
          learning_rate: 0.05
          momentum: 0.9
          weight_decay: 5e-4
          learning_rate_multipliers: {head: 2}
          decay_norms_and_biases: false
        schedule:
          name: multistep
          warmup_epochs: 5
          milestones: [160, 180]
          gamma: 0.1
        training:
          epochs: 200
          batch_size: 128
          seed: 7
          two_stream: true
        evaluation:
          every: 10
          shot_groups: true
        output:
          folder: runs/lt
          checkpoint_every: 50
        """

    func testAFullManifestDecodesToTypedValues() throws {
        let m = try ManifestLoader.load(text: Self.full, file: "full.yaml").manifest
        XCTAssertEqual(m.zoo, 1)
        XCTAssertEqual(m.plugins, [PluginSpec(name: "zoo-backbones"),
                                   PluginSpec(path: "./libmine.so", sha256: "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff")])
        XCTAssertEqual(m.model.backbone.module, "resnet-cifar")
        XCTAssertEqual(m.model.backbone.config, ManifestNode(.object([ManifestMember(key: "depth", value: ManifestNode(.integer(32)))])))
        XCTAssertEqual(m.model.relations.count, 1)
        XCTAssertEqual(m.model.relations[0].module, "batchformer-v1")
        XCTAssertEqual(m.model.relations[0].placement, .features)
        XCTAssertEqual(m.model.relations[0].learningRateMultiplier, 0.1)
        XCTAssertEqual(m.model.relations[0].config["dropout"], ManifestNode(.number(0.5)))
        XCTAssertEqual(m.model.head.module, "linear")
        XCTAssertEqual(m.model.losses.map(\.module), ["cross-entropy", "balanced-softmax"])
        XCTAssertEqual(m.model.losses.map(\.weight), [1, 0.5])
        XCTAssertEqual(m.data?.format, .cifar100)
        XCTAssertEqual(m.data?.inputShape, [3, 32, 32])
        XCTAssertEqual(m.data?.numClasses, 100)
        XCTAssertEqual(m.data?.longTail, LongTailSpec(ratio: 100, nMax: 500, seed: 3))
        XCTAssertEqual(m.data?.sampler, .squareRoot)
        XCTAssertEqual(m.data?.augmentation, AugmentationSpec(cropPadding: 4, horizontalFlip: true, mean: [125.3, 123.0, 113.9],
                                                              std: [63.0, 62.1, 66.7]))
        let counts = try XCTUnwrap(m.data?.resolvedClassCounts)
        XCTAssertEqual(counts.count, 100)
        XCTAssertEqual(counts.first, 500)
        XCTAssertEqual(counts.last, 5)
        XCTAssertEqual(m.optimizer, OptimizerSpec(name: .sgd, learningRate: 0.05, momentum: 0.9, weightDecay: 5e-4,
                                                  learningRateMultipliers: ["head": 2], decayNormsAndBiases: false))
        XCTAssertEqual(m.schedule, ScheduleSpec(name: .multistep, warmupEpochs: 5, milestones: [160, 180], gamma: 0.1))
        XCTAssertEqual(m.training, TrainingSpec(epochs: 200, batchSize: 128, seed: 7, twoStream: true))
        XCTAssertEqual(m.evaluation, EvaluationSpec(every: 10, shotGroups: true))
        XCTAssertEqual(m.output, OutputSpec(folder: "runs/lt", checkpointEvery: 50))
    }

    func testLeftOutSectionsHoldTheirDefaults() throws {
        let m = try ManifestLoader.load(text: Self.minimal, file: "m.yaml").manifest
        XCTAssertEqual(m.plugins, [])
        XCTAssertEqual(m.model.relations, [])
        XCTAssertEqual(m.model.head.config, ManifestNode(.object([])))
        XCTAssertNil(m.data)
        XCTAssertEqual(m.optimizer, OptimizerSpec())
        XCTAssertTrue(m.optimizer.decayNormsAndBiases, "weight decay on every parameter, as in PyTorch")
        XCTAssertEqual(m.schedule, ScheduleSpec())
        XCTAssertEqual(m.training, TrainingSpec())
        XCTAssertEqual(m.evaluation, EvaluationSpec())
        XCTAssertEqual(m.output, OutputSpec())
    }

    static let minimal = """
        zoo: 1
        model:
          backbone: {module: mlp}
          head: {module: linear}
          losses: [{module: cross-entropy}]
        """

    func testJSONIsReadWithTheSameSchema() throws {
        let json = """
            {"zoo": 1, "model": {"backbone": {"module": "mlp", "config": {"in_dim": 8}},
             "relations": [{"module": "batchformer-v1", "learning_rate_multiplier": 0.1}],
             "head": {"module": "linear"}, "losses": [{"module": "cross-entropy"}]},
             "training": {"batch_size": 4}}
            """
        let m = try ManifestLoader.load(text: json, file: "m.json").manifest
        XCTAssertEqual(m.model.backbone.config["in_dim"], ManifestNode(.integer(8)))
        XCTAssertEqual(m.model.relations.first?.learningRateMultiplier, 0.1)
        XCTAssertEqual(m.training.batchSize, 4)
    }

    func testResolvedManifestReadsBackToTheSameValues() throws {
        let m = try ManifestLoader.load(text: Self.full, file: "full.yaml").manifest
        let yaml = try m.yamlText()
        XCTAssertTrue(yaml.hasPrefix("zoo: 1\n"), yaml)
        let back = try ManifestLoader.load(text: yaml, file: "resolved.yaml").manifest
        XCTAssertEqual(back.plugins, m.plugins)
        XCTAssertEqual(back.model, m.model)
        XCTAssertEqual(back.data, m.data)
        XCTAssertEqual(back.optimizer, m.optimizer)
        XCTAssertEqual(back.schedule, m.schedule)
        XCTAssertEqual(back.training, m.training)
        XCTAssertEqual(back.evaluation, m.evaluation)
        XCTAssertEqual(back.output, m.output)
        XCTAssertEqual(back, m, yaml)
        let json = m.jsonText()
        XCTAssertTrue(json.hasPrefix("{\n  \"zoo\": 1,\n"), json)
        XCTAssertEqual(try ManifestLoader.load(text: json, file: "resolved.json").manifest, m)
        // The types are Codable with the file's key spellings.
        let decoded = try JSONDecoder().decode(Manifest.self, from: Data(json.utf8))
        XCTAssertEqual(decoded, m)
    }

    func testStringsThatLookLikeOtherTypesStayStringsInYAML() throws {
        var m = try ManifestLoader.load(text: Self.minimal, file: "m.yaml").manifest
        m.output.folder = "true"
        m.model.head.config = ManifestNode(.object([ManifestMember(key: "name", value: ManifestNode(.string("1.5")))]))
        let back = try ManifestLoader.load(text: try m.yamlText(), file: "r.yaml").manifest
        XCTAssertEqual(back.output.folder, "true")
        XCTAssertEqual(back.model.head.config["name"], ManifestNode(.string("1.5")))
    }

    func testKeyPathsFindNodesAndLocations() throws {
        let loaded = try ManifestLoader.load(text: Self.full, file: "full.yaml")
        XCTAssertEqual(loaded.document.node(at: "model.relations[0].config.heads"), ManifestNode(.integer(4)))
        XCTAssertEqual(loaded.document.nearestLocation(of: "model.relations[0].config.heads")?.description, "full.yaml:12:23")
        // A missing key points at its nearest parent.
        XCTAssertEqual(loaded.document.nearestLocation(of: "model.relations[0].config.ffn_dim")?.description, "full.yaml:12:15")
    }
}
