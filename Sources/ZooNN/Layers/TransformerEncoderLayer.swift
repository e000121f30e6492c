import ZooTensor

/// One transformer encoder layer, as `nn.TransformerEncoderLayer`: self-attention and a
/// feed-forward block, each with a residual connection and layer normalisation.
///
/// Post-norm (default): `x = norm1(x + dropout1(attn(x)))`, `x = norm2(x + dropout2(ff(x)))` with
/// `ff(x) = linear2(dropout(activation(linear1(x))))`. Pre-norm (`normFirst`):
/// `x = x + dropout1(attn(norm1(x)))`, `x = x + dropout2(ff(norm2(x)))`. Dropout sits in PyTorch's
/// four places: the attention weights, after attention, inside and after the feed-forward block.
///
/// Shape: `[L, N, E]`, or `[N, L, E]` with `batchFirst`.
public final class TransformerEncoderLayer: Layer {
    public let selfAttention: MultiheadAttention
    public let linear1: Linear
    public let linear2: Linear
    public let norm1: LayerNorm
    public let norm2: LayerNorm
    public let dropout: Dropout
    public let dropout1: Dropout
    public let dropout2: Dropout
    public let activation: Activation
    public let normFirst: Bool

    public init(dModel: Int, heads: Int, feedForward: Int = 2048, dropout probability: Float = 0.1,
                activation: Activation = .relu, layerNormEpsilon: Float = 1e-5, batchFirst: Bool = false,
                normFirst: Bool = false, random: RandomSource) {
        selfAttention = MultiheadAttention(embedDimension: dModel, heads: heads, dropout: probability,
                                           batchFirst: batchFirst, random: random)
        linear1 = Linear(dModel, feedForward, random: random)
        dropout = Dropout(probability, random: random)
        linear2 = Linear(feedForward, dModel, random: random)
        norm1 = LayerNorm([dModel], epsilon: layerNormEpsilon)
        norm2 = LayerNorm([dModel], epsilon: layerNormEpsilon)
        dropout1 = Dropout(probability, random: random)
        dropout2 = Dropout(probability, random: random)
        self.activation = activation
        self.normFirst = normFirst
    }

    public override var namedChildren: [(String, Module)] {
        [("self_attn", selfAttention), ("linear1", linear1), ("dropout", dropout), ("linear2", linear2),
         ("norm1", norm1), ("norm2", norm2), ("dropout1", dropout1), ("dropout2", dropout2)]
    }

    public override func forward(_ input: Tensor) -> Tensor {
        if normFirst {
            let x = input + dropout1(selfAttention(norm1(input)))
            return x + dropout2(feedForward(norm2(x)))
        }
        let x = norm1(input + dropout1(selfAttention(input)))
        return norm2(x + dropout2(feedForward(x)))
    }

    private func feedForward(_ x: Tensor) -> Tensor {
        linear2(dropout(activation(linear1(x))))
    }
}
