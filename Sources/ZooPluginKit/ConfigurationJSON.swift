import ZooValue

/// The kit reads configurations and writes schemas with the package's one JSON value
/// (`ZooValue.JSONValue`); here is only how the kit spells values in schemas and messages.
extension JSONValue {
    /// Compact JSON text with spaces, integral numbers without a fraction (`16`, not `16.0`) and an
    /// object's members in the order of their names: defaults and choices in schemas, values in
    /// messages ("found -1").
    var schemaText: String {
        switch self {
        case .number(let value): JSONValue.schemaNumber(value)
        case .array(let elements): "[" + elements.map(\.schemaText).joined(separator: ", ") + "]"
        case .object(let members):
            "{" + members.sorted { $0.key < $1.key }.map { "\(JSONText.quoted($0.key)): \($0.value.schemaText)" }
                .joined(separator: ", ") + "}"
        default: description
        }
    }

    /// A number as JSON text: an integral value without a fraction, any other in Swift's shortest
    /// form that reads back the same (`0.9999`, `1e-05`).
    static func schemaNumber(_ value: Double) -> String {
        if value == value.rounded(), Swift.abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}
