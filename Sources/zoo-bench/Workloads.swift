import ZooNN
import ZooOptim
import ZooTensor

/// A fixed workload: its name, its batch and one step (training: forward, loss, backward and the
/// optimiser's step; inference: one forward without gradients).
struct Workload {
    let name: String
    let batch: Int
    /// Whether the step runs in this process's own ZooTensor (the `nn.` workloads), so that the
    /// storage pool's and the GEMM counters see all of its work; a plug-in computes in its own copy.
    let countedInProcess: Bool
    let step: () throws -> Void

    /// Every workload by name: the plug-in path (`w1.train.bf`, …) and the in-process ZooNN
    /// models (`nn.w1.train.bf`, …).
    static func named(_ name: String, options: PluginWorkloadOptions) throws -> Workload {
        if let workload = NNWorkload.named(name) { return workload }
        return try PluginWorkload.named(name, options: options)
    }
}

/// The design's workloads built in this process from ZooNN, without plug-ins: what the kernels
/// give with nothing in between. Named `nn.<workload>`.
enum NNWorkload {
    static let names = ["nn.w1.train.bf", "nn.w1.train.plain", "nn.w2.train.bf", "nn.w2.train.plain", "nn.w2.infer"]

    static func named(_ name: String) -> Workload? {
        switch name {
        case "nn.w1.train.bf": w1(batchFormer: true)
        case "nn.w1.train.plain": w1(batchFormer: false)
        case "nn.w2.train.bf": w2(batchFormer: true, train: true)
        case "nn.w2.train.plain": w2(batchFormer: false, train: true)
        case "nn.w2.infer": w2(batchFormer: false, train: false)
        default: nil
        }
    }

    /// W1 mlp-bf: MLP 784→1024→1024 (ReLU), BatchFormer V1 (d 1024, 4 heads, ffn 1024, dropout 0.5),
    /// linear head 1024→100, cross-entropy, SGD momentum 0.9, weight decay 5e-4, batch 256.
    static func w1(batchFormer: Bool) -> Workload {
        let random = RandomSource(seed: 1)
        let backbone = MLP(widths: [784, 1024, 1024], activateLast: true, random: random)
        return make(name: "nn.w1.train." + (batchFormer ? "bf" : "plain"), batch: 256, inputShape: [784],
                    backbone: backbone, width: 1024, batchFormer: batchFormer, train: true, random: random)
    }

    /// W2 resnet32-bf: CIFAR ResNet-32, input 3×32×32, batch 128, BatchFormer V1 (d 64, 4 heads,
    /// ffn 64, dropout 0.5), linear head 64→100, cross-entropy, SGD; or its inference (eval, no BatchFormer).
    static func w2(batchFormer: Bool, train: Bool) -> Workload {
        let random = RandomSource(seed: 2)
        let backbone = CIFARResNet(depth: 32, classes: nil, random: random)
        let name = train ? "nn.w2.train." + (batchFormer ? "bf" : "plain") : "nn.w2.infer"
        return make(name: name, batch: 128, inputShape: [3, 32, 32], backbone: backbone, width: 64,
                    batchFormer: batchFormer, train: train, random: random)
    }

    private static func make(name: String, batch: Int, inputShape: [Int], backbone: Layer, width: Int,
                             batchFormer: Bool, train: Bool, random: RandomSource) -> Workload {
        let relation = batchFormer
            ? TransformerEncoderLayer(dModel: width, heads: 4, feedForward: width, dropout: 0.5, random: random) : nil
        let model = TwoStreamClassifier(backbone: backbone, relation: relation, head: Linear(width, 100, random: random))
        model.setTraining(train)
        let input = Tensor.normal([batch] + inputShape, generator: &random.generator)
        let labels = (0..<batch).map { _ in Int(random.generator.next() % 100) }
        guard train else {
            return Workload(name: name, batch: batch, countedInProcess: true) {
                _ = withoutGradients { model(input, labels: labels) }
            }
        }
        let optimizer = SGD(parameters: model.parameters, learningRate: 0.01, momentum: 0.9, weightDecay: 5e-4)
        return Workload(name: name, batch: batch, countedInProcess: true) {
            optimizer.zeroGradients()
            let (logits, targets) = model(input, labels: labels)
            Tensor.crossEntropy(logits: logits, labels: targets).backward()
            optimizer.step()
        }
    }
}
