import ZooValue

/// A module configuration declared once, key by key, with `Key`: the kit derives from it both the
/// JSON Schema the host reads (`config_schema_json`) and the decoding of the configuration JSON
/// the host hands to `create`.
///
/// ```swift
/// struct Configuration: PluginConfiguration {
///     @Key("num_classes", minimum: 1, "classes C: the logits' width", from: .dataNumClasses) var numClasses: Int
///     @Key("in_dim", minimum: 1, "feature width D", from: .inputFeatures) var inDim: Int
///     @Key("scale", exclusiveMinimum: 0, "the logits' temperature") var scale: Float = 16
/// }
/// ```
///
/// gives a module whose `Configuration` it is this `configurationSchema`:
///
/// ```json
/// {"type": "object",
///  "properties": {
///    "num_classes": {"type": "integer", "minimum": 1, "description": "classes C: the logits' width", "x-zoo-from": "data.num_classes"},
///    "in_dim": {"type": "integer", "minimum": 1, "description": "feature width D", "x-zoo-from": "input.features"},
///    "scale": {"type": "number", "exclusiveMinimum": 0, "default": 16, "description": "the logits' temperature"}},
///  "required": ["num_classes", "in_dim"],
///  "additionalProperties": false}
/// ```
///
/// Properties come in declaration order. Decoding fills in defaults, and refuses unknown keys,
/// missing required keys, values of the wrong type and values out of bounds or choices with
/// `PluginError.invalidConfiguration`, naming each key and saying what was expected and found.
///
/// A conforming type is a struct whose keys are `Key` properties; `init()` makes it with every key
/// at its default. A stored property that is itself a `PluginConfiguration` is a group: its keys
/// join the configuration's own in its place (in the same JSON object, not nested), so that
/// modules share keys by sharing a group (`var dimensions = HeadDimensions()`). Other stored
/// properties are left as `init()` makes them.
public protocol PluginConfiguration: Decodable {
    init()
}

extension PluginConfiguration {
    /// The keys of `configuration`, in declaration order, a group's keys in the group's place.
    static func keys(of configuration: Self) -> [any AnyConfigurationKey] {
        configurationKeys(in: configuration)
    }

    /// The JSON Schema of the configuration: every key's property in declaration order, the keys
    /// without a default that are not optional as `required`, and no other keys allowed.
    public static var schema: String {
        let declarations = keys(of: Self()).map(\.declaration)
        let properties = declarations.map { "   \(JSONText.quoted($0.name)): \($0.schema)" }
        var text = #"{"type": "object","# + "\n"
        text += properties.isEmpty ? #" "properties": {},"# : " \"properties\": {\n" + properties.joined(separator: ",\n") + "},"
        let required = declarations.filter(\.isRequired).map { JSONText.quoted($0.name) }
        if !required.isEmpty { text += "\n \"required\": [" + required.joined(separator: ", ") + "]," }
        return text + "\n \"additionalProperties\": false}"
    }

    /// The configuration of JSON text (an object; empty text is `{}`), with defaults filled in.
    /// Throws `PluginError.invalidConfiguration` that starts with `"<module>: invalid configuration: "`
    /// and lists every problem, separated by `; `.
    public static func decode(_ json: String, module: String) throws -> Self {
        let text = json.allSatisfy(\.isWhitespace) ? "{}" : json
        let value: JSONValue
        do {
            value = try JSONValue.parse(text)
        } catch {
            throw PluginError.invalidConfiguration("\(module): invalid configuration: not valid JSON (\(error))")
        }
        do {
            return try decode(value)
        } catch let problems as ConfigurationProblems {
            throw PluginError.invalidConfiguration("\(module): invalid configuration: \(problems)")
        }
    }

    /// The configuration of a JSON value, or every problem with it.
    static func decode(_ value: JSONValue) throws -> Self {
        guard case .object(let members) = value else {
            throw ConfigurationProblems(["expected a JSON object, found \(value.schemaText)"])
        }
        let configuration = Self()
        let keys = keys(of: configuration)
        var problems = keys.flatMap { $0.assign(value[$0.declaration.name]) }
        let names = Set(keys.map(\.declaration.name))
        let unknown = Set(members.map(\.key)).filter { !names.contains($0) }.sorted().map { "`\($0)`" }
        if !unknown.isEmpty {
            let known = keys.map { "`\($0.declaration.name)`" }.joined(separator: ", ")
            problems.append("unknown key\(unknown.count == 1 ? "" : "s") \(unknown.joined(separator: ", "))"
                            + (known.isEmpty ? " (the configuration takes no keys)" : "; the keys are \(known)"))
        }
        guard problems.isEmpty else { throw ConfigurationProblems(problems) }
        return configuration
    }

    /// A key name declared more than once, which no schema can carry.
    static var duplicateKey: String? {
        var seen = Set<String>()
        return keys(of: Self()).map(\.declaration.name).first { !seen.insert($0).inserted }
    }

    /// Decodes through the kit's checks, as `decode(_:module:)` does (errors without the module's name).
    public init(from decoder: any Decoder) throws {
        do {
            self = try Self.decode(try JSONValue(from: decoder))
        } catch let problems as ConfigurationProblems {
            throw PluginError.invalidConfiguration("invalid configuration: \(problems)")
        }
    }
}

/// The keys in `value`, a configuration or a group, in declaration order.
private func configurationKeys(in value: Any) -> [any AnyConfigurationKey] {
    Mirror(reflecting: value).children.flatMap { child -> [any AnyConfigurationKey] in
        if let key = child.value as? any AnyConfigurationKey { return [key] }
        if child.value is any PluginConfiguration { return configurationKeys(in: child.value) }
        return []
    }
}

/// Every problem of a configuration, in key order.
struct ConfigurationProblems: Error, CustomStringConvertible {
    var messages: [String]
    init(_ messages: [String]) { self.messages = messages }
    var description: String { messages.joined(separator: "; ") }
}

extension PluginModule where Configuration: PluginConfiguration {
    /// The schema derived from the configuration's `Key` declarations.
    public static var configurationSchema: String { Configuration.schema }
}
