import ArgumentParser
import Foundation
import ZooManifest
import ZooPipeline
import ZooPluginHost
import ZooValue

/// `zoo plugins list|inspect|lock`: the plug-ins of the search path.
struct PluginsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plugins",
        abstract: "List, inspect and lock the plug-ins of the search path (--plugin-path, ZOO_PLUGIN_PATH, then the zoo executable's folders).",
        subcommands: [List.self, Inspect.self, LockCommand.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List every plug-in found in the search path, with its modules.",
            discussion: """
                Reads each library's metadata file (NAME.zoo.json, written by `zoo plugin seal`) without loading \
                the library: no plug-in code runs. A library without one is listed as not read; --load loads it.
                Example: zoo plugins list --plugin-path .build/release --json
                """)
        @OptionGroup var pluginPath: PluginPathOptions
        @Flag(help: "Print JSON.") var json = false
        @Flag(help: "Load the libraries that have no metadata file (runs their code).") var load = false

        func run() throws {
            let found = Discovery(folders: pluginPath.urls).scan(load: load)
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
                    print("(not read) \(entry.file.path): \(error.message)")
                }
            }
        }
    }

    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a plug-in: its modules, their kinds, schemas and documentation.",
            discussion: """
                Reads the library's metadata file (NAME.zoo.json, written by `zoo plugin seal`) after checking \
                the library's ELF headers and SHA-256; the library is not loaded and none of its code runs. \
                Without a metadata file, --load loads it.
                Example: zoo plugins inspect zoo-relations --plugin-path .build/release
                """)
        @Argument(help: "A library path, or a plug-in name looked up in the search path.") var library: String
        @OptionGroup var pluginPath: PluginPathOptions
        @Flag(help: "Print JSON.") var json = false
        @Flag(help: "Load the library when it has no metadata file (runs its code).") var load = false

        func run() throws {
            let found = try Discovery(folders: pluginPath.urls).description(library, load: load)
            if json {
                print(ManifestNode(libraryJSON(found, schemas: true)).jsonText(pretty: true))
                return
            }
            print("\(found.name) \(found.version)")
            print("  file: \(found.path)")
            print("  sha256: \(found.sha256)")
            print("  ABI: \(found.abiMajor).\(found.abiMinor), \(found.isSwift ? "Swift" : "C") library")
            for module in found.modules { print(describe(module)) }
        }
    }
}

/// The plug-in files of the search path.
struct Discovery {
    let folders: [URL]

    init(folders: [URL]) {
        self.folders = PluginSearchPath(explicit: folders).folders
    }

    /// The `.so` files of the folders, in order, without repeats.
    func libraryFiles() -> [URL] { PluginSearchPath(explicit: folders).libraryFiles() }

    /// Every `.so` file in the folders, loaded (or the reason it did not load). Runs plug-in code.
    func scanLoaded() -> [(file: URL, result: Result<PluginLibrary, PluginError>)] {
        libraryFiles().map { file in
            do throws(PluginError) { return (file, .success(try PluginLibrary.load(file: file))) } catch { return (file, .failure(error)) }
        }
    }

    /// Every `.so` file in the folders, described by its metadata file without running it (or, with
    /// `load`, loaded when it has none).
    func scan(load: Bool) -> [(file: URL, result: Result<PluginDescription, PluginError>)] {
        libraryFiles().map { file in
            do throws(PluginError) { return (file, .success(try describe(file, load: load))) } catch { return (file, .failure(error)) }
        }
    }

    /// The description of the library at `file`: its metadata file, or (with `load`) the loaded library.
    func describe(_ file: URL, load: Bool) throws(PluginError) -> PluginDescription {
        guard FileManager.default.fileExists(atPath: file.path) else {
            throw PluginError(.fileNotFound, "plug-in file \(file.path) not found", path: file.path, step: .open)
        }
        if let description = try PluginDescription.readMetadata(of: file) { return description }
        if load { return PluginDescription(try PluginLibrary.load(file: file)) }
        let metadata = PluginDescription.metadataFile(of: file).lastPathComponent
        throw PluginError(.invalidDescriptor, "\(file.path) has no metadata file \(metadata), so it was not read: "
                          + "`zoo plugin seal \(file.path)` loads it once and writes one (or pass --load)", path: file.path, step: .inspect)
    }

    /// A library by path, or by plug-in name (or file name) among the metadata files of the search
    /// path; nothing is loaded unless `load` is given and the library has no metadata file.
    func description(_ text: String, load: Bool) throws -> PluginDescription {
        switch PluginReference(text) {
        case .path(let path): return try description(file: URL(fileURLWithPath: path).standardizedFileURL, load: load)
        case .name(let name):
            do throws(PluginError) {
                let file = try PluginLoader(searchPath: PluginSearchPath(explicit: folders)).locate(.name(name))
                return try describe(file, load: load)
            } catch {
                throw CommandFailure(message: error.message, exitCode: error.isNameNotFound ? 2 : 1)
            }
        }
    }

    /// The library at `file`, described as `describe` does, its refusal as a command failure.
    func description(file: URL, load: Bool) throws -> PluginDescription {
        do {
            return try describe(file, load: load)
        } catch {
            throw CommandFailure(message: error.message, exitCode: error.isNameNotFound ? 2 : 1)
        }
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

    /// A module by name (or plugin/module) among the plug-ins of the search path: only the library
    /// whose metadata file records it is loaded; without one, every library is loaded to ask.
    func module(_ name: String) throws -> LoadedModule {
        let searchPath = PluginSearchPath(explicit: folders)
        let parts = name.split(separator: "/", maxSplits: 1).map(String.init)
        let sealed = parts.count == 2 ? searchPath.library(recordedAs: parts[0]) : searchPath.library(offeringModule: name)
        let registry = PluginRegistry()
        if let sealed {
            try registry.register(try library(sealed.path))
        } else {
            for entry in scanLoaded() {
                if case .success(let library) = entry.result { try? registry.register(library) }
            }
        }
        do {
            return try registry.module(name)
        } catch {
            throw CommandFailure(message: error.message, exitCode: error.isNameNotFound ? 2 : 1)
        }
    }
}

func libraryJSON(_ library: PluginDescription, schemas: Bool) -> JSONValue {
    [
        "name": .string(library.name), "version": .string(library.version), "file": .string(library.path),
        "sha256": .string(library.sha256), "abi": .string("\(library.abiMajor).\(library.abiMinor)"),
        "language": .string(library.isSwift ? "swift" : "c"),
        "modules": .array(library.modules.map { moduleJSON($0, schemas: schemas) }),
    ]
}

func moduleJSON(_ module: PluginDescription.Module, schemas: Bool) -> JSONValue {
    guard case .object(let members) = module.json else { return module.json }
    return .object(schemas ? members : members.filter { $0.key != "config_schema" && $0.key != "documentation" })
}

/// A module's description as text.
func describe(_ module: PluginDescription.Module) -> String {
    var lines = ["  \(module.name) [\(module.kind)] — \(module.summary)"]
    lines.append("      inputs \(module.inputCount), outputs \(module.outputCount), batch \(module.batchEffect == .twoStream ? "two-stream" : "unchanged")"
        + "\(module.trainingOnly ? ", training only (skipped in evaluation)" : ""), \(module.threading == .reentrant ? "reentrant" : "serialised")")
    if let documentation = module.documentation, !documentation.isEmpty { lines.append("      \(documentation)") }
    lines.append("      config schema: \((try? JSONValue.parse(module.configSchemaJSON)) ?? .object([]))")
    for example in (try? ConfigSchema(json: module.configSchemaJSON))?.examples ?? [] {
        lines.append("      example: \(example.configuration.jsonText)"
                     + (example.inputShapes.map { " with inputs " + $0.map { "\($0)" }.joined(separator: ", ") } ?? ""))
    }
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
            var value = moduleJSON(.init(found.descriptor), schemas: true)
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
        print(describe(.init(found.descriptor)))
        switch parameters {
        case .success(let count): print("      parameters with the default configuration: \(ModelsCommand.grouped(count))")
        case .failure(let needs): print("      parameters with the default configuration: \(needs.message)")
        }
    }
}
