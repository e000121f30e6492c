import ZooPipeline
import ZooTensor

extension Trainer {
    /// Which module a loss that is not finite comes from: the first stage holding a parameter or
    /// buffer that is not finite, else the head when its logits are not, else the loss module whose
    /// own value is not.
    func nonFiniteSource(_ output: PipelineOutput) -> String {
        func finite(_ tensor: Tensor) -> Bool { tensor.withScalars { $0.allSatisfy(\.isFinite) } }
        for stage in pipeline.stages {
            let state = stage.instance.namedParameters + stage.instance.namedBuffers
            if let (name, _) = state.first(where: { !finite($0.1) }) {
                return "in \(stage.name) (\(stage.descriptor.name)): \(stage.name).\(name) holds values that are not finite"
            }
        }
        if !finite(output.logits) {
            return "in \(pipeline.head.name) (\(pipeline.head.descriptor.name)) or before it: the logits are not finite"
        }
        if let (name, value) = output.losses.first(where: { !finite($0.1) }),
           let stage = pipeline.losses.first(where: { $0.name == name }) {
            return "in \(name) (\(stage.descriptor.name)): it gave \(value.item) for finite logits"
        }
        return "in the weighted sum of the losses"
    }
}
