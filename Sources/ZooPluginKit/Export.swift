import CZooPlugin
import Foundation
import ZooTensor

/// Exports a plug-in library's modules through the C ABI.
public enum ZooPlugin {
    /// The body of a library's `zoo_plugin_entry_v1`: builds the plug-in's description once
    /// (later calls return the same pointer) and returns it, or reports why it cannot and
    /// returns nil.
    ///
    /// ```swift
    /// @_cdecl("zoo_plugin_entry_v1")
    /// public func zooPluginEntry(_ host: UnsafePointer<zoo_host_api>?, _ error: OpaquePointer?)
    ///     -> UnsafePointer<zoo_plugin_info>? {
    ///     ZooPlugin.export(name: "focal-loss", version: "1.0.0", modules: [FocalLoss.self], host: host, error: error)
    /// }
    /// ```
    public static func export(
        name: String, version: String, modules: [any PluginModule.Type],
        host: UnsafePointer<zoo_host_api>?, error: OpaquePointer?
    ) -> UnsafePointer<zoo_plugin_info>? {
        let services = PluginHost(host)
        if let host, host.pointee.abi_major != UInt16(ZOO_ABI_MAJOR) {
            services.report(.unsupported(
                "plug-in \(name) speaks Zoo plug-in ABI \(ZOO_ABI_MAJOR).\(ZOO_ABI_MINOR); the host speaks \(host.pointee.abi_major).\(host.pointee.abi_minor)"),
                into: error)
            return nil
        }
        if host != nil && services.threadCount > 1 && isInSharedLibrary {
            // This library's copy of ZooTensor computes on the host's threads, not on a pool of its own.
            // (Linked into the host's own executable, the kit shares the host's ZooTensor: nothing to lend.)
            Threading.lendThreads { parts, body in
                services.parallelFor(parts) { range in for part in range { body(part) } }
            }
        }
        do {
            return try Registry.shared.info(name: name, version: version, modules: modules, host: services)
        } catch let failure {
            services.report(PluginError.from(failure, module: name), into: error)
            return nil
        }
    }

    /// Whether this code was loaded from a shared library (a plug-in) rather than linked into the
    /// main executable.
    static let isInSharedLibrary: Bool = {
        // The file mapped at the marker's address, from /proc/self/maps ("start-end perms offset dev inode path").
        let address = UInt(bitPattern: unsafeBitCast(exportMarker, to: UnsafeRawPointer.self))
        guard let maps = try? String(contentsOfFile: "/proc/self/maps", encoding: .utf8) else { return false }
        for line in maps.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            let bounds = fields.first?.split(separator: "-").compactMap { UInt($0, radix: 16) } ?? []
            guard fields.count >= 6, bounds.count == 2, bounds[0] <= address, address < bounds[1] else { continue }
            let file = URL(fileURLWithPath: fields[5...].joined(separator: " ")).resolvingSymlinksInPath().path
            return file != URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        }
        return false
    }()

    /// The most module kinds one library can export (each needs its own `create` entry).
    public static var moduleCapacity: Int { createSlots.count }
}

/// A module kind registered with the kit: its type, a factory that decodes its configuration,
/// and its C descriptor.
struct RegisteredKind {
    let type: any PluginModule.Type
    let make: (PluginHost, String) throws -> any PluginModule
}

/// Everything the kit has exported in this library; built once, kept for the life of the process.
final class Registry: @unchecked Sendable {
    static let shared = Registry()

    private let lock = NSLock()
    private var kinds: [RegisteredKind] = []
    private var plugins: [String: UnsafePointer<zoo_plugin_info>] = [:]

    func kind(at slot: Int) -> RegisteredKind? {
        lock.lock()
        defer { lock.unlock() }
        return slot < kinds.count ? kinds[slot] : nil
    }

    func info(
        name: String, version: String, modules: [any PluginModule.Type], host: PluginHost
    ) throws -> UnsafePointer<zoo_plugin_info> {
        lock.lock()
        defer { lock.unlock() }
        if let existing = plugins[name] { return existing }

        try validate(name: name, version: version, modules: modules)
        let schemas = try modules.map { type in
            do {
                return try type.publishedSchema()
            } catch let error as PluginError {
                throw PluginError.invalidArgument("plug-in \(name): \(error.message)")
            }
        }
        guard kinds.count + modules.count <= createSlots.count else {
            throw PluginError.invalidArgument(
                "plug-in \(name): a library exports at most \(createSlots.count) module kinds")
        }
        let descriptors = UnsafeMutablePointer<UnsafePointer<zoo_module_descriptor>?>.allocate(capacity: Swift.max(modules.count, 1))
        descriptors.initialize(repeating: nil, count: Swift.max(modules.count, 1))
        for (index, type) in modules.enumerated() {
            let slot = kinds.count
            kinds.append(RegisteredKind(type: type, make: factory(type)))
            descriptors[index] = UnsafePointer(descriptor(for: type, schema: schemas[index], slot: slot))
        }
        let info = UnsafeMutablePointer<zoo_plugin_info>.allocate(capacity: 1)
        info.initialize(to: zoo_plugin_info(
            struct_size: UInt32(MemoryLayout<zoo_plugin_info>.size),
            abi_major: UInt16(ZOO_ABI_MAJOR), abi_minor: UInt16(ZOO_ABI_MINOR),
            name: permanent(name), version: permanent(version),
            module_count: Int32(modules.count), reserved: 0,
            modules: UnsafePointer(descriptors)))
        plugins[name] = UnsafePointer(info)
        host.log(.debug, "plug-in \(name) \(version): \(modules.map { $0.name }.joined(separator: ", "))")
        return UnsafePointer(info)
    }

    private func validate(name: String, version: String, modules: [any PluginModule.Type]) throws {
        func check(_ text: String, _ what: String) throws {
            guard !text.contains("\0") else { throw PluginError.invalidArgument("plug-in \(name): \(what) contains NUL") }
        }
        guard !name.isEmpty else { throw PluginError.invalidArgument("a plug-in needs a name") }
        try check(name, "the name")
        try check(version, "the version")
        var seen = Set<String>()
        for type in modules {
            let module = type.name
            guard !module.isEmpty else { throw PluginError.invalidArgument("plug-in \(name): a module has no name") }
            guard seen.insert(module).inserted else {
                throw PluginError.invalidArgument("plug-in \(name): two modules are named \(module)")
            }
            for (text, what) in [(module, "name"), (type.summary, "summary"), (type.documentation, "documentation"),
                                 (type.configurationSchema, "configuration schema")] {
                try check(text, "module \(module)'s \(what)")
            }
            let minimumInputs = type.takesLabels ? 1 : 0
            guard type.inputCount > minimumInputs, type.inputCount <= Int(Int32.max),
                  type.outputCount >= 1, type.outputCount <= Int(Int32.max) else {
                throw PluginError.invalidArgument(
                    "plug-in \(name): module \(module) declares \(type.inputCount) input(s) and \(type.outputCount) output(s)")
            }
            if let declared = type.configurationType as? any PluginConfiguration.Type, let key = declared.duplicateKey {
                throw PluginError.invalidArgument("plug-in \(name): module \(module)'s configuration declares key `\(key)` twice")
            }
            let schema = Data(type.configurationSchema.utf8)
            guard (try? JSONSerialization.jsonObject(with: schema)) is [String: Any] else {
                throw PluginError.invalidArgument(
                    "plug-in \(name): module \(module)'s configuration schema is not a JSON object: \(type.configurationSchema)")
            }
        }
    }

    private func factory<M: PluginModule>(_ type: M.Type) -> (PluginHost, String) throws -> any PluginModule {
        { host, json in
            let configuration: M.Configuration
            if let declared = M.Configuration.self as? any PluginConfiguration.Type {
                configuration = try declared.decode(json, module: M.name) as! M.Configuration
            } else {
                do {
                    configuration = try JSONDecoder().decode(M.Configuration.self, from: Data(json.utf8))
                } catch let error as DecodingError {
                    throw PluginError.configurationError(error, module: M.name)
                }
            }
            return try M(configuration: configuration, host: host)
        }
    }

    private func descriptor(for type: any PluginModule.Type, schema: String, slot: Int) -> UnsafeMutablePointer<zoo_module_descriptor> {
        let functions = UnsafeMutablePointer<zoo_module_functions>.allocate(capacity: 1)
        functions.initialize(to: zoo_module_functions(
            struct_size: UInt32(MemoryLayout<zoo_module_functions>.size), abi_minor: UInt16(ZOO_ABI_MINOR), reserved: 0,
            create: createSlots[slot], destroy: Thunks.destroy, output_shapes: Thunks.outputShapes,
            forward: Thunks.forward, backward: Thunks.backward, release_state: Thunks.releaseState,
            parameter_count: Thunks.parameterCount, parameters: Thunks.parameters))
        let descriptor = UnsafeMutablePointer<zoo_module_descriptor>.allocate(capacity: 1)
        descriptor.initialize(to: zoo_module_descriptor(
            struct_size: UInt32(MemoryLayout<zoo_module_descriptor>.size), abi_minor: UInt16(ZOO_ABI_MINOR), reserved: 0,
            kind: type.kind.rawValue, threading: type.threading.rawValue,
            input_count: Int32(type.inputCount), output_count: Int32(type.outputCount),
            batch_effect: type.batchEffect.rawValue, training_only: type.trainingOnly ? 1 : 0,
            name: permanent(type.name), summary: permanent(type.summary),
            config_schema_json: permanent(schema), functions: UnsafePointer(functions),
            documentation: type.documentation.isEmpty ? nil : permanent(type.documentation)))
        return descriptor
    }

    /// A C string that is never freed.
    private func permanent(_ text: String) -> UnsafePointer<CChar> {
        UnsafePointer(strdup(text)!)
    }

    // MARK: create

    /// Makes a module of the kind in `slot`: decodes the configuration, builds the object,
    /// returns its handle.
    func create(
        slot: Int, host api: UnsafePointer<zoo_host_api>?, configuration: UnsafePointer<CChar>?,
        module: UnsafeMutablePointer<UnsafeMutableRawPointer?>?, error: OpaquePointer?
    ) -> zoo_status {
        let host = PluginHost(api)
        guard let kind = kind(at: slot) else {
            return host.report(.internal("create: no module kind in slot \(slot)"), into: error)
        }
        guard let module else {
            return host.report(.invalidArgument("\(kind.type.name): create without a place for the module"), into: error)
        }
        module.pointee = nil
        let json = configuration.map { String(cString: $0) } ?? ""
        do {
            let text = json.allSatisfy(\.isWhitespace) ? "{}" : json
            let object = try kind.make(host, text)
            let instance = ModuleInstance(type: kind.type, object: object, host: host)
            module.pointee = Unmanaged.passRetained(instance).toOpaque()
            return ZOO_OK
        } catch let failure {
            return host.report(PluginError.from(failure, module: kind.type.name), into: error)
        }
    }
}

/// A function whose address tells which loaded object holds the kit.
private let exportMarker: @convention(c) () -> Void = {}
