import Foundation
import ZooManifest
import ZooOptim

extension Trainer {
    /// Manifest keys a resumed run may change: they do not alter the steps already taken.
    static let resumableChanges: Set<String> = ["plugins", "training.epochs", "evaluation", "output"]

    /// Loads a checkpoint to continue from: the model and optimiser state, the host's generator,
    /// and the position. Refuses a checkpoint written from another manifest (naming the keys that
    /// differ) or one whose run is already over.
    func resume(from file: URL, optimizer: any StatefulOptimizer, epochs: Int) throws -> TrainingPosition {
        let archive = try Checkpoint.load(file, into: pipeline)
        let position = try Checkpoint.position(archive, file: file)
        if let recorded = archive.metadata[Checkpoint.manifestKey] {
            let differences = ManifestDifference.paths(recorded, manifest.document.jsonText(pretty: false))
                .filter { path in !Trainer.resumableChanges.contains { path == $0 || path.hasPrefix($0 + ".") } }
            guard differences.isEmpty else {
                throw TrainError("checkpoint \(file.path) was written by a run whose manifest differs at "
                                 + differences.joined(separator: ", ") + "; resume with the same manifest and --set overrides "
                                 + "(only training.epochs, evaluation and output may change)", isUsage: true)
            }
        }
        guard position.epoch < epochs else {
            throw TrainError("checkpoint \(file.path) has finished all \(position.epoch) epochs of the run; "
                             + "raise training.epochs (--set training.epochs=N) to train on", isUsage: true)
        }
        try Checkpoint.restoreOptimizer(optimizer, from: archive, pipeline: pipeline, file: file)
        try Checkpoint.restoreGenerator(archive, file: file, into: pipeline.host)
        say("resumed from \(file.path): epoch \(position.epoch + 1), step \(position.epochStep) of the epoch, "
            + "step \(position.step) of the run")
        return position
    }
}

/// Where two JSON documents differ, as dotted key paths (`training.seed`, `model.relations.0.config.dim`).
enum ManifestDifference {
    static func paths(_ a: String, _ b: String) -> [String] {
        guard let left = try? JSONSerialization.jsonObject(with: Data(a.utf8), options: [.fragmentsAllowed]),
              let right = try? JSONSerialization.jsonObject(with: Data(b.utf8), options: [.fragmentsAllowed]) else {
            return a == b ? [] : ["(the whole manifest)"]
        }
        var found: [String] = []
        compare(left, right, path: "", into: &found)
        return found
    }

    private static func compare(_ a: Any, _ b: Any, path: String, into found: inout [String]) {
        func child(_ key: String) -> String { path.isEmpty ? key : path + "." + key }
        switch (a, b) {
        case let (a as [String: Any], b as [String: Any]):
            for key in Set(a.keys).union(b.keys).sorted() {
                guard let x = a[key], let y = b[key] else { found.append(child(key)); continue }
                compare(x, y, path: child(key), into: &found)
            }
        case let (a as [Any], b as [Any]) where a.count == b.count:
            for (index, (x, y)) in zip(a, b).enumerated() { compare(x, y, path: child(String(index)), into: &found) }
        default:
            if "\(a)" != "\(b)" { found.append(path.isEmpty ? "(the whole manifest)" : path) }
        }
    }
}
