import ZooPluginKit

/// torchvision's ImageNet ResNet (`torchvision.models.resnet`, v1.5: the stride of a bottleneck
/// sits on its 3×3 convolution) without the classifier `fc`: the same structure, `state_dict`
/// names and initialisation (Kaiming normal, fan-out, for convolutions; BatchNorm weight 1, bias 0).
///
/// Keys: `conv1.weight`, `bn1.*`, `layer<s>.<b>.conv1.weight`, …, `layer<s>.0.downsample.0.weight`
/// (1×1 convolution) and `layer<s>.0.downsample.1.*` (BatchNorm); bottlenecks add `conv3`/`bn3`.
///
/// Shape: `[N, 3, H, W]` → `[N, 512 · expansion]` (expansion 1 for basic blocks, 4 for bottlenecks).
final class ResNet: Layer {
    enum Block {
        case basic, bottleneck
        var expansion: Int { self == .basic ? 1 : 4 }
    }

    let conv1: Conv2d
    let bn1: BatchNorm
    let maxPool = MaxPool2d(kernel: 3, stride: 2, padding: 1)
    let stages: [Sequential]
    let featureDimension: Int

    /// The blocks per stage of the named depths.
    static func layout(depth: Int) -> (Block, [Int])? {
        switch depth {
        case 18: (.basic, [2, 2, 2, 2])
        case 34: (.basic, [3, 4, 6, 3])
        case 50: (.bottleneck, [3, 4, 6, 3])
        case 101: (.bottleneck, [3, 4, 23, 3])
        case 152: (.bottleneck, [3, 8, 36, 3])
        default: nil
        }
    }

    init(block: Block, blocksPerStage: [Int], inputChannels: Int = 3, random: RandomSource) {
        conv1 = Conv2d(inputChannels, 64, kernelSize: 7, stride: 2, padding: 3, bias: false, random: random)
        bn1 = BatchNorm(64)
        var inputWidth = 64
        stages = zip([64, 128, 256, 512], blocksPerStage).enumerated().map { index, stage in
            let (width, count) = stage
            let blocks = (0..<count).map { position -> Layer in
                let stride = index > 0 && position == 0 ? 2 : 1
                let output = width * block.expansion
                var downsample: Sequential? = nil
                if stride != 1 || inputWidth != output {
                    downsample = Sequential([
                        Conv2d(inputWidth, output, kernelSize: 1, stride: stride, bias: false, random: random),
                        BatchNorm(output)])
                }
                defer { inputWidth = output }
                switch block {
                case .basic:
                    return ResNetBasicBlock(inputWidth, width, stride: stride, downsample: downsample, random: random)
                case .bottleneck:
                    return ResNetBottleneck(inputWidth, width, stride: stride, downsample: downsample, random: random)
                }
            }
            return Sequential(blocks)
        }
        featureDimension = 512 * block.expansion
        super.init()
        for (_, parameter) in namedParameters() where parameter.rank == 4 {
            parameter.assign(Initializer.kaimingNormal(parameter.shape, fanOut: true, random: random))
        }
    }

    override var namedChildren: [(String, Module)] {
        [("conv1", conv1), ("bn1", bn1)] + stages.enumerated().map { ("layer\($0.offset + 1)", $0.element) }
    }

    /// Pooled features `[N, featureDimension]`.
    override func forward(_ input: Tensor) -> Tensor {
        let stem = maxPool(bn1(conv1(input)).relu())
        return globalAveragePool(stages.reduce(stem) { $1($0) })
    }
}

/// torchvision's `BasicBlock`: two 3×3 convolutions with BatchNorm, and a shortcut that is the
/// identity or `downsample` (1×1 convolution and BatchNorm).
final class ResNetBasicBlock: Layer {
    let conv1: Conv2d
    let bn1: BatchNorm
    let conv2: Conv2d
    let bn2: BatchNorm
    let downsample: Sequential?

    init(_ inputWidth: Int, _ width: Int, stride: Int, downsample: Sequential?, random: RandomSource) {
        conv1 = Conv2d(inputWidth, width, kernelSize: 3, stride: stride, padding: 1, bias: false, random: random)
        bn1 = BatchNorm(width)
        conv2 = Conv2d(width, width, kernelSize: 3, padding: 1, bias: false, random: random)
        bn2 = BatchNorm(width)
        self.downsample = downsample
    }

    override var namedChildren: [(String, Module)] {
        [("conv1", conv1), ("bn1", bn1), ("conv2", conv2), ("bn2", bn2)] + (downsample.map { [("downsample", $0)] } ?? [])
    }

    override func forward(_ input: Tensor) -> Tensor {
        let out = bn2(conv2(bn1(conv1(input)).relu()))
        return (out + (downsample.map { $0(input) } ?? input)).relu()
    }
}

/// torchvision's `Bottleneck` (expansion 4): 1×1 reduce, 3×3 (carrying the stride), 1×1 expand,
/// each with BatchNorm, and a shortcut that is the identity or `downsample`.
final class ResNetBottleneck: Layer {
    let conv1: Conv2d
    let bn1: BatchNorm
    let conv2: Conv2d
    let bn2: BatchNorm
    let conv3: Conv2d
    let bn3: BatchNorm
    let downsample: Sequential?

    init(_ inputWidth: Int, _ width: Int, stride: Int, downsample: Sequential?, random: RandomSource) {
        conv1 = Conv2d(inputWidth, width, kernelSize: 1, bias: false, random: random)
        bn1 = BatchNorm(width)
        conv2 = Conv2d(width, width, kernelSize: 3, stride: stride, padding: 1, bias: false, random: random)
        bn2 = BatchNorm(width)
        conv3 = Conv2d(width, width * 4, kernelSize: 1, bias: false, random: random)
        bn3 = BatchNorm(width * 4)
        self.downsample = downsample
    }

    override var namedChildren: [(String, Module)] {
        [("conv1", conv1), ("bn1", bn1), ("conv2", conv2), ("bn2", bn2), ("conv3", conv3), ("bn3", bn3)]
            + (downsample.map { [("downsample", $0)] } ?? [])
    }

    override func forward(_ input: Tensor) -> Tensor {
        let out = bn3(conv3(bn2(conv2(bn1(conv1(input)).relu())).relu()))
        return (out + (downsample.map { $0(input) } ?? input)).relu()
    }
}
