import ZooPluginKit

/// `resnet-cifar`: the CIFAR ResNet of He et al. 2016 (ZooNN's `CIFARResNet` without its
/// classifier), depth `6n + 2`: a 3×3 stem of 16 channels, three stages of `n` basic blocks
/// (16/32/64 channels) with option-A shortcuts, global average pooling.
///
/// Shape: `[B, in_channels, H, W]` (CIFAR: `[B, 3, 32, 32]`) → `[B, 64]`.
final class CIFARResNetBackbone: Backbone {
    struct Configuration: PluginConfiguration {
        @Key("depth", minimum: 8, "6n+2: 20, 32, 44, 56, 110") var depth = 32
        @Key("in_channels", minimum: 1, from: .inputChannels) var inChannels = 3
        var pretrained = PretrainedKeys()
    }

    static let name = "resnet-cifar"
    static let examples = [ModuleExample(#"{"depth": 8, "in_channels": 3}"#, inputs: [[4, 3, 32, 32]])]
    static let summary = "CIFAR ResNet-20/32/44/56/110 (6n+2, option-A shortcuts) without classifier: [B, C, H, W] -> [B, 64]"
    static let documentation = """
        The CIFAR ResNet of He et al. (2016) as ZooNN's CIFARResNet without fc: conv 3x3 (16) + BN + ReLU, \
        three stages of n = (depth - 2) / 6 basic blocks (16, 32, 64 channels; stride 2 at the first block of \
        stages 2 and 3; option-A shortcuts: subsample and zero-pad channels), global average pooling. \
        depth: any 6n+2 (20, 32, 44, 56, 110; 8 for tests). Input: images [B, in_channels, H, W] float32 \
        (CIFAR: [B, 3, 32, 32]). Output: features [B, 64]. Keys as the long-tail literature's PyTorch code: \
        conv1.weight, bn1.*, layer1.0.conv1.weight, ..., layer3.<n-1>.bn2.num_batches_tracked. \
        pretrained: a safetensors file with these keys (a checkpoint's fc.* keys need pretrained_strict: false).
        """
    /// ZooNN's CIFAR ResNet without its classifier: the same layers, names and initialisation.
    let network: CIFARResNet
    var module: Module { network }

    init(configuration: Configuration, host: PluginHost) throws {
        let depth = configuration.depth
        guard (depth - 2) % 6 == 0 else {
            throw PluginError.invalidConfiguration(
                "resnet-cifar: depth must be 6n+2 (8, 20, 32, 44, 56, 110, ...), got \(depth)")
        }
        network = CIFARResNet(blocksPerStage: (depth - 2) / 6, classes: nil, inputChannels: configuration.inChannels,
                              random: RandomSource(seed: host.seed))
        try Pretrained.load(configuration.pretrained, into: network, name: Self.name)
    }

    func outputShape(for inputShape: [Int]) throws -> [Int] {
        try ImageShape.check(inputShape, channels: network.inputChannels, minimumSide: 4, module: Self.name)
        return [inputShape[0], network.featureDimension]
    }

    func forward(_ input: Tensor) throws -> Tensor {
        network(input)
    }
}
