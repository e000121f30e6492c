import ZooTensor

/// The CIFAR ResNet of He et al. 2016 (ResNet-20/32/44/56/110 for 3, 5, 7, 9, 18 blocks per stage):
/// a 3×3 stem of 16 channels, three stages of basic blocks (16/32/64 channels, stride 2 at the first
/// block of stages 2 and 3) with option-A shortcuts, global average pooling, and a linear classifier.
///
/// Keys as the long-tail literature's PyTorch code: `conv1`, `bn1`, `layer1.0.conv1`, …, `fc`.
/// Shape: `[N, 3, 32, 32]` → `[N, classes]`; `features(_:)` gives the pooled `[N, 64]`.
public final class CIFARResNet: Layer {
    public let conv1: Conv2d
    public let bn1: BatchNorm
    public let stages: [Sequential]
    public let fc: Linear?
    public let inputChannels: Int

    /// - Parameters:
    ///   - classes: the classifier's outputs, or nil for a backbone without one.
    ///   - inputChannels: 3 for CIFAR; any other count changes only the stem's weight.
    public init(blocksPerStage: Int, classes: Int?, widths: [Int] = [16, 32, 64], inputChannels: Int = 3,
                random: RandomSource) {
        self.inputChannels = inputChannels
        conv1 = Conv2d(inputChannels, widths[0], kernelSize: 3, padding: 1, bias: false, random: random)
        bn1 = BatchNorm(widths[0])
        var inputWidth = widths[0]
        stages = widths.enumerated().map { index, width in
            let blocks = (0..<blocksPerStage).map { block -> Layer in
                let stride = index > 0 && block == 0 ? 2 : 1
                defer { inputWidth = width }
                return BasicBlock(inputWidth, width, stride: stride, random: random)
            }
            return Sequential(blocks)
        }
        fc = classes.map { Linear(widths[widths.count - 1], $0, random: random) }
        super.init()
        for (_, parameter) in namedParameters() where parameter.rank == 4 {
            parameter.assign(Initializer.kaimingNormal(parameter.shape, random: random))
        }
    }

    /// The depth named in the literature: 6·blocks + 2.
    public convenience init(depth: Int, classes: Int?, random: RandomSource) {
        precondition((depth - 2) % 6 == 0, "[CIFARResNet] depth \(depth) is not 6n + 2")
        self.init(blocksPerStage: (depth - 2) / 6, classes: classes, random: random)
    }

    public var featureDimension: Int { stages.last.map { ($0.layers.last as! BasicBlock).conv2.weight.shape[0] } ?? 0 }

    public override var namedChildren: [(String, Module)] {
        [("conv1", conv1), ("bn1", bn1)] + stages.enumerated().map { ("layer\($0.offset + 1)", $0.element) }
            + (fc.map { [("fc", $0)] } ?? [])
    }

    /// Pooled features `[N, 64]`.
    public func features(_ input: Tensor) -> Tensor {
        let stem = isFolded ? conv1.forward(input, then: bn1.inferenceEpilogue(relu: true)) : bn1.forwardReLU(conv1(input))
        let x = stages.reduce(stem) { $1($0) }
        return x.adaptiveAveragePool2d(outputSize: (1, 1)).reshaped([x.shape[0], -1])
    }

    public override func forward(_ input: Tensor) -> Tensor {
        let pooled = features(input)
        return fc.map { $0(pooled) } ?? pooled
    }
}

/// Two 3×3 convolutions with batch norm and a residual connection. When the shape changes the
/// shortcut is option A: subsample by 2 and zero-pad the new channels, half on each side.
public final class BasicBlock: Layer {
    public let conv1: Conv2d
    public let bn1: BatchNorm
    public let conv2: Conv2d
    public let bn2: BatchNorm
    let stride: Int
    let padChannels: Int

    public init(_ inputChannels: Int, _ outputChannels: Int, stride: Int, random: RandomSource) {
        conv1 = Conv2d(inputChannels, outputChannels, kernelSize: 3, stride: stride, padding: 1, bias: false, random: random)
        bn1 = BatchNorm(outputChannels)
        conv2 = Conv2d(outputChannels, outputChannels, kernelSize: 3, padding: 1, bias: false, random: random)
        bn2 = BatchNorm(outputChannels)
        self.stride = stride
        padChannels = (outputChannels - inputChannels) / 2
    }

    public override var namedChildren: [(String, Module)] {
        [("conv1", conv1), ("bn1", bn1), ("conv2", conv2), ("bn2", bn2)]
    }

    public override func forward(_ input: Tensor) -> Tensor {
        var shortcut = input
        if stride != 1 || padChannels != 0 {
            shortcut = input.sliced(alongAxis: 2, 0..<input.shape[2], step: stride)
                .sliced(alongAxis: 3, 0..<input.shape[3], step: stride)
                .padded([(padChannels, padChannels), (0, 0), (0, 0)])
        }
        if isFolded {
            let hidden = conv1.forward(input, then: bn1.inferenceEpilogue(relu: true))
            return conv2.forward(hidden, then: bn2.inferenceEpilogue(residual: shortcut, relu: true))
        }
        let out = bn2(conv2(bn1.forwardReLU(conv1(input))))
        return (out + shortcut).relu()
    }
}

extension Layer {
    /// In evaluation without gradients, batch norms (and the residual and ReLU after them) fold into
    /// the convolutions before them: the same values, without a pass over memory for each.
    var isFolded: Bool { !isTraining && !GradientMode.isEnabled }
}
