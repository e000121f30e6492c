import Foundation
import ZooManifest
import ZooTensor

/// A run's folder and the files in it: `resolved.yaml`, `metrics.jsonl` and `metrics.csv`,
/// `training-curves.svg`, `evaluation.json`, `confusion.csv` and `per-class-accuracy.svg`, and
/// `checkpoint.safetensors` (written by `Checkpoint`).
public struct RunFolder: Sendable {
    public let url: URL

    public init(_ url: URL) { self.url = url }

    /// The folder for a new run of a manifest: `output.folder` (relative to the manifest's
    /// folder) / `<name>-<timestamp>`, made unique with `-2`, `-3`, … when it exists.
    public static func unique(for manifest: Manifest, manifestFile: URL, date: Date = Date()) -> RunFolder {
        let base = manifest.output.folder.hasPrefix("/") ? URL(fileURLWithPath: manifest.output.folder)
            : manifestFile.deletingLastPathComponent().appendingPathComponent(manifest.output.folder)
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        let name = manifestFile.deletingPathExtension().lastPathComponent + "-" + formatter.string(from: date)
        var candidate = base.appendingPathComponent(name)
        var suffix = 2
        while FileManager.default.fileExists(atPath: candidate.path) {
            candidate = base.appendingPathComponent("\(name)-\(suffix)")
            suffix += 1
        }
        return RunFolder(candidate.standardizedFileURL)
    }

    /// Makes the folder (and its parents) when it is not there.
    public func create() throws {
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// The run's checkpoint.
    public var checkpoint: URL { url.appendingPathComponent("checkpoint.safetensors") }

    /// Removes what killed checkpoint writes left behind; returns the removed paths.
    func removeAbandonedCheckpointWrites() -> [String] {
        SafeTensorsArchive.removeAbandonedTemporaries(of: checkpoint)
    }

    /// Writes `resolved.yaml`: the manifest as the run uses it.
    public func writeResolvedManifest(_ manifest: Manifest) throws {
        try manifest.yamlText().write(to: url.appendingPathComponent("resolved.yaml"), atomically: true, encoding: .utf8)
    }

    /// The metrics files, started afresh or, when resuming after `keepThrough` epochs, with
    /// those epochs' lines kept.
    func metricsLog(keepThrough: Int?) throws -> MetricsLog {
        try MetricsLog(folder: url, keepThrough: keepThrough)
    }

    /// Writes `training-curves.svg` from the epochs so far.
    func writeTrainingCurves(_ history: [EpochMetrics]) throws {
        try Plots.trainingCurves(history).write(to: url.appendingPathComponent("training-curves.svg"), atomically: true, encoding: .utf8)
    }

    /// Writes `evaluation.json`, `confusion.csv` and `per-class-accuracy.svg`.
    public func writeEvaluation(_ report: EvaluationReport) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(report).write(to: url.appendingPathComponent("evaluation.json"), options: .atomic)
        try report.confusionCSV.write(to: url.appendingPathComponent("confusion.csv"), atomically: true, encoding: .utf8)
        try Plots.perClassAccuracy(report).write(to: url.appendingPathComponent("per-class-accuracy.svg"),
                                                 atomically: true, encoding: .utf8)
    }
}
