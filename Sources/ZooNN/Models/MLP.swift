import ZooTensor

/// A multilayer perceptron: Linear layers named `fc1`, `fc2`, … with an activation after each
/// hidden layer (and after the last when `activateLast`, as a feature backbone does).
///
/// Shape: `[N, widths[0]]` → `[N, widths.last]`.
public final class MLP: Layer {
    public let layers: [Linear]
    public let activation: Activation
    public let activateLast: Bool

    public init(widths: [Int], activation: Activation = .relu, activateLast: Bool = false, random: RandomSource) {
        precondition(widths.count >= 2, "[MLP] needs at least an input and an output width, got \(widths)")
        layers = zip(widths, widths.dropFirst()).map { Linear($0, $1, random: random) }
        self.activation = activation
        self.activateLast = activateLast
    }

    public override var namedChildren: [(String, Module)] {
        layers.enumerated().map { ("fc\($0.offset + 1)", $0.element) }
    }

    public override func forward(_ input: Tensor) -> Tensor {
        var x = input
        for (index, layer) in layers.enumerated() {
            x = layer(x)
            if activateLast || index < layers.count - 1 { x = activation(x) }
        }
        return x
    }
}
