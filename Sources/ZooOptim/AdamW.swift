import Foundation
import ZooTensor

/// Adam with decoupled weight decay, with the semantics of `torch.optim.AdamW`.
///
/// For each parameter `p` with gradient `g`, at its `t`-th update (t counts the updates of that
/// parameter, from 1), with the group's learning rate `lr` and weight decay `wd`:
///
///     p *= 1 − lr·wd
///     m = β₁·m + (1 − β₁)·g
///     v = β₂·v + (1 − β₂)·g²
///     v̂ = amsgrad ? (vmax = max(vmax, v)) : v
///     denom = sqrt(v̂) / sqrt(1 − β₂ᵗ) + ε
///     p −= lr / (1 − β₁ᵗ) · m / denom
///
/// The scalar factors are computed in double precision and the element-wise arithmetic in
/// single precision, in PyTorch's order. The betas are doubles for that reason: PyTorch keeps
/// them as Python floats, and `1 − β` and `βᵗ` of a single-precision β differ from theirs.
public final class AdamW: Optimizer {
    public var learningRate: Float
    public let betas: (Double, Double)
    public let epsilon: Float
    /// The weight decay of groups that do not set their own.
    public let weightDecay: Float
    /// Normalise by the running maximum of the second moment (AMSGrad).
    public let amsgrad: Bool

    final class State {
        var step = 0
        let firstMoment: StateBuffer
        let secondMoment: StateBuffer
        let maxSecondMoment: StateBuffer?

        init(count: Int, amsgrad: Bool) {
            firstMoment = StateBuffer(count: count)
            secondMoment = StateBuffer(count: count)
            maxSecondMoment = amsgrad ? StateBuffer(count: count) : nil
        }

        init(firstMoment: StateBuffer, secondMoment: StateBuffer, maxSecondMoment: StateBuffer?) {
            (self.firstMoment, self.secondMoment, self.maxSecondMoment) = (firstMoment, secondMoment, maxSecondMoment)
        }
    }

    var parameters: GroupedParameters<State>

    /// The parameter groups, in the order given.
    public var groups: [ParameterGroup] { parameters.groups }

    public init(
        groups: [ParameterGroup], learningRate: Float = 1e-3, betas: (Double, Double) = (0.9, 0.999),
        epsilon: Float = 1e-8, weightDecay: Float = 1e-2, amsgrad: Bool = false
    ) {
        precondition(learningRate >= 0, "[AdamW] invalid learning rate \(learningRate)")
        precondition(epsilon >= 0, "[AdamW] invalid epsilon \(epsilon)")
        precondition((0..<1).contains(betas.0), "[AdamW] invalid beta parameter at index 0: \(betas.0)")
        precondition((0..<1).contains(betas.1), "[AdamW] invalid beta parameter at index 1: \(betas.1)")
        precondition(weightDecay >= 0, "[AdamW] invalid weight decay \(weightDecay)")
        self.learningRate = learningRate
        self.betas = betas
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.amsgrad = amsgrad
        parameters = GroupedParameters(groups, optimizer: "AdamW")
    }

    /// One group holding `parameters`.
    public convenience init(
        parameters: [Tensor], learningRate: Float = 1e-3, betas: (Double, Double) = (0.9, 0.999),
        epsilon: Float = 1e-8, weightDecay: Float = 1e-2, amsgrad: Bool = false
    ) {
        self.init(groups: [ParameterGroup(parameters: parameters)], learningRate: learningRate,
                  betas: betas, epsilon: epsilon, weightDecay: weightDecay, amsgrad: amsgrad)
    }

    /// Adds a group (PyTorch's `add_param_group`); its parameters must be new to this optimiser.
    public func addGroup(_ group: ParameterGroup) {
        parameters.append(group, optimizer: "AdamW")
    }

    public func zeroGradients() { parameters.zeroGradients() }

    public func step() {
        OpTimer.measure(.optimizer) { update() }
    }

    private func update() {
        for groupIndex in parameters.groups.indices {
            let group = parameters.groups[groupIndex]
            let lr = Double(learningRate) * Double(group.learningRateMultiplier)
            let decay = Double(group.weightDecay ?? weightDecay)
            for (index, parameter) in group.parameters.enumerated() {
                guard let grad = GroupedParameters<State>.gradient(of: parameter, optimizer: "AdamW")
                else { continue }
                let state: State
                if let existing = parameters.states[groupIndex][index] {
                    state = existing
                } else {
                    state = State(count: parameter.count, amsgrad: amsgrad)
                    parameters.states[groupIndex][index] = state
                }
                state.step += 1
                update(parameter, grad: grad, state: state, lr: lr, decay: decay)
            }
        }
    }

    private func update(_ parameter: Tensor, grad: Tensor, state: State, lr: Double, decay: Double) {
        let t = Double(state.step)
        let factors = AdamKernel.Factors(
            shrink: decay == 0 ? nil : Float(1 - lr * decay),
            firstMomentWeight: Float(1 - betas.0),
            beta2: Float(betas.1),
            secondMomentWeight: Float(1 - betas.1),
            biasCorrection2Root: Float((1 - pow(betas.1, t)).squareRoot()),
            epsilon: epsilon,
            negativeStepSize: Float(-(lr / (1 - pow(betas.0, t)))))
        parameter.withMutableScalars { p in
            grad.withScalars { g in
                guard let p = p.baseAddress, let g = g.baseAddress else { return }
                AdamKernel.step(
                    parameter: p, gradient: g, firstMoment: state.firstMoment.pointer,
                    secondMoment: state.secondMoment.pointer, maxSecondMoment: state.maxSecondMoment?.pointer,
                    count: parameter.count, factors: factors)
            }
        }
    }
}

extension AdamW: StatefulOptimizer {
    var stateKeys: [String] { ["step", "exp_avg", "exp_avg_sq"] + (amsgrad ? ["max_exp_avg_sq"] : []) }

    /// `step` (a scalar), `exp_avg`, `exp_avg_sq` and, with AMSGrad, `max_exp_avg_sq`.
    public func state(of parameter: Tensor) -> [String: Tensor] {
        guard let (group, index) = parameters.position(of: parameter),
              let state = parameters.states[group][index] else { return [:] }
        var tensors = ["step": Tensor(Float(state.step)),
                       "exp_avg": state.firstMoment.tensor(shape: parameter.shape),
                       "exp_avg_sq": state.secondMoment.tensor(shape: parameter.shape)]
        tensors["max_exp_avg_sq"] = state.maxSecondMoment?.tensor(shape: parameter.shape)
        return tensors
    }

    public func setState(_ tensors: [String: Tensor], of parameter: Tensor) throws(OptimizerStateError) {
        let (group, index) = try parameters.requirePosition(of: parameter, optimizer: "AdamW")
        try GroupedParameters<State>.checkKeys(tensors, stateKeys, parameter: parameter, optimizer: "AdamW")
        guard let step = tensors["step"] else {
            parameters.states[group][index] = nil
            return
        }
        guard step.count == 1, step.item >= 1, step.item == step.item.rounded(), step.item <= 16_777_216 else {
            throw OptimizerStateError("[AdamW] step must be one whole number from 1 to 2^24, found \(step.count == 1 ? "\(step.item)" : "shape \(step.shape)")")
        }
        func buffer(_ key: String) throws(OptimizerStateError) -> StateBuffer {
            try StateBuffer.copying(tensors[key]!, key: key, parameter: parameter, optimizer: "AdamW")
        }
        let state = State(firstMoment: try buffer("exp_avg"), secondMoment: try buffer("exp_avg_sq"),
                          maxSecondMoment: amsgrad ? try buffer("max_exp_avg_sq") : nil)
        state.step = Int(step.item)
        parameters.states[group][index] = state
    }
}
