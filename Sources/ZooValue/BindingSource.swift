/// Where the host takes the value of a configuration key from: the `"x-zoo-from"` annotation of a
/// property in a module's schema (plug-in ABI 1.3). The host fills a bound key when the manifest
/// leaves it out and the source is known, before it validates the configuration; it fills no
/// other key.
///
/// - `input.features`: the feature width of the input the stage receives: D of `[B, D]` and
///   `[B, N, D]`, C of `[B, C, H, W]`.
/// - `input.channels`: C of an image-like input `[B, C, H, W]`.
/// - `input.shape`: the input's shape without the batch axis, as an integer array.
/// - `data.num_classes`: the manifest's `data.num_classes`.
/// - `data.class_counts`: the training samples per class (`data.class_counts`, or the long-tail cut
///   of `data.long_tail` with `data.num_classes`), an integer array.
///
/// The host fills bound keys and the plug-in kit declares them, both with this one list: the names
/// are the contract of `zoo_plugin.h`.
public enum BindingSource: String, Sendable, CaseIterable {
    case inputFeatures = "input.features"
    case inputChannels = "input.channels"
    case inputShape = "input.shape"
    case dataNumClasses = "data.num_classes"
    case dataClassCounts = "data.class_counts"

    /// The annotation's keyword.
    public static let keyword = "x-zoo-from"

    /// The value of this source for a stage whose input has the per-sample shape `input` (no batch
    /// axis), with the data's class count and training class counts; nil when it is not known.
    public func value(input: [Int]?, numClasses: Int?, classCounts: [Int]?) -> JSONValue? {
        switch self {
        case .inputFeatures:
            guard let input, let last = input.last else { return nil }
            return .integer(Int64(input.count == 3 ? input[0] : last))
        case .inputChannels:
            guard let input, input.count == 3 else { return nil }
            return .integer(Int64(input[0]))
        case .inputShape:
            return input.map { .array($0.map { .integer(Int64($0)) }) }
        case .dataNumClasses:
            return numClasses.map { .integer(Int64($0)) }
        case .dataClassCounts:
            return classCounts.map { .array($0.map { .integer(Int64($0)) }) }
        }
    }

    /// What a user gives in the manifest instead, for the message when the source is not known.
    public var remedy: String {
        switch self {
        case .inputFeatures, .inputChannels, .inputShape: "give it here, or data.input_shape"
        case .dataNumClasses: "give it here, or data.num_classes"
        case .dataClassCounts: "give them here, or data.class_counts, or data.long_tail with data.num_classes"
        }
    }

    /// What the source is, in words, for messages.
    public var what: String {
        switch self {
        case .inputFeatures: "its input's feature width"
        case .inputChannels: "its input's channel count"
        case .inputShape: "its input's shape"
        case .dataNumClasses: "the number of classes"
        case .dataClassCounts: "class counts"
        }
    }
}
