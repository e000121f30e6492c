import Foundation
import ZooManifest
import ZooPluginHost
import ZooTensor

/// Builds a `Pipeline` from a loaded manifest: loads its plug-ins into a registry, finds each
/// module, validates every configuration against the module's schema, fills derived values, creates
/// the modules and checks the shapes between stages. Every problem is collected and thrown
/// together as a `ManifestError`, each pointing at the file, line and key path it is about.
public struct PipelineBuilder {
    public var registry: PluginRegistry
    /// Folders searched for plug-ins before the manifest's own folder and `ZOO_PLUGIN_PATH`.
    public var pluginFolders: [URL]
    public var environment: [String: String]

    public init(registry: PluginRegistry = PluginRegistry(), pluginFolders: [URL] = [],
                environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.registry = registry
        self.pluginFolders = pluginFolders
        self.environment = environment
    }

    /// The stage names and module kinds the manifest composes.
    static let expectedKinds: [(prefix: String, kind: ModuleKind)] = [
        ("model.backbone", .backbone), ("model.relations", .relation), ("model.head", .head), ("model.losses", .loss),
    ]

    /// Loads the manifest's plug-ins and records their versions, files and hashes in the manifest.
    /// Problems are appended to `diagnostics`.
    public func loadPlugins(_ loaded: LoadedManifest, diagnostics: inout [ManifestDiagnostic]) -> Manifest {
        var manifest = loaded.manifest
        let loader = PluginLoader(searchPath: PluginSearchPath(explicit: pluginFolders, manifestFolder: loaded.folder,
                                                               environment: environment))
        for (index, spec) in manifest.plugins.enumerated() {
            let reference: PluginReference = spec.path.map { .path($0) } ?? .name(spec.name ?? "")
            let path = "plugins[\(index)]"
            do {
                let library = try loadOne(reference, loader: loader, sha256: spec.sha256)
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
                let message = error.message
                diagnostics.append(ManifestDiagnostic(location: loaded.document.nearestLocation(of: key), path: key, message: message))
            }
        }
        return manifest
    }

    func loadOne(_ reference: PluginReference, loader: PluginLoader, sha256: String?) throws(PluginError) -> PluginLibrary {
        do {
            return try registry.load(reference, using: loader, sha256: sha256)
        } catch {
            // A plug-in's name need not be its file's: look for a library that calls itself so.
            guard error.code == .fileNotFound, case .name(let name) = reference,
                  let found = PipelineBuilder.libraryNamed(name, in: loader.searchPath.folders, sha256: sha256) else { throw error }
            try registry.register(found)
            return found
        }
    }

    /// The library in `folders` whose plug-in name is `name` (every `.so` file is loaded to ask).
    public static func libraryNamed(_ name: String, in folders: [URL], sha256: String? = nil) -> PluginLibrary? {
        for folder in folders {
            let files = (try? FileManager.default.contentsOfDirectory(atPath: folder.path))?.sorted() ?? []
            for file in files where file.hasSuffix(".so") {
                if let library = try? PluginLibrary.load(file: folder.appendingPathComponent(file), sha256: sha256), library.name == name {
                    return library
                }
            }
        }
        return nil
    }

    /// The module `name` of the registry, if it is there and of `kind`; otherwise the problem, at
    /// `path.module` (with "did you mean" from the registry's module names).
    func findModule(_ name: String, at path: String, kind: ModuleKind, document: ManifestNode) -> (LoadedModule?, ManifestDiagnostic?) {
        let modulePath = "\(path).module"
        func problem(_ message: String) -> ManifestDiagnostic {
            ManifestDiagnostic(location: document.nearestLocation(of: modulePath), path: modulePath, message: message)
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
            return (nil, problem(message))
        }
        guard found.descriptor.kind == kind else {
            let ofKind = registry.modules(ofKind: kind).map(\.descriptor.name)
            let hint = ofKind.isEmpty ? "" : " (\(kind) modules: \(ofKind.joined(separator: ", ")))"
            return (nil, problem("expected a \(kind) module, found \(found.descriptor.name), a \(found.descriptor.kind)\(hint)"))
        }
        return (found, nil)
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
            func add(_ problem: ManifestDiagnostic) {
                if !reported.contains(problem.path) { problems.append(problem) }
            }
            // The plug-ins that can be read from the document.
            let loader = PluginLoader(searchPath: PluginSearchPath(explicit: pluginFolders, manifestFolder: file.deletingLastPathComponent(),
                                                                   environment: environment))
            if case .array(let entries)? = document["plugins"]?.value {
                for (index, entry) in entries.enumerated() {
                    let reference: PluginReference
                    let key: String
                    if case .string(let path)? = entry["path"]?.value {
                        (reference, key) = (.path(path), "plugins[\(index)].path")
                    } else if case .string(let name)? = entry["name"]?.value {
                        (reference, key) = (.name(name), "plugins[\(index)].name")
                    } else {
                        continue
                    }
                    var sha256: String?
                    if case .string(let text)? = entry["sha256"]?.value { sha256 = text.lowercased() }
                    do {
                        _ = try loadOne(reference, loader: loader, sha256: sha256)
                    } catch {
                        add(ManifestDiagnostic(location: document.nearestLocation(of: key), path: key, message: error.message))
                    }
                }
            }
            // The module names that can be read from the document.
            var stages: [(String, ModuleKind)] = [("model.backbone", .backbone), ("model.head", .head)]
            for (list, kind) in [("relations", ModuleKind.relation), ("losses", .loss)] {
                if case .array(let entries)? = document.node(at: "model.\(list)")?.value {
                    stages += entries.indices.map { ("model.\(list)[\($0)]", kind) }
                }
            }
            for (path, kind) in stages {
                guard case .string(let name)? = document.node(at: "\(path).module")?.value else { continue }
                if let problem = findModule(name, at: path, kind: kind, document: document).1 { add(problem) }
            }
            return (nil, problems)
        }
    }

    /// Validates the manifest against the registry and builds the pipeline; throws every problem.
    public func build(_ loaded: LoadedManifest) throws(ManifestError) -> Pipeline {
        var diagnostics: [ManifestDiagnostic] = []
        var manifest = loadPlugins(loaded, diagnostics: &diagnostics)
        let document = loaded.document
        func report(_ path: String, _ message: String) {
            diagnostics.append(ManifestDiagnostic(location: document.nearestLocation(of: path), path: path, message: message))
        }

        func find(_ name: String, at path: String, kind: ModuleKind) -> LoadedModule? {
            let (module, problem) = findModule(name, at: path, kind: kind, document: document)
            if let problem { diagnostics.append(problem) }
            return module
        }

        let model = manifest.model
        let backboneModule = find(model.backbone.module, at: "model.backbone", kind: .backbone)
        let relationModules = model.relations.enumerated().map { find($1.module, at: "model.relations[\($0)]", kind: .relation) }
        let headModule = find(model.head.module, at: "model.head", kind: .head)
        let lossModules = model.losses.enumerated().map { find($1.module, at: "model.losses[\($0)]", kind: .loss) }
        if !manifest.training.twoStream {
            for (i, module) in relationModules.enumerated() where module?.descriptor.batchEffect == .twoStream {
                report("model.relations[\(i)].module", "\(module!.descriptor.name) is two-stream but training.two_stream is false")
            }
        }

        // Validates a configuration (with derived values) and creates the module.
        func create(_ module: LoadedModule?, config: ManifestNode, derived: [(String, JSONValue)], at path: String)
            -> (ModuleInstance, JSONValue)? {
            guard let module else { return nil }
            var json = JSONValue(config)
            if case .object(var members) = json {
                for (key, value) in derived where !members.contains(where: { $0.key == key }) { members.append((key, value)) }
                json = .object(members)
            }
            let validation = module.descriptor.configSchema.validate(json, prefix: "\(path).config")
            for problem in validation.problems { report(problem.path, problem.message) }
            guard validation.problems.isEmpty else { return nil }
            do {
                let instance = try ModuleInstance(functions: module.descriptor.functions, name: module.descriptor.name,
                                                  configuration: validation.config.jsonText,
                                                  reentrant: module.descriptor.threading == .reentrant, owner: module.library)
                return (instance, validation.config)
            } catch {
                report("\(path).config", "\(module.descriptor.name) refused the configuration: \(error)")
                return nil
            }
        }

        let data = manifest.data
        let inputShape = data?.inputShape
        let batch = manifest.training.batchSize
        // The backbone's input width or channels from the data's sample shape, when its schema has them.
        var backboneDerived: [(String, JSONValue)] = []
        if let backboneModule, let inputShape {
            let names = backboneModule.descriptor.configSchema.propertyNames
            if inputShape.count == 1, names.contains("in_dim") { backboneDerived.append(("in_dim", .integer(Int64(inputShape[0])))) }
            if inputShape.count == 3, names.contains("in_channels") { backboneDerived.append(("in_channels", .integer(Int64(inputShape[0])))) }
        }
        let backbone = create(backboneModule, config: model.backbone.config, derived: backboneDerived, at: "model.backbone")

        // Shapes between stages, training mode (relations run).
        var features: [Int]?
        if let (instance, _) = backbone, let inputShape {
            do {
                features = try instance.outputShapes([[batch] + inputShape])[0]
            } catch {
                report("model.backbone.module", "refuses input of shape \([batch] + inputShape) (data.input_shape with training.batch_size): \(error)")
            }
        }
        var relations: [(ModuleInstance, JSONValue)?] = []
        var doubled = false
        for (i, spec) in model.relations.enumerated() {
            if spec.placement == .dense, model.relations[..<i].contains(where: { $0.placement == .features }) {
                report("model.relations[\(i)].placement", "dense relations run on the backbone's output, before every features relation")
            }
            if spec.placement == .features, let shape = features { features = Pipeline.pooledShape(shape) }
            // A relation's width from the features it receives: D of [B, D] and [B, N, D], C of [B, C, H, W].
            var derived: [(String, JSONValue)] = []
            if let module = relationModules[i], let shape = features, module.descriptor.configSchema.propertyNames.contains("dim") {
                let width = shape.count == 4 ? shape[1] : shape.last!
                derived.append(("dim", .integer(Int64(width))))
            }
            let created = create(relationModules[i], config: spec.config, derived: derived, at: "model.relations[\(i)]")
            relations.append(created)
            if let (instance, _) = created, let shape = features {
                let twoStream = relationModules[i]?.descriptor.batchEffect == .twoStream
                do {
                    // A later two-stream relation transforms only the second stream, so the batch stays.
                    if twoStream && doubled {
                        _ = try instance.outputShapes([[shape[0] / 2] + shape.dropFirst()])
                    } else {
                        features = try instance.outputShapes([shape])[0]
                        doubled = doubled || twoStream
                    }
                } catch {
                    report("model.relations[\(i)].module", "refuses the features of shape \(shape) from the stage before: \(error)")
                    features = nil
                }
            } else {
                features = nil
            }
        }
        if let shape = features { features = Pipeline.pooledShape(shape) }
        var headDerived: [(String, JSONValue)] = []
        if let headModule {
            let names = headModule.descriptor.configSchema.propertyNames
            if let width = features?.last {
                for key in ["in_dim", "in_features"] where names.contains(key) { headDerived.append((key, .integer(Int64(width)))) }
            }
            if let classes = data?.numClasses {
                for key in ["num_classes", "out_dim", "out_features"] where names.contains(key) {
                    headDerived.append((key, .integer(Int64(classes))))
                }
            }
        }
        let head = create(headModule, config: model.head.config, derived: headDerived, at: "model.head")
        var logits: [Int]?
        if let (instance, _) = head, let shape = features {
            do {
                logits = try instance.outputShapes([shape])[0]
            } catch {
                report("model.head.module", "refuses the features of shape \(shape) from the stage before: \(error)")
            }
        }
        var losses: [(ModuleInstance, JSONValue)?] = []
        for (i, spec) in model.losses.enumerated() {
            var derived: [(String, JSONValue)] = []
            if let module = lossModules[i] {
                let names = module.descriptor.configSchema.propertyNames
                if names.contains("class_counts"), spec.config["class_counts"] == nil {
                    if let counts = data?.resolvedClassCounts {
                        derived.append(("class_counts", .array(counts.map { .integer(Int64($0)) })))
                    } else {
                        report("model.losses[\(i)].config.class_counts",
                               "\(module.descriptor.name) needs class counts: give them here, or data.class_counts, or data.long_tail with data.num_classes")
                        losses.append(nil)
                        continue
                    }
                }
                if names.contains("num_classes"), spec.config["num_classes"] == nil, let classes = data?.numClasses {
                    derived.append(("num_classes", .integer(Int64(classes))))
                }
            }
            let created = create(lossModules[i], config: spec.config, derived: derived, at: "model.losses[\(i)]")
            losses.append(created)
            if let (instance, _) = created, let logits {
                do {
                    _ = try instance.outputShapes([logits, [logits[0]]])
                } catch {
                    report("model.losses[\(i)].module", "refuses the head's output of shape \(logits): \(error)")
                }
            }
        }

        guard diagnostics.isEmpty, let backboneModule, let headModule, let (backboneInstance, backboneConfig) = backbone,
              let (headInstance, headConfig) = head else {
            throw ManifestError(diagnostics)
        }
        // Record the configurations as they were created.
        manifest.model.backbone.config = ManifestNode(backboneConfig)
        manifest.model.head.config = ManifestNode(headConfig)
        func multiplier(_ stage: String, own: Double = 1) -> Double {
            own != 1 ? own : manifest.optimizer.learningRateMultipliers[stage] ?? own
        }
        var relationStages: [PipelineStage] = []
        for (i, created) in relations.enumerated() {
            let (instance, config) = created!
            manifest.model.relations[i].config = ManifestNode(config)
            relationStages.append(PipelineStage(name: "relations.\(i)", module: relationModules[i]!, instance: instance, configuration: config,
                                                learningRateMultiplier: multiplier("relations.\(i)", own: model.relations[i].learningRateMultiplier),
                                                weight: 1))
        }
        var lossStages: [PipelineStage] = []
        for (i, created) in losses.enumerated() {
            let (instance, config) = created!
            manifest.model.losses[i].config = ManifestNode(config)
            lossStages.append(PipelineStage(name: "losses.\(i)", module: lossModules[i]!, instance: instance, configuration: config,
                                            learningRateMultiplier: multiplier("losses.\(i)"), weight: model.losses[i].weight))
        }
        return Pipeline(
            manifest: manifest,
            backbone: PipelineStage(name: "backbone", module: backboneModule, instance: backboneInstance, configuration: backboneConfig,
                                    learningRateMultiplier: multiplier("backbone"), weight: 1),
            relations: relationStages,
            head: PipelineStage(name: "head", module: headModule, instance: headInstance, configuration: headConfig,
                                learningRateMultiplier: multiplier("head"), weight: 1),
            losses: lossStages, inputShape: inputShape)
    }

    /// Loads, validates and builds in one step.
    public func build(file: URL, overrides: [ManifestOverride] = []) throws(ManifestError) -> Pipeline {
        try build(ManifestLoader.load(file: file, overrides: overrides))
    }
}
