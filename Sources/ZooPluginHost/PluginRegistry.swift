import CZooPlugin
import Foundation
import ZooValue

/// Where a module came from, for logs, checkpoints and `zoo describe`.
public struct ModuleProvenance: Sendable, Equatable, CustomStringConvertible {
    public var moduleName: String
    public var filePath: String
    public var pluginName: String
    public var pluginVersion: String
    /// SHA-256 of the library file, lowercase hexadecimal.
    public var sha256: String

    public init(moduleName: String, filePath: String, pluginName: String, pluginVersion: String, sha256: String) {
        self.moduleName = moduleName
        self.filePath = filePath
        self.pluginName = pluginName
        self.pluginVersion = pluginVersion
        self.sha256 = sha256
    }

    /// `focal-loss/focal 1.0.0 from /path/libfocal-loss.so (sha256 ab12...)`.
    public var description: String {
        "\(pluginName)/\(moduleName) \(pluginVersion) from \(filePath) (sha256 \(sha256))"
    }
}

/// A module of a loaded plug-in: its descriptor and the library that must stay loaded while the
/// descriptor's functions are used. Keep this value (or its `library`) for as long as anything
/// created from the module lives.
public struct LoadedModule: Sendable {
    public let library: PluginLibrary
    public let descriptor: ModuleDescriptor

    /// `plugin/module`.
    public var qualifiedName: String { "\(library.name)/\(descriptor.name)" }

    public var provenance: ModuleProvenance {
        ModuleProvenance(moduleName: descriptor.name, filePath: library.path, pluginName: library.name,
                         pluginVersion: library.version, sha256: library.sha256)
    }
}

/// How the host finds and loads plug-in libraries: a search path and the trust settings.
public struct PluginLoader: Sendable {
    public var searchPath: PluginSearchPath
    /// Load libraries that are, or sit in a folder that is, writable by every user.
    public var allowWorldWritable: Bool

    public init(searchPath: PluginSearchPath = PluginSearchPath(), allowWorldWritable: Bool = false) {
        self.searchPath = searchPath
        self.allowWorldWritable = allowWorldWritable
    }

    /// The file a reference names (see `PluginSearchPath.locate`).
    public func locate(_ reference: PluginReference) throws(PluginError) -> URL {
        try searchPath.locate(reference)
    }

    /// Finds, verifies and loads a library; `sha256` pins its hash.
    public func load(_ reference: PluginReference, sha256: String? = nil) throws(PluginError) -> PluginLibrary {
        try PluginLibrary.load(file: try locate(reference), sha256: sha256, allowWorldWritable: allowWorldWritable)
    }
}

/// The loaded plug-ins of a run and their modules, addressed as `plugin/module` or by the bare
/// module name (module names are unique across the registry).
public final class PluginRegistry: @unchecked Sendable {
    private let lock = NSLock()
    private var librariesStorage: [PluginLibrary] = []

    public init() {}

    /// The registered libraries, in registration order.
    public var libraries: [PluginLibrary] {
        lock.lock()
        defer { lock.unlock() }
        return librariesStorage
    }

    /// Every module of every registered library, in registration order.
    public var modules: [LoadedModule] {
        libraries.flatMap { library in library.modules.map { LoadedModule(library: library, descriptor: $0) } }
    }

    /// The modules of one kind.
    public func modules(ofKind kind: ModuleKind) -> [LoadedModule] { modules.filter { $0.descriptor.kind == kind } }

    /// Loads a library with `loader` and registers it. Loading the same file again returns the
    /// library already registered.
    @discardableResult
    public func load(_ reference: PluginReference, using loader: PluginLoader, sha256: String? = nil) throws(PluginError) -> PluginLibrary {
        let library = try loader.load(reference, sha256: sha256)
        try register(library)
        return library
    }

    /// Registers a loaded library. Refuses, registering nothing of it, a plug-in name or a module
    /// name that another registered library already uses. Registering the same library twice does
    /// nothing.
    public func register(_ library: PluginLibrary) throws(PluginError) {
        lock.lock()
        defer { lock.unlock() }
        if librariesStorage.contains(where: { $0 === library }) { return }
        if let other = librariesStorage.first(where: { $0.name == library.name }) {
            throw PluginError(.duplicatePlugin,
                              "plug-in name \"\(library.name)\" is used by two libraries: \(other.path) and \(library.path); load only one of them",
                              path: library.path, step: .registration)
        }
        for module in library.modules {
            if let other = librariesStorage.first(where: { $0.module(named: module.name) != nil }) {
                throw PluginError(.duplicateModule,
                                  "module \"\(module.name)\" is offered by two plug-ins: \(other.path) (\(other.name) \(other.version)) and \(library.path) (\(library.name) \(library.version)); load only one of them",
                                  path: library.path, step: .registration)
            }
        }
        librariesStorage.append(library)
    }

    /// The registered library named `name`, if any.
    public func library(named name: String) -> PluginLibrary? { libraries.first { $0.name == name } }

    /// The module at `address`: `plugin/module`, or a bare module name.
    public func module(_ address: String) throws(PluginError) -> LoadedModule {
        let libraries = self.libraries
        let parts = address.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        if parts.count == 2 {
            let (pluginName, moduleName) = (parts[0], parts[1])
            guard let library = libraries.first(where: { $0.name == pluginName }) else {
                let names = libraries.map(\.name)
                let hint = Suggestion.closest(to: pluginName, among: names).map { " (did you mean \($0)?)" }
                    ?? (names.isEmpty ? " (no plug-ins are loaded)" : " (loaded plug-ins: \(names.joined(separator: ", ")))")
                throw PluginError(.moduleNotFound, "no plug-in named \"\(pluginName)\" is loaded\(hint)", path: nil, step: .lookup)
            }
            guard let descriptor = library.module(named: moduleName) else {
                let names = library.modules.map(\.name)
                let hint = Suggestion.closest(to: moduleName, among: names).map { "did you mean \($0)?" }
                    ?? "it offers \(names.joined(separator: ", "))"
                throw PluginError(.moduleNotFound, "plug-in \"\(pluginName)\" (\(library.path)) has no module \"\(moduleName)\" (\(hint))",
                                  path: library.path, step: .lookup)
            }
            return LoadedModule(library: library, descriptor: descriptor)
        }
        for library in libraries {
            if let descriptor = library.module(named: address) { return LoadedModule(library: library, descriptor: descriptor) }
        }
        let all = libraries.flatMap { library in library.modules.map { "\(library.name)/\($0.name)" } }
        let hint = Suggestion.closest(to: address, among: libraries.flatMap { $0.modules.map(\.name) }).map { " (did you mean \($0)?)" }
            ?? (all.isEmpty ? " (no plug-ins are loaded)" : " (loaded modules: \(all.joined(separator: ", ")))")
        throw PluginError(.moduleNotFound, "no loaded plug-in offers module \"\(address)\"\(hint)", path: nil, step: .lookup)
    }
}
