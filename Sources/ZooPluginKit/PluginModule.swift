import CZooPlugin
import ZooNN
import ZooTensor

/// What a module is for (`zoo_module_kind`).
public enum ModuleKind: Int32, Sendable, CaseIterable {
    /// Images or features → features `[B, D]` (or dense maps).
    case backbone = 1
    /// Features `[B, D]` → logits `[B, C]`.
    case head = 2
    /// Logits `[B, C]` and labels `[B]` → a scalar loss `[]`.
    case loss = 3
    /// A batch-relation module (BatchFormer) between backbone and head.
    case relation = 4
}

/// Whether the host may call a module from several threads at once (`zoo_threading`).
public enum ModuleThreading: Int32, Sendable {
    /// One thread at a time. The kit's default: backward collects gradients in the `grad` of the
    /// module's shared parameter tensors, so two backward passes must not overlap.
    case serialised = 0
    /// Several threads at once, each forward with its own state. Only for modules without
    /// parameters whose forward changes no shared state.
    case reentrant = 1
}

/// How a training forward changes the batch (`zoo_batch_effect`).
public enum BatchEffect: Int32, Sendable {
    /// Output batch = input batch; labels unchanged.
    case unchanged = 0
    /// Output = `concat([input, f(input)], axis 0)` in training: the batch doubles and the host
    /// duplicates the labels.
    case twoStream = 1
}

/// The configuration of a module that takes none (`{}`): a `PluginConfiguration` without keys.
public struct NoConfiguration: PluginConfiguration, Sendable {
    public init() {}
}

/// A module kind a plug-in offers, written in Swift.
///
/// Most authors conform to a role protocol instead (`Backbone`, `Head`, `Loss`, `BatchRelation`),
/// which fixes `kind` and replaces the general `forward(_:labels:training:)` by a simpler one.
/// A class that is also a ZooNN `Module` (or `Layer`) serves as its own `module`.
///
/// The kit calls `module.setTraining(_:)` before every forward, so layers such as `Dropout` and
/// `BatchNorm` follow the host's mode; a module reads the mode from `isTraining`.
public protocol PluginModule: AnyObject {
    /// The decoded configuration. The host validated the JSON against `configurationSchema` and
    /// filled in its defaults before the kit decodes it.
    ///
    /// Declare it as a `PluginConfiguration` (each key once, with `Key`) and the kit derives
    /// `configurationSchema` and the decoding from it. Any other `Decodable` type is decoded with
    /// `JSONDecoder`, next to a `configurationSchema` written by hand.
    associatedtype Configuration: Decodable

    /// Unique across loaded plug-ins, e.g. `"focal-loss"`.
    static var name: String { get }
    static var kind: ModuleKind { get }
    /// One line.
    static var summary: String { get }
    /// Longer help for `zoo describe`: what the module does to the batch and the labels, its
    /// inputs and outputs. Default: empty.
    static var documentation: String { get }
    /// A JSON Schema object for `Configuration`: properties, types, ranges, defaults. Derived
    /// when `Configuration` is a `PluginConfiguration`.
    static var configurationSchema: String { get }
    /// Complete example configurations, with input shapes where they are not implied
    /// (`ModuleExample`): what `zoo plugin check` runs and `zoo describe` shows. Default: none.
    static var examples: [ModuleExample] { get }
    /// Tensors forward takes, labels included. Default: 2 for a loss, 1 otherwise.
    static var inputCount: Int { get }
    /// Tensors forward returns. Default: 1.
    static var outputCount: Int { get }
    /// Whether the last input is int64 class labels `[B]`, handed to forward as `[Int]`.
    /// Default: true for a loss.
    static var takesLabels: Bool { get }
    /// Default: `.unchanged` (`.twoStream` for a `BatchRelation`).
    static var batchEffect: BatchEffect { get }
    /// Whether the host skips the module in evaluation. Default: false (true for a `BatchRelation`).
    static var trainingOnly: Bool { get }
    /// Default: `.serialised`.
    static var threading: ModuleThreading { get }

    /// Makes a module from its configuration; throw `PluginError.invalidConfiguration` for values
    /// the schema could not rule out.
    init(configuration: Configuration, host: PluginHost) throws

    /// The ZooNN module whose `namedParameters()` and `namedBuffers()` the host sees, updates in
    /// place and checkpoints. Listed once after `init`: never replace a parameter tensor afterwards.
    var module: Module { get }

    /// The shapes forward would return for inputs of these shapes (labels included); throw
    /// `PluginError.shape` for shapes the module cannot take. The kit checks every forward's
    /// inputs with it before calling `forward`, so forward itself never sees a wrong shape.
    func outputShapes(for inputShapes: [[Int]]) throws -> [[Int]]

    /// The general forward: the float inputs (labels excluded) and, when `takesLabels`, the labels.
    /// Record the computation with ZooTensor ops; the kit back-propagates through it.
    func forward(_ inputs: [Tensor], labels: [Int]?, training: Bool) throws -> [Tensor]
}

extension PluginModule {
    public static var documentation: String { "" }
    public static var inputCount: Int { kind == .loss ? 2 : 1 }
    public static var outputCount: Int { 1 }
    public static var takesLabels: Bool { kind == .loss }
    public static var batchEffect: BatchEffect { .unchanged }
    public static var trainingOnly: Bool { false }
    public static var threading: ModuleThreading { .serialised }

    /// `Configuration`, for code that holds the module type as an existential.
    static var configurationType: any Decodable.Type { Configuration.self }
}

extension PluginModule where Self: Module {
    /// A module class that is a ZooNN `Module` exposes its own parameters.
    public var module: Module { self }
}

// MARK: - Roles

/// A module that maps one float tensor to one: backbones, heads, batch-relation modules.
/// A ZooNN `Layer` subclass already has the `forward(_:)` it asks for.
public protocol SingleInputModule: PluginModule {
    /// The output for one input; read `isTraining` (or `module.isTraining`) for the mode.
    func forward(_ input: Tensor) throws -> Tensor
    /// The shape `forward(_:)` returns for an input of this shape; throw `PluginError.shape`
    /// for shapes the module cannot take.
    func outputShape(for inputShape: [Int]) throws -> [Int]
}

extension SingleInputModule {
    public func outputShapes(for inputShapes: [[Int]]) throws -> [[Int]] {
        try PluginError.expectInputCount(inputShapes.count, Self.inputCount, module: Self.name)
        return [try outputShape(for: inputShapes[0])]
    }

    public func forward(_ inputs: [Tensor], labels: [Int]?, training: Bool) throws -> [Tensor] {
        try PluginError.expectInputCount(inputs.count, 1, module: Self.name)
        return [try forward(inputs[0])]
    }
}

/// Images or features → features. `kind` is `.backbone`.
public protocol Backbone: SingleInputModule {}

extension Backbone {
    public static var kind: ModuleKind { .backbone }
}

/// Features `[B, D]` → logits `[B, C]`. `kind` is `.head`.
public protocol Head: SingleInputModule {}

extension Head {
    public static var kind: ModuleKind { .head }
}

/// A batch-relation module (BatchFormer). `kind` is `.relation`; by default `batchEffect` is
/// `.twoStream` and `trainingOnly` is true.
///
/// With `.twoStream`, `forward(_:)` computes the transformed stream `f(x)` only; the kit returns
/// `concat([x, f(x)], axis 0)`, so that the shared head sees both streams and gradients reach the
/// input through both. `outputShape(for:)` is the shape of `f(x)` (default: the input's shape);
/// the kit doubles the batch.
public protocol BatchRelation: SingleInputModule {}

extension BatchRelation {
    public static var kind: ModuleKind { .relation }
    public static var batchEffect: BatchEffect { .twoStream }
    public static var trainingOnly: Bool { true }

    public func outputShape(for inputShape: [Int]) throws -> [Int] { inputShape }

    public func outputShapes(for inputShapes: [[Int]]) throws -> [[Int]] {
        try PluginError.expectInputCount(inputShapes.count, 1, module: Self.name)
        let input = inputShapes[0]
        guard !input.isEmpty else {
            throw PluginError.shape("\(Self.name): input of shape \(input) has no batch axis")
        }
        var shape = try outputShape(for: input)
        guard Self.batchEffect == .twoStream else { return [shape] }
        guard shape.first == input[0] else {
            throw PluginError.shape(
                "\(Self.name): a two-stream module keeps the batch: input \(input) gave \(shape)")
        }
        shape[0] *= 2
        return [shape]
    }

    public func forward(_ inputs: [Tensor], labels: [Int]?, training: Bool) throws -> [Tensor] {
        try PluginError.expectInputCount(inputs.count, 1, module: Self.name)
        let transformed = try forward(inputs[0])
        guard Self.batchEffect == .twoStream else { return [transformed] }
        guard transformed.shape == inputs[0].shape else {
            throw PluginError.internal(
                "\(Self.name): the transformed stream has shape \(transformed.shape), the input \(inputs[0].shape)")
        }
        return [Tensor.concatenate([inputs[0], transformed], alongAxis: 0)]
    }
}

/// Logits `[B, C]` and class labels → a scalar loss. `kind` is `.loss`.
///
/// The host passes the labels as an int64 tensor `[B]` (second input); the kit checks that there
/// is one label per row and each lies in `0..<C`, and hands them over as `[Int]`.
public protocol Loss: PluginModule {
    /// The loss, a one-element tensor (usually a mean over the batch).
    func loss(logits: Tensor, labels: [Int]) throws -> Tensor
}

extension Loss {
    public static var kind: ModuleKind { .loss }

    public func outputShapes(for inputShapes: [[Int]]) throws -> [[Int]] {
        try PluginError.expectInputCount(inputShapes.count, 2, module: Self.name)
        let logits = inputShapes[0], labels = inputShapes[1]
        guard logits.count == 2, labels == [logits[0]] else {
            throw PluginError.shape(
                "\(Self.name): expected logits [B, C] and labels [B], got logits \(logits) and labels \(labels)")
        }
        return [[]]
    }

    public func forward(_ inputs: [Tensor], labels: [Int]?, training: Bool) throws -> [Tensor] {
        try PluginError.expectInputCount(inputs.count, 1, module: Self.name)
        guard let labels else {
            throw PluginError.invalidArgument("\(Self.name): a loss needs labels")
        }
        let logits = inputs[0]
        guard logits.rank == 2, labels.count == logits.shape[0] else {
            throw PluginError.shape(
                "\(Self.name): expected logits [B, C] and B labels, got logits \(logits.shape) and \(labels.count) labels")
        }
        let classes = logits.shape[1]
        if let (row, label) = labels.enumerated().first(where: { $0.element < 0 || $0.element >= classes }) {
            throw PluginError.invalidArgument(
                "\(Self.name): label \(label) in row \(row) is outside 0..<\(classes) (logits \(logits.shape))")
        }
        let value = try loss(logits: logits, labels: labels)
        guard value.count == 1 else {
            throw PluginError.internal("\(Self.name): the loss has shape \(value.shape); expected one element")
        }
        return [value.reshaped([])]
    }
}
