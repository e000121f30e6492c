import ZooData
import ZooPipeline
import ZooTensor

/// Evaluates a pipeline on a test set, for the trainer after its epochs and for `zoo eval` on a
/// checkpoint: evaluation mode (training-only relations skipped), no gradients, batches of
/// `evaluation.batch_size` (default: the training batch size), the manifest's normalisation and
/// nothing else of its augmentation, and the long-tail report against the training class counts.
///
/// ```swift
/// let report = try Evaluator(pipeline: pipeline).evaluate(test, trainingCounts: counts)
/// ```
public struct Evaluator {
    public let pipeline: Pipeline

    public init(pipeline: Pipeline) { self.pipeline = pipeline }

    /// What evaluation applies to a batch: the manifest's normalisation, when it has one.
    public var transform: Augmentation? { Augmentation.evaluation(pipeline.manifest.data?.augmentation) }

    /// The samples of a batch.
    public var batchSize: Int { pipeline.manifest.evaluation.batchSize ?? pipeline.manifest.training.batchSize }

    /// The report on `test`, whose labels must be classes of the model (`trainingCounts.count` of them).
    public func evaluate(_ test: Dataset, trainingCounts: [Int]) throws -> EvaluationReport {
        let batchSize = batchSize
        var accumulator = EvaluationAccumulator(classCount: trainingCounts.count)
        if let index = test.labels.firstIndex(where: { !(0..<trainingCounts.count).contains($0) }) {
            throw TrainError("data.test\(test.source.map { " (\($0))" } ?? ""): sample \(index) has label \(test.labels[index]), "
                             + "outside the model's \(trainingCounts.count) classes 0..<\(trainingCounts.count)")
        }
        let transform = transform
        try withoutGradients {
            for start in stride(from: 0, to: test.count, by: batchSize) {
                var (inputs, labels) = test.batch(Array(start..<min(start + batchSize, test.count)))
                if let transform {
                    var unused = RandomGenerator(seed: 0)
                    inputs = transform.apply(inputs, generator: &unused)
                }
                let output = try pipeline.forward(pipeline.shaped(inputs), training: false)
                guard output.logits.rank == 2, output.logits.shape == [labels.count, trainingCounts.count] else {
                    throw TrainError("the head gives logits of shape \(output.logits.shape) for \(labels.count) samples of "
                                     + "\(trainingCounts.count) classes", isUsage: true)
                }
                accumulator.add(logits: output.logits, labels: labels)
            }
        }
        return accumulator.report(trainingCounts: trainingCounts)
    }
}
