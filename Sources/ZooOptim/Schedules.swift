import Foundation

/// The base rate at every step.
public struct ConstantSchedule: LearningRateSchedule {
    public init() {}

    public func learningRate(at step: Int, base: Float) -> Float {
        precondition(step >= 0, "[ConstantSchedule] negative step \(step)")
        return base
    }
}

/// `base · gamma^⌊step / stepSize⌋`, as `torch.optim.lr_scheduler.StepLR`.
public struct StepDecay: LearningRateSchedule {
    public let stepSize: Int
    public let gamma: Float

    public init(stepSize: Int, gamma: Float = 0.1) {
        precondition(stepSize > 0, "[StepDecay] step size must be positive, got \(stepSize)")
        self.stepSize = stepSize
        self.gamma = gamma
    }

    public func learningRate(at step: Int, base: Float) -> Float {
        precondition(step >= 0, "[StepDecay] negative step \(step)")
        return Float(Double(base) * pow(Double(gamma), Double(step / stepSize)))
    }
}

/// `base · gamma^k`, where k counts the milestones at or before `step`, as
/// `torch.optim.lr_scheduler.MultiStepLR` (a milestone listed twice counts twice, as there).
public struct MultiStepDecay: LearningRateSchedule {
    public let milestones: [Int]
    public let gamma: Float

    public init(milestones: [Int], gamma: Float = 0.1) {
        self.milestones = milestones.sorted()
        self.gamma = gamma
    }

    public func learningRate(at step: Int, base: Float) -> Float {
        precondition(step >= 0, "[MultiStepDecay] negative step \(step)")
        let passed = milestones.reduce(0) { $0 + ($1 <= step ? 1 : 0) }
        return Float(Double(base) * pow(Double(gamma), Double(passed)))
    }
}

/// `minimum + (base − minimum)·(1 + cos(π·step / period)) / 2`, as
/// `torch.optim.lr_scheduler.CosineAnnealingLR(T_max: period, eta_min: minimum)`.
///
/// This closed form equals PyTorch's recursive form; past `period` both rise again along the
/// cosine (there is no restart).
public struct CosineAnnealing: LearningRateSchedule {
    public let period: Int
    public let minimum: Float

    public init(period: Int, minimum: Float = 0) {
        precondition(period > 0, "[CosineAnnealing] period must be positive, got \(period)")
        self.period = period
        self.minimum = minimum
    }

    public func learningRate(at step: Int, base: Float) -> Float {
        precondition(step >= 0, "[CosineAnnealing] negative step \(step)")
        let low = Double(minimum)
        let phase = Double.pi * Double(step) / Double(period)
        return Float(low + (Double(base) - low) * (1 + cos(phase)) / 2)
    }
}

/// A linear warm-up from `startFactor · base` to `base` over `steps` steps, then `then`, which
/// sees the steps counted from the end of the warm-up.
///
/// The warm-up is `torch.optim.lr_scheduler.LinearLR(start_factor: startFactor, end_factor: 1,
/// total_iters: steps)`, and the whole is `SequentialLR([LinearLR(…), then], milestones: [steps])`:
/// at `step < steps` the rate is `base · (startFactor + (1 − startFactor) · step / steps)`, and at
/// `step ≥ steps` it is `then.learningRate(at: step − steps, base: base)`.
public struct LinearWarmup: LearningRateSchedule {
    public let steps: Int
    public let startFactor: Float
    public let following: any LearningRateSchedule

    public init(steps: Int, startFactor: Float, then following: any LearningRateSchedule = ConstantSchedule()) {
        precondition(steps >= 0, "[LinearWarmup] negative number of steps \(steps)")
        precondition(startFactor > 0 && startFactor <= 1,
                     "[LinearWarmup] start factor must be in (0, 1], got \(startFactor)")
        self.steps = steps
        self.startFactor = startFactor
        self.following = following
    }

    public func learningRate(at step: Int, base: Float) -> Float {
        precondition(step >= 0, "[LinearWarmup] negative step \(step)")
        guard step < steps else { return following.learningRate(at: step - steps, base: base) }
        let start = Double(startFactor)
        return Float(Double(base) * (start + (1 - start) * Double(step) / Double(steps)))
    }
}
