import ZooPluginKit

/// `resnet`: torchvision's ImageNet ResNet-18/34/50 without `fc` (the head is a separate module).
///
/// Shape: `[B, 3, H, W]` with `H, W ≥ 32` → `[B, 512]` (18, 34) or `[B, 2048]` (50).
final class ResNetBackbone: Backbone {
    struct Configuration: PluginConfiguration {
        @Key("depth", oneOf: [18, 34, 50]) var depth = 18
        var pretrained = PretrainedKeys()
    }

    static let name = "resnet"
    static let examples = [ModuleExample(#"{"depth": 18}"#, inputs: [[2, 3, 64, 64]])]
    static let summary = "ImageNet ResNet-18/34/50 (torchvision's structure and names) without fc: [B, 3, H, W] -> [B, 512 or 2048]"
    static let documentation = """
        torchvision's ResNet (v1.5) without the classifier: conv 7x7/2 (64) + BN + ReLU, max pool 3x3/2 (padding 1), \
        four stages (64, 128, 256, 512 channels; stride 2 from stage 2) of basic blocks (depth 18: 2-2-2-2, \
        34: 3-4-6-3) or bottlenecks (50: 3-4-6-3, expansion 4), adaptive average pooling. \
        Input: images [B, 3, H, W] float32 with H, W >= 32 (ImageNet: 224). Output: features [B, D], \
        D = 512 for depths 18 and 34, 2048 for 50. Keys are torchvision's state_dict keys without fc.*: \
        conv1.weight, bn1.*, layer1.0.conv1.weight, ..., layer2.0.downsample.0.weight, layer2.0.downsample.1.*, \
        and conv3/bn3 in bottlenecks. pretrained: a safetensors file with these keys (a torchvision checkpoint \
        converted to safetensors keeps fc.weight and fc.bias: drop them or set pretrained_strict: false).
        """
    let network: ResNet
    var module: Module { network }

    init(configuration: Configuration, host: PluginHost) throws {
        guard let (block, layout) = ResNet.layout(depth: configuration.depth) else {
            throw PluginError.invalidConfiguration("resnet: depth must be 18, 34 or 50, got \(configuration.depth)")
        }
        network = ResNet(block: block, blocksPerStage: layout, random: RandomSource(seed: host.seed))
        try Pretrained.load(configuration.pretrained, into: network, name: Self.name)
    }

    func outputShape(for inputShape: [Int]) throws -> [Int] {
        try ImageShape.check(inputShape, channels: 3, minimumSide: 32, module: Self.name)
        return [inputShape[0], network.featureDimension]
    }

    func forward(_ input: Tensor) throws -> Tensor {
        network(input)
    }
}
