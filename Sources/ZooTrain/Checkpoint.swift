import Foundation
import ZooManifest
import ZooPipeline
import ZooTensor

/// A checkpoint: the pipeline's `namedState` as safetensors, with `__metadata__` holding the
/// resolved manifest (JSON), the epoch and step, the plug-in versions and the training class counts.
public enum Checkpoint {
    /// Metadata keys.
    public static let manifestKey = "zoo.manifest"
    public static let epochKey = "zoo.epoch"
    public static let stepKey = "zoo.step"
    public static let pluginsKey = "zoo.plugins"
    public static let classCountsKey = "zoo.class_counts"
    public static let formatKey = "format"

    /// Writes the pipeline's state to `url` atomically (a partial file never sits at `url`).
    /// Refuses state that is not finite.
    public static func write(_ pipeline: Pipeline, to url: URL, epoch: Int, step: Int, classCounts: [Int]) throws {
        var tensors: [String: Tensor] = [:]
        for (name, tensor) in pipeline.namedState {
            let finite = tensor.withScalars { $0.allSatisfy(\.isFinite) }
            guard finite else { throw TrainError("checkpoint not written: \(name) holds values that are not finite") }
            tensors[name] = tensor.copied()
        }
        let manifest = pipeline.manifest
        let plugins = manifest.plugins.map { "\"\($0.name ?? $0.path ?? "?")\": \"\($0.version ?? "")\"" }.joined(separator: ", ")
        let metadata = [
            formatKey: "pt",
            manifestKey: manifest.document.jsonText(pretty: false),
            epochKey: String(epoch),
            stepKey: String(step),
            pluginsKey: "{\(plugins)}",
            classCountsKey: "[" + classCounts.map(String.init).joined(separator: ",") + "]",
        ]
        try SafeTensorsArchive(metadata: metadata, tensors: tensors).write(to: url)
    }

    /// Loads `url` into the pipeline's state, strictly: every state tensor must be in the file with
    /// its shape, and the file must hold nothing else. Returns the archive (for its metadata).
    @discardableResult
    public static func load(_ url: URL, into pipeline: Pipeline) throws -> SafeTensorsArchive {
        let archive: SafeTensorsArchive
        do {
            archive = try SafeTensorsArchive(contentsOf: url)
        } catch {
            throw TrainError("checkpoint \(url.path): \(error)", isUsage: true)
        }
        let state = pipeline.namedState
        let expected = Set(state.map(\.0))
        var problems: [String] = []
        let missing = state.map(\.0).filter { archive.tensors[$0] == nil }
        if !missing.isEmpty { problems.append("missing: " + missing.joined(separator: ", ")) }
        let unexpected = (Set(archive.tensors.keys).subtracting(expected).union(archive.indexTensors.keys)).sorted()
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

    /// The training class counts recorded in a checkpoint's metadata.
    public static func classCounts(_ archive: SafeTensorsArchive) -> [Int]? {
        guard let text = archive.metadata[classCountsKey],
              let values = try? JSONDecoder().decode([Int].self, from: Data(text.utf8)) else { return nil }
        return values
    }
}
