import Foundation
import ZooPluginKit

// MARK: - shared

private let batchAndLabels = """
    Inputs: logits [B, C] (float32) and labels [B] (int64 class indices in 0..<C). Output: a scalar loss, the \
    mean over the B rows (a weighted mean where class weights apply). Batch and labels: read only; after a \
    two-stream relation module B is the doubled batch and the labels are the host's duplicated labels.
    """

/// The key of every prior-based loss: the training samples per class, which the host derives from
/// the data.
struct ClassCounts: PluginConfiguration {
    @Key("class_counts", exclusiveMinimum: 0, "training samples per class, length C; the pipeline fills it from the data",
         from: .dataClassCounts)
    var counts: [Double]

    /// The counts, checked for what the schema cannot say: at least one class.
    func checked(module: String) throws -> [Double] {
        guard !counts.isEmpty else {
            throw PluginError.invalidConfiguration(
                "\(module): class_counts is empty; give the training samples per class (the pipeline fills it from the data)")
        }
        return counts
    }
}

/// `log(n_c / Σ n)` as a `[C]` tensor.
func logPrior(_ counts: [Double]) -> Tensor {
    let total = counts.reduce(0, +)
    return Tensor(shape: [counts.count], scalars: counts.map { Float(Foundation.log($0 / total)) })
}

/// Cui et al.'s effective-number weights `(1 − β) / (1 − β^n_c)`, normalised to sum to C.
func classBalancedWeights(_ counts: [Double], beta: Double) -> Tensor {
    let raw = counts.map { beta == 0 ? 1 : (1 - beta) / (1 - Foundation.pow(beta, $0)) }
    let total = raw.reduce(0, +)
    return Tensor(shape: [counts.count], scalars: raw.map { Float($0 / total * Double(counts.count)) })
}

/// The shapes of a loss whose class count is fixed by its configuration (`classes`), or any C.
func lossShapes(_ module: String, _ inputShapes: [[Int]], classes: Int?) throws -> [[Int]] {
    guard inputShapes.count == 2 else {
        throw PluginError.invalidArgument("\(module): expected 2 inputs (logits and labels), got \(inputShapes.count)")
    }
    let logits = inputShapes[0], labels = inputShapes[1]
    guard logits.count == 2, labels == [logits[0]] else {
        throw PluginError.shape("\(module): expected logits [B, C] and labels [B], got logits \(logits) and labels \(labels)")
    }
    if let classes, logits[1] != classes {
        throw PluginError.shape("\(module): logits \(logits) have \(logits[1]) classes; class_counts has \(classes)")
    }
    return [[]]
}

// MARK: - losses

/// `mean(−log softmax(z)_y)`.
final class CrossEntropyLoss: Module, Loss {
    typealias Configuration = NoConfiguration
    static let name = "cross-entropy"
    static let examples = [ModuleExample(#"{}"#, inputs: [[4, 5]])]
    static let summary = "softmax cross-entropy (F.cross_entropy)"
    static let documentation = "Mean over the batch of -log softmax(z)_y, as F.cross_entropy. " + batchAndLabels
    static var threading: ModuleThreading { .reentrant }

    init(configuration: Configuration, host: PluginHost) throws { super.init() }

    func loss(logits: Tensor, labels: [Int]) throws -> Tensor {
        Tensor.crossEntropy(logits: logits, labels: labels)
    }
}

/// Cross-entropy against `(1 − ε)·onehot + ε/C`.
final class LabelSmoothingLoss: Module, Loss {
    struct Configuration: PluginConfiguration {
        @Key("epsilon", minimum: 0, maximum: 1, "the smoothing weight") var epsilon: Float = 0.1
    }
    static let name = "label-smoothing"
    static let examples = [ModuleExample(#"{"epsilon": 0.1}"#, inputs: [[4, 5]])]
    static let summary = "cross-entropy with label smoothing (F.cross_entropy label_smoothing=epsilon)"
    static let documentation = """
        Cross-entropy against the smoothed target (1 - epsilon) * onehot(y) + epsilon / C, with PyTorch's \
        semantics (F.cross_entropy(label_smoothing=epsilon)): (1 - epsilon) * CE + epsilon * mean_c(-log p_c). \
        epsilon = 0 is cross-entropy. 
        """ + batchAndLabels
    static var threading: ModuleThreading { .reentrant }

    let epsilon: Float

    init(configuration: Configuration, host: PluginHost) throws {
        epsilon = configuration.epsilon
        super.init()
    }

    func loss(logits: Tensor, labels: [Int]) throws -> Tensor {
        Tensor.crossEntropy(logits: logits, labels: labels, labelSmoothing: epsilon)
    }
}

/// `mean(−(1 − p_y)^γ · log p_y)` (Lin et al. 2017).
final class FocalLoss: Module, Loss {
    struct Configuration: PluginConfiguration {
        @Key("gamma", minimum: 0, "the focusing parameter") var gamma: Float = 2
    }
    static let name = "focal"
    static let examples = [ModuleExample(#"{"gamma": 2}"#, inputs: [[4, 5]])]
    static let summary = "focal loss: cross-entropy weighted by (1 - p_y)^gamma (Lin et al. 2017)"
    static let documentation = """
        Mean over the batch of -(1 - p_y)^gamma * log p_y with p = softmax(z): cross-entropy that down-weights \
        the samples the model already classifies well. gamma = 0 is cross-entropy. 
        """ + batchAndLabels
    static var threading: ModuleThreading { .reentrant }

    let gamma: Float

    init(configuration: Configuration, host: PluginHost) throws {
        gamma = configuration.gamma
        super.init()
    }

    func loss(logits: Tensor, labels: [Int]) throws -> Tensor {
        let logProbability = logits.logSoftmax(alongAxis: 1).gather(columns: labels)   // log p_y, [B]
        guard gamma > 0 else { return -logProbability.mean() }
        // The floor keeps the derivative of x^γ finite (γ < 1) when p_y rounds to 1.
        let weight = (1 - logProbability.exp()).clamped(min: .leastNormalMagnitude).pow(gamma)
        return -(weight * logProbability).mean()
    }
}

/// Cross-entropy with effective-number class weights (Cui et al. 2019).
final class ClassBalancedLoss: Module, Loss {
    struct Configuration: PluginConfiguration {
        @Key("beta", minimum: 0, exclusiveMaximum: 1, "the effective-number hyper-parameter") var beta = 0.9999
        var classCounts = ClassCounts()
    }
    static let name = "class-balanced"
    static let examples = [ModuleExample(#"{"class_counts": [500, 120, 40, 9, 2], "beta": 0.999}"#)]
    static let summary = "class-balanced cross-entropy: effective-number class weights (Cui et al. 2019)"
    static let documentation = """
        Cross-entropy with class weights w_c = (1 - beta) / (1 - beta^n_c), n_c = class_counts[c], normalised so \
        that the C weights sum to C (Cui et al. 2019, effective number of samples), applied as F.cross_entropy's \
        weight=: sum_i w_{y_i} * CE_i / sum_i w_{y_i}. beta = 0 gives equal weights (cross-entropy); beta -> 1 \
        approaches inverse-frequency weighting. class_counts (length C) is required. 
        """ + batchAndLabels
    static var threading: ModuleThreading { .reentrant }

    let weights: Tensor

    init(configuration: Configuration, host: PluginHost) throws {
        let counts = try configuration.classCounts.checked(module: Self.name)
        weights = classBalancedWeights(counts, beta: configuration.beta)
        super.init()
    }

    func outputShapes(for inputShapes: [[Int]]) throws -> [[Int]] {
        try lossShapes(Self.name, inputShapes, classes: weights.count)
    }

    func loss(logits: Tensor, labels: [Int]) throws -> Tensor {
        Tensor.crossEntropy(logits: logits, labels: labels, classWeights: weights)
    }
}

/// Cross-entropy on `z + log prior` (Ren et al. 2020).
final class BalancedSoftmaxLoss: Module, Loss {
    typealias Configuration = ClassCounts
    static let name = "balanced-softmax"
    static let examples = [ModuleExample(#"{"class_counts": [500, 120, 40, 9, 2]}"#)]
    static let summary = "balanced softmax: cross-entropy on logits + log prior (Ren et al. 2020)"
    static let documentation = """
        Cross-entropy on the shifted logits z + log(prior), prior_c = n_c / sum(n), n = class_counts (length C, \
        required). Only the loss sees the shift: evaluation uses the plain logits. 
        """ + batchAndLabels
    static var threading: ModuleThreading { .reentrant }

    let prior: Tensor

    init(configuration: Configuration, host: PluginHost) throws {
        prior = logPrior(try configuration.checked(module: Self.name))
        super.init()
    }

    func outputShapes(for inputShapes: [[Int]]) throws -> [[Int]] {
        try lossShapes(Self.name, inputShapes, classes: prior.count)
    }

    func loss(logits: Tensor, labels: [Int]) throws -> Tensor {
        Tensor.crossEntropy(logits: logits + prior, labels: labels)
    }
}

/// Cross-entropy on `z + τ · log prior` (Menon et al. 2021).
final class LogitAdjustedLoss: Module, Loss {
    struct Configuration: PluginConfiguration {
        @Key("tau", minimum: 0, "the weight of the log prior") var tau: Float = 1
        var classCounts = ClassCounts()
    }
    static let name = "logit-adjusted"
    static let examples = [ModuleExample(#"{"class_counts": [500, 120, 40, 9, 2], "tau": 1}"#)]
    static let summary = "logit-adjusted loss: cross-entropy on logits + tau * log prior (Menon et al. 2021)"
    static let documentation = """
        Cross-entropy on z + tau * log(prior), prior_c = n_c / sum(n), n = class_counts (length C, required). \
        tau = 1 is balanced softmax, tau = 0 cross-entropy. Only the loss sees the shift. 
        """ + batchAndLabels
    static var threading: ModuleThreading { .reentrant }

    let shift: Tensor

    init(configuration: Configuration, host: PluginHost) throws {
        let counts = try configuration.classCounts.checked(module: Self.name)
        shift = Tensor(shape: [counts.count], scalars: logPrior(counts).scalars.map { $0 * configuration.tau })
        super.init()
    }

    func outputShapes(for inputShapes: [[Int]]) throws -> [[Int]] {
        try lossShapes(Self.name, inputShapes, classes: shift.count)
    }

    func loss(logits: Tensor, labels: [Int]) throws -> Tensor {
        Tensor.crossEntropy(logits: logits + shift, labels: labels)
    }
}

/// Label-distribution-aware margin loss with deferred re-weighting (Cao et al. 2019).
final class LDAMLoss: Module, Loss {
    struct Configuration: PluginConfiguration {
        @Key("max_margin", exclusiveMinimum: 0, "the largest class margin") var maxMargin: Float = 0.5
        @Key("scale", exclusiveMinimum: 0, "s: the logits' scale") var scale: Float = 30
        @Key("drw_epoch", minimum: 0, "the epoch from which class-balanced weights apply") var drwEpoch = 160
        var classCounts = ClassCounts()
    }
    static let name = "ldam"
    static let examples = [ModuleExample(#"{"class_counts": [500, 120, 40, 9, 2], "max_margin": 0.5, "scale": 30}"#)]
    static let summary = "LDAM loss with deferred re-weighting (Cao et al. 2019)"
    static let documentation = """
        Label-distribution-aware margins: CE(scale * (z - m_y onehot(y))), m_c proportional to n_c^(-1/4) with the \
        largest margin = max_margin, n = class_counts (length C, required): rare classes get larger margins. \
        Deferred re-weighting (DRW): the module has a buffer `epoch` (a float32 scalar, 0 at creation) that the \
        trainer writes in place between calls with the current epoch, counted from 0. While epoch < drw_epoch \
        the loss is the plain mean; from epoch >= drw_epoch on the rows are weighted by the class-balanced \
        weights (1 - 0.9999) / (1 - 0.9999^n_c), normalised to sum to C, as F.cross_entropy's weight= \
        (sum_i w_{y_i} * l_i / sum_i w_{y_i}). A host that never writes `epoch` gets plain LDAM. 
        """ + batchAndLabels
    static var threading: ModuleThreading { .reentrant }

    /// The effective-number β of the re-weighting phase (Cao et al.'s value).
    static let drwBeta = 0.9999

    let margins: [Float]
    let scale: Float
    let drwEpoch: Int
    let weights: Tensor
    /// The current epoch, written by the host between calls.
    let epoch = Tensor.zeros([])

    init(configuration: Configuration, host: PluginHost) throws {
        let counts = try configuration.classCounts.checked(module: Self.name)
        let raw = counts.map { Foundation.pow($0, -0.25) }
        let largest = raw.max()!
        margins = raw.map { Float($0 / largest * Double(configuration.maxMargin)) }
        scale = configuration.scale
        drwEpoch = configuration.drwEpoch
        weights = classBalancedWeights(counts, beta: Self.drwBeta)
        super.init()
    }

    override var namedLocalBuffers: [(String, Tensor)] { [("epoch", epoch)] }

    /// Whether the re-weighting phase has begun.
    var reweighting: Bool { epoch.item >= Float(drwEpoch) }

    func outputShapes(for inputShapes: [[Int]]) throws -> [[Int]] {
        try lossShapes(Self.name, inputShapes, classes: margins.count)
    }

    func loss(logits: Tensor, labels: [Int]) throws -> Tensor {
        let (rows, classes) = (logits.shape[0], logits.shape[1])
        var offsets = [Float](repeating: 0, count: rows * classes)
        for (row, label) in labels.enumerated() { offsets[row * classes + label] = margins[label] }
        let adjusted = (logits - Tensor(shape: [rows, classes], scalars: offsets)) * scale
        return Tensor.crossEntropy(logits: adjusted, labels: labels, classWeights: reweighting ? weights : nil)
    }
}

/// The built-in classification losses.
@_cdecl("zoo_plugin_entry_v1")
public func zooPluginEntry(_ host: UnsafePointer<zoo_host_api>?, _ error: OpaquePointer?) -> UnsafePointer<zoo_plugin_info>? {
    ZooPlugin.export(name: "zoo-losses", version: "1.0.0",
                     modules: [CrossEntropyLoss.self, LabelSmoothingLoss.self, FocalLoss.self, ClassBalancedLoss.self,
                               BalancedSoftmaxLoss.self, LogitAdjustedLoss.self, LDAMLoss.self],
                     host: host, error: error)
}
