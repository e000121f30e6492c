import ArgumentParser
import Foundation
import ZooPluginHost
import ZooValue

/// `zoo plugin …`: inspect and check plug-in libraries.
struct PluginCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plugin", abstract: "Inspect and check plug-in libraries, and start new ones.",
        subcommands: [Check.self, List.self, Seal.self, New.self, Header.self])

    /// `zoo plugin list LIB`: the modules a library offers, from its metadata file.
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the modules of a plug-in library (from its metadata file).",
            discussion: "Example: zoo plugin list .build/release/libZooRelations.so")

        @Argument(help: "The plug-in's shared library.")
        var library: String
        @Flag(help: "Load the library when it has no metadata file (runs its code).") var load = false

        func run() throws {
            let found = try Discovery(folders: []).description(file: URL(fileURLWithPath: library).standardizedFileURL, load: load)
            print("\(found.name) \(found.version) (ABI \(found.abiMajor).\(found.abiMinor), sha256 \(found.sha256))")
            for module in found.modules {
                print("  \(module.name) [\(module.kind)\(module.trainingOnly ? ", training only" : "")] — \(module.summary)")
                if let documentation = module.documentation, !documentation.isEmpty { print("      \(documentation)") }
            }
        }
    }

    /// `zoo plugin seal LIB…`: loads each library once and writes its metadata file.
    struct Seal: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Load plug-in libraries you trust and write their metadata files (NAME.zoo.json beside NAME.so).",
            discussion: """
                The metadata file records the library's name, version, ABI, modules with their schemas, and its \
                SHA-256. `zoo plugins list/inspect` and `zoo plugin list` read it instead of loading the \
                library, so that no plug-in code runs; a library whose SHA-256 no longer matches is refused \
                until it is sealed again. `make` seals the built-in libraries after building them.
                Example: zoo plugin seal .build/release/libZooHeads.so
                """)

        @Argument(help: "The plug-in libraries.")
        var libraries: [String]

        func run() throws {
            for library in libraries {
                let loaded: PluginLibrary
                do {
                    loaded = try PluginLibrary.load(file: URL(fileURLWithPath: library), ignoringMetadata: true)
                } catch {
                    throw CommandFailure(message: error.description)
                }
                let description = PluginDescription(loaded)
                try description.writeMetadata()
                print("\(PluginDescription.metadataFile(of: URL(fileURLWithPath: loaded.path)).path): \(loaded.name) \(loaded.version), "
                      + "\(loaded.modules.count) module\(loaded.modules.count == 1 ? "" : "s"), sha256 \(loaded.sha256)")
            }
        }
    }

    /// `zoo plugin check LIB`: the conformance check.
    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a plug-in library against the plug-in contract.",
            discussion: """
                For every module: create it from its schema's defaults (or --config), find input shapes it \
                accepts (or --input-shape), run forward and backward on random input, compare backward with \
                finite differences, and check that a bad configuration and a wrong input shape are refused \
                with a message. Exits non-zero when any check fails.

                Example:
                  zoo plugin check .build/release/libZooExampleScaledHead.so --config 'scaled-head={"in_features": 64, "out_features": 10}'
                """)

        @Argument(help: "The plug-in's shared library.")
        var library: String

        @Option(name: .customLong("config"), help: ArgumentHelp("A module's configuration as JSON.", valueName: "module=json"))
        var configurations: [String] = []

        @Option(name: .customLong("input-shape"),
                help: ArgumentHelp("A module's input shapes, e.g. head=4x64 (several inputs: 4x10,4).", valueName: "module=shape"))
        var inputShapes: [String] = []

        @Option(name: .customLong("module"), help: ArgumentHelp("Check only this module (repeatable).", valueName: "name"))
        var modules: [String] = []

        func run() throws {
            let loaded = try load(library)
            let names = loaded.modules.map(\.name)
            for name in modules where !names.contains(name) {
                throw ValidationError("--module \(name): \(loaded.path) has no module \"\(name)\"; it has \(names.joined(separator: ", "))")
            }
            var configurationsByModule: [String: JSONValue] = [:]
            for entry in configurations {
                let (module, text) = try split(entry, option: "--config")
                do {
                    configurationsByModule[module] = try JSONValue.parse(text)
                } catch {
                    throw ValidationError("--config \(module): \(error)")
                }
            }
            var shapesByModule: [String: [[Int]]] = [:]
            for entry in inputShapes {
                let (module, text) = try split(entry, option: "--input-shape")
                let shapes = text.split(separator: ",").map { $0.split(separator: "x").compactMap { Int($0) } }
                guard shapes.allSatisfy({ !$0.isEmpty }) else { throw ValidationError("--input-shape \(entry): expected e.g. 4x64") }
                shapesByModule[module] = shapes
            }
            print("checking \(loaded.name) \(loaded.version) from \(loaded.path)")
            let checks = PluginConformance.check(loaded, modules: modules.isEmpty ? nil : Set(modules),
                                                 configurations: configurationsByModule, inputShapes: shapesByModule)
            for check in checks { print("  \(check)") }
            let failed = checks.filter { !$0.passed }.count
            print("\(checks.count - failed) passed, \(failed) failed")
            if failed > 0 { throw ExitCode(1) }
        }

        private func split(_ entry: String, option: String) throws -> (String, String) {
            guard let equals = entry.firstIndex(of: "=") else { throw ValidationError("\(option) \(entry): expected module=value") }
            return (String(entry[..<equals]), String(entry[entry.index(after: equals)...]))
        }
    }
}

/// Loads a library named on the command line (a path, relative to the current folder).
func load(_ library: String) throws -> PluginLibrary {
    do {
        return try PluginLibrary.load(file: URL(fileURLWithPath: library))
    } catch {
        throw CommandFailure(message: error.description)
    }
}
