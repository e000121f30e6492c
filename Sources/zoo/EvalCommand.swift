import ArgumentParser
import Foundation
import ZooManifest
import ZooPipeline
import ZooTrain

/// `zoo eval MANIFEST --checkpoint CKPT [--set k=v]… [--out DIR] [--plugin-path DIR]… [--lock FILE | --no-lock]`.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval", abstract: "Evaluate a checkpoint on a manifest's test data.",
        discussion: """
            Builds the pipeline, loads the checkpoint strictly (every state tensor by name and shape, nothing \
            else), runs the test data in evaluation mode and prints overall, many-, medium- and few-shot accuracy. \
            With --out, writes evaluation.json and confusion.csv there. A lock file (zoo.lock beside the manifest, \
            or --lock) holds every plug-in to the library it locks, as for zoo train. Exit codes: 0 done, 1 the run failed, \
            2 a usage, manifest, data-path or checkpoint error.

            Example:
              zoo eval Examples/recipes/fashion-mnist-lt-batchformer.yaml --checkpoint runs/…/checkpoint.safetensors --plugin-path .build/release
            """)

    @Argument(help: "The manifest (YAML or JSON).")
    var manifest: String

    @Option(name: .customLong("checkpoint"), help: ArgumentHelp("The checkpoint (safetensors).", valueName: "file"))
    var checkpoint: String

    @Option(name: .customLong("set"), help: ArgumentHelp("Override a value: key.path=value (value read as YAML).", valueName: "key=value"))
    var overrides: [String] = []

    @Option(name: .customLong("out"), help: ArgumentHelp("Write evaluation.json and confusion.csv here.", valueName: "dir"))
    var out: String?

    @OptionGroup var pluginPath: PluginPathOptions

    @OptionGroup var lockOptions: LockOptions

    func run() throws {
        let lock = try lockOptions.lock(forManifest: manifest)
        let (pipeline, file) = try buildPipeline(manifest: manifest, overrides: overrides, pluginFolders: pluginPath.urls, lock: lock)
        do {
            let archive = try Checkpoint.load(URL(fileURLWithPath: checkpoint), into: pipeline)
            let test = try TrainingData.loadTest(pipeline.manifest, folder: file.deletingLastPathComponent())
            let counts: [Int]
            if let recorded = Checkpoint.classCounts(archive) {
                counts = recorded
            } else {
                counts = try TrainingData.load(pipeline.manifest, folder: file.deletingLastPathComponent()).classCounts
            }
            let report = try Evaluator(pipeline: pipeline).evaluate(test, trainingCounts: counts)
            let epoch = archive.metadata[Checkpoint.epochKey].map { " (epoch \($0))" } ?? ""
            say("checkpoint: \(checkpoint)\(epoch)")
            say(report.table)
            if let out {
                let folder = RunFolder(URL(fileURLWithPath: out, isDirectory: true))
                try folder.create()
                try folder.writeEvaluation(report)
            }
        } catch {
            throw fail(error)
        }
    }
}
