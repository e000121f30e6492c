import ZooValue

/// Where the host derives a configuration key's value from when a manifest does not give it: the
/// schema annotation `"x-zoo-from"` of the key's property (`BindingSource`: `.inputFeatures`,
/// `.inputChannels`, `.inputShape`, `.dataNumClasses`, `.dataClassCounts`).
///
/// A bound key without a default that is not optional stays `required`: the host fills it before
/// validating when it can, and never falls back to a default.
public typealias ConfigurationSource = BindingSource

extension BindingSource {
    /// Whether the host gives an integer array (otherwise one integer).
    var givesArray: Bool { self == .inputShape || self == .dataClassCounts }
}
