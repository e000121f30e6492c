import CZooPlugin

/// An error a plug-in module reports to the host: a `zoo_status` and a message that says what was
/// expected and what was found.
///
/// Throw it from `init(configuration:host:)`, `outputShapes(for:)` or `forward`; any other error
/// reaches the host as `ZOO_ERROR_INTERNAL` with its description, and a `DecodingError` from a
/// hand-decoded configuration as `ZOO_ERROR_INVALID_CONFIG` naming the key. A `PluginConfiguration`
/// reports its own problems as `invalidConfiguration`, each naming the key.
public struct PluginError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The ABI's status codes (`zoo_status`), without `ZOO_OK`.
    public enum Code: Int32, Sendable {
        case invalidArgument = 1
        case invalidConfiguration = 2
        case shape = 3
        case unsupported = 4
        case outOfMemory = 5
        case `internal` = 6
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    /// A null pointer, a wrong count, a label out of range.
    public static func invalidArgument(_ message: String) -> PluginError { .init(.invalidArgument, message) }
    /// The configuration does not make a module.
    public static func invalidConfiguration(_ message: String) -> PluginError { .init(.invalidConfiguration, message) }
    /// Input shapes the module cannot take.
    public static func shape(_ message: String) -> PluginError { .init(.shape, message) }
    /// A dtype, device or mode the module does not handle.
    public static func unsupported(_ message: String) -> PluginError { .init(.unsupported, message) }
    /// A broken promise inside the plug-in.
    public static func `internal`(_ message: String) -> PluginError { .init(.internal, message) }

    /// Throws unless `count == expected`.
    static func expectInputCount(_ count: Int, _ expected: Int, module: String) throws {
        guard count == expected else {
            throw PluginError.invalidArgument("\(module): expected \(expected) input(s), got \(count)")
        }
    }

    /// The error as the host should see it.
    static func from(_ error: any Error, module: String) -> PluginError {
        if let error = error as? PluginError { return error }
        if let error = error as? DecodingError { return configurationError(error, module: module) }
        return .internal("\(module): \(String(describing: error))")
    }

    /// A decoding failure as an invalid configuration that names the key path.
    static func configurationError(_ error: DecodingError, module: String) -> PluginError {
        func path(_ codingPath: [any CodingKey]) -> String {
            var text = ""
            for key in codingPath {
                if let index = key.intValue, key.stringValue.hasPrefix("Index") {
                    text += "[\(index)]"
                } else {
                    text += (text.isEmpty ? "" : ".") + key.stringValue
                }
            }
            return text.isEmpty ? "<root>" : text
        }
        let detail: String
        switch error {
        case .typeMismatch(let type, let context):
            detail = "key `\(path(context.codingPath))`: expected \(type): \(context.debugDescription)"
        case .valueNotFound(let type, let context):
            detail = "key `\(path(context.codingPath))`: expected \(type), found null: \(context.debugDescription)"
        case .keyNotFound(let key, let context):
            detail = "missing key `\(path(context.codingPath + [key]))`"
        case .dataCorrupted(let context):
            let underlying = context.underlyingError.map { " (\(String(describing: $0)))" } ?? ""
            detail = "at `\(path(context.codingPath))`: \(context.debugDescription)\(underlying)"
        @unknown default:
            detail = String(describing: error)
        }
        return .invalidConfiguration("\(module): invalid configuration: \(detail)")
    }
}
