import Foundation
import XCTest
import ZooManifest
import ZooPipeline
import ZooPluginHost
import ZooTensor

/// Pipelines of the built-in zoo (skipped while its libraries do not load).
final class PipelineBuiltInTests: XCTestCase {
    func manifest(_ body: String, scratch: Scratch) throws -> URL {
        let folder = try Built.builtInFolder()
        return try scratch.write("m.yaml", """
            zoo: 1
            plugins:
              - {path: \(folder.path)/libZooBackbones.so}
              - {path: \(folder.path)/libZooHeads.so}
              - {path: \(folder.path)/libZooLosses.so}
              - {path: \(folder.path)/libZooRelations.so}
            \(body)
            """)
    }

    static let mlpBatchFormer = """
        model:
          backbone: {module: mlp, config: {hidden: [16]}}
          relations:
            - module: batchformer-v1
              config: {heads: 2, dropout: 0}
              learning_rate_multiplier: 0.1
          head: {module: linear}
          losses:
            - {module: cross-entropy, weight: 1}
            - {module: cross-entropy, weight: 0.5}
        data: {format: synthetic, input_shape: [8], num_classes: 10}
        optimizer: {learning_rate_multipliers: {head: 2}}
        training: {batch_size: 4}
        """

    func testTwoStreamTrainingDoublesTheBatchAndEvaluationSkipsTheRelation() throws {
        let scratch = try Scratch()
        let pipeline = try PipelineBuilder(environment: [:]).build(file: try manifest(Self.mlpBatchFormer, scratch: scratch))

        // Derived values: mlp in_dim from the data, batchformer dim from the features, linear in_dim and num_classes.
        XCTAssertEqual(pipeline.backbone.configuration["in_dim"], .integer(8))
        XCTAssertEqual(pipeline.relations[0].configuration["dim"], .integer(16))
        XCTAssertEqual(pipeline.head.configuration["in_dim"], .integer(16))
        XCTAssertEqual(pipeline.head.configuration["num_classes"], .integer(10))
        XCTAssertTrue(pipeline.relations[0].descriptor.trainingOnly)

        let training = try pipeline.shapes(batch: 4, training: true)
        XCTAssertEqual(training.map(\.0), ["backbone", "relations.0", "head"])
        XCTAssertEqual(training.map(\.1), [[4, 16], [8, 16], [8, 10]])
        XCTAssertEqual(try pipeline.shapes(batch: 4, training: false).map(\.1), [[4, 16], [4, 10]])

        var generator = RandomGenerator(seed: 1)
        let x = Tensor.normal([4, 8], generator: &generator)
        let labels = [0, 3, 9, 3]
        let output = try pipeline.forward(x, labels: labels, training: true)
        XCTAssertEqual(output.logits.shape, [8, 10])
        XCTAssertEqual(output.labels, labels + labels)
        let loss = try XCTUnwrap(output.loss)
        XCTAssertEqual(output.losses.map(\.0), ["losses.0", "losses.1"])
        XCTAssertEqual(loss.item, output.losses[0].1.item * 1.5, accuracy: 1e-5)
        loss.backward()
        for group in pipeline.parameterGroups where ["backbone", "relations.0", "head"].contains(group.stage) {
            for (name, parameter) in group.parameters {
                XCTAssertNotNil(parameter.grad, "\(group.stage).\(name) has no gradient")
            }
        }

        let evaluation = try pipeline.forward(x, labels: labels, training: false)
        XCTAssertEqual(evaluation.logits.shape, [4, 10])
        XCTAssertEqual(evaluation.labels, labels)
        XCTAssertEqual(try pipeline.forward(x, training: false).loss == nil, true)
    }

    func testParametersAreGroupedWithMultipliersAndStateIsNamedByStage() throws {
        let scratch = try Scratch()
        let pipeline = try PipelineBuilder(environment: [:]).build(file: try manifest(Self.mlpBatchFormer, scratch: scratch))
        let groups = pipeline.parameterGroups
        XCTAssertEqual(groups.map(\.stage), ["backbone", "relations.0", "head"])
        XCTAssertEqual(groups.map(\.learningRateMultiplier), [1, 0.1, 2])
        let names = pipeline.namedState.map(\.0)
        XCTAssertTrue(names.contains { $0.hasPrefix("backbone.") }, "\(names)")
        XCTAssertTrue(names.contains { $0.hasPrefix("relations.0.") }, "\(names)")
        XCTAssertTrue(names.contains("head.weight"), "\(names)")
        XCTAssertTrue(names.contains("head.bias"), "\(names)")
        XCTAssertEqual(Set(names).count, names.count)
    }

    func testTheResolvedManifestRecordsPlugInsAndFilledConfigurations() throws {
        let scratch = try Scratch()
        let pipeline = try PipelineBuilder(environment: [:]).build(file: try manifest(Self.mlpBatchFormer, scratch: scratch))
        let resolved = pipeline.manifest
        XCTAssertEqual(resolved.plugins.map(\.name), ["zoo-backbones", "zoo-heads", "zoo-losses", "zoo-relations"])
        XCTAssertTrue(resolved.plugins.allSatisfy { $0.version != nil && $0.sha256?.count == 64 && $0.file != nil })
        XCTAssertEqual(resolved.model.head.config["in_dim"], ManifestNode(.integer(16)))
        XCTAssertEqual(resolved.model.relations[0].config["heads"], ManifestNode(.integer(2)))
        // Reading the resolved manifest back builds the same pipeline.
        let again = try scratch.write("resolved.yaml", try resolved.yamlText())
        let rebuilt = try PipelineBuilder(environment: [:]).build(file: again)
        XCTAssertEqual(rebuilt.manifest, resolved)
    }

    func testLossesGetClassCountsFromTheDataOrSayTheyNeedThem() throws {
        let scratch = try Scratch()
        let model = """
            model:
              backbone: {module: mlp, config: {hidden: [16]}}
              head: {module: linear}
              losses: [{module: balanced-softmax}]
            """
        let withCounts = try PipelineBuilder(environment: [:]).build(file: try manifest(model + """

            data:
              format: synthetic
              input_shape: [8]
              num_classes: 3
              long_tail: {ratio: 10, n_max: 100}
            """, scratch: scratch))
        XCTAssertEqual(withCounts.losses[0].configuration["class_counts"], [100, 31, 10])

        do {
            _ = try PipelineBuilder(environment: [:]).build(file: try manifest(model + "\ndata: {format: synthetic, input_shape: [8], num_classes: 3}", scratch: scratch))
            XCTFail("built without class counts")
        } catch let error as ManifestError {
            XCTAssertEqual(error.diagnostics.map(\.description), [
                "m.yaml:10:12: model.losses[0].config.class_counts: balanced-softmax needs class counts: give them here, or data.class_counts, or data.long_tail with data.num_classes",
            ])
        }
    }

    func testShapesAreCheckedBetweenStages() throws {
        let scratch = try Scratch()
        do {
            _ = try PipelineBuilder(environment: [:]).build(file: try manifest("""
                model:
                  backbone: {module: mlp, config: {hidden: [16]}}
                  head: {module: linear, config: {in_dim: 5}}
                  losses: [{module: cross-entropy}]
                data: {format: synthetic, input_shape: [8], num_classes: 3}
                training: {batch_size: 4}
                """, scratch: scratch))
            XCTFail("built with mismatched shapes")
        } catch let error as ManifestError {
            XCTAssertEqual(error.diagnostics.count, 1)
            XCTAssertTrue(error.diagnostics[0].description.hasPrefix(
                "m.yaml:9:18: model.head.module: refuses the features of shape [4, 16] from the stage before: "), error.description)
        }
    }

    func testTwoStreamRelationsNeedTwoStreamTraining() throws {
        let scratch = try Scratch()
        do {
            _ = try PipelineBuilder(environment: [:]).build(file: try manifest(Self.mlpBatchFormer, scratch: scratch),
                                                           overrides: [try ManifestOverride("training.two_stream=false")])
            XCTFail("built a two-stream relation with two_stream false")
        } catch let error as ManifestError {
            XCTAssertEqual(error.diagnostics.map(\.description), [
                "m.yaml:10:15: model.relations[0].module: batchformer-v1 is two-stream but training.two_stream is false",
            ])
        }
    }
}
