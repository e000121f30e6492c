import Foundation

/// A JSON value as the kit reads a module's configuration and writes its schema.
///
/// Parsed with Foundation's `JSONDecoder`, which keeps booleans, integers and other numbers apart;
/// rendered as compact JSON text for schemas (defaults, choices) and for messages ("found -1").
enum ConfigurationJSON: Equatable {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([ConfigurationJSON])
    case object([String: ConfigurationJSON])

    /// The value of JSON text; throws the decoder's error when the text is not JSON.
    static func parse(_ text: String) throws -> ConfigurationJSON {
        try JSONDecoder().decode(ConfigurationJSON.self, from: Data(text.utf8))
    }

    /// The value as a number, when it is one.
    var number: Double? {
        switch self {
        case .integer(let value): Double(value)
        case .number(let value): value
        default: nil
        }
    }

    /// Whether two values are the same JSON value (`1` and `1.0` are the same number).
    func same(as other: ConfigurationJSON) -> Bool {
        if let number, let otherNumber = other.number { return number == otherNumber }
        return self == other
    }

    /// Compact JSON text; an object's members in the order of their names.
    var text: String {
        switch self {
        case .null: "null"
        case .bool(let value): value ? "true" : "false"
        case .integer(let value): String(value)
        case .number(let value): Self.render(value)
        case .string(let value): Self.quote(value)
        case .array(let elements): "[" + elements.map(\.text).joined(separator: ", ") + "]"
        case .object(let members):
            "{" + members.sorted { $0.key < $1.key }.map { "\(Self.quote($0.key)): \($0.value.text)" }
                .joined(separator: ", ") + "}"
        }
    }

    /// A number as JSON text: an integral value without a fraction (`16`, not `16.0`), any other in
    /// Swift's shortest form that reads back the same (`0.9999`, `1e-05`).
    static func render(_ value: Double) -> String {
        if value == value.rounded(), Swift.abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }

    /// A string as a JSON string literal.
    static func quote(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}

extension ConfigurationJSON: Decodable {
    /// Any member name of a JSON object.
    private struct MemberName: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(from decoder: any Decoder) throws {
        if let object = try? decoder.container(keyedBy: MemberName.self) {
            var members: [String: ConfigurationJSON] = [:]
            for name in object.allKeys { members[name.stringValue] = try object.decode(ConfigurationJSON.self, forKey: name) }
            self = .object(members)
        } else if var array = try? decoder.unkeyedContainer() {
            var elements: [ConfigurationJSON] = []
            while !array.isAtEnd { elements.append(try array.decode(ConfigurationJSON.self)) }
            self = .array(elements)
        } else {
            let value = try decoder.singleValueContainer()
            if value.decodeNil() {
                self = .null
            } else if let flag = try? value.decode(Bool.self) {
                self = .bool(flag)
            } else if let integer = try? value.decode(Int64.self) {
                self = .integer(integer)
            } else if let number = try? value.decode(Double.self) {
                self = .number(number)
            } else {
                self = .string(try value.decode(String.self))
            }
        }
    }
}
