import Foundation
import ZooManifest
import ZooPluginHost
import ZooTensor

/// One stage of a pipeline: a module created from the manifest.
public struct PipelineStage: @unchecked Sendable {
    /// `backbone`, `relations.0`, `head`, `losses.0`: the prefix of its state names and the key of
    /// its learning-rate multiplier.
    public let name: String
    public let module: LoadedModule
    public let instance: ModuleInstance
    /// The configuration the module was created from (validated, defaults and derived values filled).
    public let configuration: JSONValue
    /// Scales the optimiser's learning rate for this stage's parameters.
    public let learningRateMultiplier: Double
    /// A loss's weight in the total (1 for other stages).
    public let weight: Double

    public var descriptor: ModuleDescriptor { module.descriptor }
}

/// The parameters of one stage with the learning-rate multiplier the optimiser applies to them.
public struct ParameterGroup: @unchecked Sendable {
    public let stage: String
    public let learningRateMultiplier: Double
    /// Names without the stage prefix, as the plug-in gives them.
    public let parameters: [(String, Tensor)]
}

/// What one forward produced.
public struct PipelineOutput: @unchecked Sendable {
    /// The head's output.
    public let logits: Tensor
    /// The labels the losses saw (duplicated once per two-stream relation in training).
    public let labels: [Int]?
    /// Σ weight · loss, when labels were given.
    public let loss: Tensor?
    /// Each loss's own value, by stage name.
    public let losses: [(String, Tensor)]
}

/// A runnable model built from a manifest: backbone → relations → head → weighted losses.
///
/// Relations follow the two-stream rule (`RelationStep`): in training a two-stream relation
/// doubles the batch and the labels; in evaluation training-only relations are not run, so
/// inference costs what the plain model costs.
public final class Pipeline: @unchecked Sendable {
    /// The resolved manifest: plug-ins with their versions, files and hashes, configurations with
    /// their defaults and derived values.
    public let manifest: Manifest
    public let backbone: PipelineStage
    public let relations: [PipelineStage]
    /// Where each relation runs, from the manifest.
    public var relationPlacements: [RelationPlacement] { manifest.model.relations.map(\.placement) }
    public let head: PipelineStage
    public let losses: [PipelineStage]
    /// The shape of one input sample (no batch axis), when the data names it.
    public let inputShape: [Int]?
    /// The host services the modules were created with: the run's seed (`training.seed`) and the
    /// run generator that dropout masks draw from, which checkpoints keep.
    public let host: HostSession

    init(manifest: Manifest, backbone: PipelineStage, relations: [PipelineStage], head: PipelineStage,
         losses: [PipelineStage], inputShape: [Int]?, host: HostSession) {
        self.host = host
        self.manifest = manifest
        self.backbone = backbone
        self.relations = relations
        self.head = head
        self.losses = losses
        self.inputShape = inputShape
    }

    /// Every stage in order: backbone, relations, head, losses.
    public var stages: [PipelineStage] { [backbone] + relations + [head] + losses }

    /// The trainable parameters, one group per stage, with their learning-rate multipliers.
    public var parameterGroups: [ParameterGroup] {
        stages.filter { !$0.instance.namedParameters.isEmpty }.map {
            ParameterGroup(stage: $0.name, learningRateMultiplier: $0.learningRateMultiplier, parameters: $0.instance.namedParameters)
        }
    }

    /// Parameters and buffers under checkpoint names: `backbone.…`, `relations.0.…`, `head.…`, `losses.0.…`.
    public var namedState: [(String, Tensor)] {
        stages.flatMap { stage in
            (stage.instance.namedParameters + stage.instance.namedBuffers).map { ("\(stage.name).\($0.0)", $0.1) }
        }
    }

    /// Runs the model. In training every relation runs (two-stream ones double the batch and the
    /// labels); in evaluation the training-only relations are skipped. With labels, the losses run
    /// and `loss` is their weighted sum.
    public func forward(_ input: Tensor, labels: [Int]? = nil, training: Bool) throws -> PipelineOutput {
        var features = try backbone.instance.forward([input], training: training)[0]
        var labels = labels
        var doubled = false
        for (relation, placement) in zip(relations, relationPlacements) {
            if placement == .features { features = Pipeline.pooled(features) }
            switch RelationStep(relation.descriptor, training: training, doubled: doubled) {
            case .skipped:
                continue
            case .secondStream:
                // [a; b] → [a; f(b)]: the relation sees the second stream only.
                let half = features.shape[0] / 2
                let streams = features.split(sizes: [half, half], alongAxis: 0)
                let transformed = try relation.instance.forward([streams[1]], training: training)[0]
                features = Tensor.concatenate([streams[0], transformed.split(sizes: [half, half], alongAxis: 0)[1]], alongAxis: 0)
            case .whole(let doubling):
                features = try relation.instance.forward([features], training: training)[0]
                if doubling {
                    labels = labels.map { $0 + $0 }
                    doubled = true
                }
            }
        }
        features = Pipeline.pooled(features)
        let logits = try head.instance.forward([features], training: training)[0]
        guard let labels else { return PipelineOutput(logits: logits, labels: nil, loss: nil, losses: []) }
        var total: Tensor?
        var each: [(String, Tensor)] = []
        for loss in losses {
            let value = try loss.instance.forward([logits], labels: labels, training: training)[0]
            each.append((loss.name, value))
            let weighted = loss.weight == 1 ? value : value * Float(loss.weight)
            total = total.map { $0 + weighted } ?? weighted
        }
        return PipelineOutput(logits: logits, labels: labels, loss: total, losses: each)
    }

    /// Dense features pooled for the stages that take `[B, D]`: the mean over the positions of a
    /// map `[B, C, H, W]` or over the tokens of `[B, N, C]`; `[B, D]` is returned as it is.
    public static func pooled(_ features: Tensor) -> Tensor {
        switch features.rank {
        case 4: features.mean(alongAxes: [2, 3])
        case 3: features.mean(alongAxis: 1)
        default: features
        }
    }

    /// The shape `pooled` gives.
    public static func pooledShape(_ shape: [Int]) -> [Int] {
        switch shape.count {
        case 4: [shape[0], shape[1]]
        case 3: [shape[0], shape[2]]
        default: shape
        }
    }

    /// The shapes each stage produces for a batch of `batch` samples, in training or evaluation.
    public func shapes(batch: Int, training: Bool) throws -> [(String, [Int])] {
        guard let inputShape else { return [] }
        var flow = FeatureShape(shape: try backbone.instance.outputShapes([[batch] + inputShape])[0])
        var result = [(backbone.name, flow.shape)]
        for (relation, placement) in zip(relations, relationPlacements) {
            flow.enter(placement)
            if try flow.pass(relation.instance, relation.descriptor, training: training) { result.append((relation.name, flow.shape)) }
        }
        result.append((head.name, try head.instance.outputShapes([Pipeline.pooledShape(flow.shape)])[0]))
        return result
    }
}

extension JSONValue {
    /// A manifest value as JSON (locations dropped).
    public init(_ node: ManifestNode) {
        switch node.value {
        case .null: self = .null
        case .bool(let b): self = .bool(b)
        case .integer(let i): self = .integer(i)
        case .number(let d): self = .number(d)
        case .string(let s): self = .string(s)
        case .array(let elements): self = .array(elements.map(JSONValue.init))
        case .object(let members): self = .object(members.map { (key: $0.key, value: JSONValue($0.value)) })
        }
    }
}

extension ManifestNode {
    /// A JSON value as a manifest value (no locations).
    public init(_ json: JSONValue) {
        let value: ManifestValue
        switch json {
        case .null: value = .null
        case .bool(let b): value = .bool(b)
        case .integer(let i): value = .integer(i)
        case .number(let d): value = .number(d)
        case .string(let s): value = .string(s)
        case .array(let elements): value = .array(elements.map { ManifestNode($0) })
        case .object(let members): value = .object(members.map { ManifestMember(key: $0.key, value: ManifestNode($0.value)) })
        }
        self.init(value, location: nil)
    }
}
