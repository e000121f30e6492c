import ZooValue
/// Decodes a manifest document into `Manifest`, collecting every problem with its location and key
/// path instead of stopping at the first.
final class ManifestReader {
    private(set) var diagnostics: [ManifestDiagnostic] = []

    func report(_ node: ManifestNode?, _ path: String, _ message: String, location: SourceLocation? = nil) {
        diagnostics.append(ManifestDiagnostic(location: location ?? node?.location, path: path, message: message))
    }

    static func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// A mapping whose keys are checked against `keys`.
    struct Object {
        let node: ManifestNode
        let path: String
        let reader: ManifestReader

        func child(_ key: String) -> ManifestNode? { node[key] }
        func path(_ key: String) -> String { ManifestReader.join(path, key) }

        func missing(_ key: String) {
            reader.report(node, path(key), "required key is missing")
        }

        /// The value at `key` read by `read`; `nil` when absent (reported when `required`).
        func value<T>(_ key: String, required: Bool = false, _ read: (ManifestNode, String) -> T?) -> T? {
            guard let child = child(key), child.value != .null || !required else {
                if required { missing(key) }
                return nil
            }
            if child.value == .null { return nil }
            return read(child, path(key))
        }
    }

    func object(_ node: ManifestNode, _ path: String, keys: [String]) -> Object? {
        guard case .object(let members) = node.value else {
            report(node, path, "expected a mapping, found \(node.quoted)")
            return nil
        }
        for member in members where !keys.contains(member.key) {
            let hint = Suggestion.closest(to: member.key, among: keys).map { "did you mean \($0)?" }
                ?? "known keys: \(keys.joined(separator: ", "))"
            report(member.value, ManifestReader.join(path, member.key), "unknown key (\(hint))", location: member.keyLocation)
        }
        return Object(node: node, path: path, reader: self)
    }

    // MARK: scalars

    func string(_ node: ManifestNode, _ path: String) -> String? {
        guard case .string(let s) = node.value else { report(node, path, "expected a string, found \(node.quoted)"); return nil }
        return s
    }

    /// The largest count a manifest may give (sizes, epochs, steps): far above any real run, and
    /// low enough that sizes multiplied together cannot overflow before they are checked.
    static let largestCount = 1 << 32
    /// The most classes a data set may have, and the largest extent of a sample's shape.
    static let largestClassCount = 1 << 24
    /// The most elements one sample may have (2^28 floats, 1 GiB).
    static let largestSample = 1 << 28

    /// Whether the product of `extents` (all positive) is at most `limit`, without overflowing.
    static func fits(_ extents: [Int], within limit: Int) -> Bool {
        var product = 1
        for extent in extents {
            let (next, overflow) = product.multipliedReportingOverflow(by: extent)
            guard !overflow, next <= limit else { return false }
            product = next
        }
        return true
    }

    func int(_ node: ManifestNode, _ path: String, minimum: Int? = nil, maximum: Int = ManifestReader.largestCount) -> Int? {
        let value: Int
        switch node.value {
        case .integer(let i): value = Int(i)
        case .number(let d) where d == d.rounded() && abs(d) < 1e15: value = Int(d)
        default: report(node, path, "expected an integer, found \(node.quoted)"); return nil
        }
        if let minimum, value < minimum { report(node, path, "expected at least \(minimum), found \(value)"); return nil }
        if value > maximum { report(node, path, "expected at most \(maximum), found \(value)"); return nil }
        return value
    }

    func double(_ node: ManifestNode, _ path: String, minimum: Double? = nil, exclusive: Bool = false) -> Double? {
        let value: Double
        switch node.value {
        case .integer(let i): value = Double(i)
        case .number(let d): value = d
        default: report(node, path, "expected a number, found \(node.quoted)"); return nil
        }
        if let minimum, exclusive ? !(value > minimum) : !(value >= minimum) {
            report(node, path, "expected \(exclusive ? "more than" : "at least") \(ManifestReader.format(minimum)), found \(node.description)")
            return nil
        }
        return value
    }

    static func format(_ d: Double) -> String { d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : "\(d)" }

    func bool(_ node: ManifestNode, _ path: String) -> Bool? {
        guard case .bool(let b) = node.value else { report(node, path, "expected true or false, found \(node.quoted)"); return nil }
        return b
    }

    func choice<E: RawRepresentable & CaseIterable>(_ node: ManifestNode, _ path: String, _ type: E.Type) -> E? where E.RawValue == String {
        guard let text = string(node, path) else { return nil }
        if let value = E(rawValue: text) { return value }
        let names = E.allCases.map(\.rawValue)
        let hint = Suggestion.closest(to: text, among: names).map { " (did you mean \($0)?)" } ?? ""
        report(node, path, "expected one of \(names.joined(separator: ", ")), found \"\(text)\"\(hint)")
        return nil
    }

    func list<T>(_ node: ManifestNode, _ path: String, _ element: (ManifestNode, String) -> T?) -> [T]? {
        guard case .array(let elements) = node.value else { report(node, path, "expected a list, found \(node.quoted)"); return nil }
        var result: [T] = []
        var failed = false
        for (i, e) in elements.enumerated() {
            if let value = element(e, "\(path)[\(i)]") { result.append(value) } else { failed = true }
        }
        return failed ? nil : result
    }

    // MARK: sections

    func manifest(_ document: ManifestNode) -> Manifest? {
        guard case .object(let members) = document.value else {
            report(document, "", "expected a mapping that begins with zoo: 1, found \(document.quoted)")
            return nil
        }
        let keys = ["zoo", "plugins", "model", "data", "optimizer", "schedule", "training", "evaluation", "output"]
        guard members.first?.key == "zoo" else {
            if members.contains(where: { $0.key == "zoo" }) {
                report(document, "zoo", "must be the first key of the manifest")
            } else {
                report(document, "zoo", "required key is missing (a manifest begins with zoo: 1)")
            }
            _ = object(document, "", keys: keys)
            return nil
        }
        guard let root = object(document, "", keys: keys) else { return nil }
        let version = root.value("zoo", required: true) { self.int($0, $1) }
        if let version, !Manifest.supportedVersions.contains(version) {
            report(root.child("zoo"), "zoo", "expected format version 1, found \(version) (this Zoo reads version 1)")
        }
        let plugins = root.value("plugins") { node, path in self.list(node, path) { self.plugin($0, $1) } } ?? []
        let model = root.value("model", required: true) { self.model($0, $1) }
        let data = root.value("data") { self.data($0, $1) }
        let optimizer = root.value("optimizer") { self.optimizer($0, $1) } ?? OptimizerSpec()
        let schedule = root.value("schedule") { self.schedule($0, $1) } ?? ScheduleSpec()
        let training = root.value("training") { self.training($0, $1) } ?? TrainingSpec()
        let evaluation = root.value("evaluation") { self.evaluation($0, $1) } ?? EvaluationSpec()
        let output = root.value("output") { self.output($0, $1) } ?? OutputSpec()
        if let model {
            let stages = ["backbone", "head"] + model.relations.indices.map { "relations.\($0)" } + model.losses.indices.map { "losses.\($0)" }
            for (key, _) in optimizer.learningRateMultipliers.sorted(by: { $0.key < $1.key }) where !stages.contains(key) {
                let hint = Suggestion.closest(to: key, among: stages).map { "did you mean \($0)?" } ?? "stages: \(stages.joined(separator: ", "))"
                let path = "optimizer.learning_rate_multipliers.\(key)"
                report(nil, path, "no stage named \(key) (\(hint))", location: document.nearestLocation(of: path))
            }
            if let data, data.numClasses != nil, let counts = data.classCounts, counts.count != data.numClasses {
                report(nil, "data.class_counts", "expected \(data.numClasses!) counts (data.num_classes), found \(counts.count)",
                       location: document.nearestLocation(of: "data.class_counts"))
            }
        }
        guard let version, let model else { return nil }
        return Manifest(zoo: version, plugins: plugins, model: model, data: data, optimizer: optimizer, schedule: schedule,
                        training: training, evaluation: evaluation, output: output)
    }

    func plugin(_ node: ManifestNode, _ path: String) -> PluginSpec? {
        guard let o = object(node, path, keys: ["name", "path", "sha256", "version", "file"]) else { return nil }
        let name = o.value("name") { self.string($0, $1) }
        let file = o.value("path") { self.string($0, $1) }
        let sha = o.value("sha256") { node, path -> String? in
            guard let text = self.string(node, path) else { return nil }
            guard text.count == 64, text.allSatisfy({ $0.isHexDigit }) else {
                self.report(node, path, "expected 64 hexadecimal digits, found \(node.quoted)")
                return nil
            }
            return text.lowercased()
        }
        let version = o.value("version") { self.string($0, $1) }
        let resolved = o.value("file") { self.string($0, $1) }
        if (name == nil) == (file == nil) && node["name"] == nil && node["path"] == nil {
            report(node, path, "expected name or path")
            return nil
        }
        if let name, name.contains("/") {
            report(node["name"], o.path("name"), "a plug-in name has no /; give a file under path instead")
            return nil
        }
        guard name != nil || file != nil else { return nil }
        return PluginSpec(name: name, path: file, sha256: sha, version: version, file: resolved)
    }

    func config(_ o: Object) -> ManifestNode? {
        guard let node = o.child("config") else { return ManifestNode(.object([]), location: o.node.location) }
        if node.value == .null { return ManifestNode(.object([]), location: node.location) }
        guard case .object = node.value else { report(node, o.path("config"), "expected a mapping, found \(node.quoted)"); return nil }
        return node
    }

    func moduleName(_ o: Object) -> String? {
        o.value("module", required: true) { node, path -> String? in
            guard let name = self.string(node, path) else { return nil }
            if name.isEmpty { self.report(node, path, "expected a module name, found \"\""); return nil }
            return name
        }
    }

    func module(_ node: ManifestNode, _ path: String) -> ModuleSpec? {
        guard let o = object(node, path, keys: ["module", "config"]) else { return nil }
        let name = moduleName(o)
        let config = config(o)
        guard let name, let config else { return nil }
        return ModuleSpec(module: name, config: config)
    }

    func model(_ node: ManifestNode, _ path: String) -> ModelSpec? {
        guard let o = object(node, path, keys: ["backbone", "relations", "head", "losses"]) else { return nil }
        let backbone = o.value("backbone", required: true) { self.module($0, $1) }
        let relations = o.value("relations") { node, path in
            self.list(node, path) { node, path -> RelationSpec? in
                guard let r = self.object(node, path, keys: ["module", "config", "placement", "learning_rate_multiplier"]) else { return nil }
                let name = self.moduleName(r)
                let config = self.config(r)
                let placement = r.value("placement") { self.choice($0, $1, RelationPlacement.self) } ?? .features
                let multiplier = r.value("learning_rate_multiplier") { self.double($0, $1, minimum: 0) } ?? 1
                guard let name, let config else { return nil }
                return RelationSpec(module: name, config: config, placement: placement, learningRateMultiplier: multiplier)
            }
        } ?? []
        let head = o.value("head", required: true) { self.module($0, $1) }
        let losses = o.value("losses", required: true) { node, path -> [LossSpec]? in
            guard let list = self.list(node, path, { node, path -> LossSpec? in
                guard let l = self.object(node, path, keys: ["module", "config", "weight"]) else { return nil }
                let name = self.moduleName(l)
                let config = self.config(l)
                let weight = l.value("weight") { self.double($0, $1, minimum: 0) } ?? 1
                guard let name, let config else { return nil }
                return LossSpec(module: name, config: config, weight: weight)
            }) else { return nil }
            if list.isEmpty { self.report(node, path, "expected at least one loss, found []"); return nil }
            return list
        }
        guard let backbone, let head, let losses else { return nil }
        return ModelSpec(backbone: backbone, relations: relations, head: head, losses: losses)
    }

    func data(_ node: ManifestNode, _ path: String) -> DataSpec? {
        guard let o = object(node, path, keys: ["format", "train", "test", "input_shape", "num_classes", "class_counts", "long_tail",
                                                "sampler", "augmentation"]) else { return nil }
        let format = o.value("format", required: true) { self.choice($0, $1, DataFormat.self) }
        let train = o.value("train") { self.string($0, $1) }
        let test = o.value("test") { self.string($0, $1) }
        var shape = o.value("input_shape") { node, path in
            self.list(node, path) { self.int($0, $1, minimum: 1, maximum: ManifestReader.largestClassCount) }
        }
        if let extents = shape, !ManifestReader.fits(extents, within: ManifestReader.largestSample) {
            report(node["input_shape"], o.path("input_shape"),
                   "expected a sample of at most \(ManifestReader.largestSample) elements, found shape \(extents)")
            shape = nil
        }
        let classes = o.value("num_classes") { self.int($0, $1, minimum: 1, maximum: ManifestReader.largestClassCount) }
        let counts = o.value("class_counts") { node, path in self.list(node, path) { self.int($0, $1, minimum: 0) } }
        let longTail = o.value("long_tail") { node, path -> LongTailSpec? in
            guard let l = self.object(node, path, keys: ["ratio", "n_max", "seed", "profile", "many_classes"]) else { return nil }
            let ratio = l.value("ratio", required: true) { self.double($0, $1, minimum: 1) }
            let nMax = l.value("n_max", required: true) { self.int($0, $1, minimum: 1) }
            let seed = l.value("seed") { self.int($0, $1, minimum: 0, maximum: Int.max) } ?? 0
            let profile = l.value("profile") { self.choice($0, $1, LongTailSpec.Profile.self) } ?? .exponential
            let many = l.value("many_classes") { self.int($0, $1, minimum: 0) }
            guard let ratio, let nMax else { return nil }
            return LongTailSpec(ratio: ratio, nMax: nMax, seed: seed, profile: profile, manyClasses: many)
        }
        let sampler = o.value("sampler") { self.choice($0, $1, SamplerName.self) } ?? .uniform
        let augmentation = o.value("augmentation") { node, path -> AugmentationSpec? in
            guard let a = self.object(node, path, keys: ["crop_padding", "horizontal_flip", "mean", "std"]) else { return nil }
            let mean = a.value("mean") { node, path in self.list(node, path) { self.double($0, $1) } }
            let std = a.value("std") { node, path in self.list(node, path) { self.double($0, $1, minimum: 0, exclusive: true) } }
            if (mean == nil) != (std == nil) {
                self.report(node, a.path(mean == nil ? "mean" : "std"), "required key is missing (mean and std go together)")
            } else if let mean, let std, mean.count != std.count {
                self.report(node["std"] ?? node, a.path("std"), "expected \(mean.count) numbers like mean, found \(std.count)")
            }
            return AugmentationSpec(cropPadding: a.value("crop_padding") { self.int($0, $1, minimum: 0) } ?? 0,
                                    horizontalFlip: a.value("horizontal_flip") { self.bool($0, $1) } ?? false, mean: mean, std: std)
        }
        guard let format else { return nil }
        if longTail != nil, classes == nil, format.impliedClassCount == nil {
            report(node, o.path("num_classes"), "required key is missing (long_tail needs the class count)")
        }
        return DataSpec(format: format, train: train, test: test, inputShape: shape ?? format.impliedInputShape,
                        numClasses: classes ?? format.impliedClassCount ?? counts?.count, classCounts: counts, longTail: longTail,
                        sampler: sampler, augmentation: augmentation)
    }

    func optimizer(_ node: ManifestNode, _ path: String) -> OptimizerSpec? {
        guard let o = object(node, path, keys: ["name", "learning_rate", "momentum", "weight_decay", "nesterov", "betas", "eps",
                                                "learning_rate_multipliers", "decay_norms_and_biases"]) else { return nil }
        let defaults = OptimizerSpec()
        let name = o.value("name") { self.choice($0, $1, OptimizerName.self) } ?? defaults.name
        let rate = o.value("learning_rate") { self.double($0, $1, minimum: 0, exclusive: true) } ?? defaults.learningRate
        let momentum = o.value("momentum") { self.double($0, $1, minimum: 0) } ?? (name == .sgd ? defaults.momentum : 0)
        let decay = o.value("weight_decay") { self.double($0, $1, minimum: 0) } ?? defaults.weightDecay
        let nesterov = o.value("nesterov") { self.bool($0, $1) } ?? defaults.nesterov
        let betas = o.value("betas") { node, path -> [Double]? in
            guard let list = self.list(node, path, { self.double($0, $1, minimum: 0) }) else { return nil }
            guard list.count == 2 else { self.report(node, path, "expected 2 numbers, found \(list.count)"); return nil }
            return list
        } ?? defaults.betas
        let eps = o.value("eps") { self.double($0, $1, minimum: 0, exclusive: true) } ?? defaults.eps
        var multipliers: [String: Double] = [:]
        if let m = o.child("learning_rate_multipliers"), m.value != .null {
            if case .object(let members) = m.value {
                for member in members {
                    if let v = double(member.value, "\(o.path("learning_rate_multipliers")).\(member.key)", minimum: 0) { multipliers[member.key] = v }
                }
            } else {
                report(m, o.path("learning_rate_multipliers"), "expected a mapping of stage names to numbers, found \(m.quoted)")
            }
        }
        return OptimizerSpec(name: name, learningRate: rate, momentum: momentum, weightDecay: decay, nesterov: nesterov,
                             betas: betas, eps: eps, learningRateMultipliers: multipliers,
                             decayNormsAndBiases: o.value("decay_norms_and_biases") { self.bool($0, $1) } ?? defaults.decayNormsAndBiases)
    }

    func schedule(_ node: ManifestNode, _ path: String) -> ScheduleSpec? {
        guard let o = object(node, path, keys: ["name", "warmup_epochs", "step_size", "milestones", "gamma", "min_learning_rate"]) else { return nil }
        let d = ScheduleSpec()
        let name = o.value("name") { self.choice($0, $1, ScheduleName.self) } ?? d.name
        let warmup = o.value("warmup_epochs") { self.int($0, $1, minimum: 0) } ?? d.warmupEpochs
        let step = o.value("step_size") { self.int($0, $1, minimum: 1) }
        let milestones = o.value("milestones") { node, path in self.list(node, path) { self.int($0, $1, minimum: 0) } } ?? d.milestones
        let gamma = o.value("gamma") { self.double($0, $1, minimum: 0, exclusive: true) } ?? d.gamma
        let minimum = o.value("min_learning_rate") { self.double($0, $1, minimum: 0) } ?? d.minLearningRate
        if name == .step && step == nil && node["step_size"] == nil { report(node, o.path("step_size"), "required key is missing (schedule step needs it)") }
        if name == .multistep && milestones.isEmpty && node["milestones"] == nil {
            report(node, o.path("milestones"), "required key is missing (schedule multistep needs it)")
        }
        if milestones != milestones.sorted() { report(node["milestones"], o.path("milestones"), "expected increasing epochs, found \(node["milestones"]!.quoted)") }
        return ScheduleSpec(name: name, warmupEpochs: warmup, stepSize: step, milestones: milestones, gamma: gamma, minLearningRate: minimum)
    }

    func training(_ node: ManifestNode, _ path: String) -> TrainingSpec? {
        guard let o = object(node, path, keys: ["epochs", "batch_size", "seed", "two_stream", "gradient_clip_norm"]) else { return nil }
        let d = TrainingSpec()
        return TrainingSpec(
            epochs: o.value("epochs") { self.int($0, $1, minimum: 1) } ?? d.epochs,
            batchSize: o.value("batch_size") { self.int($0, $1, minimum: 1) } ?? d.batchSize,
            seed: o.value("seed") { self.int($0, $1, minimum: 0, maximum: Int.max) } ?? d.seed,
            twoStream: o.value("two_stream") { self.bool($0, $1) } ?? d.twoStream,
            gradientClipNorm: o.value("gradient_clip_norm") { self.double($0, $1, minimum: 0, exclusive: true) })
    }

    func evaluation(_ node: ManifestNode, _ path: String) -> EvaluationSpec? {
        guard let o = object(node, path, keys: ["batch_size", "every", "shot_groups"]) else { return nil }
        let d = EvaluationSpec()
        return EvaluationSpec(batchSize: o.value("batch_size") { self.int($0, $1, minimum: 1) },
                              every: o.value("every") { self.int($0, $1, minimum: 1) } ?? d.every,
                              shotGroups: o.value("shot_groups") { self.bool($0, $1) } ?? d.shotGroups)
    }

    func output(_ node: ManifestNode, _ path: String) -> OutputSpec? {
        guard let o = object(node, path, keys: ["folder", "checkpoint_every"]) else { return nil }
        let d = OutputSpec()
        return OutputSpec(folder: o.value("folder") { self.string($0, $1) } ?? d.folder,
                          checkpointEvery: o.value("checkpoint_every") { self.int($0, $1, minimum: 0) } ?? d.checkpointEvery)
    }
}
