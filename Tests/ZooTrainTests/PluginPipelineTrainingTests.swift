import Foundation
import XCTest
import ZooOptim
import ZooPipeline
import ZooTensor
import ZooTestSupport

/// Training through manifests of the built-in plug-ins: the two-stream SGD steps against PyTorch,
/// and every backbone with and without BatchFormer, each a one-line change of one manifest.
final class PluginPipelineTrainingTests: XCTestCase {
    func pipeline(_ model: String, data: String, in scratch: ScratchFolder) throws -> Pipeline {
        let manifest = try scratch.write("manifest.yaml", """
            zoo: 1
            plugins: [{name: zoo-backbones}, {name: zoo-heads}, {name: zoo-losses}, {name: zoo-relations}]
            \(model)
            \(data)
            """)
        return try PipelineBuilder(pluginFolders: [try BuiltProducts.pluginFolder()], environment: [:]).build(file: manifest)
    }

    /// SGD over the pipeline's parameter groups with their learning-rate multipliers.
    func optimizer(_ pipeline: Pipeline, learningRate: Float, momentum: Float = 0.9, weightDecay: Float = 5e-4) -> SGD {
        SGD(groups: pipeline.parameterGroups.map {
            ZooOptim.ParameterGroup(parameters: $0.parameters.map(\.1), learningRateMultiplier: Float($0.learningRateMultiplier))
        }, learningRate: learningRate, momentum: momentum, weightDecay: weightDecay)
    }

    func testTwoStreamStepsThroughAManifestMatchPyTorch() throws {
        let scratch = try ScratchFolder()
        let pipeline = try self.pipeline("""
            model:
              backbone: {module: mlp, config: {in_dim: 20, hidden: [32, 32]}}
              relations: [{module: batchformer-v1, config: {heads: 4, ffn_dim: 32, dropout: 0}}]
              head: {module: linear}
              losses: [{module: cross-entropy}]
            """, data: "data: {format: synthetic, input_shape: [20], num_classes: 5}", in: scratch)
        let archive = try SafeTensorsArchive.fixture("two_stream_sgd.safetensors")
        // The fixture's names: `backbone.fc1.weight`, `relation.self_attn.…`, `head.weight`.
        let state = Dictionary(uniqueKeysWithValues: pipeline.namedState)
        for (name, value) in archive.tensors(withPrefix: "param.") {
            let key = name.hasPrefix("relation.") ? "relations.0." + name.dropFirst("relation.".count) : name
            try XCTUnwrap(state[key], key).assign(value)
        }
        let sgd = optimizer(pipeline, learningRate: 0.05)
        for step in ["step1", "step2"] {
            sgd.zeroGradients()
            let output = try pipeline.forward(try archive.tensor("input.\(step).x"), labels: try archive.labels("input.\(step).labels"),
                                              training: true)
            assertClose(output.logits, try archive.tensor("output.\(step).logits"), tolerance: 1e-4, "\(step) logits")
            let loss = try XCTUnwrap(output.loss)
            assertClose(loss.reshaped([1]), try archive.tensor("output.\(step).loss"), tolerance: 1e-4, "\(step) loss")
            loss.backward()
            sgd.step()
        }
        for (name, value) in archive.tensors(withPrefix: "after.step2.param.") {
            let key = name.hasPrefix("relation.") ? "relations.0." + name.dropFirst("relation.".count) : name
            assertClose(try XCTUnwrap(state[key], key), value, tolerance: 1e-3, "after step 2: \(key)")
        }
        let evaluation = try pipeline.forward(try archive.tensor("input.eval.x"), training: false)
        assertClose(evaluation.logits, try archive.tensor("output.eval.logits"), tolerance: 1e-4, "eval logits (BatchFormer skipped)")
    }

    func testEveryBackboneTrainsWithAndWithoutBatchFormer() throws {
        let backbones: [(line: String, input: [Int])] = [
            ("{module: mlp, config: {in_dim: 12, hidden: [16]}}", [12]),
            ("{module: convnet, config: {channels: [4, 8]}}", [1, 8, 8]),
            ("{module: resnet-cifar, config: {depth: 8}}", [3, 16, 16]),
            ("{module: resnet, config: {depth: 18}}", [3, 32, 32]),
            ("{module: vit, config: {dim: 16, depth: 1, heads: 2, patch_size: 8}}", [3, 32, 32]),
        ]
        for (backbone, input) in backbones {
            for relations in ["[]", "[{module: batchformer-v1, config: {heads: 2, dropout: 0}, learning_rate_multiplier: 0.1}]"] {
                let scratch = try ScratchFolder()
                let pipeline = try self.pipeline("""
                    model:
                      backbone: \(backbone)
                      relations: \(relations)
                      head: {module: linear}
                      losses: [{module: cross-entropy}]
                    """, data: "data: {format: synthetic, input_shape: \(input), num_classes: 3}", in: scratch)
                let sgd = optimizer(pipeline, learningRate: 0.01)
                let first = pipeline.namedState[0].1.copied()
                var generator = RandomGenerator(seed: 4)
                var losses: [Float] = []
                for _ in 0..<3 {
                    sgd.zeroGradients()
                    let output = try pipeline.forward(Tensor.normal([4] + input, generator: &generator), labels: [0, 1, 2, 1],
                                                      training: true)
                    XCTAssertEqual(output.logits.shape, [relations == "[]" ? 4 : 8, 3], backbone)
                    let loss = try XCTUnwrap(output.loss)
                    loss.backward()
                    sgd.step()
                    losses.append(loss.item)
                }
                XCTAssertTrue(losses.allSatisfy(\.isFinite), "\(backbone) \(relations): \(losses)")
                XCTAssertNotEqual(pipeline.namedState[0].1.scalars, first.scalars, "\(backbone): the first parameter moved")
            }
        }
    }

    func testDenseBatchFormerV2ThenV1DoublesTheBatchOnce() throws {
        let scratch = try ScratchFolder()
        let pipeline = try self.pipeline("""
            model:
              backbone: {module: vit, config: {dim: 16, depth: 1, heads: 2, patch_size: 8, output: tokens}}
              relations:
                - {module: batchformer-v2, config: {heads: 2, dropout: 0}, placement: dense}
                - {module: batchformer-v1, config: {heads: 2, dropout: 0}}
              head: {module: linear}
              losses: [{module: cross-entropy}]
            """, data: "data: {format: synthetic, input_shape: [3, 32, 32], num_classes: 3}", in: scratch)
        XCTAssertEqual(try pipeline.shapes(batch: 4, training: true).map(\.1), [[4, 17, 16], [8, 17, 16], [8, 16], [8, 3]])
        XCTAssertEqual(try pipeline.shapes(batch: 4, training: false).map(\.1), [[4, 17, 16], [4, 3]])
        var generator = RandomGenerator(seed: 5)
        let x = Tensor.normal([4, 3, 32, 32], generator: &generator)
        let training = try pipeline.forward(x, labels: [0, 1, 2, 0], training: true)
        XCTAssertEqual(training.logits.shape, [8, 3])
        XCTAssertEqual(training.labels, [0, 1, 2, 0, 0, 1, 2, 0], "the labels double once")
        // The first stream passes both relations untouched (V1 transforms only the second), so its
        // logits are the evaluation logits, where both relations are skipped.
        let evaluation = try pipeline.forward(x, training: false)
        assertClose(training.logits.sliced(alongAxis: 0, 0..<4), evaluation.logits, tolerance: 1e-6, "first stream")
        XCTAssertEqual(Pipeline.pooled(Tensor(shape: [1, 2, 2], scalars: [1, 2, 3, 6])).scalars, [2, 4], "tokens are pooled by their mean")
        try XCTUnwrap(training.loss).backward()
    }

    func testADenseRelationAfterAFeaturesRelationIsRefused() throws {
        let scratch = try ScratchFolder()
        XCTAssertThrowsError(try pipeline("""
            model:
              backbone: {module: vit, config: {dim: 16, depth: 1, heads: 2, patch_size: 8, output: tokens}}
              relations:
                - {module: batchformer-v1, config: {heads: 2}}
                - {module: batchformer-v2, config: {heads: 2}, placement: dense}
              head: {module: linear}
              losses: [{module: cross-entropy}]
            """, data: "data: {format: synthetic, input_shape: [3, 32, 32], num_classes: 3}", in: scratch)) { error in
            XCTAssertTrue("\(error)".contains("model.relations[1].placement: dense relations run on the backbone's output, before every features relation"),
                          "\(error)")
        }
    }

    func testEvaluationLogitsAreTheSameWithAndWithoutTheBatchFormerModule() throws {
        func build(_ relations: String) throws -> Pipeline {
            try pipeline("""
                model:
                  backbone: {module: mlp, config: {in_dim: 12, hidden: [16, 16]}}
                  relations: \(relations)
                  head: {module: linear}
                  losses: [{module: cross-entropy}]
                """, data: "data: {format: synthetic, input_shape: [12], num_classes: 3}", in: try ScratchFolder())
        }
        let with = try build("[{module: batchformer-v1, config: {heads: 2}}]"), without = try build("[]")
        // Train the pipeline with BatchFormer a little, then give the other its backbone and head.
        let sgd = optimizer(with, learningRate: 0.05)
        var generator = RandomGenerator(seed: 8)
        for _ in 0..<3 {
            sgd.zeroGradients()
            try XCTUnwrap(try with.forward(Tensor.normal([6, 12], generator: &generator), labels: [0, 1, 2, 0, 1, 2],
                                           training: true).loss).backward()
            sgd.step()
        }
        let trained = Dictionary(uniqueKeysWithValues: with.namedState)
        for (name, tensor) in without.namedState { tensor.assign(try XCTUnwrap(trained[name], name)) }
        let x = Tensor.normal([5, 12], generator: &generator)
        XCTAssertEqual(try with.forward(x, training: false).logits.scalars, try without.forward(x, training: false).logits.scalars,
                       "evaluation does not run the training-only module")
    }
}
