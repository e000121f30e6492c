import ZooTensor

/// `y = x·Wᵀ + b`, as `nn.Linear`. Parameters `weight [out, in]`, `bias [out]`.
///
/// Shape: `[…, in]` → `[…, out]`.
public final class Linear: Layer {
    public let weight: Tensor
    public let bias: Tensor?

    public init(_ inputFeatures: Int, _ outputFeatures: Int, bias: Bool = true, random: RandomSource) {
        weight = Initializer.defaultWeight([outputFeatures, inputFeatures], random: random)
        self.bias = bias ? Initializer.defaultBias(outputFeatures, fanIn: inputFeatures, random: random) : nil
    }

    public override var namedLocalParameters: [(String, Tensor)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    public override func forward(_ input: Tensor) -> Tensor {
        guard input.rank != 2 else { return Tensor.linear(input, weight: weight, bias: bias) }
        let leading = Array(input.shape.dropLast())
        let flat = input.reshaped([-1, input.shape.last ?? 1])
        return Tensor.linear(flat, weight: weight, bias: bias).reshaped(leading + [weight.shape[0]])
    }
}
