import XCTest
import ZooOptim
import ZooTensor

final class SGDTests: XCTestCase {
    // MARK: parity with torch.optim.SGD

    func testPlainSGDMatchesPyTorch() throws {
        try OptimFixture().check("sgd", tolerance: 1e-6, displacementTolerance: 1e-5) {
            SGD(parameters: $0, learningRate: 0.1)
        }
    }

    func testMomentumDampeningAndWeightDecayMatchPyTorch() throws {
        try OptimFixture().check("sgd_momentum", tolerance: 1e-6, displacementTolerance: 1e-5) {
            SGD(parameters: $0, learningRate: 0.05, momentum: 0.9, dampening: 0.1, weightDecay: 5e-4)
        }
    }

    func testNesterovMatchesPyTorch() throws {
        try OptimFixture().check("sgd_nesterov", tolerance: 1e-6, displacementTolerance: 1e-5) {
            SGD(parameters: $0, learningRate: 0.05, momentum: 0.9, weightDecay: 1e-4, nesterov: true)
        }
    }

    func testParameterGroupsMatchPyTorch() throws {
        // Group 0 at the full rate with the default decay; group 1 at a tenth of it without decay.
        try OptimFixture().check("sgd_groups", tolerance: 1e-6, displacementTolerance: 1e-5) {
            SGD(groups: [ParameterGroup(parameters: [$0[0], $0[2]]),
                         ParameterGroup(parameters: [$0[1]], learningRateMultiplier: 0.1, weightDecay: 0)],
                learningRate: 0.1, momentum: 0.9, weightDecay: 1e-3)
        }
    }

    func testParameterWithoutGradientIsSkippedAsInPyTorch() throws {
        // Parameter 1 has no gradient at steps 0 and 2: its momentum buffer starts at step 1.
        try OptimFixture().check("sgd_skip", tolerance: 1e-6, displacementTolerance: 1e-5, skip: true) {
            SGD(parameters: $0, learningRate: 0.05, momentum: 0.9, weightDecay: 1e-3)
        }
    }

    // MARK: hand-computed

    func testMomentumBufferStartsAtTheFirstGradientAndThenDampens() {
        let p = Tensor(shape: [2], scalars: [1, 2])
        let optimizer = SGD(parameters: [p], learningRate: 0.1, momentum: 0.9, dampening: 0.5)
        p.grad = Tensor(shape: [2], scalars: [0.5, -1])
        optimizer.step()  // buf = g (no dampening on the first step)
        assertClose(p.scalars, [0.95, 2.1])
        optimizer.step()  // buf = 0.9·g + 0.5·g = 1.4·g
        assertClose(p.scalars, [0.88, 2.24])
    }

    func testNesterovStep() {
        let p = Tensor(shape: [1], scalars: [1])
        let optimizer = SGD(parameters: [p], learningRate: 0.1, momentum: 0.5, nesterov: true)
        p.grad = Tensor(shape: [1], scalars: [2])
        optimizer.step()  // buf = 2; g = 2 + 0.5·2 = 3
        assertClose(p.scalars, [0.7])
        optimizer.step()  // buf = 0.5·2 + 2 = 3; g = 2 + 0.5·3 = 3.5
        assertClose(p.scalars, [0.35])
    }

    func testWeightDecayIsAddedToTheGradientWithoutChangingIt() {
        let p = Tensor(shape: [2], scalars: [2, -4])
        let optimizer = SGD(parameters: [p], learningRate: 0.5, weightDecay: 0.25)
        p.grad = Tensor(shape: [2], scalars: [1, 1])
        optimizer.step()  // g = 1 + 0.25·p = [1.5, 0]
        assertClose(p.scalars, [1.25, -4])
        XCTAssertEqual(p.grad?.scalars, [1, 1])
    }

    func testUpdatesParametersInPlace() {
        let p = Tensor(shape: [3], scalars: [1, 2, 3])
        let view = p.detached()  // shares storage
        let optimizer = SGD(parameters: [p], learningRate: 1)
        p.grad = Tensor(shape: [3], scalars: [1, 1, 1])
        optimizer.step()
        XCTAssertEqual(view.scalars, [0, 1, 2])
        XCTAssertTrue(optimizer.groups[0].parameters[0] === p)
    }

    func testGroupLearningRateFollowsTheOptimizerRate() {
        let a = Tensor(shape: [1], scalars: [0])
        let b = Tensor(shape: [1], scalars: [0])
        let optimizer = SGD(
            groups: [ParameterGroup(parameters: [a]),
                     ParameterGroup(parameters: [b], learningRateMultiplier: 0.1)],
            learningRate: 1)
        a.grad = Tensor(shape: [1], scalars: [1])
        b.grad = Tensor(shape: [1], scalars: [1])
        optimizer.step()
        assertClose(a.scalars, [-1])
        assertClose(b.scalars, [-0.1])
        optimizer.learningRate = 0.5
        optimizer.step()
        assertClose(a.scalars, [-1.5])
        assertClose(b.scalars, [-0.15])
    }

    func testAddedGroupIsUpdated() {
        let a = Tensor(shape: [1], scalars: [1])
        let b = Tensor(shape: [1], scalars: [1])
        let optimizer = SGD(parameters: [a], learningRate: 0.5)
        optimizer.addGroup(ParameterGroup(parameters: [b], learningRateMultiplier: 2))
        a.grad = Tensor(shape: [1], scalars: [1])
        b.grad = Tensor(shape: [1], scalars: [1])
        optimizer.step()
        assertClose(a.scalars, [0.5])
        assertClose(b.scalars, [0])
    }
}

func assertClose(
    _ actual: [Float], _ expected: [Float], tolerance: Float = 1e-6,
    file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertEqual(actual.count, expected.count, file: file, line: line)
    for (index, (a, e)) in zip(actual, expected).enumerated() {
        XCTAssertEqual(a, e, accuracy: tolerance * max(1, abs(e)), "element \(index): \(actual) against \(expected)",
                       file: file, line: line)
    }
}
