import XCTest
import ZooOptim
import ZooTensor

final class GradientClippingTests: XCTestCase {
    func testClipsToTheMaximumNormAndReturnsTheTotal() {
        let a = Tensor(shape: [2], scalars: [0, 0])
        let b = Tensor(shape: [1, 1], scalars: [0])
        a.grad = Tensor(shape: [2], scalars: [3, 4])
        b.grad = Tensor(shape: [1, 1], scalars: [12])
        let total = clipGradientNorm([a, b], maxNorm: 6.5)  // √(9 + 16 + 144) = 13
        XCTAssertEqual(total, 13, accuracy: 1e-6)
        let factor: Float = 6.5 / (13 + 1e-6)
        assertClose(a.grad!.scalars, [3 * factor, 4 * factor])
        assertClose(b.grad!.scalars, [12 * factor])
        XCTAssertEqual(a.scalars, [0, 0], "parameters are not changed")
    }

    func testLeavesGradientsBelowTheMaximumAlone() {
        let a = Tensor(shape: [2], scalars: [0, 0])
        a.grad = Tensor(shape: [2], scalars: [3, 4])
        XCTAssertEqual(clipGradientNorm([a], maxNorm: 5.5), 5, accuracy: 1e-6)
        XCTAssertEqual(a.grad?.scalars, [3, 4])
    }

    func testIgnoresParametersWithoutGradient() {
        let a = Tensor(shape: [2], scalars: [0, 0])
        let b = Tensor(shape: [2], scalars: [7, 7])
        a.grad = Tensor(shape: [2], scalars: [6, 8])
        XCTAssertEqual(clipGradientNorm([a, b], maxNorm: 1), 10, accuracy: 1e-5)
        XCTAssertNil(b.grad)
        XCTAssertEqual(a.grad!.scalars[0], 0.6, accuracy: 1e-6)
        XCTAssertEqual(a.grad!.scalars[1], 0.8, accuracy: 1e-6)
    }

    func testNoGradientsGiveZero() {
        XCTAssertEqual(clipGradientNorm([Tensor(shape: [2], scalars: [1, 2])], maxNorm: 1), 0)
        XCTAssertEqual(clipGradientNorm([], maxNorm: 1), 0)
    }

    func testMatchesPyTorch() throws {
        let fixture = try OptimFixture()
        let parameters = try (0..<OptimFixture.parameterCount).map { index -> Tensor in
            let grad = try fixture.archive.tensor("input.clip.grad.\(index)").copied()
            let parameter = Tensor.zeros(grad.shape)
            parameter.grad = grad
            return parameter
        }
        let total = clipGradientNorm(parameters, maxNorm: 1)
        let reference = try fixture.archive.tensor("output.clip.total_norm").scalars[0]
        XCTAssertEqual(total, reference, accuracy: 1e-6 * reference)
        XCTAssertGreaterThan(reference, 1, "the fixture's gradients are clipped")
        for (index, parameter) in parameters.enumerated() {
            let expected = try fixture.archive.tensor("after.clip.grad.\(index)").scalars
            XCTAssertLessThan(relativeError(parameter.grad!.scalars, expected), 1e-6, "gradient \(index)")
        }
    }
}
