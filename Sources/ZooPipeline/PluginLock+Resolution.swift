import Foundation
import ZooManifest
import ZooPluginHost

extension PluginLock {
    /// How a lock names a manifest's plug-in entry: its `path` when it gives one, else its `name`
    /// (resolution keeps both as written).
    public static func plugin(of spec: PluginSpec) -> String { spec.path ?? spec.name ?? "" }

    /// The lock of a built pipeline: one entry per plug-in of its resolved manifest, with the
    /// library that was loaded for it (among `libraries`) and the modules its stages use.
    public init(locking pipeline: Pipeline, libraries: [PluginLibrary], manifest: URL) {
        let entries = pipeline.manifest.plugins.compactMap { spec -> Entry? in
            guard let library = libraries.first(where: { $0.path == spec.file }) else { return nil }
            var modules: [String] = []
            for stage in pipeline.stages where stage.module.library === library && !modules.contains(stage.descriptor.name) {
                modules.append(stage.descriptor.name)
            }
            return Entry(plugin: PluginLock.plugin(of: spec), path: library.path, library: library.name, version: library.version,
                         abi: "\(library.abiMajor).\(library.abiMinor)", sha256: library.sha256, modules: modules)
        }
        self.init(manifest: manifest.lastPathComponent, entries: entries)
    }

    /// The SHA-256 that the plug-in the manifest names `plugin` (found as `reference`) must load
    /// with: its locked one, once the file it resolves to is found to have it. The file is hashed,
    /// not opened as a library, so nothing of a refused library runs. A file that cannot be found
    /// or read is left to loading, which reports it (pinned to the locked SHA-256).
    ///
    /// - Parameter manifest: the manifest file, for the command that accepts a change.
    public func lockedSHA256(of plugin: String, reference: PluginReference, searchPath: PluginSearchPath,
                             manifest: URL) throws(PluginLockError) -> String {
        let lockPath = file?.path ?? PluginLock.defaultFileName
        let relock = "zoo plugins lock \(manifest.path)"
            + (file.map { $0.standardizedFileURL.path != PluginLock.defaultFile(forManifest: manifest).path } == true ? " --out \(lockPath)" : "")
        guard let entry = entry(for: plugin) else {
            let locked = entries.isEmpty ? "it locks no plug-in" : "it locks \(entries.map { "\"\($0.plugin)\"" }.joined(separator: ", "))"
            throw PluginLockError(file: lockPath, key: "", message: "plug-in \"\(plugin)\" is not locked (\(locked)): run \(relock) again to lock it")
        }
        guard let resolved = try? searchPath.locate(reference),
              let digest = try? SHA256.hex(SHA256.hash(file: resolved.path)) else { return entry.sha256 }
        guard digest == entry.sha256 else {
            throw PluginLockError(
                file: lockPath, key: "",
                message: "plug-in \"\(plugin)\" is locked to sha256 \(entry.sha256) (\(entry.path), \(entry.version)) but resolves to "
                    + "sha256 \(digest) (\(resolved.path), \(PluginLock.version(of: resolved, sha256: digest))): run \(relock) again to accept it")
        }
        return entry.sha256
    }

    /// A library's version as its metadata file records it, read without running the library.
    static func version(of library: URL, sha256: String) -> String {
        do {
            guard let recorded = try PluginDescription.recorded(of: library) else { return "version unknown: not sealed" }
            return recorded.sha256 == sha256 ? recorded.version : "version unknown: its metadata file describes another library"
        } catch {
            return "version unknown: its metadata file cannot be read"
        }
    }
}

extension PluginResolver {
    /// The manifest with each plug-in pinned to the SHA-256 the lock holds for it (a pin of the
    /// manifest's own is kept), or every plug-in the lock refuses. Nothing is loaded.
    func pinnedToLock(_ loaded: LoadedManifest) throws(ManifestError) -> LoadedManifest {
        guard let lock else { return loaded }
        var pinned = loaded
        var problems: [ManifestDiagnostic] = []
        for (index, spec) in loaded.manifest.plugins.enumerated() {
            do {
                let locked = try lock.lockedSHA256(of: PluginLock.plugin(of: spec), reference: PluginResolver.reference(of: spec),
                                                   searchPath: searchPath, manifest: loaded.file)
                if spec.sha256 == nil { pinned.manifest.plugins[index].sha256 = locked }
            } catch {
                problems.append(ManifestDiagnostic(location: nil, path: "", message: error.description))
            }
        }
        if !problems.isEmpty { throw ManifestError(problems) }
        return pinned
    }
}
