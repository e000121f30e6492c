import Foundation
import ZooManifest
import ZooOptim
import ZooPipeline

extension Checkpoint {
    /// Manifest keys a resumed run may change: they do not alter the steps already taken.
    static let resumableChanges: Set<String> = ["plugins", "training.epochs", "evaluation", "output"]

    /// Loads a checkpoint to continue a run of `pipeline` for `epochs` epochs: the model and
    /// optimiser state, the host's generator, and the position. Refuses a checkpoint written from
    /// another manifest (naming the keys that differ) or one whose run is already over.
    static func resume(from file: URL, into pipeline: Pipeline, optimizer: any StatefulOptimizer, epochs: Int) throws -> TrainingPosition {
        let archive = try Checkpoint.load(file, into: pipeline)
        let position = try Checkpoint.position(archive, file: file)
        if let recorded = archive.metadata[manifestKey] {
            let differences = ManifestDifference.paths(recorded, pipeline.manifest.document.jsonText(pretty: false))
                .filter { path in !resumableChanges.contains { path == $0 || path.hasPrefix($0 + ".") } }
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
        try restoreOptimizer(optimizer, from: archive, pipeline: pipeline, file: file)
        try restoreGenerator(archive, file: file, into: pipeline.host)
        return position
    }
}
