import ArgumentParser
import Foundation
import ZooManifest
import ZooPipeline
import ZooPluginHost

/// `zoo plugins list|inspect`: the plug-ins of the search path.
struct PluginsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plugins", abstract: "List and inspect the plug-ins of the search path (--plugin-path, then ZOO_PLUGIN_PATH).",
        subcommands: [List.self, Inspect.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List every plug-in found in the search path, with its modules.",
            discussion: "Example: zoo plugins list --plugin-path .build/release --json")
        @OptionGroup var pluginPath: PluginPathOptions
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let found = Discovery(folders: pluginPath.urls).scan()
            if json {
                let entries: [JSONValue] = found.map { entry in
                    switch entry.result {
                    case .success(let library): libraryJSON(library, schemas: false)
                    case .failure(let error): ["file": .string(entry.file.path), "error": .string(error.message)]
                    }
                }
                print(ManifestNode(JSONValue.array(entries)).jsonText(pretty: true))
                return
            }
            if found.isEmpty {
                print("no plug-ins found (searched: \(Discovery(folders: pluginPath.urls).folders.map(\.path).joined(separator: ", ")))")
                return
            }
            for entry in found {
                switch entry.result {
                case .success(let library):
                    print("\(library.name) \(library.version)  \(library.path)")
                    for module in library.modules {
                        print("  \(module.name) [\(module.kind)\(module.trainingOnly ? ", training only" : "")] — \(module.summary)")
                    }
                case .failure(let error):
                    print("(not loaded) \(entry.file.path): \(error.message)")
                }
            }
        }
    }

    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a plug-in: its modules, their kinds, schemas and documentation.",
            discussion: "Example: zoo plugins inspect zoo-relations --plugin-path .build/release")
        @Argument(help: "A library path, or a plug-in name looked up in the search path.") var library: String
        @OptionGroup var pluginPath: PluginPathOptions
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let loaded = try Discovery(folders: pluginPath.urls).library(library)
            if json {
                print(ManifestNode(libraryJSON(loaded, schemas: true)).jsonText(pretty: true))
                return
            }
            print("\(loaded.name) \(loaded.version)")
            print("  file: \(loaded.path)")
            print("  sha256: \(loaded.sha256)")
            print("  ABI: \(loaded.abiMajor).\(loaded.abiMinor), \(loaded.isSwift ? "Swift" : "C") library")
            for module in loaded.modules { print(describe(module)) }
        }
    }
}

/// The plug-in files of the search path.
struct Discovery {
    let folders: [URL]

    init(folders: [URL]) {
        self.folders = PluginSearchPath(explicit: folders).folders
    }

    /// Every `.so` file in the folders, loaded (or the reason it did not load).
    func scan() -> [(file: URL, result: Result<PluginLibrary, PluginError>)] {
        var seen = Set<String>()
        var found: [(file: URL, result: Result<PluginLibrary, PluginError>)] = []
        for folder in folders {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path))?.sorted() ?? []
            for name in names where name.hasSuffix(".so") {
                let file = folder.appendingPathComponent(name)
                guard seen.insert(file.resolvingSymlinksInPath().path).inserted else { continue }
                do {
                    found.append((file, .success(try PluginLibrary.load(file: file))))
                } catch {
                    found.append((file, .failure(error)))
                }
            }
        }
        return found
    }

    /// A library by path (relative to the current folder) or by name in the search path.
    func library(_ text: String) throws -> PluginLibrary {
        do {
            switch PluginReference(text) {
            case .path(let path): return try PluginLibrary.load(file: URL(fileURLWithPath: path))
            case .name(let name):
                return try PluginLoader(searchPath: PluginSearchPath(explicit: folders)).load(.name(name))
            }
        } catch {
            throw CommandFailure(message: error.message, exitCode: error.isNameNotFound ? 2 : 1)
        }
    }

    /// A module by name (or plugin/module) among every plug-in of the search path.
    func module(_ name: String) throws -> LoadedModule {
        let registry = PluginRegistry()
        for entry in scan() {
            if case .success(let library) = entry.result { try? registry.register(library) }
        }
        do {
            return try registry.module(name)
        } catch {
            throw CommandFailure(message: error.message, exitCode: error.isNameNotFound ? 2 : 1)
        }
    }
}

func libraryJSON(_ library: PluginLibrary, schemas: Bool) -> JSONValue {
    [
        "name": .string(library.name), "version": .string(library.version), "file": .string(library.path),
        "sha256": .string(library.sha256), "abi": .string("\(library.abiMajor).\(library.abiMinor)"),
        "language": .string(library.isSwift ? "swift" : "c"),
        "modules": .array(library.modules.map { moduleJSON($0, schemas: schemas) }),
    ]
}

func moduleJSON(_ module: ModuleDescriptor, schemas: Bool) -> JSONValue {
    var members: [(key: String, value: JSONValue)] = [
        ("name", .string(module.name)), ("kind", .string(module.kind.description)), ("summary", .string(module.summary)),
        ("inputs", .integer(Int64(module.inputCount))), ("outputs", .integer(Int64(module.outputCount))),
        ("batch_effect", .string(module.batchEffect == .twoStream ? "two-stream" : "unchanged")),
        ("training_only", .bool(module.trainingOnly)),
        ("threading", .string(module.threading == .reentrant ? "reentrant" : "serialised")),
    ]
    if schemas {
        members.append(("config_schema", module.configSchema.json))
        members.append(("documentation", module.documentation.map(JSONValue.string) ?? .null))
    }
    return .object(members)
}

/// A module's description as text.
func describe(_ module: ModuleDescriptor) -> String {
    var lines = ["  \(module.name) [\(module.kind)] — \(module.summary)"]
    lines.append("      inputs \(module.inputCount), outputs \(module.outputCount), batch \(module.batchEffect == .twoStream ? "two-stream" : "unchanged")"
        + "\(module.trainingOnly ? ", training only (skipped in evaluation)" : ""), \(module.threading == .reentrant ? "reentrant" : "serialised")")
    if let documentation = module.documentation, !documentation.isEmpty { lines.append("      \(documentation)") }
    lines.append("      config schema: \(module.configSchema.json)")
    return lines.joined(separator: "\n")
}

/// `zoo describe MODULE`: one module of the search path.
struct DescribeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "describe", abstract: "Describe a module (by name, or plugin/module) of the plug-ins in the search path.",
        discussion: "Example: zoo describe batchformer-v1 --plugin-path .build/release")
    @Argument(help: "The module's name.") var module: String
    @Option(name: .customLong("plugin"), help: ArgumentHelp("Look only in this library.", valueName: "lib")) var plugin: String?
    @OptionGroup var pluginPath: PluginPathOptions
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let discovery = Discovery(folders: pluginPath.urls)
        let found: LoadedModule
        if let plugin {
            let library = try discovery.library(plugin)
            guard let descriptor = library.module(named: module) else {
                let names = library.modules.map(\.name)
                let hint = Suggestion.closest(to: module, among: names).map { "did you mean \($0)?" } ?? "it offers \(names.joined(separator: ", "))"
                throw CommandFailure(message: "\(library.path) has no module \"\(module)\" (\(hint))", exitCode: 2)
            }
            let registry = PluginRegistry()
            try registry.register(library)
            found = try registry.module("\(library.name)/\(descriptor.name)")
        } else {
            found = try discovery.module(module)
        }
        let parameters = ModelsCommand.parameterCount(found)
        if json {
            var value = moduleJSON(found.descriptor, schemas: true)
            if case .object(var members) = value {
                switch parameters {
                case .success(let count): members.append(("parameters", .integer(Int64(count))))
                case .failure(let needs): members.append(("parameters", .string(needs.message)))
                }
                members.append(("plugin", .string(found.library.name)))
                members.append(("plugin_version", .string(found.library.version)))
                members.append(("file", .string(found.library.path)))
                members.append(("sha256", .string(found.library.sha256)))
                value = .object(members)
            }
            print(ManifestNode(value).jsonText(pretty: true))
            return
        }
        print("\(found.descriptor.name) (\(found.library.name) \(found.library.version), \(found.library.path))")
        print(describe(found.descriptor))
        switch parameters {
        case .success(let count): print("      parameters with the default configuration: \(ModelsCommand.grouped(count))")
        case .failure(let needs): print("      parameters with the default configuration: \(needs.message)")
        }
    }
}
