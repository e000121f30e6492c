import XCTest
import ZooNN
import ZooTensor
import ZooTestSupport

/// The CIFAR ResNet-8 built from ZooNN against PyTorch: train-mode forward, loss, every gradient,
/// running-statistic updates, and eval-mode forward with the updated statistics.
final class ResNetFixtureTests: XCTestCase {
    func testResNet8TrainStepAndEvaluationMatchPyTorch() throws {
        let archive = try SafeTensorsArchive.fixture("resnet8_cifar.safetensors")
        let model = CIFARResNet(blocksPerStage: 1, classes: 10, random: RandomSource(seed: 1))
        var state = archive.tensors(withPrefix: "param.")
        state.merge(archive.tensors(withPrefix: "buffer."), uniquingKeysWith: { a, _ in a })
        try model.loadStateDictionary(state)

        let x = try archive.tensor("input.x")
        x.requiresGrad = true
        let logits = model(x)
        assertClose(logits, try archive.tensor("output.logits"), tolerance: 1e-4, "output.logits")
        let loss = Tensor.crossEntropy(logits: logits, labels: try archive.labels("input.labels"))
        assertClose(loss.reshaped([1]), try archive.tensor("output.loss"), tolerance: 1e-4, "output.loss")
        loss.backward()
        assertClose(x.grad!, try archive.tensor("grad.input.x"), tolerance: 1e-3, "grad.input.x")
        for (name, parameter) in model.namedParameters() {
            assertClose(parameter.grad!, try archive.tensor("grad.param." + name), tolerance: 1e-3, name)
        }
        let expectedBuffers = archive.tensors(withPrefix: "after.buffer.")
        XCTAssertEqual(expectedBuffers.count, 14)
        for (name, buffer) in model.namedBuffers() where !name.hasSuffix("num_batches_tracked") {
            assertClose(buffer, try XCTUnwrap(expectedBuffers[name], name), tolerance: 1e-4, name)
        }

        model.setTraining(false)
        let evaluation = withoutGradients { model(try! archive.tensor("input.eval.x")) }
        assertClose(evaluation, try archive.tensor("output.eval.logits"), tolerance: 1e-4, "output.eval.logits")
    }

    func testResNet32HasTheLiteraturesParameterCount() {
        // 0.46 M parameters for ResNet-32 with 10 classes (He et al. 2016, Table 6).
        let model = CIFARResNet(depth: 32, classes: 10, random: RandomSource(seed: 1))
        let count = model.parameters.reduce(0) { $0 + $1.count }
        XCTAssertEqual(count, 464_154)
    }
}
