import Foundation
import ZooManifest
import ZooPluginHost
import ZooTensor

/// Builds a `Pipeline` from a loaded manifest in four stages a reader can follow:
///
/// 1. **resolve** (`PluginResolver`): the manifest's plug-ins are loaded, each stage's module is found;
/// 2. **bind** (`ConfigurationBinder`): each configuration gets the values its schema binds;
/// 3. **create** (`StageFactory`): each configuration is validated and its module created, and the
///    shapes between stages are checked, in order (a stage's bound input comes from the one before);
/// 4. **assemble** (`PipelineDraft.assemble`): the created stages become the runnable pipeline.
///
/// `validate` runs the first three. Every problem is collected and thrown together as a
/// `ManifestError`, each pointing at the file, line and key path it is about.
public struct PipelineBuilder {
    public var registry: PluginRegistry
    /// Folders searched for plug-ins before the manifest's own folder and `ZOO_PLUGIN_PATH`.
    public var pluginFolders: [URL]
    public var environment: [String: String]
    /// The executable whose folders are searched last (see `PluginSearchPath`); nil searches neither.
    public var executable: URL?
    /// When given, every plug-in must be the library the lock holds for it (the same SHA-256);
    /// one that is not, or that the lock lacks, is refused before any plug-in is loaded.
    public var lock: PluginLock?

    public init(registry: PluginRegistry = PluginRegistry(), pluginFolders: [URL] = [],
                environment: [String: String] = ProcessInfo.processInfo.environment,
                executable: URL? = PluginSearchPath.processExecutable, lock: PluginLock? = nil) {
        self.registry = registry
        self.pluginFolders = pluginFolders
        self.environment = environment
        self.executable = executable
        self.lock = lock
    }

    /// The folders searched for the plug-ins of a manifest in `manifestFolder`, in order.
    func searchPath(manifestFolder: URL) -> PluginSearchPath {
        PluginSearchPath(explicit: pluginFolders, manifestFolder: manifestFolder, environment: environment, executable: executable)
    }

    func resolver(manifestFolder: URL) -> PluginResolver {
        PluginResolver(registry: registry, searchPath: searchPath(manifestFolder: manifestFolder), lock: lock)
    }

    /// Resolves, binds and creates every stage of the manifest; throws every problem. With a lock,
    /// the plug-ins are checked against it first, and any refusal is thrown before one is loaded.
    public func prepare(_ loaded: LoadedManifest) throws(ManifestError) -> PipelineDraft {
        let resolver = resolver(manifestFolder: loaded.folder)
        var creation = StageCreation(loaded: try resolver.pinnedToLock(loaded), resolver: resolver)
        return try creation.run()
    }

    /// Validates the manifest against the registry and builds the pipeline; throws every problem.
    public func build(_ loaded: LoadedManifest) throws(ManifestError) -> Pipeline {
        try prepare(loaded).assemble()
    }

    /// Loads, validates and builds in one step.
    public func build(file: URL, overrides: [ManifestOverride] = []) throws(ManifestError) -> Pipeline {
        try build(ManifestLoader.load(file: file, overrides: overrides))
    }

    /// Every problem of a manifest file: its keys and values, and then its plug-ins, modules,
    /// configurations and shapes. When the manifest itself does not decode, the plug-ins it lists
    /// are still loaded and its module names still checked, so that one run shows every problem.
    public func validate(file: URL, overrides: [ManifestOverride] = []) -> (pipeline: Pipeline?, problems: [ManifestDiagnostic]) {
        do {
            return (try build(file: file, overrides: overrides), [])
        } catch {
            guard let document = error.document else { return (nil, error.diagnostics) }
            var problems = error.diagnostics
            let reported = Set(problems.map(\.path))
            let resolver = resolver(manifestFolder: file.deletingLastPathComponent())
            var found: [ManifestDiagnostic] = []
            resolver.loadPlugins(of: document, manifest: file.standardizedFileURL, diagnostics: &found)
            for (path, kind) in PluginResolver.stages(of: document) {
                guard case .string(let name)? = document.node(at: "\(path).module")?.value else { continue }
                if case .problem(let problem) = resolver.module(name, at: path, kind: kind, document: document) { found.append(problem) }
            }
            problems += found.filter { !reported.contains($0.path) }
            return (nil, problems)
        }
    }
}
