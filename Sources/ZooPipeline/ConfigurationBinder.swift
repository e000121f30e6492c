import ZooManifest
import ZooPluginHost

/// The second stage, **bind**: a stage's configuration as the manifest gives it, plus the values
/// the module's schema binds (`x-zoo-from`, see `BindingSource`) that the manifest leaves out.
///
/// The host fills exactly the keys a module declares (descriptors compiled against ABI 1.3 or
/// later); a descriptor of ABI 1.2 or earlier gets the 1.2 rule of names
/// (`ModuleDescriptor.legacyBindings`). A key the manifest gives is never replaced. A bound key
/// whose source is not known is left out, and refused here when the module cannot do without it.
struct ConfigurationBinder {
    /// `data.num_classes`.
    let numClasses: Int?
    /// The training class counts: `data.class_counts`, or the long-tail cut.
    let classCounts: [Int]?

    init(data: DataSpec?) {
        numClasses = data?.numClasses
        classCounts = data?.resolvedClassCounts
    }

    /// The configuration at `path` (e.g. `model.head`) with the bound values that are known, for a
    /// stage whose input has per-sample shape `input` (nil when unknown: `upstreamFailed` says
    /// whether because a stage before it already failed, or because the data names no input
    /// shape), and the keys the module cannot do without that stayed unknown.
    func bind(_ config: ManifestNode, module: ModuleDescriptor, input: [Int]?, upstreamFailed: Bool, at path: String) -> Binding {
        var binding = Binding(configuration: JSONValue(config))
        guard case .object(var members) = binding.configuration else { return binding }
        for bound in module.bindings(inputRank: input?.count) where !members.contains(where: { $0.key == bound.key }) {
            if let value = bound.source.value(input: input, numClasses: numClasses, classCounts: classCounts) {
                members.append((bound.key, value))
            } else if module.needsBoundValue(bound) {
                let key = "\(path).config.\(bound.key)"
                binding.unknownKeys.append(key)
                if bound.source.isData || !upstreamFailed {
                    binding.problems.append((key, "\(module.name) needs \(bound.source.what): \(bound.source.remedy)"))
                }
            }
        }
        binding.configuration = .object(members)
        return binding
    }
}

/// A configuration with its bound values, and what could not be bound.
struct Binding {
    var configuration: JSONValue
    /// Manifest paths of needed bound keys whose sources are not known; the module is not created.
    var unknownKeys: [String] = []
    /// What to tell the user about them (nothing when a problem before explains it).
    var problems: [(path: String, message: String)] = []
}

extension BindingSource {
    /// Whether the value comes from the manifest's `data` section (not from the stage before).
    var isData: Bool { self == .dataNumClasses || self == .dataClassCounts }
}
