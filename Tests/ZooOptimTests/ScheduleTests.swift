import XCTest
import ZooOptim
import ZooTensor

final class ScheduleTests: XCTestCase {
    private func rates(_ schedule: any LearningRateSchedule, base: Float = 0.1, count: Int = 12) -> [Float] {
        (0..<count).map { schedule.learningRate(at: $0, base: base) }
    }

    // MARK: closed forms

    func testConstant() {
        XCTAssertEqual(rates(ConstantSchedule(), base: 0.3, count: 5), [0.3, 0.3, 0.3, 0.3, 0.3])
    }

    func testStepDecay() {
        assertClose(rates(StepDecay(stepSize: 2, gamma: 0.5), base: 1, count: 7),
                    [1, 1, 0.5, 0.5, 0.25, 0.25, 0.125])
        assertClose(rates(StepDecay(stepSize: 1), base: 1, count: 3), [1, 0.1, 0.01])
    }

    func testMultiStepDecay() {
        assertClose(rates(MultiStepDecay(milestones: [3, 1], gamma: 0.5), base: 2, count: 5),
                    [2, 1, 1, 0.5, 0.5])
        // A milestone listed twice applies gamma twice, as MultiStepLR's counter does.
        assertClose(rates(MultiStepDecay(milestones: [2, 2], gamma: 0.5), base: 1, count: 4),
                    [1, 1, 0.25, 0.25])
    }

    func testCosineAnnealing() {
        let schedule = CosineAnnealing(period: 4, minimum: 0.1)
        assertClose(rates(schedule, base: 1.1, count: 5),
                    [1.1, 0.1 + 0.5 * (1 + Float(0.5).squareRoot()), 0.6, 0.1 + 0.5 * (1 - Float(0.5).squareRoot()), 0.1])
        // Past the period the rate rises again along the cosine, as PyTorch's does.
        XCTAssertEqual(schedule.learningRate(at: 6, base: 1.1), 0.6, accuracy: 1e-6)
        XCTAssertEqual(schedule.learningRate(at: 8, base: 1.1), 1.1, accuracy: 1e-6)
        XCTAssertEqual(CosineAnnealing(period: 10).learningRate(at: 10, base: 0.5), 0, accuracy: 1e-7)
    }

    func testLinearWarmupThenConstant() {
        assertClose(rates(LinearWarmup(steps: 4, startFactor: 0.2), base: 1, count: 6),
                    [0.2, 0.4, 0.6, 0.8, 1, 1])
    }

    func testWarmupHandsOverTheStepsCountedFromItsEnd() {
        let schedule = LinearWarmup(steps: 2, startFactor: 0.5, then: StepDecay(stepSize: 2, gamma: 0.1))
        assertClose(rates(schedule, base: 1, count: 7), [0.5, 0.75, 1, 1, 0.1, 0.1, 0.01])
    }

    func testWarmupsCompose() {
        let schedule = LinearWarmup(steps: 1, startFactor: 0.5,
                                    then: LinearWarmup(steps: 2, startFactor: 0.25, then: MultiStepDecay(milestones: [1])))
        assertClose(rates(schedule, base: 1, count: 5), [0.5, 0.25, 0.625, 1, 0.1])
    }

    func testZeroWarmupStepsIsTheFollowingSchedule() {
        let following = CosineAnnealing(period: 5)
        XCTAssertEqual(rates(LinearWarmup(steps: 0, startFactor: 0.1, then: following)), rates(following))
    }

    // MARK: parity with torch.optim.lr_scheduler

    private func checkAgainstPyTorch(_ name: String, _ schedule: any LearningRateSchedule,
                                     file: StaticString = #filePath, line: UInt = #line) throws {
        let reference = try OptimFixture().archive.tensor("output.lr.\(name)").scalars
        XCTAssertEqual(reference.count, 12, file: file, line: line)
        let ours = rates(schedule, base: 0.1, count: reference.count)
        for (step, (value, expected)) in zip(ours, reference).enumerated() {
            XCTAssertEqual(value, expected, accuracy: 1e-6 * max(abs(expected), 1e-3),
                           "\(name) at step \(step)", file: file, line: line)
        }
    }

    func testStepDecayMatchesStepLR() throws {
        try checkAgainstPyTorch("step", StepDecay(stepSize: 3, gamma: 0.5))
    }

    func testMultiStepDecayMatchesMultiStepLR() throws {
        try checkAgainstPyTorch("multistep", MultiStepDecay(milestones: [2, 5, 9], gamma: 0.1))
    }

    func testCosineAnnealingMatchesCosineAnnealingLR() throws {
        // Twelve steps of T_max = 10: the last two are past the period.
        try checkAgainstPyTorch("cosine", CosineAnnealing(period: 10, minimum: 0.001))
    }

    func testWarmupThenCosineMatchesSequentialLR() throws {
        try checkAgainstPyTorch("warmup_cosine",
                                LinearWarmup(steps: 3, startFactor: 0.1, then: CosineAnnealing(period: 8)))
    }
}
