import ZooTensor

/// Updates parameters in place from their accumulated gradients.
///
/// A training step is `optimizer.zeroGradients()`, a forward and backward pass, then
/// `optimizer.step()`. Parameters keep their identity: an optimiser writes into their storage
/// and never replaces a tensor, so every module that holds a parameter sees the update.
public protocol Optimizer: AnyObject {
    /// The base learning rate; each group uses it times its `learningRateMultiplier`.
    /// Schedules set it between steps.
    var learningRate: Float { get set }
    /// Applies one update to every parameter that has a gradient; parameters whose `grad` is
    /// `nil` are skipped and their state is left as it was (as in PyTorch).
    func step()
    /// Sets `grad = nil` on every parameter (PyTorch's `zero_grad(set_to_none=True)`).
    func zeroGradients()
}

/// The parameter groups and per-parameter state slots that the optimisers share.
struct GroupedParameters<State: AnyObject> {
    private(set) var groups: [ParameterGroup] = []
    /// `states[group][parameter]`, created on the parameter's first update.
    var states: [[State?]] = []
    private var seen: Set<ObjectIdentifier> = []

    init(_ groups: [ParameterGroup], optimizer: String) {
        for group in groups { append(group, optimizer: optimizer) }
    }

    mutating func append(_ group: ParameterGroup, optimizer: String) {
        precondition(group.learningRateMultiplier >= 0,
                     "[\(optimizer)] invalid learning-rate multiplier \(group.learningRateMultiplier)")
        if let decay = group.weightDecay {
            precondition(decay >= 0, "[\(optimizer)] invalid weight decay \(decay) in a parameter group")
        }
        for parameter in group.parameters {
            precondition(seen.insert(ObjectIdentifier(parameter)).inserted,
                         "[\(optimizer)] a parameter of shape \(parameter.shape) appears more than once "
                             + "in the parameter groups")
        }
        groups.append(group)
        states.append([State?](repeating: nil, count: group.parameters.count))
    }

    func zeroGradients() {
        for group in groups {
            for parameter in group.parameters { parameter.grad = nil }
        }
    }

    /// The gradient of `parameter`, checked against its shape; `nil` when it has none.
    static func gradient(of parameter: Tensor, optimizer: String) -> Tensor? {
        guard let grad = parameter.grad else { return nil }
        precondition(grad.count == parameter.count,
                     "[\(optimizer)] gradient of shape \(grad.shape) for a parameter of shape \(parameter.shape)")
        return grad
    }
}

/// A float buffer of optimiser state (momentum, moments), allocated once and zeroed.
final class StateBuffer {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    init(count: Int) {
        self.count = count
        pointer = .allocate(capacity: Swift.max(count, 1))
        pointer.initialize(repeating: 0, count: count)
    }

    deinit { pointer.deallocate() }
}
