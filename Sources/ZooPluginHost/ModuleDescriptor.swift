import CZooPlugin
import ZooValue

/// What a module is for (`zoo_module_kind`). Kinds this host does not know are kept as `.other`.
public enum ModuleKind: Sendable, Hashable, CustomStringConvertible {
    case backbone, head, loss, relation
    case other(Int32)

    public init(rawValue: Int32) {
        switch rawValue {
        case ZOO_KIND_BACKBONE: self = .backbone
        case ZOO_KIND_HEAD: self = .head
        case ZOO_KIND_LOSS: self = .loss
        case ZOO_KIND_RELATION: self = .relation
        default: self = .other(rawValue)
        }
    }

    public var rawValue: Int32 {
        switch self {
        case .backbone: ZOO_KIND_BACKBONE
        case .head: ZOO_KIND_HEAD
        case .loss: ZOO_KIND_LOSS
        case .relation: ZOO_KIND_RELATION
        case .other(let value): value
        }
    }

    public var description: String {
        switch self {
        case .backbone: "backbone"
        case .head: "head"
        case .loss: "loss"
        case .relation: "relation"
        case .other(let value): "kind \(value)"
        }
    }
}

/// `zoo_threading`.
public enum ModuleThreading: Int32, Sendable, Hashable {
    /// Called by one thread at a time.
    case serialised = 0
    /// May be entered from several threads at once (each forward with its own state).
    case reentrant = 1
}

/// `zoo_batch_effect`: how a training forward changes the batch.
public enum BatchEffect: Int32, Sendable, Hashable {
    case unchanged = 0
    /// Training output is `concat([input, f(input)], axis 0)`; the host duplicates the labels.
    case twoStream = 1
}

/// A validated `zoo_module_descriptor`, copied into Swift values, with the raw pointers the
/// adapter calls through.
///
/// The pointers point into the plug-in library's memory: they are valid while its `PluginLibrary`
/// is alive, so whatever keeps a `ModuleDescriptor` for later use keeps the library too (a
/// `LoadedModule` does). Validation guarantees `functions` is non-NULL, its `struct_size` covers
/// every 1.0 function, and none of the eight function pointers is NULL.
public struct ModuleDescriptor: @unchecked Sendable {
    public let kind: ModuleKind
    public let name: String
    public let summary: String
    /// The JSON Schema text as the plug-in gave it.
    public let configSchemaJSON: String
    /// The parsed schema; validates configurations and fills defaults (`validatedConfigJSON`).
    public let configSchema: ConfigSchema
    /// The 1.1 `documentation`; nil when the plug-in left it NULL or its descriptor predates 1.1.
    public let documentation: String?
    public let inputCount: Int
    public let outputCount: Int
    public let threading: ModuleThreading
    public let batchEffect: BatchEffect
    /// Skipped in evaluation (BatchFormer).
    public let trainingOnly: Bool
    /// The minor version the descriptor's author compiled against, and its size.
    public let abiMinor: Int
    public let structSize: Int

    /// The module's functions; every 1.0 pointer in it is non-NULL.
    public let functions: UnsafePointer<zoo_module_functions>
    /// The descriptor itself.
    public let raw: UnsafePointer<zoo_module_descriptor>

    /// The configuration with defaults filled, as JSON text for `functions.pointee.create`.
    public func validatedConfigJSON(_ config: JSONValue, prefix: String = "") throws(ConfigValidationError) -> String {
        try configSchema.validatedConfigJSON(config, prefix: prefix)
    }
}

extension ModuleDescriptor {
    /// The byte count of the 1.0 part of `zoo_module_descriptor` (up to `functions` inclusive).
    static let size10 = MemoryLayout<zoo_module_descriptor>.offset(of: \zoo_module_descriptor.documentation)!
    /// The byte count of the 1.0 `zoo_module_functions` (all eight function pointers).
    static let functionsSize10 = MemoryLayout<zoo_module_functions>.offset(of: \zoo_module_functions.parameters)! + 8
    /// The byte count of the 1.0 `zoo_plugin_info`.
    static let infoSize10 = MemoryLayout<zoo_plugin_info>.offset(of: \zoo_plugin_info.modules)! + 8

    /// Whether `structSize` covers `field` (ZOO_HAS_FIELD).
    static func has<Root>(_ structSize: UInt32, _ field: PartialKeyPath<Root>, size: Int = 8) -> Bool {
        guard let offset = MemoryLayout<Root>.offset(of: field) else { return false }
        return Int(structSize) >= offset + size
    }

    /// Plug-in and module names: lowercase letters, digits, `-` and `_`, beginning with a letter
    /// or a digit, at most 64 characters.
    public static func isValidName(_ name: String) -> Bool {
        guard let first = name.utf8.first, name.utf8.count <= 64 else { return false }
        func allowed(_ byte: UInt8) -> Bool { (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39) }
        return allowed(first) && name.utf8.allSatisfy { allowed($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") }
    }

    /// Reads and validates one descriptor; throws a message describing the first problem.
    static func read(_ raw: UnsafePointer<zoo_module_descriptor>) throws(DescriptorProblem) -> ModuleDescriptor {
        let d = raw.pointee
        guard Int(d.struct_size) >= size10 else {
            throw DescriptorProblem("struct_size is \(d.struct_size); the 1.0 fields need at least \(size10) bytes")
        }
        guard let namePointer = d.name else { throw DescriptorProblem("name is NULL") }
        let name = String(cString: namePointer)
        guard isValidName(name) else {
            throw DescriptorProblem("name \"\(name)\" is not valid: use lowercase letters, digits, '-' and '_', beginning with a letter or digit")
        }
        guard let functions = d.functions else { throw DescriptorProblem("functions is NULL") }
        let table = functions.pointee
        guard Int(table.struct_size) >= functionsSize10 else {
            throw DescriptorProblem("functions table struct_size is \(table.struct_size); the 1.0 functions need at least \(functionsSize10) bytes")
        }
        let missing = [
            ("create", table.create == nil), ("destroy", table.destroy == nil), ("output_shapes", table.output_shapes == nil),
            ("forward", table.forward == nil), ("backward", table.backward == nil), ("release_state", table.release_state == nil),
            ("parameter_count", table.parameter_count == nil), ("parameters", table.parameters == nil),
        ].filter(\.1).map(\.0)
        guard missing.isEmpty else {
            throw DescriptorProblem("functions table: \(missing.joined(separator: ", ")) \(missing.count == 1 ? "is" : "are") NULL")
        }
        guard d.input_count >= 1 else { throw DescriptorProblem("input_count is \(d.input_count); expected at least 1") }
        guard d.output_count >= 1 else { throw DescriptorProblem("output_count is \(d.output_count); expected at least 1") }
        guard let threading = ModuleThreading(rawValue: d.threading) else {
            throw DescriptorProblem("threading is \(d.threading); expected 0 (serialised) or 1 (reentrant)")
        }
        guard let batchEffect = BatchEffect(rawValue: d.batch_effect) else {
            throw DescriptorProblem("batch_effect is \(d.batch_effect); expected 0 (unchanged) or 1 (two-stream)")
        }
        guard let schemaPointer = d.config_schema_json else {
            throw DescriptorProblem("config_schema_json is NULL; expected a JSON Schema object (at least {\"type\": \"object\"})")
        }
        let schemaText = String(cString: schemaPointer)
        let schema: ConfigSchema
        do {
            schema = try ConfigSchema(json: schemaText)
        } catch {
            throw DescriptorProblem("config_schema_json: \(error)")
        }
        var documentation: String?
        if has(d.struct_size, \zoo_module_descriptor.documentation), let text = d.documentation {
            documentation = String(cString: text)
        }
        return ModuleDescriptor(
            kind: ModuleKind(rawValue: d.kind), name: name, summary: d.summary.map { String(cString: $0) } ?? "",
            configSchemaJSON: schemaText, configSchema: schema, documentation: documentation,
            inputCount: Int(d.input_count), outputCount: Int(d.output_count), threading: threading,
            batchEffect: batchEffect, trainingOnly: d.training_only != 0, abiMinor: Int(d.abi_minor),
            structSize: Int(d.struct_size), functions: functions, raw: raw)
    }
}

/// A problem with one descriptor, before it is given the plug-in's path and the module's index.
struct DescriptorProblem: Error {
    let message: String
    init(_ message: String) { self.message = message }
}
