import Foundation
import ZooTensor

/// Multi-head scaled dot-product self-attention, as `nn.MultiheadAttention` with q = k = v.
///
/// Parameters `in_proj_weight [3E, E]`, `in_proj_bias [3E]`, `out_proj.weight [E, E]`,
/// `out_proj.bias [E]` (PyTorch's names and initialisation). Dropout applies to the attention weights.
///
/// Shape: `[L, N, E]` (sequence first, PyTorch's default) or `[N, L, E]` with `batchFirst`.
/// Attention runs along L, independently for each of the N sequences.
public final class MultiheadAttention: Layer {
    public let embedDimension: Int
    public let heads: Int
    public let batchFirst: Bool
    public let inProjectionWeight: Tensor
    public let inProjectionBias: Tensor
    public let outProjection: Linear
    public let attentionDropout: Dropout

    public init(embedDimension: Int, heads: Int, dropout: Float = 0, batchFirst: Bool = false, random: RandomSource) {
        precondition(heads > 0 && embedDimension % heads == 0,
                     "[MultiheadAttention] embed dimension \(embedDimension) not divisible by \(heads) heads")
        self.embedDimension = embedDimension
        self.heads = heads
        self.batchFirst = batchFirst
        inProjectionWeight = Initializer.xavierUniform([3 * embedDimension, embedDimension], random: random)
        inProjectionBias = Tensor.zeros([3 * embedDimension], requiresGrad: true)
        outProjection = Linear(embedDimension, embedDimension, random: random)
        outProjection.bias?.withMutableScalars { $0.update(repeating: 0) }
        attentionDropout = Dropout(dropout, random: random)
    }

    public override var namedLocalParameters: [(String, Tensor)] {
        [("in_proj_weight", inProjectionWeight), ("in_proj_bias", inProjectionBias)]
    }

    /// `attention_dropout` holds no parameters (PyTorch applies it functionally), so the
    /// `state_dict` keys are PyTorch's; it is listed so that evaluation mode reaches it.
    public override var namedChildren: [(String, Module)] {
        [("out_proj", outProjection), ("attention_dropout", attentionDropout)]
    }

    public override func forward(_ input: Tensor) -> Tensor {
        precondition(input.rank == 3 && input.shape[2] == embedDimension,
                     "[MultiheadAttention] expects [\(batchFirst ? "N, L" : "L, N"), \(embedDimension)], got \(input.shape)")
        let x = batchFirst ? input.transposed(0, 1) : input
        let (length, batch, width) = (x.shape[0], x.shape[1], embedDimension)
        let headWidth = width / heads
        // [L·N, 3E] → [3, N·H, L, Dh]
        let projected = Tensor.linear(x.reshaped([length * batch, width]), weight: inProjectionWeight, bias: inProjectionBias)
        let split = projected.reshaped([length, batch, 3, heads, headWidth]).permuted([2, 1, 3, 0, 4])
            .reshaped([3, batch * heads, length, headWidth])
        let (query, key, value) = (split.sliced(alongAxis: 0, 0..<1).reshaped([batch * heads, length, headWidth]),
                                   split.sliced(alongAxis: 0, 1..<2).reshaped([batch * heads, length, headWidth]),
                                   split.sliced(alongAxis: 0, 2..<3).reshaped([batch * heads, length, headWidth]))
        let scores = Tensor.matmul(query, key, transposeB: true) * (1 / Float(headWidth).squareRoot())
        let weights = attentionDropout(scores.softmax(alongAxis: -1))
        let attended = Tensor.matmul(weights, value)                       // [N·H, L, Dh]
            .reshaped([batch, heads, length, headWidth]).permuted([2, 0, 1, 3])
            .reshaped([length * batch, width])
        let output = outProjection(attended).reshaped([length, batch, width])
        return batchFirst ? output.transposed(0, 1) : output
    }
}
