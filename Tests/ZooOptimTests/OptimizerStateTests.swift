import XCTest
import ZooOptim
import ZooTensor

final class OptimizerStateTests: XCTestCase {
    /// Optimisers over `parameters`, by name, with every kind of state.
    private func make(_ name: String, _ parameters: [Tensor]) -> any StatefulOptimizer {
        switch name {
        case "sgd": SGD(parameters: parameters, learningRate: 0.1, momentum: 0.9, weightDecay: 0.01, nesterov: true)
        case "adamw": AdamW(parameters: parameters, learningRate: 0.05, weightDecay: 0.1)
        default: AdamW(parameters: parameters, learningRate: 0.05, weightDecay: 0.1, amsgrad: true)
        }
    }

    /// The gradient of step `step` for parameter `index`: deterministic and varied.
    private func gradient(_ index: Int, step: Int, count: Int) -> [Float] {
        var generator = RandomGenerator(seed: UInt64(100 * step + index))
        return (0..<count).map { _ in generator.nextNormal() }
    }

    private func run(_ optimizer: any Optimizer, _ parameters: [Tensor], steps: Range<Int>) {
        for step in steps {
            for (index, parameter) in parameters.enumerated() {
                parameter.grad = Tensor(shape: parameter.shape, scalars: gradient(index, step: step, count: parameter.count))
            }
            optimizer.step()
        }
    }

    /// An optimiser rebuilt from another's parameters and state continues bit for bit.
    func testRestoredStateContinuesExactly() throws {
        for name in ["sgd", "adamw", "amsgrad"] {
            let original = [Tensor(shape: [2, 3], scalars: [1, -2, 3, 0.5, 0, -1]), Tensor(shape: [3], scalars: [0.1, 0.2, 0.3])]
            let first = make(name, original)
            run(first, original, steps: 0..<3)

            let copies = original.map { $0.copied() }
            let second = make(name, copies)
            for (parameter, copy) in zip(original, copies) {
                try second.setState(first.state(of: parameter), of: copy)
            }
            run(first, original, steps: 3..<6)
            run(second, copies, steps: 3..<6)
            for (parameter, copy) in zip(original, copies) {
                XCTAssertEqual(parameter.scalars, copy.scalars, name)
                XCTAssertEqual(first.state(of: parameter).mapValues(\.scalars), second.state(of: copy).mapValues(\.scalars), name)
            }
            // A fresh optimiser without the state diverges: the test can tell.
            let fresh = original.map { $0.copied() }
            let third = make(name, fresh)
            run(third, fresh, steps: 6..<7)
            run(first, original, steps: 6..<7)
            XCTAssertNotEqual(original[0].scalars, fresh[0].scalars, name)
        }
    }

    func testStateNamesAndShapesFollowPyTorch() throws {
        let parameter = Tensor(shape: [2, 2], scalars: [1, 2, 3, 4])
        let sgd = make("sgd", [parameter])
        XCTAssertEqual(sgd.state(of: parameter).count, 0, "no state before the first update")
        run(sgd, [parameter], steps: 0..<1)
        XCTAssertEqual(sgd.state(of: parameter)["momentum_buffer"]?.shape, [2, 2])

        let amsgrad = make("amsgrad", [parameter])
        run(amsgrad, [parameter], steps: 0..<2)
        let state = amsgrad.state(of: parameter)
        XCTAssertEqual(Set(state.keys), ["step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"])
        XCTAssertEqual(state["step"]?.scalars, [2])
        XCTAssertEqual(state["exp_avg_sq"]?.shape, [2, 2])
    }

    func testBadStateIsRefusedWithItsKeyAndChangesNothing() throws {
        let parameter = Tensor(shape: [3], scalars: [1, 2, 3])
        let stranger = Tensor(shape: [3], scalars: [1, 2, 3])
        let sgd = make("sgd", [parameter])
        let adamw = make("adamw", [parameter])
        run(sgd, [parameter], steps: 0..<1)
        let before = sgd.state(of: parameter)["momentum_buffer"]!.scalars

        let cases: [(any StatefulOptimizer, [String: Tensor], Tensor, String)] = [
            (sgd, ["momentum_buffer": Tensor.zeros([4])], parameter,
             "[SGD] momentum_buffer of shape [4] for a parameter of shape [3]"),
            (sgd, ["momentum": Tensor.zeros([3])], parameter,
             "[SGD] unknown state momentum for a parameter of shape [3]; expected momentum_buffer"),
            (sgd, ["momentum_buffer": Tensor.zeros([3])], stranger,
             "[SGD] the parameter of shape [3] is not in any of its groups"),
            (adamw, ["step": Tensor(1), "exp_avg": Tensor.zeros([3])], parameter,
             "[AdamW] missing state exp_avg_sq for a parameter of shape [3]"),
            (adamw, ["step": Tensor(0.5), "exp_avg": Tensor.zeros([3]), "exp_avg_sq": Tensor.zeros([3])], parameter,
             "[AdamW] step must be one whole number from 1 to 2^24, found 0.5"),
        ]
        for (optimizer, state, target, message) in cases {
            XCTAssertThrowsError(try optimizer.setState(state, of: target)) { error in
                XCTAssertEqual("\(error)", message)
            }
        }
        XCTAssertEqual(sgd.state(of: parameter)["momentum_buffer"]?.scalars, before)
        XCTAssertTrue(adamw.state(of: parameter).isEmpty)
        try sgd.setState([:], of: parameter)
        XCTAssertTrue(sgd.state(of: parameter).isEmpty, "an empty state resets the parameter")
    }
}
