import Foundation
import ZooManifest

/// A plug-in as a checkpoint records it: the name, version, file and SHA-256 it was written with.
struct PluginProvenance: Codable, Equatable {
    var name: String
    var version: String
    var sha256: String
    var file: String

    init(_ spec: PluginSpec) {
        name = spec.name ?? spec.path ?? "?"
        version = spec.version ?? ""
        sha256 = spec.sha256 ?? ""
        file = spec.file ?? spec.path ?? ""
    }

    /// What keeps a checkpoint written with `recorded` plug-ins (the metadata's JSON) from loading
    /// into a pipeline built with `loaded`: a plug-in not loaded, or loaded at another version.
    /// The same version built into another file (another SHA-256) is accepted.
    static func problems(recorded: String?, loaded: [PluginSpec]) -> [String] {
        guard let recorded, let plugins = try? JSONDecoder().decode([PluginProvenance].self, from: Data(recorded.utf8)) else {
            return []
        }
        let here = Dictionary(loaded.map { (PluginProvenance($0).name, PluginProvenance($0)) }, uniquingKeysWith: { first, _ in first })
        return plugins.compactMap { plugin in
            guard let found = here[plugin.name] else {
                return "plug-in \(plugin.name) \(plugin.version) (\(plugin.file)) wrote part of it and is not loaded here"
            }
            guard found.version == plugin.version else {
                return "plug-in \(plugin.name) is version \(found.version) here (\(found.file)); "
                    + "the checkpoint was written with version \(plugin.version)"
            }
            return nil
        }
    }
}
