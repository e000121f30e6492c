import ZooValue

/// An example of a module's use: a complete configuration and, when its bound keys do not imply
/// them, the shapes of the inputs it takes (batch axis first, labels excluded). The kit writes the
/// examples into the schema the host reads (`"examples"` and `"x-zoo-example-inputs"`), and
/// `zoo plugin check` checks the module with each of them, so that a library passes with no flags.
///
/// ```swift
/// public static let examples = [
///     ModuleExample(#"{"in_dim": 64, "num_classes": 10}"#),           // a head: [4, 64] is implied
///     ModuleExample(#"{"depth": 8}"#, inputs: [[4, 3, 32, 32]]),     // a backbone: say its input
/// ]
/// ```
public struct ModuleExample: Sendable {
    /// A configuration as JSON text: an object that the module's configuration decodes.
    public var configuration: String
    /// The input shapes, or nil when the configuration implies them (a key bound to
    /// `input.features` or `input.shape`; a loss's `num_classes` or `class_counts`).
    public var inputShapes: [[Int]]?

    public init(_ configuration: String, inputs: [[Int]]? = nil) {
        self.configuration = configuration
        self.inputShapes = inputs
    }
}

extension PluginModule {
    public static var examples: [ModuleExample] { [] }

    /// `configurationSchema` with the examples added: the schema the descriptor carries.
    static func publishedSchema() throws -> String {
        let schema = configurationSchema
        guard !examples.isEmpty else { return schema }
        var configurations: [JSONValue] = []
        for (index, example) in examples.enumerated() {
            let value: JSONValue
            do {
                value = try JSONValue.parse(example.configuration)
            } catch {
                throw PluginError.invalidArgument("module \(name)'s example \(index + 1) is not valid JSON (\(error))")
            }
            guard case .object = value else {
                throw PluginError.invalidArgument("module \(name)'s example \(index + 1) is not a JSON object: \(example.configuration)")
            }
            if let declared = Configuration.self as? any PluginConfiguration.Type {
                do {
                    _ = try declared.decode(example.configuration, module: name)
                } catch {
                    throw PluginError.invalidArgument("module \(name)'s example \(index + 1): \(error)")
                }
            }
            configurations.append(value)
        }
        guard case .object(var members) = try? JSONValue.parse(schema) else { return schema }   // refused at export
        members.append(("examples", .array(configurations)))
        if examples.contains(where: { $0.inputShapes != nil }) {
            members.append(("x-zoo-example-inputs", .array(examples.map { example in
                example.inputShapes.map { .array($0.map { .array($0.map { .integer(Int64($0)) }) }) } ?? .null
            })))
        }
        return JSONValue.object(members).jsonText(pretty: false, spaced: true)
    }
}
