import ZooValue

// A manifest value and a JSON value, one into the other: the manifest keeps locations beside the
// same values.

extension JSONValue {
    /// A manifest value as JSON (locations dropped).
    public init(_ node: ManifestNode) {
        switch node.value {
        case .null: self = .null
        case .bool(let b): self = .bool(b)
        case .integer(let i): self = .integer(i)
        case .number(let d): self = .number(d)
        case .string(let s): self = .string(s)
        case .array(let elements): self = .array(elements.map(JSONValue.init))
        case .object(let members): self = .object(members.map { (key: $0.key, value: JSONValue($0.value)) })
        }
    }
}

extension ManifestNode {
    /// A JSON value as a manifest value (no locations).
    public init(_ json: JSONValue) {
        let value: ManifestValue
        switch json {
        case .null: value = .null
        case .bool(let b): value = .bool(b)
        case .integer(let i): value = .integer(i)
        case .number(let d): value = .number(d)
        case .string(let s): value = .string(s)
        case .array(let elements): value = .array(elements.map { ManifestNode($0) })
        case .object(let members): value = .object(members.map { ManifestMember(key: $0.key, value: ManifestNode($0.value)) })
        }
        self.init(value, location: nil)
    }
}
