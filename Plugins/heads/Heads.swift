import ZooPluginKit

/// The keys every head has; the host derives both: `num_classes` from the data, `in_dim` from the
/// width of the features the head receives.
struct HeadDimensions: PluginConfiguration {
    @Key("num_classes", minimum: 1, "classes C: the logits' width", from: .dataNumClasses)
    var numClasses: Int
    @Key("in_dim", minimum: 1, "feature width D; the pipeline fills it from the backbone", from: .inputFeatures)
    var inDim: Int
}

/// Features `[B, in_dim]` → `[B, num_classes]`, or a shape error.
func headShape(_ module: String, _ input: [Int], features: Int, classes: Int) throws -> [Int] {
    guard input.count == 2, input[1] == features else {
        throw PluginError.shape("\(module): expected features [B, \(features)], got \(input)")
    }
    return [input[0], classes]
}

/// Each row scaled to unit L2 norm (as F.normalize; the tiny floor keeps a zero row finite).
func rowNormalised(_ x: Tensor) -> Tensor {
    x / ((x * x).sum(alongAxis: 1, keepingDimensions: true) + 1e-24).sqrt()
}

private let batchAndLabels = """
    Batch and labels: one row of logits per row of features; the batch and the labels are unchanged.
    """

/// `logits = x Wᵀ + b`, as torch.nn.Linear.
final class LinearHead: Module, Head {
    typealias Configuration = HeadDimensions

    static let name = "linear"
    static let examples = [ModuleExample(#"{"in_dim": 16, "num_classes": 5}"#)]
    static let summary = "linear classifier: logits = x W^T + b (torch.nn.Linear)"
    static let documentation = """
        Input: features [B, in_dim]. Output: logits [B, num_classes] = x W^T + b. Parameters weight \
        [num_classes, in_dim] and bias [num_classes], initialised and named as torch.nn.Linear. \(batchAndLabels)
        """

    let weight: Tensor
    let bias: Tensor

    init(configuration: Configuration, host: PluginHost) throws {
        let layer = Linear(configuration.inDim, configuration.numClasses, random: RandomSource(seed: host.seed))
        weight = layer.weight
        bias = layer.bias!
        super.init()
    }

    override var namedLocalParameters: [(String, Tensor)] { [("weight", weight), ("bias", bias)] }

    func outputShape(for inputShape: [Int]) throws -> [Int] {
        try headShape(Self.name, inputShape, features: weight.shape[1], classes: weight.shape[0])
    }

    func forward(_ input: Tensor) throws -> Tensor {
        Tensor.linear(input, weight: weight, bias: bias)
    }
}

/// `logits = scale · cos(x, w_c) (+ b)`.
final class CosineHead: Module, Head {
    struct Configuration: PluginConfiguration {
        var dimensions = HeadDimensions()
        @Key("scale", exclusiveMinimum: 0, "the logits' temperature") var scale: Float = 16
        @Key("bias", "add a learned bias per class") var bias = false
    }

    static let name = "cosine"
    static let examples = [ModuleExample(#"{"in_dim": 16, "num_classes": 5, "scale": 16, "bias": true}"#)]
    static let summary = "cosine classifier: scale * cos(x, w_c), normalised features and weight rows"
    static let documentation = """
        Input: features [B, in_dim]. Output: logits [B, num_classes], logit_c = scale * <x / |x|, w_c / |w_c|> \
        (+ b_c when bias is true): both the features and the weight rows are L2-normalised, so the logits are \
        cosine similarities times scale. Parameters weight [num_classes, in_dim] (torch.nn.Linear's \
        initialisation) and, only with bias: true, bias [num_classes]. \(batchAndLabels)
        """

    let weight: Tensor
    let bias: Tensor?
    let scale: Float

    init(configuration: Configuration, host: PluginHost) throws {
        let (classes, features) = (configuration.dimensions.numClasses, configuration.dimensions.inDim)
        let layer = Linear(features, classes, bias: configuration.bias, random: RandomSource(seed: host.seed))
        weight = layer.weight
        bias = layer.bias
        scale = configuration.scale
        super.init()
    }

    override var namedLocalParameters: [(String, Tensor)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    func outputShape(for inputShape: [Int]) throws -> [Int] {
        try headShape(Self.name, inputShape, features: weight.shape[1], classes: weight.shape[0])
    }

    func forward(_ input: Tensor) throws -> Tensor {
        Tensor.linear(rowNormalised(input), weight: rowNormalised(weight), bias: nil) * scale + (bias ?? Tensor(0))
    }
}

/// `logits = x (W / ‖w_c‖^τ)ᵀ + b`: τ-normalised classifier (Kang et al. 2020).
final class TauNormHead: Module, Head {
    struct Configuration: PluginConfiguration {
        var dimensions = HeadDimensions()
        @Key("tau", minimum: 0, "the power of the row norm that divides each weight row") var tau: Float = 1
    }

    static let name = "tau-norm"
    static let examples = [ModuleExample(#"{"in_dim": 16, "num_classes": 5, "tau": 0.7}"#)]
    static let summary = "tau-normalised linear classifier: weight rows divided by |w_c|^tau (Kang et al. 2020)"
    static let documentation = """
        Input: features [B, in_dim]. Output: logits [B, num_classes] = x (w_c / |w_c|^tau)^T + b_c: each class's \
        weight row is divided by its L2 norm to the power tau (tau = 0 is the plain linear head, tau = 1 makes \
        every row unit length), which removes the bias of long-tailed training towards the head classes, whose \
        rows grow larger. Parameters weight [num_classes, in_dim] and bias [num_classes] under torch.nn.Linear's \
        names, so a linear head's checkpoint loads as it is: post-hoc tau-normalisation (decoupling \
        representation and classifier, Kang et al. 2020) is loading a trained linear head into tau-norm and \
        evaluating. The bias is not normalised. \(batchAndLabels)
        """

    let weight: Tensor
    let bias: Tensor
    let tau: Float

    init(configuration: Configuration, host: PluginHost) throws {
        let (classes, features) = (configuration.dimensions.numClasses, configuration.dimensions.inDim)
        let layer = Linear(features, classes, random: RandomSource(seed: host.seed))
        weight = layer.weight
        bias = layer.bias!
        tau = configuration.tau
        super.init()
    }

    override var namedLocalParameters: [(String, Tensor)] { [("weight", weight), ("bias", bias)] }

    func outputShape(for inputShape: [Int]) throws -> [Int] {
        try headShape(Self.name, inputShape, features: weight.shape[1], classes: weight.shape[0])
    }

    func forward(_ input: Tensor) throws -> Tensor {
        guard tau != 0 else { return Tensor.linear(input, weight: weight, bias: bias) }
        // ‖w_c‖^τ = (‖w_c‖² + tiny)^(τ/2)
        let norms = ((weight * weight).sum(alongAxis: 1, keepingDimensions: true) + 1e-24).pow(tau / 2)
        return Tensor.linear(input, weight: weight / norms, bias: bias)
    }
}

/// `logits = fc2(relu(fc1(x)))`.
final class MLPHead: Module, Head {
    struct Configuration: PluginConfiguration {
        var dimensions = HeadDimensions()
        @Key("hidden", minimum: 1, "width of the hidden layer") var hidden = 512
    }

    static let name = "mlp-head"
    static let examples = [ModuleExample(#"{"in_dim": 16, "num_classes": 5, "hidden": 32}"#)]
    static let summary = "two-layer classifier: fc2(relu(fc1(x)))"
    static let documentation = """
        Input: features [B, in_dim]. Output: logits [B, num_classes] = fc2(relu(fc1(x))), fc1 a torch.nn.Linear \
        from in_dim to hidden and fc2 from hidden to num_classes. Parameters fc1.weight [hidden, in_dim], fc1.bias, \
        fc2.weight [num_classes, hidden], fc2.bias. \(batchAndLabels)
        """

    let fc1: Linear
    let fc2: Linear

    init(configuration: Configuration, host: PluginHost) throws {
        let (classes, features) = (configuration.dimensions.numClasses, configuration.dimensions.inDim)
        let random = RandomSource(seed: host.seed)
        fc1 = Linear(features, configuration.hidden, random: random)
        fc2 = Linear(configuration.hidden, classes, random: random)
        super.init()
    }

    override var namedChildren: [(String, Module)] { [("fc1", fc1), ("fc2", fc2)] }

    func outputShape(for inputShape: [Int]) throws -> [Int] {
        try headShape(Self.name, inputShape, features: fc1.weight.shape[1], classes: fc2.weight.shape[0])
    }

    func forward(_ input: Tensor) throws -> Tensor {
        fc2(fc1(input).relu())
    }
}

/// The built-in classification heads.
@_cdecl("zoo_plugin_entry_v1")
public func zooPluginEntry(_ host: UnsafePointer<zoo_host_api>?, _ error: OpaquePointer?) -> UnsafePointer<zoo_plugin_info>? {
    ZooPlugin.export(name: "zoo-heads", version: "1.0.0",
                     modules: [LinearHead.self, CosineHead.self, TauNormHead.self, MLPHead.self], host: host, error: error)
}
