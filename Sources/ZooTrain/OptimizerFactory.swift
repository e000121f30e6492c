import ZooManifest
import ZooOptim
import ZooPipeline
import ZooTensor

/// The optimiser a manifest's `optimizer` section asks for: SGD or AdamW over a pipeline's
/// parameter groups, each stage keeping its learning-rate multiplier. When
/// `decay_norms_and_biases` is false, each stage's group is split in two, and the half of biases
/// and normalisation weights takes no weight decay.
///
/// ```swift
/// let optimizer = OptimizerFactory(manifest.optimizer).optimizer(for: pipeline)
/// ```
public struct OptimizerFactory: Sendable {
    public let spec: OptimizerSpec

    public init(_ spec: OptimizerSpec) { self.spec = spec }

    /// The optimiser over `pipeline`'s trainable parameters, as its manifest asks.
    public static func optimizer(for pipeline: Pipeline) -> any StatefulOptimizer {
        let factory = OptimizerFactory(pipeline.manifest.optimizer)
        return factory.optimizer(groups: factory.groups(pipeline.parameterGroups.map { ($0.learningRateMultiplier, $0.parameters) }))
    }

    /// The optimiser's groups from the stages' named parameters, in stage order: the trainable
    /// parameters of each stage (split by `isNormOrBias` unless norms and biases decay), empty
    /// groups left out.
    public func groups(_ stages: [(learningRateMultiplier: Double, parameters: [(String, Tensor)])]) -> [ZooOptim.ParameterGroup] {
        stages.flatMap { stage -> [ZooOptim.ParameterGroup] in
            let trainable = stage.parameters.filter(\.1.requiresGrad)
            let multiplier = Float(stage.learningRateMultiplier)
            guard !spec.decayNormsAndBiases else {
                return [ZooOptim.ParameterGroup(parameters: trainable.map(\.1), learningRateMultiplier: multiplier)]
            }
            let exempt = trainable.filter { OptimizerFactory.isNormOrBias($0.0, $0.1) }
            let decayed = trainable.filter { !OptimizerFactory.isNormOrBias($0.0, $0.1) }
            return [ZooOptim.ParameterGroup(parameters: decayed.map(\.1), learningRateMultiplier: multiplier),
                    ZooOptim.ParameterGroup(parameters: exempt.map(\.1), learningRateMultiplier: multiplier, weightDecay: 0)]
        }.filter { !$0.parameters.isEmpty }
    }

    /// SGD or AdamW over `groups` with the manifest's hyperparameters.
    public func optimizer(groups: [ZooOptim.ParameterGroup]) -> any StatefulOptimizer {
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

    /// A bias or a normalisation weight: rank ≤ 1, or named `….bias`.
    public static func isNormOrBias(_ name: String, _ parameter: Tensor) -> Bool {
        parameter.rank <= 1 || name == "bias" || name.hasSuffix(".bias")
    }
}
