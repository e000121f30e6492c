import ZooPluginKit

/// `vit`: a small Vision Transformer; features are the class token's `[B, dim]`, or the whole
/// token set `[B, N+1, dim]` with `output: "tokens"` (for BatchFormer V2).
final class VisionTransformerBackbone: Backbone {
    struct Configuration: Decodable {
        var image_size: Int
        var patch_size: Int
        var in_channels: Int
        var dim: Int
        var depth: Int
        var heads: Int
        var mlp_dim: Int?
        var dropout: Float
        var output: String
        var pretrained: String?
        var pretrained_strict: Bool
    }

    static let name = "vit"
    static let summary = "small Vision Transformer (pre-norm, GELU): [B, C, S, S] -> class token [B, dim] or tokens [B, N+1, dim]"
    static let documentation = """
        Patches of patch_size x patch_size embedded by a strided convolution (patch_embed), a learned class token \
        (cls_token [1, 1, dim]) put first, a learned positional embedding (pos_embed [1, N+1, dim], \
        N = (image_size / patch_size)^2), dropout, depth pre-norm transformer encoder layers (PyTorch's \
        nn.TransformerEncoderLayer with norm_first, GELU, batch_first, dim_feedforward mlp_dim, default 4 * dim; \
        keys blocks.<i>.self_attn.in_proj_weight, blocks.<i>.linear1.weight, blocks.<i>.norm1.weight, ...), \
        and a final LayerNorm (norm). Defaults are ViT-Tiny-like for 32x32 images: dim 192, depth 6, heads 3, patch 4. \
        Input: images [B, in_channels, image_size, image_size] float32. Output: with output "cls" (default) the \
        class token's features [B, D], D = dim; with output "tokens" the token set [B, N+1, dim], the class token \
        first (for BatchFormer V2). pretrained: a safetensors file with these keys.
        """
    static let configurationSchema = """
        {"type": "object",
         "properties": {
           "image_size": {"type": "integer", "minimum": 1, "default": 32},
           "patch_size": {"type": "integer", "minimum": 1, "default": 4},
           "in_channels": {"type": "integer", "minimum": 1, "default": 3, "x-zoo-from": "input.channels"},
           "dim": {"type": "integer", "minimum": 1, "default": 192, "description": "token width; the feature dimension D"},
           "depth": {"type": "integer", "minimum": 1, "default": 6, "description": "encoder layers (6 tiny-like, 12 base-like)"},
           "heads": {"type": "integer", "minimum": 1, "default": 3},
           "mlp_dim": {"type": ["integer", "null"], "minimum": 1, "default": null, "description": "feed-forward width; null: 4 * dim"},
           "dropout": {"type": "number", "minimum": 0, "maximum": 1, "default": 0},
           "output": {"type": "string", "enum": ["cls", "tokens"], "default": "cls",
                      "description": "cls: the class token's features [B, dim]; tokens: [B, N+1, dim]"},
           \(PretrainedSchema.properties)
         },
         "additionalProperties": false}
        """

    let network: VisionTransformer
    let configuration: Configuration
    var module: Module { network }

    init(configuration: Configuration, host: PluginHost) throws {
        let c = configuration
        guard c.image_size >= 1, c.patch_size >= 1, c.image_size % c.patch_size == 0 else {
            throw PluginError.invalidConfiguration(
                "vit: image_size \(c.image_size) must be a positive multiple of patch_size \(c.patch_size)")
        }
        guard c.heads >= 1, c.dim >= 1, c.dim % c.heads == 0 else {
            throw PluginError.invalidConfiguration("vit: dim \(c.dim) must be divisible by heads \(c.heads)")
        }
        guard c.depth >= 1, c.in_channels >= 1, (c.mlp_dim ?? 1) >= 1 else {
            throw PluginError.invalidConfiguration(
                "vit: depth, in_channels and mlp_dim must be positive, got \(c.depth), \(c.in_channels), \(c.mlp_dim ?? 0)")
        }
        guard c.dropout >= 0, c.dropout <= 1 else {
            throw PluginError.invalidConfiguration("vit: dropout must lie in [0, 1], got \(c.dropout)")
        }
        guard c.output == "cls" || c.output == "tokens" else {
            throw PluginError.invalidConfiguration("vit: output must be \"cls\" or \"tokens\", got \"\(c.output)\"")
        }
        self.configuration = c
        network = VisionTransformer(
            imageSize: c.image_size, patchSize: c.patch_size, inputChannels: c.in_channels, dimension: c.dim,
            depth: c.depth, heads: c.heads, feedForward: c.mlp_dim ?? 4 * c.dim, dropout: c.dropout,
            random: RandomSource(seed: host.seed))
        try Pretrained.load(c.pretrained, strict: c.pretrained_strict, into: network, name: Self.name)
    }

    func outputShape(for inputShape: [Int]) throws -> [Int] {
        let (channels, side) = (configuration.in_channels, configuration.image_size)
        guard inputShape.count == 4, inputShape[0] >= 1, Array(inputShape.dropFirst()) == [channels, side, side] else {
            throw PluginError.shape("vit: expected images [B, \(channels), \(side), \(side)], got \(inputShape)")
        }
        return configuration.output == "tokens"
            ? [inputShape[0], network.tokenCount, configuration.dim]
            : [inputShape[0], configuration.dim]
    }

    func forward(_ input: Tensor) throws -> Tensor {
        let tokens = network(input)
        guard configuration.output == "cls" else { return tokens }
        return tokens.sliced(alongAxis: 1, 0..<1).reshaped([input.shape[0], configuration.dim])
    }
}
