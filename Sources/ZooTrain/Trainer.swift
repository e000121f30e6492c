import Foundation
import ZooData
import ZooManifest
import ZooOptim
import ZooPipeline
import ZooTensor

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

    public init(runFolder: URL, dataFolder: URL, logEvery: Int = 50, live: Bool = isatty(1) != 0,
                write: @escaping @Sendable (String) -> Void = { text in
                    FileHandle.standardOutput.write(Data(text.utf8))
                }) {
        self.runFolder = runFolder
        self.dataFolder = dataFolder
        self.logEvery = logEvery
        self.live = live
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

/// The metrics of one epoch, as written to `metrics.jsonl` and `metrics.csv`.
public struct EpochMetrics: Codable, Sendable, Equatable {
    public var epoch: Int
    public var step: Int
    public var loss: Double
    public var trainAccuracy: Double
    public var learningRate: Double
    public var samplesPerSecond: Double
    public var seconds: Double
    public var testTop1: Double?
    public var testTop5: Double?
    public var testMany: Double?
    public var testMedium: Double?
    public var testFew: Double?

    public init(epoch: Int, step: Int, loss: Double, trainAccuracy: Double, learningRate: Double, samplesPerSecond: Double,
                seconds: Double, testTop1: Double? = nil, testTop5: Double? = nil, testMany: Double? = nil,
                testMedium: Double? = nil, testFew: Double? = nil) {
        (self.epoch, self.step, self.loss, self.trainAccuracy) = (epoch, step, loss, trainAccuracy)
        (self.learningRate, self.samplesPerSecond, self.seconds) = (learningRate, samplesPerSecond, seconds)
        (self.testTop1, self.testTop5, self.testMany, self.testMedium, self.testFew) = (testTop1, testTop5, testMany, testMedium, testFew)
    }

    enum CodingKeys: String, CodingKey {
        case epoch, step, loss, seconds
        case trainAccuracy = "train_accuracy", learningRate = "learning_rate", samplesPerSecond = "samples_per_second"
        case testTop1 = "test_top1", testTop5 = "test_top5", testMany = "test_many", testMedium = "test_medium", testFew = "test_few"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(epoch, forKey: .epoch)
        try container.encode(step, forKey: .step)
        try container.encode(loss, forKey: .loss)
        try container.encode(trainAccuracy, forKey: .trainAccuracy)
        try container.encode(learningRate, forKey: .learningRate)
        try container.encode(samplesPerSecond, forKey: .samplesPerSecond)
        try container.encode(seconds, forKey: .seconds)
        // Every key on every line: null when the epoch was not evaluated.
        for (key, value) in [(CodingKeys.testTop1, testTop1), (.testTop5, testTop5), (.testMany, testMany),
                             (.testMedium, testMedium), (.testFew, testFew)] {
            try container.encode(value, forKey: key)
        }
    }

    static let csvHeader = "epoch,step,loss,train_accuracy,learning_rate,samples_per_second,seconds,test_top1,test_top5,test_many,test_medium,test_few"

    var csvLine: String {
        func cell(_ value: Double?) -> String { value.map { "\($0)" } ?? "" }
        return ["\(epoch)", "\(step)", "\(loss)", "\(trainAccuracy)", "\(learningRate)", "\(samplesPerSecond)", "\(seconds)",
                cell(testTop1), cell(testTop5), cell(testMany), cell(testMedium), cell(testFew)].joined(separator: ",")
    }
}

/// Trains a pipeline as its manifest says: the data it names (with the long-tail cut), SGD or
/// AdamW over the pipeline's parameter groups with their learning-rate multipliers, the schedule per
/// epoch, gradient clipping, evaluation every `evaluation.every` epochs and at the end, and a run
/// folder with `resolved.yaml`, `metrics.jsonl`, `metrics.csv`, `evaluation.json`, `confusion.csv`
/// and `checkpoint.safetensors`.
///
/// A loss that is not finite stops the run (`TrainError`, naming the step and the last finite loss)
/// before the optimiser steps, and no checkpoint is written from then on.
public final class Trainer {
    public let pipeline: Pipeline
    public let options: TrainerOptions
    public var manifest: Manifest { pipeline.manifest }

    public init(pipeline: Pipeline, options: TrainerOptions) {
        self.pipeline = pipeline
        self.options = options
    }

    func say(_ line: String) { options.write(line + "\n") }

    /// The learning-rate schedule over epochs.
    public static func schedule(_ spec: ScheduleSpec, epochs: Int) -> any LearningRateSchedule {
        let warmup = max(0, spec.warmupEpochs)
        let remaining = max(1, epochs - warmup)
        let main: any LearningRateSchedule
        switch spec.name {
        case .constant: main = ConstantSchedule()
        case .step: main = StepDecay(stepSize: max(1, spec.stepSize ?? max(1, remaining / 3)), gamma: Float(spec.gamma))
        case .multistep: main = MultiStepDecay(milestones: spec.milestones.map { max(0, $0 - warmup) }, gamma: Float(spec.gamma))
        case .cosine: main = CosineAnnealing(period: remaining, minimum: Float(spec.minLearningRate))
        }
        // Warm-up from base / (warmup + 1), rising linearly to the base rate at epoch `warmup`.
        return warmup > 0 ? LinearWarmup(steps: warmup, startFactor: 1 / Float(warmup + 1), then: main) : main
    }

    /// The optimiser over the pipeline's parameter groups.
    public static func optimizer(for pipeline: Pipeline) -> any Optimizer {
        let spec = pipeline.manifest.optimizer
        let groups = pipeline.parameterGroups.map { group in
            ZooOptim.ParameterGroup(parameters: group.parameters.map(\.1).filter(\.requiresGrad),
                                    learningRateMultiplier: Float(group.learningRateMultiplier))
        }.filter { !$0.parameters.isEmpty }
        switch spec.name {
        case .sgd:
            return SGD(groups: groups, learningRate: Float(spec.learningRate), momentum: Float(spec.momentum),
                       weightDecay: Float(spec.weightDecay), nesterov: spec.nesterov)
        case .adamw:
            let betas = spec.betas.count == 2 ? (spec.betas[0], spec.betas[1]) : (0.9, 0.999)
            return AdamW(groups: groups, learningRate: Float(spec.learningRate), betas: betas, epsilon: Float(spec.eps),
                         weightDecay: Float(spec.weightDecay))
        }
    }

    /// A batch's inputs in the pipeline's input shape (the data's sample shape, or the manifest's
    /// `input_shape` when it holds as many elements, e.g. 784 for 1×28×28 images).
    func shaped(_ inputs: Tensor) -> Tensor {
        guard let inputShape = pipeline.inputShape, Array(inputs.shape.dropFirst()) != inputShape else { return inputs }
        return Tensor(shape: [inputs.shape[0]] + inputShape, storage: inputs.storage)
    }

    func checkShapes(_ dataset: Dataset, key: String) throws {
        guard let inputShape = pipeline.inputShape else { return }
        guard dataset.sampleShape.reduce(1, *) == inputShape.reduce(1, *) else {
            throw TrainError("\(key): samples of shape \(dataset.sampleShape) do not fit data.input_shape \(inputShape)", isUsage: true)
        }
    }

    /// Evaluates the pipeline (evaluation mode: training-only relations skipped) on `test`.
    public func evaluate(_ test: Dataset, trainingCounts: [Int]) throws -> EvaluationReport {
        let batchSize = manifest.evaluation.batchSize ?? manifest.training.batchSize
        var accumulator = EvaluationAccumulator(classCount: trainingCounts.count)
        try withoutGradients {
            for start in stride(from: 0, to: test.count, by: batchSize) {
                let (inputs, labels) = test.batch(Array(start..<min(start + batchSize, test.count)))
                let output = try pipeline.forward(shaped(inputs), training: false)
                guard output.logits.rank == 2, output.logits.shape[1] == trainingCounts.count else {
                    throw TrainError("the head gives logits of shape \(output.logits.shape) for \(trainingCounts.count) classes", isUsage: true)
                }
                accumulator.add(logits: output.logits, labels: labels)
            }
        }
        return accumulator.report(trainingCounts: trainingCounts)
    }

    /// Writes `evaluation.json` and `confusion.csv` into `folder`.
    public static func writeEvaluation(_ report: EvaluationReport, to folder: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(report).write(to: folder.appendingPathComponent("evaluation.json"), options: .atomic)
        try report.confusionCSV.write(to: folder.appendingPathComponent("confusion.csv"), atomically: true, encoding: .utf8)
        try Plots.perClassAccuracy(report).write(to: folder.appendingPathComponent("per-class-accuracy.svg"),
                                                 atomically: true, encoding: .utf8)
    }

    /// Runs the training.
    public func run() throws -> TrainingResult {
        let fm = FileManager.default
        let folder = options.runFolder
        try fm.createDirectory(at: folder, withIntermediateDirectories: true)
        try manifest.yamlText().write(to: folder.appendingPathComponent("resolved.yaml"), atomically: true, encoding: .utf8)

        let data = try TrainingData.load(manifest, folder: options.dataFolder)
        try checkShapes(data.train, key: "data.train")
        if let test = data.test { try checkShapes(test, key: "data.test") }
        let counts = data.classCounts
        say("train: \(data.train.count) samples in \(counts.count) classes, per class \(counts)")
        if let resolved = manifest.data?.resolvedClassCounts, resolved != counts {
            say("note: the manifest's class counts \(resolved) differ from the data's")
        }
        if let test = data.test { say("test: \(test.count) samples") } else { say("test: none named (no evaluation)") }

        let training = manifest.training
        let epochs = training.epochs
        let optimizer = Trainer.optimizer(for: pipeline)
        let schedule = Trainer.schedule(manifest.schedule, epochs: epochs)
        let parameters = pipeline.parameterGroups.flatMap { $0.parameters.map(\.1) }.filter(\.requiresGrad)
        let loader = LoaderConfiguration(batchSize: training.batchSize, dropLast: data.train.count >= training.batchSize,
                                         seed: UInt64(truncatingIfNeeded: training.seed))
        let stepsPerEpoch = BatchLoader(dataset: data.train, configuration: loader, epoch: 0).batches.count
        let totalSteps = stepsPerEpoch * epochs
        say("run: \(folder.path) — \(epochs) epochs of \(stepsPerEpoch) steps, batch \(training.batchSize), "
            + "\(manifest.optimizer.name.rawValue) lr \(manifest.optimizer.learningRate)"
            + pipeline.parameterGroups.filter { $0.learningRateMultiplier != 1 }
                .map { ", \($0.stage) lr × \($0.learningRateMultiplier)" }.joined())

        let jsonl = folder.appendingPathComponent("metrics.jsonl")
        let csv = folder.appendingPathComponent("metrics.csv")
        try Data().write(to: jsonl)
        try (EpochMetrics.csvHeader + "\n").write(to: csv, atomically: true, encoding: .utf8)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]

        var step = 0
        var lastFiniteLoss: Double?
        var epochLosses: [Double] = []
        var history: [EpochMetrics] = []
        var finalReport: EvaluationReport?
        let runStart = Date()
        var trainingSeconds = 0.0
        var liveShown = false
        var liveShownAt = Date.distantPast

        for epoch in 0..<epochs {
            let rate = schedule.learningRate(at: epoch, base: Float(manifest.optimizer.learningRate))
            optimizer.learningRate = rate
            let epochStart = Date()
            var windowStart = epochStart, windowSamples = 0, windowLoss = 0.0, windowSteps = 0
            var lossSum = 0.0, correct = 0, rows = 0, samples = 0
            var index = 0
            for (inputs, labels) in BatchLoader(dataset: data.train, configuration: loader, epoch: epoch) {
                index += 1
                step += 1
                optimizer.zeroGradients()
                let output = try pipeline.forward(shaped(inputs), labels: labels, training: true)
                guard let loss = output.loss else { throw TrainError("the pipeline has no loss") }
                let value = Double(loss.item)
                guard value.isFinite else {
                    if liveShown { options.write("\n") }
                    let last = lastFiniteLoss.map { String(format: "%.6g", $0) } ?? "none"
                    throw TrainError("loss is \(value) at epoch \(epoch + 1), step \(step) (step \(index)/\(stepsPerEpoch) of the epoch); "
                                     + "last finite loss \(last); stopped, no checkpoint written from this step")
                }
                lastFiniteLoss = value
                loss.backward()
                if let norm = training.gradientClipNorm { clipGradientNorm(parameters, maxNorm: Float(norm)) }
                optimizer.step()

                lossSum += value
                samples += labels.count
                windowSamples += labels.count
                windowLoss += value
                windowSteps += 1
                if let outputLabels = output.labels {
                    correct += Trainer.correct(output.logits, outputLabels)
                    rows += outputLabels.count
                }
                let now = Date()
                let elapsed = trainingSeconds + now.timeIntervalSince(epochStart)
                let left = elapsed / Double(step) * Double(totalSteps - step)
                let throughput = Double(windowSamples) / max(1e-9, now.timeIntervalSince(windowStart))
                let line = String(format: "epoch %d/%d  step %d/%d  loss %.4f  lr %.4g  %.0f samples/s",
                                  epoch + 1, epochs, index, stepsPerEpoch, windowLoss / Double(windowSteps), Double(rate), throughput)
                    + "  left \(Trainer.clock(left))"
                if options.logEvery > 0 && (index % options.logEvery == 0 || index == stepsPerEpoch) {
                    options.write((liveShown ? "\r\u{1B}[K" : "") + line + "\n")
                    liveShown = false
                    windowStart = now
                    (windowSamples, windowLoss, windowSteps) = (0, 0, 0)
                } else if options.live && now.timeIntervalSince(liveShownAt) >= 0.1 {
                    // At most ten updates a second.
                    options.write("\r\u{1B}[K" + line)
                    liveShown = true
                    liveShownAt = now
                }
            }
            if liveShown { options.write("\n"); liveShown = false }
            let seconds = Date().timeIntervalSince(epochStart)
            trainingSeconds += seconds
            guard index > 0 else { throw TrainError("the training set of \(data.train.count) samples gives no batch") }
            let meanLoss = lossSum / Double(index)
            epochLosses.append(meanLoss)

            var metrics = EpochMetrics(epoch: epoch + 1, step: step, loss: meanLoss, trainAccuracy: rows == 0 ? 0 : Double(correct) / Double(rows),
                                       learningRate: Double("\(rate)") ?? Double(rate), samplesPerSecond: Double(samples) / max(seconds, 1e-9), seconds: seconds)
            let last = epoch == epochs - 1
            let every = max(1, manifest.evaluation.every)
            if let test = data.test, last || (epoch + 1) % every == 0 {
                let report = try evaluate(test, trainingCounts: counts)
                (metrics.testTop1, metrics.testTop5) = (report.top1, report.top5)
                (metrics.testMany, metrics.testMedium, metrics.testFew) = (report.many, report.medium, report.few)
                say("evaluation after epoch \(epoch + 1):\n" + report.table)
                if last { finalReport = report }
            }
            let handle = try FileHandle(forWritingTo: jsonl)
            handle.seekToEndOfFile()
            handle.write(try encoder.encode(metrics) + Data("\n".utf8))
            try handle.close()
            let csvHandle = try FileHandle(forWritingTo: csv)
            csvHandle.seekToEndOfFile()
            csvHandle.write(Data((metrics.csvLine + "\n").utf8))
            try csvHandle.close()
            history.append(metrics)
            try Plots.trainingCurves(history).write(to: folder.appendingPathComponent("training-curves.svg"),
                                                    atomically: true, encoding: .utf8)

            let checkpointEvery = manifest.output.checkpointEvery
            if last || (checkpointEvery > 0 && (epoch + 1) % checkpointEvery == 0) {
                try Checkpoint.write(pipeline, to: folder.appendingPathComponent("checkpoint.safetensors"),
                                     epoch: epoch + 1, step: step, classCounts: counts)
            }
        }
        if let finalReport { try Trainer.writeEvaluation(finalReport, to: folder) }
        say("done in \(Trainer.clock(Date().timeIntervalSince(runStart))): \(folder.path)")
        return TrainingResult(epochs: epochs, steps: step, epochLosses: epochLosses, evaluation: finalReport, runFolder: folder)
    }

    /// Rows whose highest logit is the label.
    static func correct(_ logits: Tensor, _ labels: [Int]) -> Int {
        guard logits.rank == 2, logits.shape[0] == labels.count else { return 0 }
        let columns = logits.shape[1]
        return logits.withScalars { values in
            var hits = 0
            for (row, label) in labels.enumerated() {
                var best = 0
                for k in 1..<columns where values[row * columns + k] > values[row * columns + best] { best = k }
                if best == label { hits += 1 }
            }
            return hits
        }
    }

    /// `m:ss` or `h:mm:ss`.
    static func clock(_ seconds: Double) -> String {
        let total = Int(seconds.isFinite ? max(0, seconds.rounded()) : 0)
        let (h, m, s) = (total / 3600, total / 60 % 60, total % 60)
        return h > 0 ? String(format: "%d:%02d:%02d", h, m, s) : String(format: "%d:%02d", m, s)
    }

    /// The run folder for a manifest: `output.folder` (relative to the manifest's folder) /
    /// `<name>-<timestamp>`, made unique.
    public static func defaultRunFolder(manifest: Manifest, manifestFile: URL, date: Date = Date()) -> URL {
        let base = manifest.output.folder.hasPrefix("/") ? URL(fileURLWithPath: manifest.output.folder)
            : manifestFile.deletingLastPathComponent().appendingPathComponent(manifest.output.folder)
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        let name = manifestFile.deletingPathExtension().lastPathComponent + "-" + formatter.string(from: date)
        var candidate = base.appendingPathComponent(name)
        var suffix = 2
        while FileManager.default.fileExists(atPath: candidate.path) {
            candidate = base.appendingPathComponent("\(name)-\(suffix)")
            suffix += 1
        }
        return candidate.standardizedFileURL
    }
}
