/// A learning rate as a function of the number of scheduler steps taken.
///
/// `learningRate(at: step, base:)` is the rate after `step` calls of a PyTorch scheduler's
/// `step()` on an optimiser whose initial rate was `base`; `step` counts from 0 and may be an
/// epoch or an iteration, as the training loop decides. Schedules are values: the closed form
/// replaces PyTorch's recursive updates, so a run can resume at any step.
///
/// ```swift
/// let schedule = LinearWarmup(steps: 5, startFactor: 0.1, then: CosineAnnealing(period: 95))
/// for epoch in 0..<100 {
///     optimizer.learningRate = schedule.learningRate(at: epoch, base: 0.1)
///     // … one epoch of optimizer.step() …
/// }
/// ```
public protocol LearningRateSchedule: Sendable {
    func learningRate(at step: Int, base: Float) -> Float
}
