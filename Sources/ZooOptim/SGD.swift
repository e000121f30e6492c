import ZooTensor

/// Stochastic gradient descent with optional momentum, dampening, weight decay and Nesterov
/// momentum, with the semantics of `torch.optim.SGD`.
///
/// For each parameter `p` with gradient `grad`, with the group's learning rate `lr` and
/// weight decay `wd`:
///
///     g = grad + wd·p
///     if momentum ≠ 0:
///         buf = g                                 on the parameter's first update
///         buf = momentum·buf + (1 − dampening)·g  after that
///         g = nesterov ? g + momentum·buf : buf
///     p −= lr·g
///
/// The gradient itself is not modified.
public final class SGD: Optimizer {
    public var learningRate: Float
    public let momentum: Float
    public let dampening: Float
    /// The weight decay of groups that do not set their own.
    public let weightDecay: Float
    public let nesterov: Bool

    var parameters: GroupedParameters<StateBuffer>

    /// The parameter groups, in the order given.
    public var groups: [ParameterGroup] { parameters.groups }

    public init(
        groups: [ParameterGroup], learningRate: Float, momentum: Float = 0, dampening: Float = 0,
        weightDecay: Float = 0, nesterov: Bool = false
    ) {
        precondition(learningRate >= 0, "[SGD] invalid learning rate \(learningRate)")
        precondition(momentum >= 0, "[SGD] invalid momentum \(momentum)")
        precondition(weightDecay >= 0, "[SGD] invalid weight decay \(weightDecay)")
        precondition(!nesterov || (momentum > 0 && dampening == 0),
                     "[SGD] Nesterov momentum requires a momentum and zero dampening "
                         + "(got momentum \(momentum), dampening \(dampening))")
        self.learningRate = learningRate
        self.momentum = momentum
        self.dampening = dampening
        self.weightDecay = weightDecay
        self.nesterov = nesterov
        parameters = GroupedParameters(groups, optimizer: "SGD")
    }

    /// One group holding `parameters`.
    public convenience init(
        parameters: [Tensor], learningRate: Float, momentum: Float = 0, dampening: Float = 0,
        weightDecay: Float = 0, nesterov: Bool = false
    ) {
        self.init(groups: [ParameterGroup(parameters: parameters)], learningRate: learningRate,
                  momentum: momentum, dampening: dampening, weightDecay: weightDecay, nesterov: nesterov)
    }

    /// Adds a group (PyTorch's `add_param_group`); its parameters must be new to this optimiser.
    public func addGroup(_ group: ParameterGroup) {
        parameters.append(group, optimizer: "SGD")
    }

    public func zeroGradients() { parameters.zeroGradients() }

    public func step() {
        OpTimer.measure(.optimizer) { update() }
    }

    private func update() {
        for groupIndex in parameters.groups.indices {
            let group = parameters.groups[groupIndex]
            let factors = SGDKernel.Factors(
                learningRate: Float(Double(learningRate) * Double(group.learningRateMultiplier)),
                weightDecay: group.weightDecay ?? weightDecay, momentum: momentum,
                keep: Float(1 - Double(dampening)), nesterov: nesterov)
            for (index, parameter) in group.parameters.enumerated() {
                guard let grad = GroupedParameters<StateBuffer>.gradient(of: parameter, optimizer: "SGD")
                else { continue }
                var buffer: StateBuffer?
                var firstStep = false
                if momentum != 0 {
                    if let existing = parameters.states[groupIndex][index] {
                        buffer = existing
                    } else {
                        let created = StateBuffer(count: parameter.count)
                        parameters.states[groupIndex][index] = created
                        buffer = created
                        firstStep = true
                    }
                }
                parameter.withMutableScalars { p in
                    grad.withScalars { g in
                        guard let p = p.baseAddress, let g = g.baseAddress else { return }
                        SGDKernel.step(parameter: p, gradient: g, buffer: buffer?.pointer, firstStep: firstStep,
                                       count: parameter.count, factors: factors)
                    }
                }
            }
        }
    }
}

extension SGD: StatefulOptimizer {
    /// `momentum_buffer`, once the parameter has been updated with a momentum.
    public func state(of parameter: Tensor) -> [String: Tensor] {
        guard let (group, index) = parameters.position(of: parameter),
              let buffer = parameters.states[group][index] else { return [:] }
        return ["momentum_buffer": buffer.tensor(shape: parameter.shape)]
    }

    public func setState(_ state: [String: Tensor], of parameter: Tensor) throws(OptimizerStateError) {
        let (group, index) = try parameters.requirePosition(of: parameter, optimizer: "SGD")
        try GroupedParameters<StateBuffer>.checkKeys(state, ["momentum_buffer"], parameter: parameter, optimizer: "SGD")
        parameters.states[group][index] = try state["momentum_buffer"].map { tensor throws(OptimizerStateError) in
            try StateBuffer.copying(tensor, key: "momentum_buffer", parameter: parameter, optimizer: "SGD")
        }
    }
}
