import ZooValue
/// Where a foreign kernel lives, its signature, its optional derivative, and its scalar arguments.
public struct ForeignFunctionSpecification: Equatable, Sendable {
    public var library: String
    public var symbol: String
    public var signature: String
    public var derivativeSymbol: String?
    public var derivativeSignature: String?
    public var arguments: [ForeignArgument]

    public init(library: String, symbol: String, signature: String, derivativeSymbol: String? = nil,
                derivativeSignature: String? = nil, arguments: [ForeignArgument] = []) {
        (self.library, self.symbol, self.signature) = (library, symbol, signature)
        (self.derivativeSymbol, self.derivativeSignature, self.arguments) = (derivativeSymbol, derivativeSignature, arguments)
    }
}

/// A scalar argument's value as a manifest gives it.
public enum ForeignArgument: Equatable, Sendable, CustomStringConvertible {
    case number(Double)
    case bool(Bool)

    public var description: String {
        switch self {
        case .number(let number): "\(number)"
        case .bool(let flag): "\(flag)"
        }
    }
}

extension ForeignFunctionSpecification {
    /// Reads a manifest's description of a foreign kernel:
    ///
    ///     {"library": "/opt/kernels/libact.so", "symbol": "leaky",
    ///      "signature": "void(const float*, float*, int64_t, float)",
    ///      "derivative": {"symbol": "leaky_grad", "signature": "void(const float*, const float*, float*, int64_t, float)"},
    ///      "arguments": [0.1]}
    ///
    /// Errors name the key path under `path` (e.g. `model.activation.arguments[1]`).
    public init(json: JSONValue, path: String = "") throws {
        func key(_ name: String) -> String { path.isEmpty ? name : "\(path).\(name)" }
        func string(_ value: JSONValue?, _ name: String) throws -> String {
            guard case .string(let text)? = value else {
                throw ForeignFunctionError("\(key(name)): expected a string, found \(value.map { $0.jsonText } ?? "nothing")")
            }
            return text
        }
        guard case .object(let members) = json else { throw ForeignFunctionError("\(path.isEmpty ? "foreign function" : path): expected an object") }
        let known: Set<String> = ["library", "symbol", "signature", "derivative", "arguments"]
        if let unknown = members.first(where: { !known.contains($0.key) }) {
            throw ForeignFunctionError("\(key(unknown.key)): unknown key; expected one of \(known.sorted().joined(separator: ", "))")
        }
        var derivativeSymbol: String?, derivativeSignature: String?
        if let derivative = json["derivative"] {
            derivativeSymbol = try string(derivative["symbol"], "derivative.symbol")
            derivativeSignature = try string(derivative["signature"], "derivative.signature")
        }
        var arguments: [ForeignArgument] = []
        if let given = json["arguments"] {
            guard case .array(let values) = given else { throw ForeignFunctionError("\(key("arguments")): expected an array") }
            arguments = try values.enumerated().map { index, value in
                switch value {
                case .bool(let flag): return .bool(flag)
                default:
                    guard let number = value.doubleValue else {
                        throw ForeignFunctionError("\(key("arguments"))[\(index)]: expected a number or a boolean, found \(value.jsonText)")
                    }
                    return .number(number)
                }
            }
        }
        self.init(library: try string(json["library"], "library"), symbol: try string(json["symbol"], "symbol"),
                  signature: try string(json["signature"], "signature"), derivativeSymbol: derivativeSymbol,
                  derivativeSignature: derivativeSignature, arguments: arguments)
    }
}
