import XCTest
import ZooNN
import ZooOptim
import ZooTensor
import ZooTestSupport

/// Two-stream BatchFormer training end to end against PyTorch (`two_stream_step.safetensors`):
/// MLP backbone, BatchFormer, one shared head over 2B rows with duplicated labels, cross-entropy,
/// two SGD steps with momentum and weight decay; then evaluation without BatchFormer.
///
/// `two_stream_sgd.safetensors` is written by `Tests/Fixtures/scripts/make_two_stream_fixture.py`:
/// the shared `two_stream_step.safetensors` stores under `param.*` the parameters after its two
/// steps (they equal `after.step2.param.*`), so only its evaluation logits can be checked.
final class TwoStreamStepTests: XCTestCase {
    func makeModel() -> TwoStreamClassifier {
        let random = RandomSource(seed: 5)
        return TwoStreamClassifier(
            backbone: MLP(widths: [20, 32, 32], activateLast: true, random: random),
            relation: TransformerEncoderLayer(dModel: 32, heads: 4, feedForward: 32, dropout: 0, random: random),
            head: Linear(32, 5, random: random))
    }

    func testSharedFixtureEvaluationLogitsMatchPyTorch() throws {
        let archive = try SafeTensorsArchive.fixture("two_stream_step.safetensors")
        let model = makeModel()
        try model.loadStateDictionary(archive.tensors(withPrefix: "param."))
        model.setTraining(false)
        let evaluation = withoutGradients { model(try! archive.tensor("input.eval.x"), labels: []).logits }
        assertClose(evaluation, try archive.tensor("output.eval.logits"), tolerance: 1e-4, "eval logits")
    }

    func testTwoSGDStepsAndEvaluationMatchPyTorch() throws {
        let archive = try SafeTensorsArchive.fixture("two_stream_sgd.safetensors")
        let model = makeModel()
        try model.loadStateDictionary(archive.tensors(withPrefix: "param."))
        let optimizer = SGD(parameters: model.parameters, learningRate: 0.05, momentum: 0.9, weightDecay: 5e-4)

        for step in ["step1", "step2"] {
            optimizer.zeroGradients()
            let labels = try archive.labels("input.\(step).labels")
            let (logits, targets) = model(try archive.tensor("input.\(step).x"), labels: labels)
            XCTAssertEqual(targets, labels + labels)
            assertClose(logits, try archive.tensor("output.\(step).logits"), tolerance: 1e-4, "\(step) logits")
            let loss = Tensor.crossEntropy(logits: logits, labels: targets)
            assertClose(loss.reshaped([1]), try archive.tensor("output.\(step).loss"), tolerance: 1e-4, "\(step) loss")
            loss.backward()
            for (name, parameter) in model.namedParameters() {
                assertClose(parameter.grad!, try archive.tensor("grad.\(step).param." + name), tolerance: 1e-3, name)
            }
            optimizer.step()
        }
        let after = archive.tensors(withPrefix: "after.step2.param.")
        XCTAssertEqual(after.count, model.namedParameters().count)
        for (name, parameter) in model.namedParameters() {
            assertClose(parameter, try XCTUnwrap(after[name], name), tolerance: 1e-3, "after step 2: " + name)
        }

        model.setTraining(false)
        let evaluation = withoutGradients { model(try! archive.tensor("input.eval.x"), labels: []).logits }
        assertClose(evaluation, try archive.tensor("output.eval.logits"), tolerance: 1e-4, "eval logits")
    }
}
