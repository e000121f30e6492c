import Foundation

/// Where a run stands: what a checkpoint needs, besides tensors and generator states, to continue
/// as if it had never stopped.
public struct TrainingPosition: Codable, Sendable, Equatable {
    /// Epochs finished.
    public var epoch: Int
    /// Steps already taken in the epoch after those (0 at an epoch boundary).
    public var epochStep: Int
    /// Steps taken since the start of the run.
    public var step: Int
    /// The running sums of the unfinished epoch, for its metrics.
    public var lossSum: Double
    public var correct: Int
    public var rows: Int
    public var samples: Int
    public var lastFiniteLoss: Double?
    /// The training time so far (for the time left).
    public var seconds: Double

    public init(epoch: Int = 0, epochStep: Int = 0, step: Int = 0, lossSum: Double = 0, correct: Int = 0, rows: Int = 0,
                samples: Int = 0, lastFiniteLoss: Double? = nil, seconds: Double = 0) {
        (self.epoch, self.epochStep, self.step) = (epoch, epochStep, step)
        (self.lossSum, self.correct, self.rows, self.samples) = (lossSum, correct, rows, samples)
        (self.lastFiniteLoss, self.seconds) = (lastFiniteLoss, seconds)
    }

    enum CodingKeys: String, CodingKey {
        case epoch, step, correct, rows, samples, seconds
        case epochStep = "epoch_step", lossSum = "loss_sum", lastFiniteLoss = "last_finite_loss"
    }
}

/// A request to stop between steps (Ctrl-C, SIGTERM): the trainer finishes the step, writes a
/// checkpoint and throws this.
public struct TrainingInterrupted: Error, CustomStringConvertible, Sendable {
    /// What asked (e.g. "SIGINT").
    public var reason: String
    public var position: TrainingPosition
    public var checkpoint: URL

    public var description: String {
        "\(reason): stopped after step \(position.step) (epoch \(position.epoch + 1), step \(position.epochStep) of the epoch); "
            + "checkpoint written to \(checkpoint.path)"
    }
}
