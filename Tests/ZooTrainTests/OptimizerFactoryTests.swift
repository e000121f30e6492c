import XCTest
import ZooManifest
import ZooOptim
import ZooTensor
@testable import ZooTrain

/// The optimiser and schedule factories alone, on hand-made stages: no plug-in, no pipeline.
final class OptimizerFactoryTests: XCTestCase {
    /// A backbone (a weight, its bias, a norm weight and a frozen weight) at the base rate and a
    /// relation (a weight and an `in_proj_bias`) at a tenth of it.
    let backbone: [(String, Tensor)] = [("fc1.weight", .zeros([3, 2], requiresGrad: true)), ("fc1.bias", .zeros([3], requiresGrad: true)),
                                        ("norm.weight", .zeros([3], requiresGrad: true)), ("frozen.weight", .zeros([3, 3]))]
    let relation: [(String, Tensor)] = [("linear1.weight", .zeros([3, 3], requiresGrad: true)),
                                        ("self_attn.in_proj_bias", .zeros([9], requiresGrad: true))]
    var stages: [(learningRateMultiplier: Double, parameters: [(String, Tensor)])] { [(1, backbone), (0.1, relation)] }

    /// The names of a group's parameters.
    func names(_ group: ZooOptim.ParameterGroup) -> [String] {
        group.parameters.map { parameter in (backbone + relation).first { $0.1 === parameter }!.0 }
    }

    func testEveryTrainableParameterDecaysByDefaultInOneGroupPerStage() {
        let groups = OptimizerFactory(OptimizerSpec()).groups(stages)
        XCTAssertEqual(groups.map(names), [["fc1.weight", "fc1.bias", "norm.weight"], ["linear1.weight", "self_attn.in_proj_bias"]])
        XCTAssertEqual(groups.map(\.learningRateMultiplier), [1, 0.1])
        XCTAssertTrue(groups.allSatisfy { $0.weightDecay == nil })
    }

    func testNormsAndBiasesAreExemptFromWeightDecayWhenAsked() {
        let groups = OptimizerFactory(OptimizerSpec(weightDecay: 5e-4, decayNormsAndBiases: false)).groups(stages)
        XCTAssertEqual(groups.map(names), [["fc1.weight"], ["fc1.bias", "norm.weight"], ["linear1.weight"], ["self_attn.in_proj_bias"]])
        XCTAssertEqual(groups.map(\.weightDecay), [nil, 0, nil, 0])
        XCTAssertEqual(groups.map(\.learningRateMultiplier), [1, 1, 0.1, 0.1], "both halves keep the stage's multiplier")
    }

    func testEmptyGroupsAreLeftOut() {
        let frozen: [(String, Tensor)] = [("weight", .zeros([2, 2]))]
        let weightsOnly: [(String, Tensor)] = [("weight", .zeros([2, 2], requiresGrad: true))]
        let factory = OptimizerFactory(OptimizerSpec(decayNormsAndBiases: false))
        XCTAssertEqual(factory.groups([(1, frozen), (0.5, weightsOnly)]).map(\.learningRateMultiplier), [0.5])
    }

    func testNormOrBiasByRankOrName() {
        XCTAssertTrue(OptimizerFactory.isNormOrBias("norm.weight", .zeros([4])))
        XCTAssertTrue(OptimizerFactory.isNormOrBias("bias", .zeros([2, 2])))
        XCTAssertTrue(OptimizerFactory.isNormOrBias("conv.bias", .zeros([2, 2])))
        XCTAssertFalse(OptimizerFactory.isNormOrBias("conv.weight", .zeros([2, 2])))
        XCTAssertFalse(OptimizerFactory.isNormOrBias("in_proj_biased", .zeros([2, 2])))
    }

    func testTheManifestsOptimiserAndHyperparameters() throws {
        let sgd = try XCTUnwrap(OptimizerFactory(OptimizerSpec(learningRate: 0.05, momentum: 0.8, weightDecay: 1e-3, nesterov: true))
            .optimizer(groups: OptimizerFactory(OptimizerSpec()).groups(stages)) as? SGD)
        XCTAssertEqual([sgd.learningRate, sgd.momentum, sgd.weightDecay], [0.05, 0.8, 1e-3])
        XCTAssertTrue(sgd.nesterov)
        XCTAssertEqual(sgd.groups.count, 2)
        let adamw = try XCTUnwrap(OptimizerFactory(OptimizerSpec(name: .adamw, learningRate: 0.01, weightDecay: 0.05, betas: [0.8, 0.99], eps: 1e-6))
            .optimizer(groups: OptimizerFactory(OptimizerSpec()).groups(stages)) as? AdamW)
        XCTAssertEqual([adamw.learningRate, adamw.epsilon, adamw.weightDecay], [0.01, 1e-6, 0.05])
        XCTAssertEqual(adamw.betas.0, 0.8)
        XCTAssertEqual(adamw.betas.1, 0.99)
        let defaulted = try XCTUnwrap(OptimizerFactory(OptimizerSpec(name: .adamw, betas: [0.5])).optimizer(groups: []) as? AdamW)
        XCTAssertEqual(defaulted.betas.0, 0.9, "betas that are not a pair fall back to PyTorch's")
        XCTAssertEqual(defaulted.betas.1, 0.999)
    }

    func testSchedulesAfterAWarmUp() {
        func rates(_ spec: ScheduleSpec, epochs: Int, base: Float = 1) -> [Float] {
            let schedule = TrainingSchedule.make(spec, epochs: epochs)
            return (0..<epochs).map { schedule.learningRate(at: $0, base: base) }
        }
        func assertRates(_ found: [Float], _ expected: [Double], line: UInt = #line) {
            XCTAssertEqual(found.count, expected.count, line: line)
            for (value, wanted) in zip(found, expected) { XCTAssertEqual(Double(value), wanted, accuracy: 1e-6, "\(found)", line: line) }
        }
        // Two warm-up epochs from a third of the rate, then halving every two epochs.
        assertRates(rates(ScheduleSpec(name: .step, warmupEpochs: 2, stepSize: 2, gamma: 0.5), epochs: 8),
                    [1.0 / 3, 2.0 / 3, 1, 1, 0.5, 0.5, 0.25, 0.25])
        // Milestones count from the start of the run, warm-up included.
        assertRates(rates(ScheduleSpec(name: .multistep, warmupEpochs: 1, milestones: [3], gamma: 0.1), epochs: 5), [0.5, 1, 1, 0.1, 0.1])
        assertRates(rates(ScheduleSpec(), epochs: 3, base: 0.2), [0.2, 0.2, 0.2])
    }
}
