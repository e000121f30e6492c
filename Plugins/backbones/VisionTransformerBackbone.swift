import ZooPluginKit

/// `vit`: a small Vision Transformer; features are the class token's `[B, dim]`, or the whole
/// token set `[B, N+1, dim]` with `output: "tokens"` (for BatchFormer V2).
final class VisionTransformerBackbone: Backbone {
    struct Configuration: PluginConfiguration {
        @Key("image_size", minimum: 1) var imageSize = 32
        @Key("patch_size", minimum: 1) var patchSize = 4
        @Key("in_channels", minimum: 1, from: .inputChannels) var inChannels = 3
        @Key("dim", minimum: 1, "token width; the feature dimension D") var dim = 192
        @Key("depth", minimum: 1, "encoder layers (6 tiny-like, 12 base-like)") var depth = 6
        @Key("heads", minimum: 1) var heads = 3
        @Key("mlp_dim", minimum: 1, "feed-forward width; null: 4 * dim") var mlpDim: Int? = nil
        @Key("dropout", minimum: 0, maximum: 1) var dropout: Float = 0
        @Key("output", oneOf: ["cls", "tokens"], "cls: the class token's features [B, dim]; tokens: [B, N+1, dim]")
        var output = "cls"
        var pretrained = PretrainedKeys()
    }

    static let name = "vit"
    static let examples = [ModuleExample(#"{"image_size": 32, "patch_size": 8, "dim": 32, "depth": 2, "heads": 2}"#, inputs: [[4, 3, 32, 32]])]
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
    let network: VisionTransformer
    let configuration: Configuration
    var module: Module { network }

    init(configuration: Configuration, host: PluginHost) throws {
        let c = configuration
        guard c.imageSize % c.patchSize == 0 else {
            throw PluginError.invalidConfiguration(
                "vit: image_size \(c.imageSize) must be a positive multiple of patch_size \(c.patchSize)")
        }
        guard c.dim % c.heads == 0 else {
            throw PluginError.invalidConfiguration("vit: dim \(c.dim) must be divisible by heads \(c.heads)")
        }
        self.configuration = c
        network = VisionTransformer(
            imageSize: c.imageSize, patchSize: c.patchSize, inputChannels: c.inChannels, dimension: c.dim,
            depth: c.depth, heads: c.heads, feedForward: c.mlpDim ?? 4 * c.dim, dropout: c.dropout,
            random: RandomSource(seed: host.seed))
        try Pretrained.load(c.pretrained, into: network, name: Self.name)
    }

    func outputShape(for inputShape: [Int]) throws -> [Int] {
        let (channels, side) = (configuration.inChannels, configuration.imageSize)
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
