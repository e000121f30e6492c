import ZooValue

/// A type a configuration `Key` can hold: `Int`, `Double`, `Float`, `Bool`, `String`, an array of
/// one of these, or an `Optional` of any of them. The kit provides every conformance.
public protocol ConfigurationValue {
    /// The type that a key's bounds and choices are about: the value's own type, an array's
    /// element type, an optional's wrapped type.
    associatedtype Scalar: ConfigurationScalar
    /// How the kit reads, writes and describes values of this type.
    static var configurationCoding: ConfigurationCoding<Self> { get }
}

/// A configuration value that is one JSON scalar: `Int`, `Double`, `Float`, `Bool`, `String`.
public protocol ConfigurationScalar: ConfigurationValue where Scalar == Self {}

/// The JSON Schema type of a configuration scalar.
enum ScalarType: String {
    case integer, number, boolean, string

    /// Whether `value` has this type (an integer is also a number; `2.0` is also an integer).
    func accepts(_ value: JSONValue) -> Bool {
        switch (self, value) {
        case (.integer, .integer), (.number, .integer), (.number, .number), (.boolean, .bool), (.string, .string): true
        case (.integer, .number(let number)): number == number.rounded()
        default: false
        }
    }

    var isNumeric: Bool { self == .integer || self == .number }

    /// The type in a message: "an integer", or "integers" for the elements of an array.
    func phrase(plural: Bool) -> String {
        switch (self, plural) {
        case (.integer, false): "an integer"
        case (.integer, true): "integers"
        case (_, false): "a \(rawValue)"
        case (_, true): "\(rawValue)s"
        }
    }
}

/// How the kit reads and writes one configuration value type. Only the kit makes these.
public struct ConfigurationCoding<Value> {
    /// The JSON type of the value, or of each element of an array.
    let scalarType: ScalarType
    let isArray: Bool
    let isOptional: Bool
    /// The value of JSON that already has the right type; nil when it does not fit the Swift type
    /// (an integer beyond `Int`, a number beyond `Float`). `null` reaches only an optional.
    let read: (JSONValue) -> Value?
    let write: (Value) -> JSONValue
    /// The value of an optional key that is absent: `.some(nil)`; nil for other types.
    let absent: Value?

    static func scalar(
        _ type: ScalarType, read: @escaping (JSONValue) -> Value?, write: @escaping (Value) -> JSONValue
    ) -> ConfigurationCoding {
        ConfigurationCoding(scalarType: type, isArray: false, isOptional: false, read: read, write: write, absent: nil)
    }
}

extension ConfigurationCoding {
    /// The coding of arrays of `element`.
    static func array<Element>(of element: ConfigurationCoding<Element>) -> ConfigurationCoding<[Element]> {
        ConfigurationCoding<[Element]>(
            scalarType: element.scalarType, isArray: true, isOptional: false,
            read: { json in
                guard case .array(let items) = json else { return nil }
                var values: [Element] = []
                for item in items {
                    guard let value = element.read(item) else { return nil }
                    values.append(value)
                }
                return values
            },
            write: { .array($0.map(element.write)) }, absent: nil)
    }

    /// The coding of `Optional`s of `wrapped`: absent or `null` is nil.
    static func optional<Wrapped>(_ wrapped: ConfigurationCoding<Wrapped>) -> ConfigurationCoding<Wrapped?> {
        precondition(!wrapped.isOptional, "a configuration key cannot hold an optional of an optional")
        return ConfigurationCoding<Wrapped?>(
            scalarType: wrapped.scalarType, isArray: wrapped.isArray, isOptional: true,
            read: { json in json == .null ? .some(nil) : wrapped.read(json).map { .some($0) } },
            write: { $0.map(wrapped.write) ?? .null }, absent: .some(nil))
    }
}

extension Int: ConfigurationScalar {
    public static var configurationCoding: ConfigurationCoding<Int> {
        .scalar(.integer, read: { json in
            switch json {
            case .integer(let value): Int(exactly: value)
            case .number(let value): Int(exactly: value)
            default: nil
            }
        }, write: { .integer(Int64($0)) })
    }
}

extension Double: ConfigurationScalar {
    public static var configurationCoding: ConfigurationCoding<Double> {
        .scalar(.number, read: { $0.doubleValue }, write: { .number($0) })
    }
}

extension Float: ConfigurationScalar {
    public static var configurationCoding: ConfigurationCoding<Float> {
        // Written through its own shortest decimal form, so that 0.1 stays 0.1 in the schema.
        .scalar(.number, read: { json in json.doubleValue.map { Float($0) }.flatMap { $0.isFinite ? $0 : nil } },
                write: { .number(Double("\($0)") ?? Double($0)) })
    }
}

extension Bool: ConfigurationScalar {
    public static var configurationCoding: ConfigurationCoding<Bool> {
        .scalar(.boolean, read: { json in if case .bool(let value) = json { value } else { nil } }, write: { .bool($0) })
    }
}

extension String: ConfigurationScalar {
    public static var configurationCoding: ConfigurationCoding<String> {
        .scalar(.string, read: { json in if case .string(let value) = json { value } else { nil } }, write: { .string($0) })
    }
}

extension Array: ConfigurationValue where Element: ConfigurationScalar {
    public typealias Scalar = Element
    public static var configurationCoding: ConfigurationCoding<[Element]> {
        ConfigurationCoding<[Element]>.array(of: Element.configurationCoding)
    }
}

extension Optional: ConfigurationValue where Wrapped: ConfigurationValue {
    public typealias Scalar = Wrapped.Scalar
    public static var configurationCoding: ConfigurationCoding<Wrapped?> {
        ConfigurationCoding<Wrapped?>.optional(Wrapped.configurationCoding)
    }
}
