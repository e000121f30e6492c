import ZooManifest
import ZooPluginHost

/// Resolve, bind and create for one manifest, stage after stage: the backbone from the data's
/// sample shape, each relation from the features before it, the head from the pooled features,
/// each loss from the logits. A stage that cannot be created stops the shapes after it, so no
/// problem is reported twice.
struct StageCreation {
    let loaded: LoadedManifest
    let resolver: PluginResolver
    /// The run's host services: every module is created with its seed.
    let session: HostSession
    var diagnostics: [ManifestDiagnostic] = []

    init(loaded: LoadedManifest, resolver: PluginResolver) {
        self.loaded = loaded
        self.resolver = resolver
        session = HostSession(seed: UInt64(truncatingIfNeeded: loaded.manifest.training.seed))
    }

    var document: ManifestNode { loaded.document }

    mutating func report(_ path: String, _ message: String) {
        diagnostics.append(ManifestDiagnostic(location: document.nearestLocation(of: path), path: path, message: message))
    }

    mutating func find(_ name: String, at path: String, kind: ModuleKind) -> LoadedModule? {
        switch resolver.module(name, at: path, kind: kind, document: document) {
        case .found(let module): return module
        case .problem(let problem):
            diagnostics.append(problem)
            return nil
        }
    }

    /// Binds and creates one stage; nil when it could not be (the problems are reported).
    mutating func create(_ module: LoadedModule?, config: ManifestNode, input: [Int]?, upstreamFailed: Bool,
                         binder: ConfigurationBinder, at path: String) -> CreatedStage? {
        guard let module else { return nil }
        let binding = binder.bind(config, module: module.descriptor, input: input, upstreamFailed: upstreamFailed, at: path)
        var problems: [(String, String)] = []
        let created = StageFactory.create(module, configuration: binding.configuration, at: path, session: session, creating: binding.unknownKeys.isEmpty) {
            // A needed key left unbound is reported by the binder, not as merely missing.
            if !binding.unknownKeys.contains($0) { problems.append(($0, $1)) }
        }
        for (path, message) in problems + binding.problems { report(path, message) }
        return created
    }

    mutating func run() throws(ManifestError) -> PipelineDraft {
        let manifest = resolver.loadPlugins(loaded, diagnostics: &diagnostics)
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
        let binder = ConfigurationBinder(data: manifest.data)
        let inputShape = manifest.data?.inputShape
        let batch = manifest.training.batchSize

        let backbone = create(backboneModule, config: model.backbone.config, input: inputShape, upstreamFailed: false,
                              binder: binder, at: "model.backbone")
        // Shapes between stages, in training (relations run).
        var flow: FeatureShape?
        if let backbone, let inputShape {
            do {
                flow = FeatureShape(shape: try backbone.instance.outputShapes([[batch] + inputShape])[0])
            } catch {
                report("model.backbone.module", "refuses input of shape \([batch] + inputShape) (data.input_shape with training.batch_size): \(error)")
            }
        }
        let upstreamFailed = { (flow: FeatureShape?) in inputShape != nil && flow == nil }

        var relations: [CreatedStage?] = []
        for (i, spec) in model.relations.enumerated() {
            if spec.placement == .dense, model.relations[..<i].contains(where: { $0.placement == .features }) {
                report("model.relations[\(i)].placement", "dense relations run on the backbone's output, before every features relation")
            }
            flow?.enter(spec.placement)
            let created = create(relationModules[i], config: spec.config, input: flow?.sample, upstreamFailed: upstreamFailed(flow),
                                 binder: binder, at: "model.relations[\(i)]")
            relations.append(created)
            guard let created, let shape = flow?.shape else {
                flow = nil
                continue
            }
            do {
                try flow!.pass(created.instance, created.module.descriptor, training: true)
            } catch {
                report("model.relations[\(i)].module", "refuses the features of shape \(shape) from the stage before: \(error)")
                flow = nil
            }
        }
        let features = flow.map { Pipeline.pooledShape($0.shape) }
        let head = create(headModule, config: model.head.config, input: features.map { Array($0.dropFirst()) },
                          upstreamFailed: upstreamFailed(flow), binder: binder, at: "model.head")
        var logits: [Int]?
        if let head, let features {
            do {
                logits = try head.instance.outputShapes([features])[0]
            } catch {
                report("model.head.module", "refuses the features of shape \(features) from the stage before: \(error)")
            }
        }
        var losses: [CreatedStage?] = []
        for (i, spec) in model.losses.enumerated() {
            let created = create(lossModules[i], config: spec.config, input: logits.map { Array($0.dropFirst()) },
                                 upstreamFailed: inputShape != nil && logits == nil, binder: binder, at: "model.losses[\(i)]")
            losses.append(created)
            if let created, let logits {
                do {
                    _ = try created.instance.outputShapes([logits, [logits[0]]])
                } catch {
                    report("model.losses[\(i)].module", "refuses the head's output of shape \(logits): \(error)")
                }
            }
        }
        guard diagnostics.isEmpty, let backbone, let head else { throw ManifestError(diagnostics) }
        return PipelineDraft(manifest: manifest, backbone: backbone, relations: relations.map { $0! }, head: head,
                             losses: losses.map { $0! }, inputShape: inputShape, session: session)
    }
}
