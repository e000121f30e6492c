import ZooValue

/// Everything one configuration `Key` declares, apart from its Swift value type: the kit writes the
/// key's JSON Schema property from it and checks the key's JSON against it, so that the schema the
/// host validates with and the decoding the module gets never disagree.
struct KeyDeclaration {
    /// A numeric bound: `minimum` or `exclusiveMinimum`, `maximum` or `exclusiveMaximum`.
    struct Bound {
        var value: Double
        var exclusive: Bool
    }

    let name: String
    let description: String?
    let source: ConfigurationSource?
    /// The type of the value, or of each element of an array.
    let type: ScalarType
    let isArray: Bool
    let isOptional: Bool
    /// The allowed values of the value, or of each element of an array (`enum`).
    let choices: [JSONValue]?
    let lower: Bound?
    let upper: Bound?
    /// The default, or nil when the key has none.
    let defaultValue: JSONValue?

    /// A key without a default that is not optional must be given.
    var isRequired: Bool { defaultValue == nil && !isOptional }
    /// An optional key with a default also takes `null` (for nil); one without a default is only
    /// ever absent.
    var isNullable: Bool { isOptional && defaultValue != nil }

    // MARK: the schema

    /// The key's property schema as JSON text, keywords in a fixed order:
    /// `{"type": "integer", "minimum": 1, "default": 3, "description": "…", "x-zoo-from": "…"}`.
    var schema: String {
        var typeName = isArray ? "array" : type.rawValue
        typeName = isNullable ? #"["\#(typeName)", "null"]"# : #""\#(typeName)""#
        var keywords = [#""type": \#(typeName)"#]
        if isArray {
            keywords.append(#""items": {"# + scalarKeywords(nullable: false).joined(separator: ", ") + "}")
        } else {
            keywords += scalarKeywords(nullable: isNullable).dropFirst()
        }
        if let defaultValue { keywords.append(#""default": \#(defaultValue.schemaText)"#) }
        if let description { keywords.append(#""description": \#(JSONText.quoted(description))"#) }
        if let source { keywords.append(#""x-zoo-from": "\#(source.rawValue)""#) }
        return "{" + keywords.joined(separator: ", ") + "}"
    }

    /// `type`, `enum` and the bounds of one scalar (the value, or an array's element).
    private func scalarKeywords(nullable: Bool) -> [String] {
        var keywords = [#""type": "\#(type.rawValue)""#]
        if let choices {
            let listed = choices + (nullable ? [.null] : [])
            keywords.append(#""enum": ["# + listed.map(\.schemaText).joined(separator: ", ") + "]")
        }
        if let lower {
            keywords.append(#""\#(lower.exclusive ? "exclusiveMinimum" : "minimum")": \#(JSONValue.schemaNumber(lower.value))"#)
        }
        if let upper {
            keywords.append(#""\#(upper.exclusive ? "exclusiveMaximum" : "maximum")": \#(JSONValue.schemaNumber(upper.value))"#)
        }
        return keywords
    }

    // MARK: checking

    /// What the key takes, as messages say it: "an integer >= 1", "a number in [0, 1)",
    /// "one of \"relu\", \"gelu\"", "an array of integers >= 1", "a string or null".
    var expectation: String {
        let text = isArray ? "an array of " + scalarExpectation(plural: true) : scalarExpectation(plural: false)
        return isNullable ? text + " or null" : text
    }

    private func scalarExpectation(plural: Bool) -> String {
        if let choices {
            let listed = choices.map(\.schemaText).joined(separator: ", ")
            return plural ? "values among \(listed)" : "one of \(listed)"
        }
        let kind = type.phrase(plural: plural)
        func render(_ bound: Bound) -> String { JSONValue.schemaNumber(bound.value) }
        switch (lower, upper) {
        case (let lower?, let upper?):
            return "\(kind) in \(lower.exclusive ? "(" : "[")\(render(lower)), \(render(upper))\(upper.exclusive ? ")" : "]")"
        case (let lower?, nil): return "\(kind) \(lower.exclusive ? ">" : ">=") \(render(lower))"
        case (nil, let upper?): return "\(kind) \(upper.exclusive ? "<" : "<=") \(render(upper))"
        case (nil, nil): return kind
        }
    }

    /// Whether one scalar (the value, or an array's element) has the type, lies within the bounds
    /// and is among the choices.
    func admits(_ scalar: JSONValue) -> Bool {
        guard type.accepts(scalar) else { return false }
        if let choices, !choices.contains(where: { $0 == scalar }) { return false }
        guard let number = scalar.doubleValue else { return true }
        if let lower, lower.exclusive ? !(number > lower.value) : !(number >= lower.value) { return false }
        if let upper, upper.exclusive ? !(number < upper.value) : !(number <= upper.value) { return false }
        return true
    }

    /// The problems of the key's JSON (nil: the key is absent), each naming the key and saying
    /// what was expected and found; empty when the value is good.
    func problems(_ value: JSONValue?) -> [String] {
        guard let value else { return isRequired ? ["missing key `\(name)`"] : [] }
        if value == .null && isNullable { return [] }
        func wrong(_ path: String, _ expected: String, _ found: JSONValue) -> String {
            "key `\(path)`: expected \(expected), found \(found.schemaText)"
        }
        guard isArray else { return admits(value) ? [] : [wrong(name, expectation, value)] }
        guard case .array(let elements) = value else { return [wrong(name, expectation, value)] }
        return elements.enumerated().compactMap { index, element in
            admits(element) ? nil : wrong("\(name)[\(index)]", scalarExpectation(plural: false), element)
        }
    }
}
