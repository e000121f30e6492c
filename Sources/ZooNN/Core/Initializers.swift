import Foundation
import ZooTensor

/// Weight initialisers with PyTorch's formulas (`torch.nn.init`).
public enum Initializer {
    /// `fan_in` and `fan_out` of a weight: `[out, in, k…]` as PyTorch computes them.
    public static func fans(_ shape: [Int]) -> (fanIn: Int, fanOut: Int) {
        precondition(shape.count >= 2, "[init] fan in and fan out need at least two dimensions, got \(shape)")
        let receptive = shape[2...].reduce(1, *)
        return (shape[1] * receptive, shape[0] * receptive)
    }

    /// PyTorch's default for Linear and Conv weights: `kaiming_uniform_(a=√5)`, i.e. U(±1/√fan_in).
    public static func defaultWeight(_ shape: [Int], random: RandomSource) -> Tensor {
        kaimingUniform(shape, negativeSlope: 5.0.squareRoot(), random: random)
    }

    /// PyTorch's default for Linear and Conv biases: U(±1/√fan_in) of the weight.
    public static func defaultBias(_ count: Int, fanIn: Int, random: RandomSource) -> Tensor {
        let bound = fanIn > 0 ? 1 / Float(fanIn).squareRoot() : 0
        return Tensor.uniform([count], low: -bound, high: bound, generator: &random.generator, requiresGrad: true)
    }

    /// `kaiming_uniform_` with leaky-ReLU gain and fan-in mode.
    public static func kaimingUniform(_ shape: [Int], negativeSlope: Double = 0, random: RandomSource) -> Tensor {
        let gain = (2 / (1 + negativeSlope * negativeSlope)).squareRoot()
        let bound = Float(gain * (3 / Double(fans(shape).fanIn)).squareRoot())
        return Tensor.uniform(shape, low: -bound, high: bound, generator: &random.generator, requiresGrad: true)
    }

    /// `kaiming_normal_` with ReLU gain, in fan-in (default) or fan-out mode.
    public static func kaimingNormal(_ shape: [Int], fanOut: Bool = false, random: RandomSource) -> Tensor {
        let (fanIn, out) = fans(shape)
        let deviation = Float((2 / Double(fanOut ? out : fanIn)).squareRoot())
        return Tensor.normal(shape, standardDeviation: deviation, generator: &random.generator, requiresGrad: true)
    }

    /// `xavier_uniform_`: U(±gain·√(6 / (fan_in + fan_out))).
    public static func xavierUniform(_ shape: [Int], gain: Double = 1, random: RandomSource) -> Tensor {
        let (fanIn, fanOut) = fans(shape)
        let bound = Float(gain * (6 / Double(fanIn + fanOut)).squareRoot())
        return Tensor.uniform(shape, low: -bound, high: bound, generator: &random.generator, requiresGrad: true)
    }
}
