import ZooPluginKit

/// The configuration shared by BatchFormer V1 and V2.
struct BatchFormerConfiguration: PluginConfiguration {
    /// The feature (V1) or channel (V2) width: the transformer's d_model.
    @Key("dim", minimum: 1, "feature width D (V1) or channels C (V2): the encoder's d_model", from: .inputFeatures)
    var dim: Int
    @Key("heads", minimum: 1, "attention heads; must divide dim") var heads = 4
    /// The feed-forward width; nil means `dim`.
    @Key("ffn_dim", minimum: 1, "feed-forward width (default: dim)") var ffnDim: Int?
    @Key("dropout", minimum: 0, exclusiveMaximum: 1,
         "dropout on the attention weights, after attention, inside and after the feed-forward block")
    var dropout: Float = 0.5
    @Key("layers", minimum: 1, "encoder layers applied one after another") var layers = 1
    @Key("activation", oneOf: ["relu", "gelu"], "the feed-forward activation") var activation = "relu"
}

/// One or more post-norm `TransformerEncoderLayer`s applied in sequence-first layout `[L, N, E]`,
/// named as PyTorch names them: the layer's own keys for one layer, `layers.<i>.` in front for more.
struct EncoderStack {
    let layers: [TransformerEncoderLayer]
    let dim: Int

    init(_ configuration: BatchFormerConfiguration, host: PluginHost, module: String) throws {
        let c = configuration
        guard c.dim % c.heads == 0 else {
            throw PluginError.invalidConfiguration("\(module): heads (\(c.heads)) must be >= 1 and divide dim (\(c.dim))")
        }
        let ffn = c.ffnDim ?? c.dim
        guard let activation = Activation(rawValue: c.activation) else {
            throw PluginError.invalidConfiguration("\(module): activation must be \"relu\" or \"gelu\", got \"\(c.activation)\"")
        }
        let random = RandomSource(seed: host.seed)
        layers = (0..<c.layers).map { _ in
            TransformerEncoderLayer(dModel: c.dim, heads: c.heads, feedForward: ffn, dropout: c.dropout,
                                    activation: activation, random: random)
        }
        dim = c.dim
    }

    var namedChildren: [(String, Module)] {
        if layers.count == 1 { return layers[0].namedChildren }
        return layers.enumerated().map { ("layers.\($0.offset)", $0.element) }
    }

    /// `[L, N, E]` → `[L, N, E]`: attention along L, independently for each of the N sequences.
    func callAsFunction(_ x: Tensor) -> Tensor {
        layers.reduce(x) { $1($0) }
    }
}

/// BatchFormer V1: the samples of the batch attend to each other.
final class BatchFormerV1: Module, BatchRelation {
    typealias Configuration = BatchFormerConfiguration

    static let name = "batchformer-v1"
    static let examples = [ModuleExample(#"{"dim": 16, "heads": 2}"#)]
    static let summary = "BatchFormer V1: a transformer encoder across the samples of the batch (two-stream, training only)"
    static let documentation = """
        Input: features [B, D] (float32, D = dim). The B samples of the mini-batch form ONE sequence of B tokens \
        and pass through `layers` post-norm transformer encoder layers (torch.nn.TransformerEncoderLayer: \
        self-attention across the batch, then a feed-forward block of width ffn_dim, each with a residual \
        connection and LayerNorm; dropout in PyTorch's four places; no positional encoding, no mask). \
        Batch and labels: in training the output is concat([x, BatchFormer(x)], axis 0), shape [2B, D]; the batch \
        doubles and the host duplicates the labels (concat([y, y])) so that one shared head and one loss see both \
        streams and gradients reach the backbone through both. In evaluation the module is not run (training only): \
        the head sees the features alone and inference costs what the plain model costs. Parameters carry \
        PyTorch's state_dict names (self_attn.in_proj_weight, ..., norm2.bias), with layers.<i>. in front when \
        layers > 1. Its learning rate is often set to a tenth of the network's.
        """

    let stack: EncoderStack

    init(configuration: Configuration, host: PluginHost) throws {
        stack = try EncoderStack(configuration, host: host, module: Self.name)
        super.init()
    }

    override var namedChildren: [(String, Module)] { stack.namedChildren }

    func outputShape(for inputShape: [Int]) throws -> [Int] {
        guard inputShape.count == 2, inputShape[0] >= 1, inputShape[1] == stack.dim else {
            throw PluginError.shape("\(Self.name): expected features [B, \(stack.dim)] with B >= 1, got \(inputShape)")
        }
        return inputShape
    }

    func forward(_ input: Tensor) throws -> Tensor {
        // [B, D] → one sequence of B tokens: [L = B, N = 1, E = D].
        stack(input.unsqueezed(1)).reshaped(input.shape)
    }
}

/// BatchFormer V2: the samples of the batch attend to each other at every spatial position.
final class BatchFormerV2: Module, BatchRelation {
    typealias Configuration = BatchFormerConfiguration

    static let name = "batchformer-v2"
    static let examples = [ModuleExample(#"{"dim": 8, "heads": 2}"#, inputs: [[4, 8, 3, 3]])]
    static let summary = "BatchFormer V2: a transformer encoder across the batch at every spatial position or token (two-stream, training only)"
    static let documentation = """
        Input: a dense map [B, C, H, W] (channels C = dim), or tokens [B, N, C], or features [B, C]. At every \
        spatial position (every token) the B samples form one sequence: H*W (or N) independent sequences of \
        length B pass through `layers` post-norm transformer encoder layers (torch.nn.TransformerEncoderLayer, \
        d_model = C, attention along the batch axis, no positional encoding, no mask). The output has the input's \
        layout. Batch and labels: in training the output is concat([x, BatchFormerV2(x)], axis 0), the batch \
        doubles and the host duplicates the labels, so the shared layers after it see both streams; in evaluation \
        the module is not run (training only). Parameters carry PyTorch's state_dict names, with layers.<i>. in \
        front when layers > 1.
        """

    let stack: EncoderStack

    init(configuration: Configuration, host: PluginHost) throws {
        stack = try EncoderStack(configuration, host: host, module: Self.name)
        super.init()
    }

    override var namedChildren: [(String, Module)] { stack.namedChildren }

    func outputShape(for inputShape: [Int]) throws -> [Int] {
        let channels: Int?
        switch inputShape.count {
        case 2, 4: channels = inputShape[1]
        case 3: channels = inputShape[2]
        default: channels = nil
        }
        guard let channels, channels == stack.dim, inputShape[0] >= 1, inputShape.allSatisfy({ $0 >= 1 }) else {
            throw PluginError.shape("\(Self.name): expected a dense map [B, \(stack.dim), H, W], tokens [B, N, \(stack.dim)] "
                                    + "or features [B, \(stack.dim)] with non-zero extents, got \(inputShape)")
        }
        return inputShape
    }

    func forward(_ input: Tensor) throws -> Tensor {
        switch input.rank {
        case 4:
            // [B, C, H, W] → [L = B, N = H·W, E = C] → back.
            let (b, c, h, w) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
            let sequences = input.permuted([0, 2, 3, 1]).reshaped([b, h * w, c])
            return stack(sequences).reshaped([b, h, w, c]).permuted([0, 3, 1, 2])
        case 3:
            // Tokens [B, N, C] are already [L = B, N, E = C].
            return stack(input)
        default:
            return stack(input.unsqueezed(1)).reshaped(input.shape)
        }
    }
}
