import ZooManifest
import ZooOptim

/// The learning-rate schedule over epochs that a manifest's `schedule` section asks for: constant,
/// step, multi-step or cosine, after an optional linear warm-up.
public enum TrainingSchedule {
    /// The schedule for a run of `epochs` epochs. The main schedule spans the epochs after the
    /// warm-up (milestones count from the start of the run); the warm-up rises linearly from
    /// base / (warmup + 1) to the base rate at epoch `warmup`.
    public static func make(_ spec: ScheduleSpec, epochs: Int) -> any LearningRateSchedule {
        let warmup = max(0, spec.warmupEpochs)
        let remaining = max(1, epochs - warmup)
        let main: any LearningRateSchedule
        switch spec.name {
        case .constant: main = ConstantSchedule()
        case .step: main = StepDecay(stepSize: max(1, spec.stepSize ?? max(1, remaining / 3)), gamma: Float(spec.gamma))
        case .multistep: main = MultiStepDecay(milestones: spec.milestones.map { max(0, $0 - warmup) }, gamma: Float(spec.gamma))
        case .cosine: main = CosineAnnealing(period: remaining, minimum: Float(spec.minLearningRate))
        }
        return warmup > 0 ? LinearWarmup(steps: warmup, startFactor: 1 / Float(warmup + 1), then: main) : main
    }
}
