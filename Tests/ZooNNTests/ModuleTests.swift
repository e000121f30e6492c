import Foundation
import XCTest
import ZooNN
import ZooTensor
import ZooTestSupport

/// `Module`'s bookkeeping (names, loading, modes), the initialisers' distributions, and the
/// training/evaluation behaviour of Dropout and BatchNorm.
final class ModuleTests: XCTestCase {
    // MARK: names

    func testCIFARResNet20ParameterAndBufferNames() {
        let model = CIFARResNet(depth: 20, classes: 10, random: RandomSource(seed: 1))
        let parameters = model.namedParameters()
        let parameterKeys = parameters.map(\.0)
        // Stem conv and bn (3), 9 blocks × (2 convs + 2 bns × 2) = 54, fc (2).
        XCTAssertEqual(parameterKeys.count, 59)
        XCTAssertEqual(Set(parameterKeys).count, parameterKeys.count, "parameter keys are unique")
        XCTAssertEqual(parameterKeys.first, "conv1.weight")
        XCTAssertEqual(Array(parameterKeys.suffix(2)), ["fc.weight", "fc.bias"])
        XCTAssertEqual(Array(parameterKeys.prefix(9)),
                       ["conv1.weight", "bn1.weight", "bn1.bias", "layer1.0.conv1.weight", "layer1.0.bn1.weight",
                        "layer1.0.bn1.bias", "layer1.0.conv2.weight", "layer1.0.bn2.weight", "layer1.0.bn2.bias"])
        for key in ["layer2.0.conv1.weight", "layer3.2.bn2.bias", "layer2.1.conv2.weight", "fc.weight"] {
            XCTAssertTrue(parameterKeys.contains(key), key)
        }
        XCTAssertFalse(parameterKeys.contains("layer4.0.conv1.weight"))
        XCTAssertFalse(parameterKeys.contains("layer1.3.conv1.weight"))
        let shapes = Dictionary(uniqueKeysWithValues: parameters.map { ($0.0, $0.1.shape) })
        XCTAssertEqual(shapes["conv1.weight"], [16, 3, 3, 3])
        XCTAssertEqual(shapes["layer2.0.conv1.weight"], [32, 16, 3, 3])
        XCTAssertEqual(shapes["layer3.2.conv2.weight"], [64, 64, 3, 3])
        XCTAssertEqual(shapes["fc.weight"], [10, 64])
        XCTAssertEqual(shapes["fc.bias"], [10])
        // ResNet-20 for CIFAR-10 has 269,722 trainable parameters (He et al. report 0.27M).
        XCTAssertEqual(parameters.reduce(0) { $0 + $1.1.count }, 269_722)

        let bufferKeys = model.namedBuffers().map(\.0)
        XCTAssertEqual(bufferKeys.count, 57)   // 19 BatchNorms × 3
        XCTAssertEqual(Set(bufferKeys).count, bufferKeys.count)
        XCTAssertEqual(Array(bufferKeys.prefix(3)), ["bn1.running_mean", "bn1.running_var", "bn1.num_batches_tracked"])
        for key in ["layer2.0.bn1.running_mean", "layer2.0.bn1.running_var", "layer3.2.bn2.num_batches_tracked",
                    "layer1.1.bn2.running_mean"] {
            XCTAssertTrue(bufferKeys.contains(key), key)
        }
        XCTAssertTrue(Set(parameterKeys).isDisjoint(with: bufferKeys))
        XCTAssertEqual(Set(model.stateDictionary().keys), Set(parameterKeys + bufferKeys))
        XCTAssertEqual(model.parameters.count, 59)
    }

    func testSequentialChildrenAreNumbered() {
        let random = RandomSource(seed: 2)
        let sequential = Sequential([Linear(3, 4, random: random), ActivationLayer(.relu), Linear(4, 2, random: random)])
        XCTAssertEqual(sequential.namedChildren.map(\.0), ["0", "1", "2"])
        XCTAssertEqual(sequential.namedParameters().map(\.0), ["0.weight", "0.bias", "2.weight", "2.bias"])
        let outer = Sequential([sequential, Linear(2, 1, bias: false, random: random)])
        XCTAssertEqual(outer.namedParameters().map(\.0),
                       ["0.0.weight", "0.0.bias", "0.2.weight", "0.2.bias", "1.weight"])
        XCTAssertEqual(outer.namedParameters(prefix: "head.").first?.0, "head.0.0.weight")
    }

    // MARK: loading a state dictionary

    /// A Linear(3 → 2) and a full, valid state dictionary for it with different values.
    func linearAndValues() -> (Linear, [String: Tensor]) {
        let linear = Linear(3, 2, random: RandomSource(seed: 3))
        let values = ["weight": Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6]),
                      "bias": Tensor(shape: [2], scalars: [7, 8])]
        return (linear, values)
    }

    /// Asserts that loading `values` throws exactly `message` and leaves the module's values as they were.
    func assertLoadFails(_ module: Module, _ values: [String: Tensor], message: String,
                         file: StaticString = #filePath, line: UInt = #line) {
        let before = module.stateDictionary().mapValues(\.scalars)
        XCTAssertThrowsError(try module.loadStateDictionary(values), file: file, line: line) { error in
            XCTAssertTrue(error is StateDictionaryError, "\(type(of: error))", file: file, line: line)
            XCTAssertEqual(String(describing: error), message, file: file, line: line)
        }
        XCTAssertEqual(module.stateDictionary().mapValues(\.scalars), before, "values changed by a failed load",
                       file: file, line: line)
    }

    func testLoadStateDictionaryCopiesEveryKey() throws {
        let (linear, values) = linearAndValues()
        try linear.loadStateDictionary(values)
        XCTAssertEqual(linear.weight.scalars, [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(linear.bias?.scalars, [7, 8])
        XCTAssertFalse(linear.weight.storage === values["weight"]!.storage, "values are copied, not shared")
        XCTAssertTrue(linear.weight.requiresGrad)
    }

    func testLoadStateDictionaryMissingKey() {
        let (linear, valid) = linearAndValues()
        var values = valid
        values["bias"] = nil
        assertLoadFails(linear, values, message: "missing keys: bias")
        XCTAssertThrowsError(try linear.loadStateDictionary(values)) { error in
            let failure = error as? StateDictionaryError
            XCTAssertEqual(failure?.missing, ["bias"])
            XCTAssertEqual(failure?.unexpected, [])
            XCTAssertEqual(failure?.mismatched, [])
        }
        // Not strict: the present key is copied, the missing one left alone.
        let bias = linear.bias!.scalars
        XCTAssertNoThrow(try linear.loadStateDictionary(values, strict: false))
        XCTAssertEqual(linear.weight.scalars, [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(linear.bias!.scalars, bias)
    }

    func testLoadStateDictionaryUnexpectedKey() {
        let (linear, valid) = linearAndValues()
        var values = valid
        values["scale"] = Tensor(shape: [1], scalars: [1])
        values["extra.bias"] = Tensor(shape: [2], scalars: [0, 0])
        assertLoadFails(linear, values, message: "unexpected keys: extra.bias, scale")
        XCTAssertNoThrow(try linear.loadStateDictionary(values, strict: false))
        XCTAssertEqual(linear.bias!.scalars, [7, 8])
    }

    func testLoadStateDictionaryShapeMismatch() {
        let (linear, valid) = linearAndValues()
        var values = valid
        values["weight"] = Tensor(shape: [3, 2], scalars: [1, 2, 3, 4, 5, 6])
        assertLoadFails(linear, values, message: "shape mismatch for weight: expected [2, 3], found [3, 2]")
        // Shape mismatches are errors even when not strict.
        XCTAssertThrowsError(try linear.loadStateDictionary(values, strict: false))
        XCTAssertNotEqual(linear.bias!.scalars, [7, 8])
    }

    func testLoadStateDictionaryReportsEveryProblemAtOnce() {
        let (linear, _) = linearAndValues()
        let values = ["weight": Tensor(shape: [6], scalars: [1, 2, 3, 4, 5, 6]), "other": Tensor(shape: [1], scalars: [0])]
        assertLoadFails(linear, values,
                        message: "missing keys: bias; unexpected keys: other; shape mismatch for weight: expected [2, 3], found [6]")
    }

    func testLoadStateDictionaryIgnoresAbsentBatchCounter() throws {
        let norm = BatchNorm(3)
        let values = ["weight": Tensor(shape: [3], scalars: [1, 2, 3]), "bias": Tensor(shape: [3], scalars: [4, 5, 6]),
                      "running_mean": Tensor(shape: [3], scalars: [0.1, 0.2, 0.3]),
                      "running_var": Tensor(shape: [3], scalars: [2, 3, 4])]
        try norm.loadStateDictionary(values)
        XCTAssertEqual(norm.runningVariance.scalars, [2, 3, 4])
        XCTAssertEqual(norm.batchesTracked.item, 0)
    }

    // MARK: initialisation

    func testLinearDefaultInitialisationBounds() {
        let linear = Linear(300, 40, random: RandomSource(seed: 4))
        let bound = 1 / Float(300).squareRoot()
        let weights = linear.weight.scalars
        XCTAssertEqual(linear.weight.shape, [40, 300])
        XCTAssertTrue(weights.allSatisfy { abs($0) <= bound }, "weights within ±1/√300")
        XCTAssertGreaterThan(weights.map(abs).max()!, 0.99 * bound, "the whole range is used")
        let (mean, variance) = moments(weights)
        XCTAssertEqual(mean, 0, accuracy: 0.05 * Double(bound))
        let uniformVariance = (1.0 / 300) / 3
        XCTAssertEqual(variance, uniformVariance, accuracy: 0.1 * uniformVariance)
        XCTAssertTrue(linear.bias!.scalars.allSatisfy { abs($0) <= bound }, "bias within ±1/√300")
        XCTAssertTrue(linear.weight.requiresGrad && linear.bias!.requiresGrad)
    }

    func testKaimingNormalStandardDeviation() {
        let random = RandomSource(seed: 5)
        let fanInWeight = Initializer.kaimingNormal([256, 128, 3, 3], random: random)
        let (mean, variance) = moments(fanInWeight.scalars)
        let expected = (2.0 / (128 * 9)).squareRoot()
        XCTAssertEqual(mean, 0, accuracy: 0.01 * expected)
        XCTAssertEqual(variance.squareRoot(), expected, accuracy: 0.05 * expected)
        XCTAssertTrue(fanInWeight.requiresGrad)

        let fanOutWeight = Initializer.kaimingNormal([256, 128, 3, 3], fanOut: true, random: random)
        let expectedFanOut = (2.0 / (256 * 9)).squareRoot()
        XCTAssertEqual(moments(fanOutWeight.scalars).variance.squareRoot(), expectedFanOut, accuracy: 0.05 * expectedFanOut)
    }

    func testXavierUniformBounds() {
        let random = RandomSource(seed: 6)
        let weight = Initializer.xavierUniform([60, 40], random: random)
        let bound = Float((6.0 / 100).squareRoot())
        XCTAssertTrue(weight.scalars.allSatisfy { abs($0) <= bound })
        XCTAssertGreaterThan(weight.scalars.map(abs).max()!, 0.98 * bound)
        let uniformVariance = Double(bound * bound) / 3
        XCTAssertEqual(moments(weight.scalars).variance, uniformVariance, accuracy: 0.1 * uniformVariance)

        let scaled = Initializer.xavierUniform([60, 40], gain: 2, random: random)
        XCTAssertTrue(scaled.scalars.allSatisfy { abs($0) <= 2 * bound })
        XCTAssertGreaterThan(scaled.scalars.map(abs).max()!, 1.96 * bound)

        // Convolution weights: fans include the receptive field.
        XCTAssertEqual(Initializer.fans([8, 4, 3, 3]).fanIn, 36)
        XCTAssertEqual(Initializer.fans([8, 4, 3, 3]).fanOut, 72)
        let convolution = Initializer.xavierUniform([8, 4, 3, 3], random: random)
        XCTAssertTrue(convolution.scalars.allSatisfy { abs($0) <= Float((6.0 / 108).squareRoot()) })
    }

    // MARK: modes

    func testSetTrainingReachesEveryDescendant() {
        let model = CIFARResNet(depth: 20, classes: 10, random: RandomSource(seed: 7))
        let modules = descendants(of: model)
        // Model, conv1, bn1, 3 stages, 9 blocks × 4, fc.
        XCTAssertEqual(modules.count, 1 + 2 + 3 + 9 * 5 + 1)
        XCTAssertTrue(modules.allSatisfy(\.isTraining), "training by default")
        model.setTraining(false)
        XCTAssertTrue(modules.allSatisfy { !$0.isTraining }, "evaluation everywhere")
        model.setTraining(true)
        XCTAssertTrue(modules.allSatisfy(\.isTraining), "training everywhere again")

        let layer = TransformerEncoderLayer(dModel: 8, heads: 2, feedForward: 8, random: RandomSource(seed: 8))
        layer.setTraining(false)
        XCTAssertTrue(descendants(of: layer).allSatisfy { !$0.isTraining })
        XCTAssertFalse(layer.selfAttention.attentionDropout.isTraining, "the attention-weight dropout is in evaluation too")
    }

    /// In evaluation no dropout is left anywhere, the attention weights' included (PyTorch passes
    /// `training=self.training` to the attention dropout): the same input gives the same output.
    func testEvaluationModeDisablesAttentionDropout() {
        let attention = MultiheadAttention(embedDimension: 8, heads: 2, dropout: 0.5, random: RandomSource(seed: 14))
        attention.setTraining(false)
        let x = randomTensor([5, 3, 8], seed: 15)
        XCTAssertTrue(attention(x).scalars == attention(x).scalars,
                      "MultiheadAttention in evaluation: two calls on one input differ (attention dropout active)")

        let layer = TransformerEncoderLayer(dModel: 8, heads: 2, feedForward: 16, dropout: 0.5,
                                            random: RandomSource(seed: 16))
        layer.setTraining(false)
        XCTAssertTrue(layer(x).scalars == layer(x).scalars,
                      "TransformerEncoderLayer in evaluation: two calls on one input differ (attention dropout active)")
    }

    func testDropoutIsTheIdentityInEvaluation() {
        let dropout = Dropout(0.3, random: RandomSource(seed: 9))
        dropout.setTraining(false)
        let x = randomTensor([50, 20], seed: 10)
        XCTAssertEqual(dropout(x).scalars, x.scalars)
    }

    func testDropoutKeepsOneMinusPInTraining() {
        let p: Float = 0.3
        let dropout = Dropout(p, random: RandomSource(seed: 11))
        let count = 100_000
        let x = Tensor.ones([count], requiresGrad: true)
        let y = dropout(x)
        let values = y.scalars
        let kept = values.filter { $0 != 0 }
        XCTAssertEqual(Double(kept.count) / Double(count), 0.7, accuracy: 0.01)
        let scale = 1 / (1 - p)
        XCTAssertTrue(kept.allSatisfy { abs($0 - scale) <= 1e-6 * scale }, "survivors are scaled by 1/(1 − p)")
        // The gradient uses the same mask and scale.
        y.sum().backward()
        XCTAssertEqual(x.grad!.scalars, values)
        // A second call draws a new mask.
        XCTAssertNotEqual(dropout(x).scalars, values)
    }

    func testBatchNormEvaluationLeavesRunningStatisticsAlone() {
        let norm = BatchNorm(4)
        norm.runningMean.assign(Tensor(shape: [4], scalars: [0.5, -1, 2, 0]))
        norm.runningVariance.assign(Tensor(shape: [4], scalars: [1, 4, 0.25, 2]))
        norm.setTraining(false)
        let x = randomTensor([8, 4, 5], seed: 12)
        let y = norm(x)
        XCTAssertEqual(norm.runningMean.scalars, [0.5, -1, 2, 0])
        XCTAssertEqual(norm.runningVariance.scalars, [1, 4, 0.25, 2])
        XCTAssertEqual(norm.batchesTracked.item, 0)
        // Evaluation normalises with the running statistics.
        let mean: [Float] = [0.5, -1, 2, 0], variance: [Float] = [1, 4, 0.25, 2]
        let expected = x.scalars.enumerated().map { index, value -> Float in
            let channel = (index / 5) % 4
            return (value - mean[channel]) / (variance[channel] + norm.epsilon).squareRoot()
        }
        assertClose(y.scalars, expected, tolerance: 1e-5, "eval output")
    }

    func testBatchNormTrainingUpdatesStatisticsAndCountsBatches() {
        let norm = BatchNorm(3, momentum: 0.1)
        let x = randomTensor([6, 3, 2, 2], seed: 13) * 2 + 1
        _ = norm(x)
        XCTAssertEqual(norm.batchesTracked.item, 1)
        XCTAssertNotEqual(norm.runningMean.scalars, [0, 0, 0])
        // running_mean = 0.9·0 + 0.1·batch mean.
        let values = x.scalars
        for channel in 0..<3 {
            var total: Float = 0
            for n in 0..<6 { for k in 0..<4 { total += values[(n * 3 + channel) * 4 + k] } }
            XCTAssertEqual(norm.runningMean.scalars[channel], 0.1 * total / 24, accuracy: 1e-5)
        }
        _ = norm(x)
        XCTAssertEqual(norm.batchesTracked.item, 2)
        norm.setTraining(false)
        _ = norm(x)
        XCTAssertEqual(norm.batchesTracked.item, 2, "evaluation does not count")
        XCTAssertEqual(norm.namedBuffers().map(\.0), ["running_mean", "running_var", "num_batches_tracked"])
    }

    // MARK: helpers

    func moments(_ values: [Float]) -> (mean: Double, variance: Double) {
        let mean = values.reduce(0.0) { $0 + Double($1) } / Double(values.count)
        let variance = values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(values.count - 1)
        return (mean, variance)
    }

    func descendants(of module: Module) -> [Module] {
        [module] + module.namedChildren.flatMap { descendants(of: $0.1) }
    }
}
