import ZooValue

/// One example of a module's use that its schema carries: a complete configuration (an entry of
/// the JSON-Schema keyword `examples`) and, when the configuration does not imply them, the input
/// shapes it takes (the entry at the same index of `x-zoo-example-inputs`, labels excluded).
///
/// ```json
/// "examples": [{"in_dim": 64, "num_classes": 10}, {"depth": 8}],
/// "x-zoo-example-inputs": [null, [[4, 3, 32, 32]]]
/// ```
///
/// `zoo plugin check` checks each example; `zoo describe` prints them; a schema whose example
/// does not match it is refused (`ConfigSchema`).
public struct ConfigExample: Sendable, Equatable {
    public var configuration: JSONValue
    /// The shapes of the float inputs, with a batch axis; nil when the configuration implies them.
    public var inputShapes: [[Int]]?

    public init(configuration: JSONValue, inputShapes: [[Int]]? = nil) {
        self.configuration = configuration
        self.inputShapes = inputShapes
    }

    /// The keyword of the input shapes, parallel to `examples`.
    public static let inputsKeyword = "x-zoo-example-inputs"

    /// The examples a schema declares, in order. Throws when `examples` is not an array of objects,
    /// or `x-zoo-example-inputs` not an array (of at most as many entries) whose entries are null
    /// or lists of shapes of positive sizes.
    static func declared(in schema: JSONValue) throws(ConfigSchemaError) -> [ConfigExample] {
        guard let listed = schema["examples"] else {
            if schema[inputsKeyword] != nil {
                throw ConfigSchemaError(path: inputsKeyword, message: "input shapes without `examples` to go with")
            }
            return []
        }
        guard case .array(let configurations) = listed else {
            throw ConfigSchemaError(path: "examples", message: "expected an array of configurations, found \(ConfigSchema.quote(listed))")
        }
        var shapes: [JSONValue] = []
        switch schema[inputsKeyword] {
        case nil: break
        case .array(let entries)?:
            guard entries.count <= configurations.count else {
                throw ConfigSchemaError(path: inputsKeyword,
                                        message: "\(entries.count) entries for \(configurations.count) example\(configurations.count == 1 ? "" : "s")")
            }
            shapes = entries
        case let other?:
            throw ConfigSchemaError(path: inputsKeyword, message: "expected an array (one entry per example), found \(ConfigSchema.quote(other))")
        }
        var examples: [ConfigExample] = []
        for (index, configuration) in configurations.enumerated() {
            guard case .object = configuration else {
                throw ConfigSchemaError(path: "examples[\(index)]", message: "expected a configuration object, found \(ConfigSchema.quote(configuration))")
            }
            let entry = index < shapes.count ? shapes[index] : .null
            examples.append(ConfigExample(configuration: configuration,
                                          inputShapes: try inputShapes(entry, path: "\(inputsKeyword)[\(index)]")))
        }
        return examples
    }

    private static func inputShapes(_ entry: JSONValue, path: String) throws(ConfigSchemaError) -> [[Int]]? {
        if case .null = entry { return nil }
        let expected = "expected null or a list of shapes such as [[4, 64]]"
        guard case .array(let list) = entry, !list.isEmpty else {
            throw ConfigSchemaError(path: path, message: "\(expected), found \(ConfigSchema.quote(entry))")
        }
        var shapes: [[Int]] = []
        for (index, shape) in list.enumerated() {
            guard case .array(let sizes) = shape, !sizes.isEmpty else {
                throw ConfigSchemaError(path: "\(path)[\(index)]", message: "\(expected), found \(ConfigSchema.quote(shape))")
            }
            var dimensions: [Int] = []
            for size in sizes {
                guard let value = size.doubleValue, let dimension = Int(exactly: value), dimension >= 1, dimension <= 1 << 20 else {
                    throw ConfigSchemaError(path: "\(path)[\(index)]",
                                            message: "sizes are integers from 1 to 1048576, found \(ConfigSchema.quote(size))")
                }
                dimensions.append(dimension)
            }
            shapes.append(dimensions)
        }
        return shapes
    }

    /// The input shapes of this example with batch size `batch`: the declared ones, or those its
    /// bound keys imply (a key from `input.features` F gives `[batch, F]`, from `input.shape` S gives
    /// `[batch] + S`; a loss's logits `[batch, C]` come from a key bound to `data.num_classes` or
    /// `data.class_counts`). Nil when neither says.
    public func inputShapes(bindings: [ConfigBinding], kind: ModuleKind, batch: Int = 4) -> [[Int]]? {
        if let inputShapes { return inputShapes }
        func value(_ source: BindingSource) -> JSONValue? {
            bindings.first { $0.source == source }.flatMap { configuration[$0.key] }
        }
        func integer(_ value: JSONValue?) -> Int? { value?.doubleValue.flatMap { Int(exactly: $0) }.flatMap { $0 >= 1 ? $0 : nil } }
        if kind == .loss {
            if let classes = integer(value(.dataNumClasses)) { return [[batch, classes]] }
            if case .array(let counts)? = value(.dataClassCounts), !counts.isEmpty { return [[batch, counts.count]] }
            return nil
        }
        if case .array(let sizes)? = value(.inputShape) {
            let shape = sizes.compactMap(integer)
            if shape.count == sizes.count, !shape.isEmpty { return [[batch] + shape] }
        }
        if let features = integer(value(.inputFeatures)) { return [[batch, features]] }
        return nil
    }
}
