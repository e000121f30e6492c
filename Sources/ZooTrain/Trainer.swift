import Foundation
import ZooData
import ZooManifest
import ZooOptim
import ZooPipeline
import ZooTensor

#if canImport(Glibc)
import Glibc
#endif

/// Trains a pipeline as its manifest says: the data it names (`TrainingData`, with the long-tail
/// cut), the optimiser and schedule (`OptimizerFactory`, `TrainingSchedule`), the batches
/// (`LoaderConfiguration(manifest:trainCount:)`), gradient clipping, evaluation every
/// `evaluation.every` epochs and at the end (`Evaluator`), the run folder's files (`RunFolder`)
/// and checkpoints (`Checkpoint`).
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

    /// Runs the training, from the start or from `options.resume`.
    public func run() throws -> TrainingResult {
        let folder = RunFolder(options.runFolder)
        try folder.create()

        let data = try TrainingData.load(manifest, folder: options.dataFolder)
        try pipeline.checkInputs(data.train, key: "data.train")
        if let test = data.test { try pipeline.checkInputs(test, key: "data.test") }
        let counts = data.classCounts
        say("train: \(data.train.count) samples in \(counts.count) classes, per class \(counts)")
        if let resolved = manifest.data?.resolvedClassCounts, resolved != counts {
            say("note: the manifest's class counts \(resolved) differ from the data's")
        }
        if let test = data.test { say("test: \(test.count) samples") } else { say("test: none named (no evaluation)") }

        let training = manifest.training
        let epochs = training.epochs
        let optimizer = OptimizerFactory.optimizer(for: pipeline)
        var position = TrainingPosition()
        if let resume = options.resume {
            position = try Checkpoint.resume(from: resume, into: pipeline, optimizer: optimizer, epochs: epochs)
            say("resumed from \(resume.path): epoch \(position.epoch + 1), step \(position.epochStep) of the epoch, "
                + "step \(position.step) of the run")
        }
        try folder.writeResolvedManifest(manifest)

        let schedule = TrainingSchedule.make(manifest.schedule, epochs: epochs)
        let parameters = pipeline.parameterGroups.flatMap { $0.parameters.map(\.1) }.filter(\.requiresGrad)
        let loader = LoaderConfiguration(manifest: manifest, trainCount: data.train.count)
        let stepsPerEpoch = BatchLoader(dataset: data.train, configuration: loader, epoch: 0).batches.count
        guard stepsPerEpoch > 0 else { throw TrainError("the training set of \(data.train.count) samples gives no batch") }
        let totalSteps = stepsPerEpoch * epochs
        say("run: \(folder.url.path) — \(epochs) epochs of \(stepsPerEpoch) steps, batch \(training.batchSize), "
            + "\(manifest.optimizer.name.rawValue) lr \(manifest.optimizer.learningRate)"
            + pipeline.parameterGroups.filter { $0.learningRateMultiplier != 1 }
                .map { ", \($0.stage) lr × \($0.learningRateMultiplier)" }.joined())

        var log = try folder.metricsLog(keepThrough: options.resume == nil ? nil : position.epoch)
        var epochLosses = log.history.map(\.loss)
        var finalReport: EvaluationReport?
        let runStart = Date()
        let checkpointFile = folder.checkpoint
        let evaluator = Evaluator(pipeline: pipeline)
        for abandoned in folder.removeAbandonedCheckpointWrites() {
            say("removed \(abandoned), left by a checkpoint write that was killed")
        }
        var progress = ProgressLine(options: options)

        for epoch in position.epoch..<epochs {
            let rate = schedule.learningRate(at: epoch, base: Float(manifest.optimizer.learningRate))
            optimizer.learningRate = rate
            let epochStart = Date()
            let startSeconds = position.seconds
            let startSamples = position.samples
            progress.startWindow(at: epochStart)
            let batches = BatchLoader(dataset: data.train, configuration: loader, epoch: epoch)
            var index = position.epochStep
            for (inputs, labels) in batches.makeIterator(startingAt: index) {
                index += 1
                position.step += 1
                optimizer.zeroGradients()
                let output = try pipeline.forward(pipeline.shaped(inputs), labels: labels, training: true)
                guard let loss = output.loss else { throw TrainError("the pipeline has no loss") }
                let value = Double(loss.item)
                guard value.isFinite else {
                    progress.finishLine()
                    let last = position.lastFiniteLoss.map { String(format: "%.6g", $0) } ?? "none"
                    throw TrainError("loss is \(value) at epoch \(epoch + 1), step \(position.step) (step \(index)/\(stepsPerEpoch) of the epoch), "
                                     + nonFiniteSource(output) + "; last finite loss \(last); stopped, no checkpoint written from this step")
                }
                position.lastFiniteLoss = value
                options.stepLoss?(position.step, value)
                loss.backward()
                if let norm = training.gradientClipNorm { clipGradientNorm(parameters, maxNorm: Float(norm)) }
                optimizer.step()

                position.lossSum += value
                position.samples += labels.count
                if let outputLabels = output.labels {
                    position.correct += Trainer.correct(output.logits, outputLabels)
                    position.rows += outputLabels.count
                }
                position.epochStep = index
                let now = Date()
                position.seconds = startSeconds + now.timeIntervalSince(epochStart)
                progress.step(epoch: epoch, epochs: epochs, index: index, stepsPerEpoch: stepsPerEpoch, loss: value,
                              samples: labels.count, rate: rate, elapsed: position.seconds, step: position.step,
                              totalSteps: totalSteps, now: now)
                if let reason = options.stopRequested() {
                    progress.finishLine()
                    try Checkpoint.write(pipeline, optimizer: optimizer, position: position, classCounts: counts, to: checkpointFile)
                    throw TrainingInterrupted(reason: reason, position: position, checkpoint: checkpointFile)
                }
            }
            progress.finishLine()
            let seconds = Date().timeIntervalSince(epochStart)
            let meanLoss = position.lossSum / Double(index)
            epochLosses.append(meanLoss)

            var metrics = EpochMetrics(epoch: epoch + 1, step: position.step, loss: meanLoss,
                                       trainAccuracy: position.rows == 0 ? 0 : Double(position.correct) / Double(position.rows),
                                       learningRate: Double("\(rate)") ?? Double(rate),
                                       samplesPerSecond: Double(position.samples - startSamples) / max(seconds, 1e-9),
                                       seconds: seconds)
            let last = epoch == epochs - 1
            let every = max(1, manifest.evaluation.every)
            if let test = data.test, last || (epoch + 1) % every == 0 {
                let report = try evaluator.evaluate(test, trainingCounts: counts)
                (metrics.testTop1, metrics.testTop5) = (report.top1, report.top5)
                (metrics.testMany, metrics.testMedium, metrics.testFew) = (report.many, report.medium, report.few)
                say("evaluation after epoch \(epoch + 1):\n" + report.table)
                if last { finalReport = report }
            }
            try log.append(metrics)
            try folder.writeTrainingCurves(log.history)

            position = TrainingPosition(epoch: epoch + 1, step: position.step, lastFiniteLoss: position.lastFiniteLoss,
                                        seconds: position.seconds)
            let checkpointEvery = manifest.output.checkpointEvery
            if last || (checkpointEvery > 0 && (epoch + 1) % checkpointEvery == 0) {
                try Checkpoint.write(pipeline, optimizer: optimizer, position: position, classCounts: counts, to: checkpointFile)
            }
        }
        if let finalReport { try folder.writeEvaluation(finalReport) }
        say("done in \(Trainer.clock(Date().timeIntervalSince(runStart))): \(folder.url.path)")
        return TrainingResult(epochs: epochs, steps: position.step, epochLosses: epochLosses, evaluation: finalReport,
                              runFolder: folder.url)
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
}
