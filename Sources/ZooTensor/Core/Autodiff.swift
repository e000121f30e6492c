/// One recorded op: its inputs and its derivative rule.
///
/// `rule(upstream, needs)` returns the gradient of the objective with respect to each input,
/// given the gradient with respect to the op's output; it may return `nil` where `needs[i]` is false.
public final class GradientNode {
    public let op: String
    public let inputs: [Tensor]
    let rule: (Tensor, [Bool]) -> [Tensor?]

    init(op: String, inputs: [Tensor], rule: @escaping (Tensor, [Bool]) -> [Tensor?]) {
        self.op = op
        self.inputs = inputs
        self.rule = rule
    }
}

/// Whether ops record the graph. Off inside `withoutGradients` and during `backward()`.
public enum GradientMode {
    @TaskLocal public static var isEnabled = true
}

/// Runs `body` without recording gradients (PyTorch's `torch.no_grad()`).
public func withoutGradients<R>(_ body: () throws -> R) rethrows -> R {
    try GradientMode.$isEnabled.withValue(false, operation: body)
}

extension Tensor {
    /// Attaches `rule` to `result` when gradients are being recorded and an input needs them.
    /// Every op calls this once with its own derivative rule: the one place that rule lives.
    @discardableResult
    static func record(
        _ result: Tensor, op: String, inputs: [Tensor],
        rule: @escaping (_ upstream: Tensor, _ needs: [Bool]) -> [Tensor?]
    ) -> Tensor {
        guard GradientMode.isEnabled, inputs.contains(where: { $0.requiresGrad }) else { return result }
        result.requiresGrad = true
        result.gradientNode = GradientNode(op: op, inputs: inputs, rule: rule)
        return result
    }

    /// Records an op computed outside ZooTensor (a plug-in module, a foreign function) so that
    /// gradients flow through it: `rule(upstream, needs)` returns the gradient of each input.
    /// Returns `result`, which must be a fresh tensor that nothing else has recorded.
    @discardableResult
    public static func recordCustom(
        _ result: Tensor, op: String, inputs: [Tensor],
        rule: @escaping (_ upstream: Tensor, _ needs: [Bool]) -> [Tensor?]
    ) -> Tensor {
        precondition(result.gradientNode == nil, "[\(op)] result already has a recorded op")
        return record(result, op: op, inputs: inputs, rule: rule)
    }

    /// Back-propagates from this tensor: leaves that require gradients get `grad` added to
    /// (gradients accumulate across calls until cleared, as in PyTorch).
    ///
    /// - Parameter seed: the gradient of the objective with respect to this tensor;
    ///   defaults to 1 for a one-element tensor.
    public func backward(seed: Tensor? = nil) {
        precondition(seed != nil || count == 1,
                     "[backward] tensor of shape \(shape) is not a scalar: pass a seed gradient")
        if let seed {
            precondition(seed.shape == shape, "[backward] seed of shape \(seed.shape) for tensor of shape \(shape)")
        }
        let start = seed ?? Tensor(repeating: 1, shape: shape)
        guard requiresGrad else { return }
        guard gradientNode != nil else {
            accumulateLeafGradient(start)
            return
        }
        let order = topologicalOrder()
        var pending: [ObjectIdentifier: Tensor] = [ObjectIdentifier(self): start]
        withoutGradients {
            for tensor in order.reversed() {
                guard let node = tensor.gradientNode,
                      let upstream = pending.removeValue(forKey: ObjectIdentifier(tensor)) else { continue }
                let needs = node.inputs.map { $0.requiresGrad }
                let gradients = node.rule(upstream, needs)
                for (input, gradient) in zip(node.inputs, gradients) where input.requiresGrad {
                    guard let gradient else { continue }
                    precondition(gradient.shape == input.shape,
                                 "[backward] rule of \(node.op) gave gradient \(gradient.shape) for input \(input.shape)")
                    if input.gradientNode == nil {
                        input.accumulateLeafGradient(gradient)
                    } else if let existing = pending[ObjectIdentifier(input)] {
                        pending[ObjectIdentifier(input)] = existing + gradient
                    } else {
                        pending[ObjectIdentifier(input)] = gradient
                    }
                }
            }
        }
    }

    private func accumulateLeafGradient(_ gradient: Tensor) {
        if let grad {
            OpTimer.measure(.elementwise) {
    grad.withMutableScalars { target in
                    gradient.withScalars { source in
                        for index in 0..<target.count { target[index] += source[index] }
                    }
                }
            }
        } else {
            grad = gradient.copied()   // owned: clipping or zeroing in place never touches another tensor
        }
    }

    /// Tensors with recorded nodes reachable from this one, inputs before the ops that use them.
    private func topologicalOrder() -> [Tensor] {
        var order: [Tensor] = []
        var visited = Set<ObjectIdentifier>()
        var stack: [(Tensor, Bool)] = [(self, false)]
        while let (tensor, expanded) = stack.popLast() {
            if expanded {
                order.append(tensor)
                continue
            }
            guard let node = tensor.gradientNode, visited.insert(ObjectIdentifier(tensor)).inserted else { continue }
            stack.append((tensor, true))
            for input in node.inputs where input.gradientNode != nil && !visited.contains(ObjectIdentifier(input)) {
                stack.append((input, false))
            }
        }
        return order
    }
}
