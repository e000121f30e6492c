/// Where the host derives a configuration key's value from when a manifest does not give it: the
/// schema annotation `"x-zoo-from"` of the key's property.
///
/// A bound key without a default that is not optional stays `required`: the host fills it before
/// validating when it can, and never falls back to a default.
public enum ConfigurationSource: String, Sendable, CaseIterable {
    /// The feature width of the stage's input: D of `[B, D]` and `[B, N, D]`, C of `[B, C, H, W]`.
    case inputFeatures = "input.features"
    /// The channels C of an image input `[B, C, H, W]`.
    case inputChannels = "input.channels"
    /// The input's per-sample shape, an integer array (`[3, 32, 32]` for `[B, 3, 32, 32]`).
    case inputShape = "input.shape"
    /// The number of classes of the data.
    case dataNumClasses = "data.num_classes"
    /// The training samples per class, an integer array of length `data.num_classes`.
    case dataClassCounts = "data.class_counts"

    /// Whether the host gives an integer array (otherwise one integer).
    var givesArray: Bool { self == .inputShape || self == .dataClassCounts }
}
