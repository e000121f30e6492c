import ZooTensor

/// Layer normalisation over the trailing `normalizedShape`, as `nn.LayerNorm`.
/// Parameters `weight` (ones) and `bias` (zeros) of that shape.
public final class LayerNorm: Layer {
    public let normalizedShape: [Int]
    public let weight: Tensor?
    public let bias: Tensor?
    public let epsilon: Float

    public init(_ normalizedShape: [Int], epsilon: Float = 1e-5, elementwiseAffine: Bool = true) {
        self.normalizedShape = normalizedShape
        weight = elementwiseAffine ? Tensor.ones(normalizedShape, requiresGrad: true) : nil
        bias = elementwiseAffine ? Tensor.zeros(normalizedShape, requiresGrad: true) : nil
        self.epsilon = epsilon
    }

    public convenience init(_ features: Int, epsilon: Float = 1e-5) {
        self.init([features], epsilon: epsilon)
    }

    public override var namedLocalParameters: [(String, Tensor)] {
        (weight.map { [("weight", $0)] } ?? []) + (bias.map { [("bias", $0)] } ?? [])
    }

    public override func forward(_ input: Tensor) -> Tensor {
        precondition(Array(input.shape.suffix(normalizedShape.count)) == normalizedShape,
                     "[LayerNorm] input \(input.shape) does not end in \(normalizedShape)")
        return Tensor.layerNorm(input, weight: weight, bias: bias, normalizedDimensions: normalizedShape.count,
                                epsilon: epsilon)
    }
}
