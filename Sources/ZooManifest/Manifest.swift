import Foundation
import ZooValue

/// A Zoo manifest (`zoo: 1`): which plug-ins to load, how to compose the model from their modules,
/// and how to train and evaluate it. Keys in the file are spelled as the `CodingKeys` below
/// (snake_case). Every value that was left out holds its default here.
public struct Manifest: Codable, Sendable, Equatable {
    /// The manifest format version; 1.
    public var zoo: Int
    public var plugins: [PluginSpec]
    public var model: ModelSpec
    public var data: DataSpec?
    public var optimizer: OptimizerSpec
    public var schedule: ScheduleSpec
    public var training: TrainingSpec
    public var evaluation: EvaluationSpec
    public var output: OutputSpec

    public init(zoo: Int = 1, plugins: [PluginSpec] = [], model: ModelSpec, data: DataSpec? = nil,
                optimizer: OptimizerSpec = OptimizerSpec(), schedule: ScheduleSpec = ScheduleSpec(),
                training: TrainingSpec = TrainingSpec(), evaluation: EvaluationSpec = EvaluationSpec(),
                output: OutputSpec = OutputSpec()) {
        self.zoo = zoo
        self.plugins = plugins
        self.model = model
        self.data = data
        self.optimizer = optimizer
        self.schedule = schedule
        self.training = training
        self.evaluation = evaluation
        self.output = output
    }

    /// The format versions this code reads.
    public static let supportedVersions = [1]
}

/// A plug-in library to load: by name (looked up in the search path) or by path (relative to the
/// manifest's folder). With both, the path is loaded and must be the plug-in of that name. A resolved manifest records the version, file and hash of what was loaded.
public struct PluginSpec: Codable, Sendable, Equatable {
    public var name: String?
    public var path: String?
    /// Pins the library's SHA-256 (lowercase hexadecimal); loading refuses another file.
    public var sha256: String?
    /// Recorded by resolution: the plug-in's version and the file loaded.
    public var version: String?
    public var file: String?

    public init(name: String? = nil, path: String? = nil, sha256: String? = nil, version: String? = nil, file: String? = nil) {
        self.name = name
        self.path = path
        self.sha256 = sha256
        self.version = version
        self.file = file
    }
}

/// One stage: a module name (`resnet-cifar`, or `plugin/module`) and its configuration.
public struct ModuleSpec: Codable, Sendable, Equatable {
    public var module: String
    /// The configuration as written (a mapping); validated against the module's schema when the
    /// pipeline is built.
    public var config: ManifestNode

    public init(module: String, config: ManifestNode = ManifestNode(.object([]))) {
        self.module = module
        self.config = config
    }
}

/// Where a relation module sits.
public enum RelationPlacement: String, Codable, Sendable, CaseIterable {
    /// On the backbone's pooled features `[B, D]`, just before the head (BatchFormer V1).
    case features
    /// On the backbone's dense output, a feature map `[B, C, H, W]` or tokens `[B, N, C]`, before
    /// the pipeline pools it (BatchFormer V2). Dense relations come before every `features` one.
    case dense
}

public struct RelationSpec: Codable, Sendable, Equatable {
    public var module: String
    public var config: ManifestNode
    public var placement: RelationPlacement
    /// Scales the optimiser's learning rate for this module's parameters (BatchFormer: often 0.1).
    public var learningRateMultiplier: Double

    enum CodingKeys: String, CodingKey {
        case module, config, placement
        case learningRateMultiplier = "learning_rate_multiplier"
    }

    public init(module: String, config: ManifestNode = ManifestNode(.object([])), placement: RelationPlacement = .features,
                learningRateMultiplier: Double = 1) {
        self.module = module
        self.config = config
        self.placement = placement
        self.learningRateMultiplier = learningRateMultiplier
    }
}

public struct LossSpec: Codable, Sendable, Equatable {
    public var module: String
    public var config: ManifestNode
    /// The loss's weight in the total; the total is Σ weight · loss.
    public var weight: Double

    public init(module: String, config: ManifestNode = ManifestNode(.object([])), weight: Double = 1) {
        self.module = module
        self.config = config
        self.weight = weight
    }
}

public struct ModelSpec: Codable, Sendable, Equatable {
    public var backbone: ModuleSpec
    public var relations: [RelationSpec]
    public var head: ModuleSpec
    public var losses: [LossSpec]

    public init(backbone: ModuleSpec, relations: [RelationSpec] = [], head: ModuleSpec, losses: [LossSpec]) {
        self.backbone = backbone
        self.relations = relations
        self.head = head
        self.losses = losses
    }
}

public enum DataFormat: String, Codable, Sendable, CaseIterable {
    case cifar10 = "cifar10-binary", cifar100 = "cifar100-binary", idx, npz, csv, synthetic
    /// ImageNet-LT list files with the images in `.npy` shards (`ZooData.ImageList`).
    case imageList = "imagenet-lt-npy"

    /// The shape of one sample the format implies, when it implies one.
    public var impliedInputShape: [Int]? {
        switch self {
        case .cifar10, .cifar100: [3, 32, 32]
        default: nil
        }
    }

    public var impliedClassCount: Int? {
        switch self {
        case .cifar10: 10
        case .cifar100: 100
        default: nil
        }
    }
}

/// An exponential long-tail cut of a balanced training set: class i keeps
/// `floor(n_max · ratio^(−i/(C−1)))` samples.
public struct LongTailSpec: Codable, Sendable, Equatable {
    /// How the class counts fall from `n_max`.
    public enum Profile: String, Codable, Sendable, CaseIterable {
        /// `n_i = floor(n_max · ratio^(−i/(C−1)))`.
        case exponential
        /// The first `many_classes` classes keep `n_max`, the others `floor(n_max / ratio)`.
        case step
    }

    public var ratio: Double
    public var nMax: Int
    public var seed: Int
    public var profile: Profile
    /// The classes that keep `n_max` in the step profile (default: half of them).
    public var manyClasses: Int?

    enum CodingKeys: String, CodingKey {
        case ratio, seed, profile
        case nMax = "n_max", manyClasses = "many_classes"
    }

    public init(ratio: Double, nMax: Int, seed: Int = 0, profile: Profile = .exponential, manyClasses: Int? = nil) {
        self.ratio = ratio
        self.nMax = nMax
        self.seed = seed
        self.profile = profile
        self.manyClasses = manyClasses
    }

    /// The per-class counts of the cut for `classes` classes.
    public func classCounts(classes: Int) -> [Int] {
        switch profile {
        case .exponential: LongTailCounts.exponential(classes: classes, maximum: nMax, ratio: ratio)
        case .step: LongTailCounts.step(classes: classes, maximum: nMax, ratio: ratio, manyClasses: manyClasses ?? classes / 2)
        }
    }
}

/// The order in which an epoch visits the training samples.
public enum SamplerName: String, Codable, Sendable, CaseIterable {
    /// Every sample once per epoch, shuffled.
    case uniform
    /// Each draw picks a class uniformly, then one of its samples.
    case classBalanced = "class-balanced"
    /// Class probability proportional to the square root of its count.
    case squareRoot = "square-root"
}

/// Training-time image augmentation, torchvision's usual CIFAR recipe: a random crop after zero
/// padding, a horizontal flip with probability ½, then per-channel normalisation (which the test
/// data gets as well).
public struct AugmentationSpec: Codable, Sendable, Equatable {
    public var cropPadding: Int
    public var horizontalFlip: Bool
    /// Per-channel mean and standard deviation, on the scale of the data as read.
    public var mean: [Double]?
    public var std: [Double]?

    enum CodingKeys: String, CodingKey {
        case mean, std
        case cropPadding = "crop_padding", horizontalFlip = "horizontal_flip"
    }

    public init(cropPadding: Int = 0, horizontalFlip: Bool = false, mean: [Double]? = nil, std: [Double]? = nil) {
        (self.cropPadding, self.horizontalFlip, self.mean, self.std) = (cropPadding, horizontalFlip, mean, std)
    }
}

public struct DataSpec: Codable, Sendable, Equatable {
    public var format: DataFormat
    /// Training and test data (files or folders), relative to the manifest's folder.
    public var train: String?
    public var test: String?
    /// The shape of one sample, without the batch axis.
    public var inputShape: [Int]?
    public var numClasses: Int?
    /// Training samples per class, when known without reading the data.
    public var classCounts: [Int]?
    public var longTail: LongTailSpec?
    public var sampler: SamplerName
    public var augmentation: AugmentationSpec?

    enum CodingKeys: String, CodingKey {
        case format, train, test, sampler, augmentation
        case inputShape = "input_shape", numClasses = "num_classes", classCounts = "class_counts", longTail = "long_tail"
    }

    public init(format: DataFormat, train: String? = nil, test: String? = nil, inputShape: [Int]? = nil,
                numClasses: Int? = nil, classCounts: [Int]? = nil, longTail: LongTailSpec? = nil,
                sampler: SamplerName = .uniform, augmentation: AugmentationSpec? = nil) {
        self.sampler = sampler
        self.augmentation = augmentation
        self.format = format
        self.train = train
        self.test = test
        self.inputShape = inputShape
        self.numClasses = numClasses
        self.classCounts = classCounts
        self.longTail = longTail
    }

    /// Training samples per class: given, or from the long-tail cut; nil when only the data knows.
    public var resolvedClassCounts: [Int]? {
        if let classCounts { return classCounts }
        if let longTail, let numClasses { return longTail.classCounts(classes: numClasses) }
        return nil
    }
}

public enum OptimizerName: String, Codable, Sendable, CaseIterable {
    case sgd, adamw
}

public struct OptimizerSpec: Codable, Sendable, Equatable {
    public var name: OptimizerName
    public var learningRate: Double
    public var momentum: Double
    public var weightDecay: Double
    public var nesterov: Bool
    /// AdamW's β₁, β₂ and ε.
    public var betas: [Double]
    public var eps: Double
    /// Learning-rate multipliers by stage: `backbone`, `head`, `relations.0`, `losses.1`.
    public var learningRateMultipliers: [String: Double]
    /// Whether weight decay applies to biases and normalisation weights (parameters of rank ≤ 1
    /// or named `….bias`); false gives them none, as many long-tail recipes do.
    public var decayNormsAndBiases: Bool

    enum CodingKeys: String, CodingKey {
        case name, momentum, nesterov, betas, eps
        case learningRate = "learning_rate", weightDecay = "weight_decay", learningRateMultipliers = "learning_rate_multipliers"
        case decayNormsAndBiases = "decay_norms_and_biases"
    }

    public init(name: OptimizerName = .sgd, learningRate: Double = 0.1, momentum: Double = 0.9, weightDecay: Double = 0,
                nesterov: Bool = false, betas: [Double] = [0.9, 0.999], eps: Double = 1e-8,
                learningRateMultipliers: [String: Double] = [:], decayNormsAndBiases: Bool = true) {
        self.decayNormsAndBiases = decayNormsAndBiases
        self.name = name
        self.learningRate = learningRate
        self.momentum = momentum
        self.weightDecay = weightDecay
        self.nesterov = nesterov
        self.betas = betas
        self.eps = eps
        self.learningRateMultipliers = learningRateMultipliers
    }
}

public enum ScheduleName: String, Codable, Sendable, CaseIterable {
    case constant, step, multistep, cosine
}

public struct ScheduleSpec: Codable, Sendable, Equatable {
    public var name: ScheduleName
    public var warmupEpochs: Int
    /// `step`: every `step_size` epochs; `multistep`: at each milestone; the rate is multiplied by `gamma`.
    public var stepSize: Int?
    public var milestones: [Int]
    public var gamma: Double
    /// `cosine`: the rate at the end.
    public var minLearningRate: Double

    enum CodingKeys: String, CodingKey {
        case name, milestones, gamma
        case warmupEpochs = "warmup_epochs", stepSize = "step_size", minLearningRate = "min_learning_rate"
    }

    public init(name: ScheduleName = .constant, warmupEpochs: Int = 0, stepSize: Int? = nil, milestones: [Int] = [],
                gamma: Double = 0.1, minLearningRate: Double = 0) {
        self.name = name
        self.warmupEpochs = warmupEpochs
        self.stepSize = stepSize
        self.milestones = milestones
        self.gamma = gamma
        self.minLearningRate = minLearningRate
    }
}

public struct TrainingSpec: Codable, Sendable, Equatable {
    public var epochs: Int
    public var batchSize: Int
    public var seed: Int
    /// Two-stream training: a relation whose descriptor says two-stream doubles the batch and the
    /// labels are duplicated. When false, such relations are refused.
    public var twoStream: Bool
    public var gradientClipNorm: Double?

    enum CodingKeys: String, CodingKey {
        case epochs, seed
        case batchSize = "batch_size", twoStream = "two_stream", gradientClipNorm = "gradient_clip_norm"
    }

    public init(epochs: Int = 1, batchSize: Int = 128, seed: Int = 0, twoStream: Bool = true, gradientClipNorm: Double? = nil) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.seed = seed
        self.twoStream = twoStream
        self.gradientClipNorm = gradientClipNorm
    }
}

public struct EvaluationSpec: Codable, Sendable, Equatable {
    /// Defaults to the training batch size.
    public var batchSize: Int?
    /// Evaluate every this many epochs (and after the last).
    public var every: Int
    /// Also report many-shot (> 100), medium-shot (20–100) and few-shot (< 20) accuracy.
    public var shotGroups: Bool

    enum CodingKeys: String, CodingKey {
        case every
        case batchSize = "batch_size", shotGroups = "shot_groups"
    }

    public init(batchSize: Int? = nil, every: Int = 1, shotGroups: Bool = false) {
        self.batchSize = batchSize
        self.every = every
        self.shotGroups = shotGroups
    }
}

public struct OutputSpec: Codable, Sendable, Equatable {
    /// Where checkpoints, logs and the resolved manifest go (relative to the manifest's folder).
    public var folder: String
    /// Save a checkpoint every this many epochs (0: only at the end).
    public var checkpointEvery: Int

    enum CodingKeys: String, CodingKey {
        case folder
        case checkpointEvery = "checkpoint_every"
    }

    public init(folder: String = "runs", checkpointEvery: Int = 0) {
        self.folder = folder
        self.checkpointEvery = checkpointEvery
    }
}

extension ManifestNode: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self.init(.null); return }
        if let b = try? container.decode(Bool.self) { self.init(.bool(b)); return }
        if let i = try? container.decode(Int64.self) { self.init(.integer(i)); return }
        if let d = try? container.decode(Double.self) { self.init(.number(d)); return }
        if let s = try? container.decode(String.self) { self.init(.string(s)); return }
        if let a = try? container.decode([ManifestNode].self) { self.init(.array(a)); return }
        let o = try container.decode([String: ManifestNode].self)
        self.init(.object(o.sorted { $0.key < $1.key }.map { ManifestMember(key: $0.key, value: $0.value) }))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch value {
        case .null: try container.encodeNil()
        case .bool(let b): try container.encode(b)
        case .integer(let i): try container.encode(i)
        case .number(let d): try container.encode(d)
        case .string(let s): try container.encode(s)
        case .array(let a): try container.encode(a)
        case .object(let members):
            try container.encode(Dictionary(members.map { ($0.key, $0.value) }, uniquingKeysWith: { $1 }))
        }
    }
}
