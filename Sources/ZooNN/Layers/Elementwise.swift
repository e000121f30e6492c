import ZooTensor

/// Zeroes elements with probability `probability` in training and rescales the rest, as `nn.Dropout`.
public final class Dropout: Layer {
    public let probability: Float
    private let random: RandomSource

    public init(_ probability: Float = 0.5, random: RandomSource) {
        precondition(probability >= 0 && probability <= 1, "[Dropout] probability \(probability) outside [0, 1]")
        self.probability = probability
        self.random = random
    }

    /// Restarts the generator this layer draws its masks from.
    func restart(seed: UInt64) { random.generator = RandomGenerator(seed: seed) }

    public override func forward(_ input: Tensor) -> Tensor {
        input.dropout(probability: probability, training: isTraining, generator: &random.generator)
    }
}

/// The activations a layer can be configured with.
public enum Activation: String, Sendable, Codable, CaseIterable {
    case relu, gelu, tanh, sigmoid, identity

    public func callAsFunction(_ x: Tensor) -> Tensor {
        switch self {
        case .relu: x.relu()
        case .gelu: x.gelu()
        case .tanh: x.tanh()
        case .sigmoid: x.sigmoid()
        case .identity: x
        }
    }
}

/// An activation as a layer, for `Sequential`.
public final class ActivationLayer: Layer {
    public let activation: Activation

    public init(_ activation: Activation) { self.activation = activation }

    public override func forward(_ input: Tensor) -> Tensor { activation(input) }
}

/// Layers applied in order; children are named `0`, `1`, … as in `nn.Sequential`.
public final class Sequential: Layer {
    public let layers: [Layer]

    public init(_ layers: [Layer]) { self.layers = layers }

    public override var namedChildren: [(String, Module)] {
        layers.enumerated().map { ("\($0.offset)", $0.element) }
    }

    public override func forward(_ input: Tensor) -> Tensor {
        layers.reduce(input) { $1($0) }
    }
}

/// Flattens every axis after the first: `[N, …]` → `[N, D]`.
public final class Flatten: Layer {
    public override func forward(_ input: Tensor) -> Tensor { input.reshaped([input.shape[0], -1]) }
}
