import ZooPluginKit

/// `mlp`: a multilayer perceptron feature extractor, the ZooNN `MLP` with an activation after
/// every layer (the features are the last hidden layer's activations).
///
/// Shape: `[B, in_dim]` (or `[B, …]` whose trailing extents multiply to `in_dim`, flattened) →
/// `[B, hidden.last]`. Keys `fc1.weight`, `fc1.bias`, `fc2.weight`, …
final class MLPBackbone: Backbone {
    struct Configuration: Decodable {
        var in_dim: Int
        var hidden: [Int]
        var activation: Activation
        var pretrained: String?
        var pretrained_strict: Bool
    }

    static let name = "mlp"
    static let summary = "multilayer perceptron: [B, in_dim] -> features [B, hidden.last]"
    static let documentation = """
        Linear layers fc1, fc2, ... of widths in_dim -> hidden[0] -> ... -> hidden[last], each followed by \
        the activation (relu or gelu), including the last: the features are the last hidden layer. \
        Input: [B, in_dim] float32, or [B, ...] whose trailing extents multiply to in_dim (flattened, \
        e.g. images [B, 1, 28, 28] with in_dim 784). Output: features [B, D], D = hidden[last] \
        (default 512). Parameters fc<i>.weight [out, in] and fc<i>.bias [out], as PyTorch's nn.Linear. \
        pretrained: a safetensors file with these keys.
        """
    static let configurationSchema = """
        {"type": "object",
         "properties": {
           "in_dim": {"type": "integer", "minimum": 1, "description": "input features", "x-zoo-from": "input.features"},
           "hidden": {"type": "array", "items": {"type": "integer", "minimum": 1}, "default": [512, 512],
                      "description": "widths of the layers; the last is the feature dimension D"},
           "activation": {"type": "string", "enum": ["relu", "gelu"], "default": "relu"},
           \(PretrainedSchema.properties)
         },
         "required": ["in_dim"],
         "additionalProperties": false}
        """

    let network: MLP
    let inputDimension: Int
    var module: Module { network }

    init(configuration: Configuration, host: PluginHost) throws {
        guard !configuration.hidden.isEmpty else {
            throw PluginError.invalidConfiguration("mlp: hidden needs at least one width, got []")
        }
        guard configuration.activation == .relu || configuration.activation == .gelu else {
            throw PluginError.invalidConfiguration("mlp: activation must be relu or gelu, got \(configuration.activation.rawValue)")
        }
        inputDimension = configuration.in_dim
        network = MLP(widths: [configuration.in_dim] + configuration.hidden, activation: configuration.activation,
                      activateLast: true, random: RandomSource(seed: host.seed))
        try Pretrained.load(configuration.pretrained, strict: configuration.pretrained_strict, into: network, name: Self.name)
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
