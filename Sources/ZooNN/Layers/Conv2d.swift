import ZooTensor

/// 2-D convolution, as `nn.Conv2d`. Parameters `weight [out, in/groups, kh, kw]`, `bias [out]`.
///
/// Shape: `[N, in, H, W]` → `[N, out, Ho, Wo]`.
public final class Conv2d: Layer {
    public let weight: Tensor
    public let bias: Tensor?
    public let geometry: Convolution2DGeometry

    public init(_ inputChannels: Int, _ outputChannels: Int, kernelSize: (Int, Int), stride: (Int, Int) = (1, 1),
                padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1), groups: Int = 1, bias: Bool = true,
                random: RandomSource) {
        precondition(inputChannels % groups == 0 && outputChannels % groups == 0,
                     "[Conv2d] channels \(inputChannels)→\(outputChannels) not divisible by \(groups) groups")
        let shape = [outputChannels, inputChannels / groups, kernelSize.0, kernelSize.1]
        weight = Initializer.defaultWeight(shape, random: random)
        self.bias = bias ? Initializer.defaultBias(outputChannels, fanIn: Initializer.fans(shape).fanIn, random: random) : nil
        geometry = Convolution2DGeometry(stride: stride, padding: padding, dilation: dilation, groups: groups)
    }

    /// A square kernel with equal stride and padding on both axes.
    public convenience init(_ inputChannels: Int, _ outputChannels: Int, kernelSize: Int, stride: Int = 1,
                            padding: Int = 0, groups: Int = 1, bias: Bool = true, random: RandomSource) {
        self.init(inputChannels, outputChannels, kernelSize: (kernelSize, kernelSize), stride: (stride, stride),
                  padding: (padding, padding), groups: groups, bias: bias, random: random)
    }

    public override var namedLocalParameters: [(String, Tensor)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    public override func forward(_ input: Tensor) -> Tensor {
        Tensor.conv2d(input, weight: weight, bias: bias, geometry: geometry)
    }

    /// The convolution with `epilogue` applied as the output is written (inference only: no gradient).
    public func forward(_ input: Tensor, then epilogue: ConvolutionEpilogue) -> Tensor {
        Tensor.conv2d(input, weight: weight, bias: bias, geometry: geometry, epilogue: epilogue)
    }
}
