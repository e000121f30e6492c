import ZooValue

/// One key of a `PluginConfiguration`, declared once: its JSON name, type, default, bounds,
/// choices, description and the host's source for it. The kit derives the key's JSON Schema
/// property and its decoding from this declaration.
///
/// ```swift
/// struct Configuration: PluginConfiguration {
///     @Key("num_classes", minimum: 1, "classes C: the logits' width", from: .dataNumClasses)
///     var numClasses: Int                                     // required
///     @Key("scale", exclusiveMinimum: 0, "the logits' temperature") var scale: Float = 16
///     @Key("mode", oneOf: ["fixed", "learned"]) var mode = "fixed"
///     @Key("hidden", minimum: 1, "widths of the layers") var hidden: [Int] = [512, 512]
///     @Key("ffn_dim", minimum: 1, "feed-forward width (default: dim)") var ffnDim: Int?   // may be absent
///     @Key("pretrained", "a safetensors file") var pretrained: String? = nil              // may be null
/// }
/// ```
///
/// - The initial value is the default: a key with one is not required, and the host fills it in.
/// - A key without a default is required, unless its type is an `Optional`: then it may be absent
///   (nil) but not `null`. An `Optional` with a default (`= nil`) also takes `null`.
/// - Bounds (`minimum`, `exclusiveMinimum`, `maximum`, `exclusiveMaximum`; at most one of each
///   side) apply to numbers; bounds and `oneOf` (the schema's `enum`) apply to each element of an
///   array key.
/// - `from:` writes `"x-zoo-from"`: the host derives the value from the stage's input or the data
///   when the manifest does not give it (see `ConfigurationSource`).
///
/// The value lives in a small shared box, so that the kit can find the keys of a configuration
/// with `Mirror` and fill them; setting a value copies the box first when it is shared, so
/// configurations keep value semantics.
@propertyWrapper
public struct Key<Value: ConfigurationValue> {
    private var box: KeyBox<Value>

    public var wrappedValue: Value {
        get {
            guard let value = box.value else {
                preconditionFailure("configuration key `\(box.declaration.name)` has no default and was never decoded or set")
            }
            return value
        }
        set {
            if !isKnownUniquelyReferenced(&box) { box = KeyBox(box.declaration, value: box.value) }
            box.value = newValue
        }
    }

    /// A key whose initial value is its default: `@Key("gamma", minimum: 0) var gamma: Float = 2`.
    public init(
        wrappedValue: Value, _ name: String,
        minimum: Double? = nil, exclusiveMinimum: Double? = nil, maximum: Double? = nil, exclusiveMaximum: Double? = nil,
        oneOf choices: [Value.Scalar]? = nil, _ description: String? = nil, from source: ConfigurationSource? = nil
    ) {
        self.init(name, default: wrappedValue, minimum: minimum, exclusiveMinimum: exclusiveMinimum, maximum: maximum,
                  exclusiveMaximum: exclusiveMaximum, choices: choices, description: description, source: source)
    }

    /// A key without a default: required, or, for an `Optional`, nil when absent.
    public init(
        _ name: String,
        minimum: Double? = nil, exclusiveMinimum: Double? = nil, maximum: Double? = nil, exclusiveMaximum: Double? = nil,
        oneOf choices: [Value.Scalar]? = nil, _ description: String? = nil, from source: ConfigurationSource? = nil
    ) {
        self.init(name, default: nil, minimum: minimum, exclusiveMinimum: exclusiveMinimum, maximum: maximum,
                  exclusiveMaximum: exclusiveMaximum, choices: choices, description: description, source: source)
    }

    private init(
        _ name: String, default defaultValue: Value?, minimum: Double?, exclusiveMinimum: Double?, maximum: Double?,
        exclusiveMaximum: Double?, choices: [Value.Scalar]?, description: String?, source: ConfigurationSource?
    ) {
        let coding = Value.configurationCoding
        precondition(minimum == nil || exclusiveMinimum == nil, "key `\(name)`: give minimum or exclusiveMinimum, not both")
        precondition(maximum == nil || exclusiveMaximum == nil, "key `\(name)`: give maximum or exclusiveMaximum, not both")
        precondition(coding.scalarType.isNumeric || [minimum, exclusiveMinimum, maximum, exclusiveMaximum].allSatisfy { $0 == nil },
                     "key `\(name)`: bounds apply to numbers only")
        if let source {
            precondition(coding.isArray == source.givesArray && coding.scalarType.isNumeric,
                         "key `\(name)`: \(source.rawValue) gives \(source.givesArray ? "an integer array" : "an integer")")
        }
        let declaration = KeyDeclaration(
            name: name, description: description, source: source, type: coding.scalarType,
            isArray: coding.isArray, isOptional: coding.isOptional,
            choices: choices.map { $0.map(Value.Scalar.configurationCoding.write) },
            lower: (exclusiveMinimum ?? minimum).map { .init(value: $0, exclusive: exclusiveMinimum != nil) },
            upper: (exclusiveMaximum ?? maximum).map { .init(value: $0, exclusive: exclusiveMaximum != nil) },
            defaultValue: defaultValue.map(coding.write))
        box = KeyBox(declaration, value: defaultValue ?? coding.absent)
    }
}

/// A key's declaration and its current value (nil: a required key not yet decoded).
final class KeyBox<Value: ConfigurationValue> {
    let declaration: KeyDeclaration
    var value: Value?

    init(_ declaration: KeyDeclaration, value: Value?) {
        self.declaration = declaration
        self.value = value
    }
}

/// A `Key` seen without its value type, as `Mirror` finds it in a configuration.
protocol AnyConfigurationKey {
    var declaration: KeyDeclaration { get }
    /// Checks the key's JSON (nil: absent) and stores its value when it is good (an absent key
    /// keeps its default); returns the problems.
    func assign(_ json: JSONValue?) -> [String]
}

extension Key: AnyConfigurationKey {
    var declaration: KeyDeclaration { box.declaration }

    func assign(_ json: JSONValue?) -> [String] {
        let problems = box.declaration.problems(json)
        guard problems.isEmpty, let json else { return problems }
        guard let value = Value.configurationCoding.read(json) else {
            return ["key `\(box.declaration.name)`: expected \(box.declaration.expectation), found \(json.schemaText)"]
        }
        box.value = value
        return []
    }
}
