import ZooValue

extension ModuleDescriptor {
    /// The first plug-in ABI minor version whose modules declare their bindings (`x-zoo-from`).
    public static let declaredBindingsMinor = 3

    /// Whether the host fills exactly the keys the schema binds (a descriptor compiled against ABI
    /// 1.3 or later), or follows the 1.2 rule of names (`legacyBindings`).
    public var declaresBindings: Bool { abiMinor >= ModuleDescriptor.declaredBindingsMinor }

    /// The keys the host derives for this module, for a stage whose input has per-sample rank
    /// `inputRank` (nil when unknown).
    public func bindings(inputRank: Int?) -> [ConfigBinding] {
        declaresBindings ? configSchema.bindings : legacyBindings(inputRank: inputRank)
    }

    /// The rule for descriptors compiled against ABI 1.2 or earlier, which declare nothing: the
    /// host fills keys by their names, as hosts of those versions did.
    ///
    /// - backbone: `in_dim` ← input.features (for a one-axis sample), `in_channels` ← input.channels;
    /// - relation: `dim` ← input.features;
    /// - head: `in_dim`, `in_features` ← input.features; `num_classes`, `out_dim`, `out_features` ←
    ///   data.num_classes;
    /// - loss: `class_counts` ← data.class_counts (refused when unknown), `num_classes` ← data.num_classes.
    public func legacyBindings(inputRank: Int?) -> [ConfigBinding] {
        let rule: [(String, BindingSource)]
        switch kind {
        case .backbone: rule = (inputRank == 1 ? [("in_dim", .inputFeatures)] : []) + [("in_channels", .inputChannels)]
        case .relation: rule = [("dim", .inputFeatures)]
        case .head:
            rule = [("in_dim", .inputFeatures), ("in_features", .inputFeatures), ("num_classes", .dataNumClasses),
                    ("out_dim", .dataNumClasses), ("out_features", .dataNumClasses)]
        case .loss: rule = [("class_counts", .dataClassCounts), ("num_classes", .dataNumClasses)]
        default: rule = []
        }
        let names = configSchema.propertyNames
        return rule.filter { names.contains($0.0) }.map { ConfigBinding(key: $0.0, source: $0.1) }
    }

    /// Whether a configuration without `binding.key` is refused when the source is not known. The
    /// 1.2 rule always refused a loss without class counts.
    public func needsBoundValue(_ binding: ConfigBinding) -> Bool {
        configSchema.needs(binding.key) || (!declaresBindings && binding.source == .dataClassCounts)
    }
}
