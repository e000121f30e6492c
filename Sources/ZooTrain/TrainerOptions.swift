import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// How a training run reports and where it writes.
public struct TrainerOptions: Sendable {
    /// The run folder: resolved manifest, metrics, evaluation and checkpoint.
    public var runFolder: URL
    /// The folder data paths are relative to (the manifest's).
    public var dataFolder: URL
    /// One plain progress line every this many steps of an epoch and at its end (0: none); its loss
    /// and throughput are over the steps since the line before.
    public var logEvery: Int
    /// A live line rewritten with `\r` at every step (for a terminal).
    public var live: Bool
    /// Where progress and tables go (a line at a time, without the newline unless live).
    public var write: @Sendable (String) -> Void
    /// A checkpoint to continue from, with its optimiser state and generators.
    public var resume: URL?
    /// Asked after every step; a reason (e.g. "SIGINT") stops the run there with a checkpoint.
    public var stopRequested: @Sendable () -> String?
    /// Every step's loss, in order (for tests and tools).
    public var stepLoss: (@Sendable (_ step: Int, _ loss: Double) -> Void)?

    public init(runFolder: URL, dataFolder: URL, logEvery: Int = 50, live: Bool = isatty(1) != 0,
                resume: URL? = nil, stopRequested: @escaping @Sendable () -> String? = { nil },
                stepLoss: (@Sendable (Int, Double) -> Void)? = nil,
                write: @escaping @Sendable (String) -> Void = { text in
                    FileHandle.standardOutput.write(Data(text.utf8))
                }) {
        self.runFolder = runFolder
        self.dataFolder = dataFolder
        self.logEvery = logEvery
        self.live = live
        self.resume = resume
        self.stopRequested = stopRequested
        self.stepLoss = stepLoss
        self.write = write
    }
}

/// What a finished run left behind.
public struct TrainingResult: Sendable {
    public var epochs: Int
    public var steps: Int
    /// The mean training loss of each epoch.
    public var epochLosses: [Double]
    public var evaluation: EvaluationReport?
    public var runFolder: URL
}
