import XCTest
import ZooTensor
import ZooTestSupport

/// Cross-entropy and label smoothing against PyTorch (`losses.safetensors`); the long-tail losses
/// built on them are tested with the loss plug-ins.
final class LossFixtureTests: XCTestCase {
    func check(_ name: String, file: StaticString = #filePath, line: UInt = #line,
               _ loss: (Tensor, [Int]) -> Tensor) throws {
        let archive = try SafeTensorsArchive.fixture("losses.safetensors")
        let logits = try archive.tensor("input.logits")
        logits.requiresGrad = true
        let value = loss(logits, try archive.labels("input.labels"))
        assertClose(value.reshaped([1]), try archive.tensor("output." + name), tolerance: 1e-4, name, file: file, line: line)
        value.backward()
        assertClose(logits.grad!, try archive.tensor("grad.\(name).logits"), tolerance: 1e-3, "grad " + name,
                    file: file, line: line)
    }

    func testCrossEntropy() throws {
        try check("cross_entropy") { Tensor.crossEntropy(logits: $0, labels: $1) }
    }

    func testLabelSmoothing() throws {
        try check("label_smoothing_0.1") { Tensor.crossEntropy(logits: $0, labels: $1, labelSmoothing: 0.1) }
    }

    func testBalancedSoftmaxIsCrossEntropyOnPriorShiftedLogits() throws {
        let archive = try SafeTensorsArchive.fixture("losses.safetensors")
        let counts = try archive.tensor("input.class_counts")
        let logPrior = (counts / counts.sum().item).log()
        try check("balanced_softmax") { Tensor.crossEntropy(logits: $0 + logPrior, labels: $1) }
    }
}
