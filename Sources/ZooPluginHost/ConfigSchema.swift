import ZooValue
/// A module's configuration schema: the subset of JSON Schema that descriptors use.
///
/// Supported keywords: `type` (a name or a list of names among object, number, integer, string,
/// boolean, array, null), `properties`, `required`, `additionalProperties` (false, true or a
/// schema), `enum`, `minimum`, `maximum`, `exclusiveMinimum`, `exclusiveMaximum` (numbers, or the
/// draft-4 booleans), `items` (one schema for every element) and `default` (filled in when the key
/// is missing). The annotation `x-zoo-from` on a top-level property binds the key to a value the
/// host derives (`ConfigBinding`); `examples` with `x-zoo-example-inputs` give complete example
/// configurations and their input shapes (`ConfigExample`). Other keywords (`title`, `description`, ...) are ignored.
///
/// Validation never stops at the first problem: it returns every problem with its key path
/// (`attention.heads: expected integer, found "four"`).
public struct ConfigSchema: Sendable {
    let root: SchemaNode
    /// The schema as it was given.
    public let json: JSONValue
    /// The keys whose values the host derives (`"x-zoo-from"`), in property order.
    public let bindings: [ConfigBinding]
    /// The example configurations (`"examples"`), in order.
    public let examples: [ConfigExample]

    /// Parses a schema from JSON text. Throws `ConfigSchemaError` when the text is not JSON, not an
    /// object, or uses a keyword of the subset wrongly (a default that fails its own schema too).
    public init(json text: String) throws(ConfigSchemaError) {
        let value: JSONValue
        do {
            value = try JSONValue.parse(text)
        } catch {
            throw ConfigSchemaError(path: "", message: "not valid JSON (\(error))")
        }
        try self.init(value)
    }

    public init(_ value: JSONValue) throws(ConfigSchemaError) {
        guard case .object = value else {
            throw ConfigSchemaError(path: "", message: "expected a JSON object, found \(ConfigSchema.quote(value))")
        }
        let root = try SchemaNode(value, path: "")
        if let types = root.types, !types.contains(.object) {
            throw ConfigSchemaError(path: "type", message: "a module configuration is an object; the schema says \(types.map(\.rawValue).joined(separator: " or "))")
        }
        self.root = root
        self.json = value
        self.bindings = try ConfigBinding.declared(in: value)
        self.examples = try ConfigExample.declared(in: value)
        for (index, example) in examples.enumerated() {
            if let first = validate(example.configuration).problems.first {
                throw ConfigSchemaError(path: "examples[\(index)]", message: "the example does not match the schema: \(first)")
            }
        }
    }

    /// The names of the top-level properties, in schema order.
    public var propertyNames: [String] { root.properties.map(\.name) }

    /// Whether a configuration that leaves out top-level `key` is refused: it is required and has
    /// no default.
    public func needs(_ key: String) -> Bool {
        root.required.contains(key) && root.properties.first(where: { $0.name == key })?.schema.defaultValue == nil
    }

    /// Validates `config` and fills in defaults. `prefix` is prepended to every key path (a
    /// manifest passes the path of the configuration, e.g. `model.relation`).
    public func validate(_ config: JSONValue, prefix: String = "") -> ConfigValidation {
        var problems: [ConfigProblem] = []
        let filled = root.validate(config, path: prefix, problems: &problems)
        return ConfigValidation(problems: problems, config: filled)
    }

    /// The configuration as compact JSON with defaults filled in, ready for `create`; throws
    /// `ConfigValidationError` listing every problem.
    public func validatedConfigJSON(_ config: JSONValue, prefix: String = "") throws(ConfigValidationError) -> String {
        let result = validate(config, prefix: prefix)
        guard result.problems.isEmpty else { throw ConfigValidationError(problems: result.problems) }
        return result.config.jsonText
    }

    /// The same for configuration given as JSON text.
    public func validatedConfigJSON(_ configJSON: String, prefix: String = "") throws(ConfigValidationError) -> String {
        let value: JSONValue
        do {
            value = try JSONValue.parse(configJSON)
        } catch {
            throw ConfigValidationError(problems: [ConfigProblem(path: prefix, message: "not valid JSON (\(error))")])
        }
        return try validatedConfigJSON(value, prefix: prefix)
    }

    /// A value as messages quote it: JSON text, shortened past 40 characters.
    static func quote(_ value: JSONValue) -> String {
        let text = value.description
        guard text.count > 40 else { return text }
        return String(text.prefix(37)) + "..."
    }
}

/// The outcome of `ConfigSchema.validate`: every problem, and the configuration with defaults.
public struct ConfigValidation: Sendable {
    public var problems: [ConfigProblem]
    /// The configuration with defaults filled in (meaningful when `problems` is empty).
    public var config: JSONValue
    public var isValid: Bool { problems.isEmpty }
}

/// One problem of a configuration: the key path and what was expected and found.
public struct ConfigProblem: Sendable, Equatable, CustomStringConvertible {
    /// `heads`, `attention.heads`, `sizes[2]`; empty for the configuration itself.
    public var path: String
    public var message: String
    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }
    public var description: String { path.isEmpty ? message : "\(path): \(message)" }
}

/// Every problem of a configuration that failed validation.
public struct ConfigValidationError: Error, Sendable, Equatable, CustomStringConvertible {
    public var problems: [ConfigProblem]
    public init(problems: [ConfigProblem]) { self.problems = problems }
    /// One line: the problems separated by `; `.
    public var description: String { problems.map(\.description).joined(separator: "; ") }
}

/// A schema that does not follow the supported subset.
public struct ConfigSchemaError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Where in the schema, e.g. `properties.heads.minimum`; empty for the schema itself.
    public var path: String
    public var message: String
    public var description: String { path.isEmpty ? message : "\(path): \(message)" }
}

enum SchemaType: String, Sendable, CaseIterable {
    case object, number, integer, string, boolean, array, null

    func accepts(_ value: JSONValue) -> Bool {
        switch (self, value) {
        case (.object, .object), (.string, .string), (.boolean, .bool), (.array, .array), (.null, .null): true
        case (.number, .integer), (.number, .number), (.integer, .integer): true
        case (.integer, .number(let value)): value == value.rounded(.towardZero)
        default: false
        }
    }
}

final class SchemaNode: Sendable {
    enum Additional: Sendable {
        case allowed, forbidden
        case schema(SchemaNode)
    }
    struct Bound: Sendable {
        let value: Double
        let text: String
        let exclusive: Bool
    }

    let types: [SchemaType]?
    let properties: [(name: String, schema: SchemaNode)]
    let required: [String]
    let additional: Additional
    let enumValues: [JSONValue]?
    let lower: Bound?
    let upper: Bound?
    let items: SchemaNode?
    let defaultValue: JSONValue?

    init(_ value: JSONValue, path: String) throws(ConfigSchemaError) {
        guard case .object = value else {
            throw ConfigSchemaError(path: path, message: "expected a schema object, found \(ConfigSchema.quote(value))")
        }
        func at(_ keyword: String) -> String { path.isEmpty ? keyword : "\(path).\(keyword)" }

        switch value["type"] {
        case nil: types = nil
        case .string(let name)?:
            guard let type = SchemaType(rawValue: name) else {
                throw ConfigSchemaError(path: at("type"), message: SchemaNode.unknownType(name))
            }
            types = [type]
        case .array(let names)?:
            var list: [SchemaType] = []
            for name in names {
                guard case .string(let text) = name, let type = SchemaType(rawValue: text) else {
                    throw ConfigSchemaError(path: at("type"), message: SchemaNode.unknownType(ConfigSchema.quote(name)))
                }
                list.append(type)
            }
            guard !list.isEmpty else { throw ConfigSchemaError(path: at("type"), message: "expected at least one type name") }
            types = list
        case let other?:
            throw ConfigSchemaError(path: at("type"), message: "expected a type name or a list of them, found \(ConfigSchema.quote(other))")
        }

        switch value["properties"] {
        case nil: properties = []
        case .object(let members)?:
            var list: [(name: String, schema: SchemaNode)] = []
            for member in members {
                if list.contains(where: { $0.name == member.key }) {
                    throw ConfigSchemaError(path: at("properties.\(member.key)"), message: "property defined twice")
                }
                list.append((member.key, try SchemaNode(member.value, path: at("properties.\(member.key)"))))
            }
            properties = list
        case let other?:
            throw ConfigSchemaError(path: at("properties"), message: "expected an object of schemas, found \(ConfigSchema.quote(other))")
        }

        switch value["required"] {
        case nil: required = []
        case .array(let names)?:
            var list: [String] = []
            for name in names {
                guard case .string(let text) = name else {
                    throw ConfigSchemaError(path: at("required"), message: "expected a list of key names, found \(ConfigSchema.quote(name))")
                }
                list.append(text)
            }
            required = list
        case let other?:
            throw ConfigSchemaError(path: at("required"), message: "expected a list of key names, found \(ConfigSchema.quote(other))")
        }

        switch value["additionalProperties"] {
        case nil, .bool(true)?: additional = .allowed
        case .bool(false)?: additional = .forbidden
        case let schema? where schema.typeName == "object":
            additional = .schema(try SchemaNode(schema, path: at("additionalProperties")))
        case let other?:
            throw ConfigSchemaError(path: at("additionalProperties"), message: "expected a boolean or a schema, found \(ConfigSchema.quote(other))")
        }

        switch value["enum"] {
        case nil: enumValues = nil
        case .array(let values)? where !values.isEmpty: enumValues = values
        case let other?:
            throw ConfigSchemaError(path: at("enum"), message: "expected a non-empty list of values, found \(ConfigSchema.quote(other))")
        }

        func number(_ keyword: String) throws(ConfigSchemaError) -> (Double, String)? {
            guard let entry = value[keyword] else { return nil }
            guard let double = entry.doubleValue else {
                throw ConfigSchemaError(path: at(keyword), message: "expected a number, found \(ConfigSchema.quote(entry))")
            }
            return (double, entry.description)
        }
        // Draft 4 spells exclusive bounds as booleans next to minimum/maximum; later drafts as numbers.
        func bound(_ inclusive: String, _ exclusive: String) throws(ConfigSchemaError) -> Bound? {
            if case .bool(let flag)? = value[exclusive] {
                guard let (limit, text) = try number(inclusive) else {
                    if flag { throw ConfigSchemaError(path: at(exclusive), message: "true needs \(inclusive) next to it") }
                    return nil
                }
                return Bound(value: limit, text: text, exclusive: flag)
            }
            let plain = try number(inclusive).map { Bound(value: $0.0, text: $0.1, exclusive: false) }
            let strict = try number(exclusive).map { Bound(value: $0.0, text: $0.1, exclusive: true) }
            // With both, the tighter one decides.
            return [plain, strict].compactMap { $0 }.max { a, b in SchemaNode.looser(a, than: b, lower: inclusive == "minimum") }
        }
        lower = try bound("minimum", "exclusiveMinimum")
        upper = try bound("maximum", "exclusiveMaximum")

        switch value["items"] {
        case nil: items = nil
        case let schema? where schema.typeName == "object": items = try SchemaNode(schema, path: at("items"))
        case let other?:
            throw ConfigSchemaError(path: at("items"), message: "expected one schema for every element, found \(ConfigSchema.quote(other))")
        }

        defaultValue = value["default"]
        if let defaultValue {
            var problems: [ConfigProblem] = []
            _ = validate(defaultValue, path: "", problems: &problems)
            if let first = problems.first {
                throw ConfigSchemaError(path: at("default"), message: "the default does not fit its own schema: \(first)")
            }
        }
    }

    /// Whether bound `a` lets more values through than `b` (so `b` is the one that decides).
    static func looser(_ a: Bound, than b: Bound, lower: Bool) -> Bool {
        if a.value == b.value { return !a.exclusive && b.exclusive }
        return lower ? a.value < b.value : a.value > b.value
    }

    static func unknownType(_ name: String) -> String {
        "unknown type \(name); expected one of \(SchemaType.allCases.map(\.rawValue).joined(separator: ", "))"
    }

    static func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// Checks `value`, appends its problems, and returns it with defaults filled in.
    func validate(_ value: JSONValue, path: String, problems: inout [ConfigProblem]) -> JSONValue {
        if let types, !types.contains(where: { $0.accepts(value) }) {
            let expected = types.map(\.rawValue).joined(separator: " or ")
            problems.append(ConfigProblem(path: path, message: "expected \(expected), found \(ConfigSchema.quote(value))"))
            return value
        }
        if let enumValues, !enumValues.contains(value) {
            let choices = enumValues.map(ConfigSchema.quote).joined(separator: ", ")
            problems.append(ConfigProblem(path: path, message: "expected one of \(choices), found \(ConfigSchema.quote(value))"))
        }
        if let number = value.doubleValue {
            if let lower, lower.exclusive ? !(number > lower.value) : !(number >= lower.value) {
                let words = lower.exclusive ? "more than" : "at least"
                problems.append(ConfigProblem(path: path, message: "expected \(words) \(lower.text), found \(value)"))
            }
            if let upper, upper.exclusive ? !(number < upper.value) : !(number <= upper.value) {
                let words = upper.exclusive ? "less than" : "at most"
                problems.append(ConfigProblem(path: path, message: "expected \(words) \(upper.text), found \(value)"))
            }
        }
        // An integral number where only integers are allowed is passed on as an integer (4.0 → 4).
        if case .number(let number) = value, let types, types.contains(.integer), !types.contains(.number),
            let exact = Int64(exactly: number)
        {
            return .integer(exact)
        }
        switch value {
        case .object(let members): return validateObject(members, path: path, problems: &problems)
        case .array(let elements):
            guard let items else { return value }
            return .array(elements.enumerated().map { index, element in
                items.validate(element, path: "\(path)[\(index)]", problems: &problems)
            })
        default: return value
        }
    }

    func validateObject(_ members: [(key: String, value: JSONValue)], path: String, problems: inout [ConfigProblem]) -> JSONValue {
        var output: [(key: String, value: JSONValue)] = []
        var seen = Set<String>()
        for member in members {
            let memberPath = SchemaNode.join(path, member.key)
            guard seen.insert(member.key).inserted else {
                problems.append(ConfigProblem(path: memberPath, message: "key appears more than once"))
                continue
            }
            if let property = properties.first(where: { $0.name == member.key }) {
                output.append((member.key, property.schema.validate(member.value, path: memberPath, problems: &problems)))
                continue
            }
            switch additional {
            case .allowed: output.append(member)
            case .schema(let schema):
                output.append((member.key, schema.validate(member.value, path: memberPath, problems: &problems)))
            case .forbidden:
                problems.append(ConfigProblem(path: memberPath, message: unknownKeyMessage(member.key)))
            }
        }
        for property in properties where !seen.contains(property.name) {
            if let value = property.schema.defaultValue {
                output.append((property.name, value))
            } else if required.contains(property.name) {
                problems.append(ConfigProblem(path: SchemaNode.join(path, property.name), message: "required key is missing"))
            }
        }
        for name in required where !seen.contains(name) && !properties.contains(where: { $0.name == name }) {
            problems.append(ConfigProblem(path: SchemaNode.join(path, name), message: "required key is missing"))
        }
        return .object(output)
    }

    func unknownKeyMessage(_ key: String) -> String {
        let names = properties.map(\.name)
        if let suggestion = Suggestion.closest(to: key, among: names) {
            return "unknown key (did you mean \(suggestion)?)"
        }
        if names.isEmpty { return "unknown key (no keys are allowed here)" }
        return "unknown key (known keys: \(names.joined(separator: ", ")))"
    }
}
