import Foundation
import ZooManifest
import ZooOptim
import ZooPipeline
import ZooPluginHost
import ZooTensor

/// A checkpoint: one safetensors file with
/// - the pipeline's `namedState` (parameters and buffers: `backbone.…`, `relations.0.…`, `head.…`);
/// - the optimiser's state per parameter, as `optimizer.<parameter>.<key>` (PyTorch's keys:
///   `momentum_buffer`; `step`, `exp_avg`, `exp_avg_sq`);
/// - in `__metadata__`: the resolved manifest (JSON), the position (epoch, step, the unfinished
///   epoch's sums), the host's run generator (dropout masks), the plug-ins with versions and
///   SHA-256, and the training class counts.
///
/// The data order and augmentation need no state: they follow from the seed, the epoch and the
/// batch index. Files are written atomically (a temporary file, fsync, rename).
public enum Checkpoint {
    /// Metadata keys.
    public static let manifestKey = "zoo.manifest"
    public static let epochKey = "zoo.epoch"
    public static let stepKey = "zoo.step"
    public static let positionKey = "zoo.position"
    public static let generatorKey = "zoo.rng.host"
    public static let pluginsKey = "zoo.plugins"
    public static let classCountsKey = "zoo.class_counts"
    public static let formatKey = "format"
    /// The prefix of optimiser-state tensors.
    public static let optimizerPrefix = "optimizer."

    /// Writes the pipeline's state (and the optimiser's, when given) to `url` atomically.
    /// Refuses state that is not finite, leaving any file at `url` as it was.
    public static func write(_ pipeline: Pipeline, optimizer: (any StatefulOptimizer)? = nil, position: TrainingPosition,
                             classCounts: [Int], to url: URL) throws {
        var tensors: [String: Tensor] = [:]
        for (name, tensor) in pipeline.namedState {
            let finite = tensor.withScalars { $0.allSatisfy(\.isFinite) }
            guard finite else { throw TrainError("checkpoint not written: \(name) holds values that are not finite") }
            tensors[name] = tensor.copied()
        }
        if let optimizer {
            for (name, parameter) in trainableParameters(pipeline) {
                for (key, value) in optimizer.state(of: parameter) { tensors[optimizerPrefix + name + "." + key] = value }
            }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let metadata = [
            formatKey: "pt",
            manifestKey: pipeline.manifest.document.jsonText(pretty: false),
            epochKey: String(position.epoch),
            stepKey: String(position.step),
            positionKey: String(decoding: try encoder.encode(position), as: UTF8.self),
            generatorKey: pipeline.host.generatorState.map { String($0, radix: 16) }.joined(separator: ","),
            pluginsKey: String(decoding: try encoder.encode(pipeline.manifest.plugins.map(PluginProvenance.init)), as: UTF8.self),
            classCountsKey: "[" + classCounts.map(String.init).joined(separator: ",") + "]",
        ]
        try SafeTensorsArchive(metadata: metadata, tensors: tensors).write(to: url)
    }

    /// The trainable parameters under their checkpoint names.
    static func trainableParameters(_ pipeline: Pipeline) -> [(String, Tensor)] {
        pipeline.parameterGroups.flatMap { group in
            group.parameters.filter(\.1.requiresGrad).map { ("\(group.stage).\($0.0)", $0.1) }
        }
    }

    /// Reads `url`, naming it in the error.
    public static func read(_ url: URL) throws -> SafeTensorsArchive {
        do {
            return try SafeTensorsArchive(contentsOf: url)
        } catch {
            throw TrainError("checkpoint \(url.path): \(error)", isUsage: true)
        }
    }

    /// Loads `url` into the pipeline's state, strictly: the plug-ins that wrote it must be loaded
    /// (same versions), every state tensor must be in the file with its shape, and the file must
    /// hold nothing else but optimiser state. Every problem is named at once; nothing is
    /// changed unless all is well. Returns the archive (for its metadata and optimiser state).
    @discardableResult
    public static func load(_ url: URL, into pipeline: Pipeline) throws -> SafeTensorsArchive {
        let archive = try read(url)
        var problems = PluginProvenance.problems(recorded: archive.metadata[pluginsKey], loaded: pipeline.manifest.plugins)
        let state = pipeline.namedState
        let expected = Set(state.map(\.0))
        let missing = state.map(\.0).filter { archive.tensors[$0] == nil }
        if !missing.isEmpty { problems.append("missing: " + missing.joined(separator: ", ")) }
        let unexpected = Set(archive.tensors.keys).subtracting(expected).filter { !$0.hasPrefix(optimizerPrefix) }
            .union(archive.indexTensors.keys).sorted()
        if !unexpected.isEmpty { problems.append("unexpected: " + unexpected.joined(separator: ", ")) }
        let misshaped = state.compactMap { name, tensor -> String? in
            guard let found = archive.tensors[name], found.shape != tensor.shape else { return nil }
            return "\(name) (file \(found.shape), model \(tensor.shape))"
        }
        if !misshaped.isEmpty { problems.append("wrong shape: " + misshaped.joined(separator: ", ")) }
        guard problems.isEmpty else {
            throw TrainError("checkpoint \(url.path) does not fit the model:\n  " + problems.joined(separator: "\n  "), isUsage: true)
        }
        for (name, tensor) in state { tensor.assign(archive.tensors[name]!) }
        return archive
    }

    /// Restores the optimiser's state from `archive`: for every trainable parameter, the tensors
    /// `optimizer.<parameter>.*` (none: as before its first update). Unknown optimiser tensors
    /// (another optimiser's) are refused by name.
    public static func restoreOptimizer(_ optimizer: any StatefulOptimizer, from archive: SafeTensorsArchive,
                                        pipeline: Pipeline, file: URL) throws {
        let parameters = trainableParameters(pipeline)
        var grouped: [String: [String: Tensor]] = [:]
        var stray: [String] = []
        let names = Set(parameters.map(\.0))
        for (key, tensor) in archive.tensors where key.hasPrefix(optimizerPrefix) {
            let rest = key.dropFirst(optimizerPrefix.count)
            guard let dot = rest.lastIndex(of: "."), names.contains(String(rest[..<dot])) else { stray.append(key); continue }
            grouped[String(rest[..<dot]), default: [:]][String(rest[rest.index(after: dot)...])] = tensor
        }
        guard stray.isEmpty else {
            throw TrainError("checkpoint \(file.path): optimiser state for no parameter of this model: "
                             + stray.sorted().joined(separator: ", "), isUsage: true)
        }
        for (name, parameter) in parameters {
            do {
                try optimizer.setState(grouped[name] ?? [:], of: parameter)
            } catch {
                throw TrainError("checkpoint \(file.path): \(optimizerPrefix)\(name): \(error.message)", isUsage: true)
            }
        }
    }

    /// The position recorded in a checkpoint.
    public static func position(_ archive: SafeTensorsArchive, file: URL) throws -> TrainingPosition {
        guard let text = archive.metadata[positionKey] else {
            throw TrainError("checkpoint \(file.path): no \(positionKey) in its metadata, so it cannot resume a run", isUsage: true)
        }
        let position: TrainingPosition
        do {
            position = try JSONDecoder().decode(TrainingPosition.self, from: Data(text.utf8))
        } catch {
            throw TrainError("checkpoint \(file.path): \(positionKey) is not a training position: \(text.prefix(200))", isUsage: true)
        }
        let counts = [("epoch", position.epoch), ("epoch_step", position.epochStep), ("step", position.step),
                      ("correct", position.correct), ("rows", position.rows), ("samples", position.samples)]
        if let (name, value) = counts.first(where: { $0.1 < 0 }) {
            throw TrainError("checkpoint \(file.path): \(positionKey).\(name) is \(value), expected a count (0 or more)", isUsage: true)
        }
        return position
    }

    /// Restores a run generator (a pipeline's `host`: dropout masks) from a checkpoint.
    public static func restoreGenerator(_ archive: SafeTensorsArchive, file: URL, into session: HostSession) throws {
        let text = archive.metadata[generatorKey] ?? ""
        let words = text.split(separator: ",").compactMap { UInt64($0, radix: 16) }
        guard words.count == 4, session.restoreGenerator(words) else {
            throw TrainError("checkpoint \(file.path): \(generatorKey) must be four hexadecimal words, found \"\(text)\"", isUsage: true)
        }
    }

    /// The training class counts recorded in a checkpoint's metadata.
    public static func classCounts(_ archive: SafeTensorsArchive) -> [Int]? {
        guard let text = archive.metadata[classCountsKey],
              let values = try? JSONDecoder().decode([Int].self, from: Data(text.utf8)), values.allSatisfy({ $0 >= 0 }) else { return nil }
        return values
    }
}
