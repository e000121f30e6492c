import ZooManifest
import ZooPluginHost

/// **The two-stream rule**, in one place: how a relation stage acts on the batch.
///
/// In training, a relation whose descriptor says two-stream (`BatchEffect.twoStream`) returns
/// `concat([f, R(f)], axis 0)`: the batch doubles, and the pipeline duplicates the labels
/// (`labels + labels`) so that the shared head and the losses see both streams. A later two-stream
/// relation transforms only the second stream (`[a; b] → [a; R(b)]`), so the batch doubles once.
/// A relation with `unchanged` batch effect keeps the batch. In evaluation, training-only modules
/// are not run at all, so inference costs what the plain model costs.
enum RelationStep: Equatable {
    /// Not run (evaluation, a training-only relation).
    case skipped
    /// Run on the whole batch; `doubling` when it is the first two-stream relation.
    case whole(doubling: Bool)
    /// Run on the second stream only: the batch is already doubled.
    case secondStream

    /// The step of a relation, in training or evaluation, once the batch has (`doubled`) or has
    /// not been doubled by a relation before it.
    init(_ descriptor: ModuleDescriptor, training: Bool, doubled: Bool) {
        if !training && descriptor.trainingOnly {
            self = .skipped
        } else if training && descriptor.batchEffect == .twoStream {
            self = doubled ? .secondStream : .whole(doubling: true)
        } else {
            self = .whole(doubling: false)
        }
    }
}

/// The shape of the features as they pass from stage to stage, by the two-stream rule and the
/// pooling between stages: what the builder checks while it creates the modules and what
/// `Pipeline.shapes` reports.
struct FeatureShape {
    var shape: [Int]
    /// Whether a relation before has doubled the batch.
    var doubled = false

    /// Before a relation: features placed relations see pooled features.
    mutating func enter(_ placement: RelationPlacement) {
        if placement == .features { shape = Pipeline.pooledShape(shape) }
    }

    /// Through a relation; false when it does not run (`RelationStep.skipped`).
    @discardableResult
    mutating func pass(_ relation: ModuleInstance, _ descriptor: ModuleDescriptor, training: Bool) throws -> Bool {
        switch RelationStep(descriptor, training: training, doubled: doubled) {
        case .skipped:
            return false
        case .secondStream:
            _ = try relation.outputShapes([[shape[0] / 2] + shape.dropFirst()])
        case .whole(let doubling):
            shape = try relation.outputShapes([shape])[0]
            doubled = doubled || doubling
        }
        return true
    }

    /// The shape without its batch axis: what a stage's bound `input.*` values come from.
    var sample: [Int] { Array(shape.dropFirst()) }
}
