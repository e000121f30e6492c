import ArgumentParser
import Foundation
import ZooPipeline
import ZooPluginHost

/// `zoo plugins lock MANIFEST [--out FILE]`: the libraries a manifest resolves to, written down.
struct LockCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lock", abstract: "Write the plug-ins a manifest resolves to into a lock file (zoo.lock beside it).",
        discussion: """
            Resolves and builds the manifest as zoo train does (--plugin-path, the manifest's folder, \
            ZOO_PLUGIN_PATH, then the folders of the zoo executable) and writes, for each plug-in the manifest \
            names, the library file, its name, version, ABI, SHA-256 and the modules the manifest uses. zoo train \
            and zoo eval then refuse any library whose SHA-256 differs. Run it again to accept a changed library.
            Example: zoo plugins lock Examples/recipes/fashion-mnist-lt-batchformer.yaml
            """)

    @Argument(help: "The manifest (YAML or JSON).")
    var manifest: String

    @Option(name: .customLong("out"), help: ArgumentHelp("The lock file (default: zoo.lock beside the manifest).", valueName: "file"))
    var out: String?

    @Option(name: .customLong("set"), help: ArgumentHelp("Override a value: key.path=value (value read as YAML).", valueName: "key=value"))
    var overrides: [String] = []

    @OptionGroup var pluginPath: PluginPathOptions

    func run() throws {
        let registry = PluginRegistry()
        let (pipeline, file) = try buildPipeline(manifest: manifest, overrides: overrides, pluginFolders: pluginPath.urls, registry: registry)
        let lock = PluginLock(locking: pipeline, libraries: registry.libraries, manifest: file)
        let target = out.map { URL(fileURLWithPath: $0).standardizedFileURL } ?? PluginLock.defaultFile(forManifest: file)
        do {
            try lock.write(to: target)
        } catch {
            throw CommandFailure(message: error.description)
        }
        for entry in lock.entries {
            print("locked \(entry.plugin): \(entry.library) \(entry.version) (\(entry.path)), sha256 \(entry.sha256), modules \(entry.modules.joined(separator: ", "))")
        }
        print("wrote \(target.path)")
    }
}

/// `--lock FILE` and `--no-lock`: which lock file holds a run's plug-ins.
struct LockOptions: ParsableArguments {
    @Option(name: .customLong("lock"), help: ArgumentHelp("The lock file the plug-ins must match (default: zoo.lock beside the manifest, when there is one).",
                                                          valueName: "file"))
    var file: String?

    @Flag(name: .customLong("no-lock"), help: "Ignore the lock file beside the manifest.")
    var ignore = false

    func validate() throws {
        if file != nil && ignore { throw ValidationError("--lock and --no-lock exclude each other") }
    }

    /// These options again, for a command that repeats the run.
    var arguments: [String] { (file.map { ["--lock", $0] } ?? []) + (ignore ? ["--no-lock"] : []) }

    /// The lock in force for `manifest`: the one named, or zoo.lock beside the manifest when it
    /// exists, unless --no-lock. A named file that is missing, or any file that is not a lock, is
    /// refused (exit 2).
    func lock(forManifest manifest: String) throws -> PluginLock? {
        if ignore { return nil }
        let named = file.map { URL(fileURLWithPath: $0).standardizedFileURL }
        let candidate = named ?? PluginLock.defaultFile(forManifest: URL(fileURLWithPath: manifest))
        if named == nil && !FileManager.default.fileExists(atPath: candidate.path) { return nil }
        do {
            return try PluginLock.read(candidate)
        } catch {
            throw CommandFailure(message: error.description, exitCode: 2)
        }
    }
}
