import ZooPluginKit

/// `mlp`: a multilayer perceptron feature extractor, the ZooNN `MLP` with an activation after
/// every layer (the features are the last hidden layer's activations).
///
/// Shape: `[B, in_dim]` (or `[B, …]` whose trailing extents multiply to `in_dim`, flattened) →
/// `[B, hidden.last]`. Keys `fc1.weight`, `fc1.bias`, `fc2.weight`, …
final class MLPBackbone: Backbone {
    struct Configuration: PluginConfiguration {
        @Key("in_dim", minimum: 1, "input features", from: .inputFeatures) var inDim: Int
        @Key("hidden", minimum: 1, "widths of the layers; the last is the feature dimension D") var hidden = [512, 512]
        @Key("activation", oneOf: ["relu", "gelu"]) var activation = "relu"
        var pretrained = PretrainedKeys()
    }

    static let name = "mlp"
    static let examples = [ModuleExample(#"{"in_dim": 20, "hidden": [32, 16]}"#)]
    static let summary = "multilayer perceptron: [B, in_dim] -> features [B, hidden.last]"
    static let documentation = """
        Linear layers fc1, fc2, ... of widths in_dim -> hidden[0] -> ... -> hidden[last], each followed by \
        the activation (relu or gelu), including the last: the features are the last hidden layer. \
        Input: [B, in_dim] float32, or [B, ...] whose trailing extents multiply to in_dim (flattened, \
        e.g. images [B, 1, 28, 28] with in_dim 784). Output: features [B, D], D = hidden[last] \
        (default 512). Parameters fc<i>.weight [out, in] and fc<i>.bias [out], as PyTorch's nn.Linear. \
        pretrained: a safetensors file with these keys.
        """
    let network: MLP
    let inputDimension: Int
    var module: Module { network }

    init(configuration: Configuration, host: PluginHost) throws {
        guard !configuration.hidden.isEmpty else {
            throw PluginError.invalidConfiguration("mlp: hidden needs at least one width, got []")
        }
        guard let activation = Activation(rawValue: configuration.activation) else {
            throw PluginError.invalidConfiguration("mlp: activation must be relu or gelu, got \(configuration.activation)")
        }
        inputDimension = configuration.inDim
        network = MLP(widths: [configuration.inDim] + configuration.hidden, activation: activation,
                      activateLast: true, random: RandomSource(seed: host.seed))
        try Pretrained.load(configuration.pretrained, into: network, name: Self.name)
    }

    var featureDimension: Int { network.layers.last!.weight.shape[0] }

    func outputShape(for inputShape: [Int]) throws -> [Int] {
        guard inputShape.count >= 2, inputShape[0] >= 1, inputShape.dropFirst().reduce(1, *) == inputDimension else {
            throw PluginError.shape("mlp: expected [B, \(inputDimension)] (or [B, ...] of \(inputDimension) features), got \(inputShape)")
        }
        return [inputShape[0], featureDimension]
    }

    func forward(_ input: Tensor) throws -> Tensor {
        network(input.rank == 2 ? input : input.reshaped([input.shape[0], inputDimension]))
    }
}
