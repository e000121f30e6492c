import ZooPluginKit

/// A small Vision Transformer (Dosovitskiy et al. 2021): patches embedded by a strided
/// convolution, a learned class token and positional embedding, pre-norm transformer encoder
/// layers (GELU, batch first) and a final LayerNorm.
///
/// Keys: `cls_token [1, 1, dim]`, `pos_embed [1, N+1, dim]`, `patch_embed.weight [dim, C, p, p]`,
/// `patch_embed.bias [dim]`, `blocks.<i>.self_attn.in_proj_weight`, … (PyTorch's
/// `nn.TransformerEncoderLayer` names), `norm.weight`, `norm.bias`.
///
/// Shape: `[B, C, S, S]` → tokens `[B, N+1, dim]`, `N = (S/p)²`, the class token first.
final class VisionTransformer: Layer {
    let patchEmbedding: Conv2d
    let classToken: Tensor        // [1, 1, dim]
    let positionEmbedding: Tensor // [1, N+1, dim]
    let dropout: Dropout
    let blocks: Sequential
    let norm: LayerNorm
    let dimension: Int
    let tokenCount: Int

    init(imageSize: Int, patchSize: Int, inputChannels: Int, dimension: Int, depth: Int, heads: Int,
         feedForward: Int, dropout probability: Float, random: RandomSource) {
        let patches = (imageSize / patchSize) * (imageSize / patchSize)
        self.dimension = dimension
        tokenCount = patches + 1
        patchEmbedding = Conv2d(inputChannels, dimension, kernelSize: patchSize, stride: patchSize, random: random)
        classToken = Tensor.normal([1, 1, dimension], standardDeviation: 0.02, generator: &random.generator, requiresGrad: true)
        positionEmbedding = Tensor.normal([1, patches + 1, dimension], standardDeviation: 0.02,
                                          generator: &random.generator, requiresGrad: true)
        dropout = Dropout(probability, random: random)
        blocks = Sequential((0..<depth).map { _ in
            TransformerEncoderLayer(dModel: dimension, heads: heads, feedForward: feedForward, dropout: probability,
                                    activation: .gelu, batchFirst: true, normFirst: true, random: random)
        })
        norm = LayerNorm(dimension)
    }

    override var namedLocalParameters: [(String, Tensor)] {
        [("cls_token", classToken), ("pos_embed", positionEmbedding)]
    }

    override var namedChildren: [(String, Module)] {
        [("patch_embed", patchEmbedding), ("pos_drop", dropout), ("blocks", blocks), ("norm", norm)]
    }

    /// The normalised tokens `[B, N+1, dim]`, the class token first.
    override func forward(_ input: Tensor) -> Tensor {
        let batch = input.shape[0]
        let patches = patchEmbedding(input)                                    // [B, dim, S/p, S/p]
            .reshaped([batch, dimension, tokenCount - 1]).transposed(1, 2)     // [B, N, dim]
        let tokens = Tensor.concatenate([classToken.broadcast(to: [batch, 1, dimension]), patches], alongAxis: 1)
        return norm(blocks(dropout(tokens + positionEmbedding)))
    }
}
