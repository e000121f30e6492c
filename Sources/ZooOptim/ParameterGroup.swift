import ZooTensor

/// A set of parameters that an optimiser updates with the same hyperparameters.
///
/// Groups give parts of a model their own learning rate and weight decay, as PyTorch's
/// parameter groups do: a BatchFormer module trained at a tenth of the backbone's rate, or
/// norms and biases in a group without weight decay.
///
/// ```swift
/// let optimizer = SGD(
///     groups: [
///         ParameterGroup(parameters: backboneWeights),
///         ParameterGroup(parameters: normsAndBiases, weightDecay: 0),
///         ParameterGroup(parameters: batchFormer.parameters, learningRateMultiplier: 0.1),
///     ],
///     learningRate: 0.1, momentum: 0.9, weightDecay: 5e-4)
/// ```
public struct ParameterGroup: Sendable {
    /// The parameters, updated in place; each may appear in only one group of an optimiser.
    public var parameters: [Tensor]
    /// The group's learning rate is the optimiser's `learningRate` times this factor, so that a
    /// schedule that sets the optimiser's rate moves every group in proportion.
    public var learningRateMultiplier: Float = 1
    /// The group's weight decay; `nil` uses the optimiser's default.
    public var weightDecay: Float?

    public init(parameters: [Tensor], learningRateMultiplier: Float = 1, weightDecay: Float? = nil) {
        self.parameters = parameters
        self.learningRateMultiplier = learningRateMultiplier
        self.weightDecay = weightDecay
    }
}
