import XCTest
import ZooOptim
import ZooTensor

final class OptimizerBehaviourTests: XCTestCase {
    private func makeOptimizers(_ parameters: [Tensor]) -> [any Optimizer] {
        [SGD(parameters: parameters, learningRate: 0.1, momentum: 0.9, weightDecay: 0.1),
         AdamW(parameters: parameters, learningRate: 0.1, weightDecay: 0.1)]
    }

    func testZeroGradientsSetsEveryGradientToNil() {
        let a = Tensor(shape: [2], scalars: [1, 2])
        let b = Tensor(shape: [3], scalars: [1, 2, 3])
        let optimizers: [any Optimizer] = [
            SGD(groups: [ParameterGroup(parameters: [a]), ParameterGroup(parameters: [b])], learningRate: 0.1),
            AdamW(groups: [ParameterGroup(parameters: [a]), ParameterGroup(parameters: [b])]),
        ]
        for optimizer in optimizers {
            a.grad = Tensor(shape: [2], scalars: [1, 1])
            b.grad = Tensor(shape: [3], scalars: [1, 1, 1])
            optimizer.zeroGradients()
            XCTAssertNil(a.grad)
            XCTAssertNil(b.grad)
        }
    }

    func testParameterWithoutGradientIsUntouched() {
        for index in 0..<2 {
            let withGradient = Tensor(shape: [2], scalars: [1, 2])
            let without = Tensor(shape: [3], scalars: [1, -2, 3])
            let optimizer = makeOptimizers([withGradient, without])[index]
            for _ in 0..<3 {
                withGradient.grad = Tensor(shape: [2], scalars: [0.5, -0.5])
                optimizer.step()
                XCTAssertEqual(without.scalars, [1, -2, 3], "\(type(of: optimizer))")
                XCTAssertNil(without.grad)
            }
            XCTAssertNotEqual(withGradient.scalars, [1, 2], "\(type(of: optimizer))")
        }
    }

    func testStepWithoutAnyGradientChangesNothing() {
        for index in 0..<2 {
            let p = Tensor(shape: [2], scalars: [1, 2])
            let optimizer = makeOptimizers([p])[index]
            optimizer.step()
            XCTAssertEqual(p.scalars, [1, 2], "\(type(of: optimizer))")
        }
    }

    func testZeroLearningRateLeavesParametersAlone() {
        for index in 0..<2 {
            let p = Tensor(shape: [2], scalars: [1, 2])
            let optimizer = makeOptimizers([p])[index]
            optimizer.learningRate = 0
            p.grad = Tensor(shape: [2], scalars: [3, 4])
            optimizer.step()
            XCTAssertEqual(p.scalars, [1, 2], "\(type(of: optimizer))")
        }
    }

    func testEmptyParameterIsAccepted() {
        for index in 0..<2 {
            let p = Tensor.zeros([0, 3])
            let optimizer = makeOptimizers([p])[index]
            p.grad = Tensor.zeros([0, 3])
            optimizer.step()
            XCTAssertEqual(p.count, 0)
        }
    }
}
