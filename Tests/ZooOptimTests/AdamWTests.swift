import XCTest
import ZooOptim
import ZooTensor

final class AdamWTests: XCTestCase {
    // MARK: parity with torch.optim.AdamW

    func testDefaultsMatchPyTorch() throws {
        let optimizer = AdamW(parameters: [])
        XCTAssertEqual(optimizer.learningRate, 1e-3)
        XCTAssertEqual(optimizer.betas.0, 0.9)
        XCTAssertEqual(optimizer.betas.1, 0.999)
        XCTAssertEqual(optimizer.epsilon, 1e-8)
        XCTAssertEqual(optimizer.weightDecay, 1e-2)
        XCTAssertFalse(optimizer.amsgrad)
        try OptimFixture().check("adamw", tolerance: 1e-5, displacementTolerance: 1e-5) {
            AdamW(parameters: $0)
        }
    }

    func testAMSGradMatchesPyTorch() throws {
        try OptimFixture().check("adamw_amsgrad", tolerance: 1e-5, displacementTolerance: 1e-5) {
            AdamW(parameters: $0, learningRate: 3e-3, weightDecay: 0.05, amsgrad: true)
        }
    }

    func testParameterGroupsMatchPyTorch() throws {
        try OptimFixture().check("adamw_groups", tolerance: 1e-5, displacementTolerance: 1e-5) {
            AdamW(groups: [ParameterGroup(parameters: [$0[0], $0[2]]),
                           ParameterGroup(parameters: [$0[1]], learningRateMultiplier: 0.1, weightDecay: 0)],
                  learningRate: 1e-2, weightDecay: 0.1)
        }
    }

    func testParameterWithoutGradientIsSkippedAsInPyTorch() throws {
        // Parameter 1 has no gradient at steps 0 and 2: its step count (and so its bias
        // correction) starts at step 1, and weight decay does not touch it while skipped.
        try OptimFixture().check("adamw_skip", tolerance: 1e-5, displacementTolerance: 1e-5, skip: true) {
            AdamW(parameters: $0, learningRate: 1e-2)
        }
    }

    // MARK: hand-computed

    func testFirstStepMovesByTheLearningRateAgainstTheGradientSign() {
        // At t = 1 the bias corrections cancel: m̂ = g, v̂ = g², so the step is lr·g/(|g| + ε).
        let p = Tensor(shape: [2], scalars: [1, -2])
        let optimizer = AdamW(parameters: [p], learningRate: 0.1, weightDecay: 0)
        p.grad = Tensor(shape: [2], scalars: [0.3, -4])
        optimizer.step()
        assertClose(p.scalars, [0.9, -1.9])
    }

    func testDecoupledWeightDecayShrinksBeforeTheAdamStep() {
        let p = Tensor(shape: [2], scalars: [1, -2])
        let optimizer = AdamW(parameters: [p], learningRate: 0.1, weightDecay: 0.5)
        p.grad = Tensor(shape: [2], scalars: [0.3, -4])
        optimizer.step()  // p·(1 − 0.05) then ∓0.1
        assertClose(p.scalars, [0.85, -1.8])
    }

    func testSecondStepWithConstantGradientMovesByTheLearningRate() {
        // With a constant gradient m̂ = g and v̂ = g² at every step.
        let p = Tensor(shape: [1], scalars: [0])
        let optimizer = AdamW(parameters: [p], learningRate: 0.01, weightDecay: 0)
        for _ in 0..<2 {
            p.grad = Tensor(shape: [1], scalars: [-3])
            optimizer.step()
        }
        assertClose(p.scalars, [0.02], tolerance: 1e-5)
    }

    func testAMSGradNormalisesByTheLargestSecondMoment() {
        // β₁ = 0 (m = g), β₂ = 0.5, ε = 0, lr = 1. Step 1, g = 2: v = 2, v̂ = 2/0.5 = 4, p −= 2/2.
        // Step 2, g = 1: v = 1.5 falls below max(v) = 2, and the bias correction is 0.75.
        for (amsgrad, expected) in [(false, -1 - 1 / Float(2).squareRoot()),
                                    (true, -1 - Float(0.75).squareRoot() / Float(2).squareRoot())] {
            let p = Tensor(shape: [1], scalars: [0])
            let optimizer = AdamW(parameters: [p], learningRate: 1, betas: (0, 0.5), epsilon: 0,
                                  weightDecay: 0, amsgrad: amsgrad)
            p.grad = Tensor(shape: [1], scalars: [2])
            optimizer.step()
            assertClose(p.scalars, [-1])
            p.grad = Tensor(shape: [1], scalars: [1])
            optimizer.step()
            assertClose(p.scalars, [expected], tolerance: 1e-6)
        }
    }

    func testGroupMultiplierAndNoDecayGroup() {
        let a = Tensor(shape: [1], scalars: [1])
        let b = Tensor(shape: [1], scalars: [1])
        let optimizer = AdamW(
            groups: [ParameterGroup(parameters: [a]),
                     ParameterGroup(parameters: [b], learningRateMultiplier: 0.1, weightDecay: 0)],
            learningRate: 0.1, weightDecay: 0.5)
        a.grad = Tensor(shape: [1], scalars: [1])
        b.grad = Tensor(shape: [1], scalars: [1])
        optimizer.step()
        assertClose(a.scalars, [0.85])  // 1·(1 − 0.05) − 0.1
        assertClose(b.scalars, [0.99])  // no decay, rate 0.01
    }
}
