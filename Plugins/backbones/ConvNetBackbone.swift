import ZooPluginKit

/// `convnet`: a small ConvNet for 28×28 images (Fashion-MNIST and the like): blocks of
/// conv 3×3 (padding 1, no bias) → BatchNorm → ReLU → max pool 2×2, then global average pooling.
///
/// Keys as PyTorch's `nn.Sequential` named `features`: block `i` is `features.{4i}` (conv) and
/// `features.{4i+1}` (BatchNorm); ReLU and pooling hold nothing.
///
/// Shape: `[B, in_channels, H, W]` with `H, W ≥ 2^blocks` → `[B, channels.last]`.
final class ConvNetBackbone: Backbone {
    struct Configuration: PluginConfiguration {
        @Key("in_channels", minimum: 1, from: .inputChannels) var inChannels = 1
        @Key("channels", minimum: 1, "output channels of each block; the last is the feature dimension D")
        var channels = [32, 64]
        var pretrained = PretrainedKeys()
    }

    static let name = "convnet"
    static let examples = [ModuleExample(#"{"in_channels": 1, "channels": [8, 16]}"#, inputs: [[4, 1, 28, 28]])]
    static let summary = "small ConvNet (conv3x3-BN-ReLU-maxpool blocks, global average pool): [B, C, H, W] -> [B, channels.last]"
    static let documentation = """
        For small images such as Fashion-MNIST's 1x28x28. One block per entry of channels (default [32, 64]): \
        conv 3x3 (padding 1, no bias), BatchNorm, ReLU, max pool 2x2; then global average pooling. \
        Input: images [B, in_channels, H, W] float32 with H, W >= 2^blocks. Output: features [B, D], \
        D = channels[last] (default 64). Keys as an nn.Sequential named features: block i is features.{4i}.weight \
        (conv) and features.{4i+1}.* (BatchNorm weight, bias, running_mean, running_var, num_batches_tracked). \
        pretrained: a safetensors file with these keys.
        """
    let features: Sequential
    let inputChannels: Int
    let widths: [Int]
    let root: Root
    var module: Module { root }

    /// The module the host sees: one child, `features`.
    final class Root: Module {
        let features: Sequential
        init(_ features: Sequential) { self.features = features }
        override var namedChildren: [(String, Module)] { [("features", features)] }
    }

    init(configuration: Configuration, host: PluginHost) throws {
        guard !configuration.channels.isEmpty else {
            throw PluginError.invalidConfiguration("convnet: channels needs at least one width, got []")
        }
        let random = RandomSource(seed: host.seed)
        var layers: [Layer] = []
        var width = configuration.inChannels
        for next in configuration.channels {
            let conv = Conv2d(width, next, kernelSize: 3, padding: 1, bias: false, random: random)
            conv.weight.assign(Initializer.kaimingNormal(conv.weight.shape, fanOut: true, random: random))
            layers += [conv, BatchNorm(next), ActivationLayer(.relu), MaxPool2d(kernel: 2)]
            width = next
        }
        features = Sequential(layers)
        root = Root(features)
        inputChannels = configuration.inChannels
        widths = configuration.channels
        try Pretrained.load(configuration.pretrained, into: root, name: Self.name)
    }

    func outputShape(for inputShape: [Int]) throws -> [Int] {
        try ImageShape.check(inputShape, channels: inputChannels, minimumSide: 1 << widths.count, module: Self.name)
        return [inputShape[0], widths[widths.count - 1]]
    }

    func forward(_ input: Tensor) throws -> Tensor {
        globalAveragePool(features(input))
    }
}
