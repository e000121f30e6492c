import ArgumentParser
import Foundation
import ZooManifest
import ZooPluginHost
import ZooValue

/// `zoo models`: the catalogue of every module in the search path, by kind, with its parameter
/// count for the default configuration.
struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "List every backbone, head, loss and relation module of the plug-ins in the search path.",
        discussion: """
            Parameter counts are for each module's default configuration; a module whose schema has
            required keys without defaults shows the keys it needs instead.
            Example: zoo models --plugin-path .build/release
            """)
    @OptionGroup var pluginPath: PluginPathOptions
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let registry = PluginRegistry()
        for entry in Discovery(folders: pluginPath.urls).scanLoaded() {
            if case .success(let library) = entry.result { try? registry.register(library) }
        }
        let modules = registry.modules.sorted { ($0.descriptor.kind.rawValue, $0.descriptor.name) < ($1.descriptor.kind.rawValue, $1.descriptor.name) }
        let rows = modules.map { module in (module, ModelsCommand.parameterCount(module)) }
        if json {
            let entries: [JSONValue] = rows.map { module, count in
                var members: [(key: String, value: JSONValue)] = [
                    ("name", .string(module.descriptor.name)), ("kind", .string("\(module.descriptor.kind)")),
                    ("plugin", .string(module.library.name)), ("summary", .string(module.descriptor.summary)),
                ]
                switch count {
                case .success(let parameters): members.append(("parameters", .integer(Int64(parameters))))
                case .failure(let needs): members.append(("needs", .string(needs.message)))
                }
                return .object(members)
            }
            print(ManifestNode(JSONValue.array(entries)).jsonText(pretty: true))
            return
        }
        guard !rows.isEmpty else {
            print("no modules found (searched: \(Discovery(folders: pluginPath.urls).folders.map(\.path).joined(separator: ", ")))")
            return
        }
        print("module              kind       parameters   summary")
        for (module, count) in rows {
            let parameters: String
            switch count {
            case .success(let value): parameters = ModelsCommand.grouped(value)
            case .failure(let needs): parameters = needs.message
            }
            print(module.descriptor.name.padding(toLength: 19, withPad: " ", startingAt: 0) + " "
                  + "\(module.descriptor.kind)".padding(toLength: 10, withPad: " ", startingAt: 0) + " "
                  + String(repeating: " ", count: Swift.max(0, 12 - parameters.count)) + parameters + "   " + module.descriptor.summary)
        }
    }

    struct Needs: Error { let message: String }

    /// `463504` as `463,504`, whatever the locale.
    static func grouped(_ value: Int) -> String {
        let digits = Array(String(value))
        return String(digits.enumerated().flatMap { index, digit in
            (index > 0 && (digits.count - index) % 3 == 0 ? [","] : []) + [digit]
        })
    }

    /// Trainable parameters of the module created from its schema's defaults, or what it needs.
    static func parameterCount(_ module: LoadedModule) -> Result<Int, Needs> {
        do {
            let instance = try ModuleInstance(module.descriptor, configuration: .object([]), library: module.library)
            return .success(instance.namedParameters.reduce(0) { $0 + $1.1.count })
        } catch let error as ConfigValidationError {
            let keys = error.problems.map(\.path).filter { !$0.isEmpty }
            return .failure(Needs(message: keys.isEmpty ? "—" : "needs " + keys.joined(separator: ", ")))
        } catch {
            return .failure(Needs(message: "—"))
        }
    }
}
