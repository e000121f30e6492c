/// Writes a manifest back out with every value spelled (defaults filled), `zoo: 1` first: what a
/// run records as its resolved manifest. Reading the output gives the same `Manifest`.
extension Manifest {
    /// The manifest as a document (no locations).
    public var document: ManifestNode {
        var top: [(String, ManifestNode?)] = [("zoo", .int(zoo))]
        top.append(("plugins", .list(plugins.map { p in
            .object([("name", p.name.map(ManifestNode.text)), ("path", p.path.map(ManifestNode.text)),
                     ("sha256", p.sha256.map(ManifestNode.text)), ("version", p.version.map(ManifestNode.text)),
                     ("file", p.file.map(ManifestNode.text))])
        })))
        top.append(("model", .object([
            ("backbone", model.backbone.document),
            ("relations", .list(model.relations.map { r in
                .object([("module", .text(r.module)), ("config", r.config.withoutLocations), ("placement", .text(r.placement.rawValue)),
                         ("learning_rate_multiplier", .real(r.learningRateMultiplier))])
            })),
            ("head", model.head.document),
            ("losses", .list(model.losses.map { l in
                .object([("module", .text(l.module)), ("config", l.config.withoutLocations), ("weight", .real(l.weight))])
            })),
        ])))
        if let data {
            top.append(("data", .object([
                ("format", .text(data.format.rawValue)), ("train", data.train.map(ManifestNode.text)), ("test", data.test.map(ManifestNode.text)),
                ("input_shape", data.inputShape.map { .list($0.map(ManifestNode.int)) }),
                ("num_classes", data.numClasses.map(ManifestNode.int)),
                ("class_counts", data.classCounts.map { .list($0.map(ManifestNode.int)) }),
                ("long_tail", data.longTail.map {
                    .object([("ratio", .real($0.ratio)), ("n_max", .int($0.nMax)), ("seed", .int($0.seed)),
                             ("profile", .text($0.profile.rawValue)), ("many_classes", $0.manyClasses.map(ManifestNode.int))])
                }),
                ("sampler", .text(data.sampler.rawValue)),
                ("augmentation", data.augmentation.map { a in
                    .object([("crop_padding", .int(a.cropPadding)), ("horizontal_flip", ManifestNode(.bool(a.horizontalFlip))),
                             ("mean", a.mean.map { .list($0.map(ManifestNode.real)) }), ("std", a.std.map { .list($0.map(ManifestNode.real)) })])
                }),
            ])))
        }
        top.append(("optimizer", .object([
            ("name", .text(optimizer.name.rawValue)), ("learning_rate", .real(optimizer.learningRate)),
            ("momentum", .real(optimizer.momentum)), ("weight_decay", .real(optimizer.weightDecay)),
            ("nesterov", ManifestNode(.bool(optimizer.nesterov))), ("betas", .list(optimizer.betas.map(ManifestNode.real))),
            ("eps", .real(optimizer.eps)),
            ("learning_rate_multipliers", .object(optimizer.learningRateMultipliers.sorted { $0.key < $1.key }.map { ($0.key, .real($0.value)) })),
            ("decay_norms_and_biases", ManifestNode(.bool(optimizer.decayNormsAndBiases))),
        ])))
        top.append(("schedule", .object([
            ("name", .text(schedule.name.rawValue)), ("warmup_epochs", .int(schedule.warmupEpochs)),
            ("step_size", schedule.stepSize.map(ManifestNode.int)), ("milestones", .list(schedule.milestones.map(ManifestNode.int))),
            ("gamma", .real(schedule.gamma)), ("min_learning_rate", .real(schedule.minLearningRate)),
        ])))
        top.append(("training", .object([
            ("epochs", .int(training.epochs)), ("batch_size", .int(training.batchSize)), ("seed", .int(training.seed)),
            ("two_stream", ManifestNode(.bool(training.twoStream))), ("gradient_clip_norm", training.gradientClipNorm.map(ManifestNode.real)),
        ])))
        top.append(("evaluation", .object([
            ("batch_size", evaluation.batchSize.map(ManifestNode.int)), ("every", .int(evaluation.every)),
            ("shot_groups", ManifestNode(.bool(evaluation.shotGroups))),
        ])))
        top.append(("output", .object([("folder", .text(output.folder)), ("checkpoint_every", .int(output.checkpointEvery))])))
        return .object(top)
    }

    /// JSON text, indented.
    public func jsonText() -> String { document.jsonText(pretty: true) + "\n" }

    /// YAML text.
    public func yamlText() throws -> String { try document.yamlText() }
}

extension ModuleSpec {
    var document: ManifestNode { .object([("module", .text(module)), ("config", config.withoutLocations)]) }
}

extension ManifestNode {
    static func text(_ s: String) -> ManifestNode { ManifestNode(.string(s)) }
    static func int(_ i: Int) -> ManifestNode { ManifestNode(.integer(Int64(i))) }
    static func real(_ d: Double) -> ManifestNode { ManifestNode(.number(d)) }
    static func list(_ elements: [ManifestNode]) -> ManifestNode { ManifestNode(.array(elements)) }
    /// A mapping of the members that are present.
    static func object(_ members: [(String, ManifestNode?)]) -> ManifestNode {
        ManifestNode(.object(members.compactMap { key, value in value.map { ManifestMember(key: key, value: $0) } }))
    }

    /// The same value with every location dropped.
    public var withoutLocations: ManifestNode {
        switch value {
        case .array(let elements): ManifestNode(.array(elements.map(\.withoutLocations)))
        case .object(let members): ManifestNode(.object(members.map { ManifestMember(key: $0.key, value: $0.value.withoutLocations) }))
        default: ManifestNode(value)
        }
    }
}
