import Foundation
import ZooManifest
import ZooPluginHost
import ZooValue

/// The first stage of building a pipeline, **resolve**: the manifest's `plugins` become loaded
/// libraries in a registry, and each stage's `module` name becomes one of their modules.
///
/// A plug-in named in the manifest is found by its file name (`NAME`, `NAME.so`, `libNAME.so`) or
/// by the metadata file (`NAME.zoo.json`) that records that name, in the search folders; no
/// library is opened to find it. Problems are diagnostics at the manifest key they are about.
struct PluginResolver {
    let registry: PluginRegistry
    let searchPath: PluginSearchPath
    /// When given, every plug-in must be the library it locks (see `pinnedToLock`).
    var lock: PluginLock?

    /// How a manifest entry names its library: by path when it gives one, else by name.
    static func reference(of spec: PluginSpec) -> PluginReference {
        spec.path.map { .path($0) } ?? .name(spec.name ?? "")
    }

    /// Loads the manifest's plug-ins and records their versions, files and hashes in the manifest.
    func loadPlugins(_ loaded: LoadedManifest, diagnostics: inout [ManifestDiagnostic]) -> Manifest {
        var manifest = loaded.manifest
        for (index, spec) in manifest.plugins.enumerated() {
            let reference = PluginResolver.reference(of: spec)
            let path = "plugins[\(index)]"
            do {
                let library = try load(reference, sha256: spec.sha256)
                if let name = spec.name, spec.path != nil, library.name != name {
                    let key = "\(path).name"
                    diagnostics.append(ManifestDiagnostic(location: loaded.document.nearestLocation(of: key), path: key,
                                                          message: "expected plug-in \(name), found \(library.name) at \(library.path)"))
                    continue
                }
                manifest.plugins[index].version = library.version
                manifest.plugins[index].file = library.path
                manifest.plugins[index].sha256 = library.sha256
                if manifest.plugins[index].name == nil { manifest.plugins[index].name = library.name }
            } catch {
                let key = spec.path != nil ? "\(path).path" : "\(path).name"
                diagnostics.append(ManifestDiagnostic(location: loaded.document.nearestLocation(of: key), path: key, message: error.message))
            }
        }
        return manifest
    }

    /// Loads the plug-ins that can be read from a document that did not decode as a manifest, so
    /// that one run still reports every plug-in problem. With a lock, only the libraries it locks
    /// are loaded (`manifest` is the document's file, for the refusals' advice).
    func loadPlugins(of document: ManifestNode, manifest: URL, diagnostics: inout [ManifestDiagnostic]) {
        guard case .array(let entries)? = document["plugins"]?.value else { return }
        for (index, entry) in entries.enumerated() {
            let reference: PluginReference
            let key: String
            let text: String
            if case .string(let path)? = entry["path"]?.value {
                (reference, key, text) = (.path(path), "plugins[\(index)].path", path)
            } else if case .string(let name)? = entry["name"]?.value {
                (reference, key, text) = (.name(name), "plugins[\(index)].name", name)
            } else {
                continue
            }
            var sha256: String?
            if case .string(let text)? = entry["sha256"]?.value { sha256 = text.lowercased() }
            if let lock {
                do {
                    let locked = try lock.lockedSHA256(of: text, reference: reference, searchPath: searchPath, manifest: manifest)
                    sha256 = sha256 ?? locked
                } catch {
                    diagnostics.append(ManifestDiagnostic(location: nil, path: "", message: error.description))
                    continue
                }
            }
            do {
                _ = try load(reference, sha256: sha256)
            } catch {
                diagnostics.append(ManifestDiagnostic(location: document.nearestLocation(of: key), path: key, message: error.message))
            }
        }
    }

    func load(_ reference: PluginReference, sha256: String?) throws(PluginError) -> PluginLibrary {
        try registry.load(reference, using: PluginLoader(searchPath: searchPath), sha256: sha256)
    }

    /// The module `name` of the registry, if it is there and of `kind`; otherwise the problem, at
    /// `path.module` (with "did you mean" from the registry's module names).
    func module(_ name: String, at path: String, kind: ModuleKind, document: ManifestNode) -> ModuleLookup {
        let modulePath = "\(path).module"
        func problem(_ message: String) -> ModuleLookup {
            .problem(ManifestDiagnostic(location: document.nearestLocation(of: modulePath), path: modulePath, message: message))
        }
        let found: LoadedModule
        do {
            found = try registry.module(name)
        } catch {
            let names = registry.modules.map(\.descriptor.name)
            let ofKind = registry.modules(ofKind: kind).map(\.descriptor.name)
            var message = "no loaded plug-in offers module \"\(name)\""
            if let suggestion = Suggestion.closest(to: name.split(separator: "/").last.map(String.init) ?? name, among: ofKind.isEmpty ? names : ofKind) {
                message += " (did you mean \(suggestion)?)"
            } else if names.isEmpty {
                message += " (no plug-ins are loaded; list them under plugins)"
            } else if !ofKind.isEmpty {
                message += " (\(kind) modules: \(ofKind.joined(separator: ", ")))"
            }
            return problem(message)
        }
        guard found.descriptor.kind == kind else {
            let ofKind = registry.modules(ofKind: kind).map(\.descriptor.name)
            let hint = ofKind.isEmpty ? "" : " (\(kind) modules: \(ofKind.joined(separator: ", ")))"
            return problem("expected a \(kind) module, found \(found.descriptor.name), a \(found.descriptor.kind)\(hint)")
        }
        return .found(found)
    }

    /// The stages whose module names can be read from a document that did not decode, with their kinds.
    static func stages(of document: ManifestNode) -> [(path: String, kind: ModuleKind)] {
        var stages: [(String, ModuleKind)] = [("model.backbone", .backbone), ("model.head", .head)]
        for (list, kind) in [("relations", ModuleKind.relation), ("losses", .loss)] {
            if case .array(let entries)? = document.node(at: "model.\(list)")?.value {
                stages += entries.indices.map { ("model.\(list)[\($0)]", kind) }
            }
        }
        return stages
    }
}

/// A stage's module, or why it cannot be had.
enum ModuleLookup {
    case found(LoadedModule)
    case problem(ManifestDiagnostic)
}
