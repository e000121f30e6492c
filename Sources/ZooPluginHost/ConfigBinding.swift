import ZooValue
/// One top-level configuration key that a module's schema binds to a source.
public struct ConfigBinding: Sendable, Equatable, CustomStringConvertible {
    public let key: String
    public let source: BindingSource
    public init(key: String, source: BindingSource) {
        self.key = key
        self.source = source
    }
    public var description: String { "\(key) ← \(source.rawValue)" }

    /// The bindings a schema declares, in property order. Throws for an annotation that is not one
    /// of the known sources, or that sits anywhere but on a top-level property.
    static func declared(in schema: JSONValue) throws(ConfigSchemaError) -> [ConfigBinding] {
        guard case .object(let members)? = schema["properties"] else { return [] }
        var bindings: [ConfigBinding] = []
        for member in members {
            guard let annotation = member.value[keyword] else { continue }
            let path = "properties.\(member.key).\(keyword)"
            guard case .string(let text) = annotation, let source = BindingSource(rawValue: text) else {
                let known = BindingSource.allCases.map(\.rawValue).joined(separator: ", ")
                throw ConfigSchemaError(path: path, message: "unknown source \(ConfigSchema.quote(annotation)); expected one of \(known)")
            }
            bindings.append(ConfigBinding(key: member.key, source: source))
        }
        return bindings
    }

    private static var keyword: String { BindingSource.keyword }
}
