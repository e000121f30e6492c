import ArgumentParser
import Foundation
import ZooManifest
import ZooPipeline
import ZooPluginHost
import ZooTrain

/// Loads a manifest and builds its pipeline with the run's seed, its plug-ins held to `lock` when
/// one is given and loaded into `registry`; manifest and lock problems exit 2.
func buildPipeline(manifest: String, overrides: [String], pluginFolders: [URL], lock: PluginLock? = nil,
                   registry: PluginRegistry = PluginRegistry()) throws -> (Pipeline, URL) {
    let file = URL(fileURLWithPath: manifest).standardizedFileURL
    do {
        let parsed = try overrides.map { text throws(ManifestError) in try ManifestOverride(text) }
        let builder = PipelineBuilder(registry: registry, pluginFolders: pluginFolders, lock: lock)
        let (built, problems) = builder.validate(file: file, overrides: parsed)
        guard let pipeline = built else { throw ManifestError(problems) }
        return (pipeline, file)
    } catch let error as ManifestError {
        for diagnostic in error.diagnostics { printError(diagnostic.description) }
        printError("\(error.diagnostics.count) problem\(error.diagnostics.count == 1 ? "" : "s") in \(manifest)")
        throw ExitCode(2)
    }
}

/// Writes a line to standard output unbuffered, in order with the trainer's progress.
func say(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}

/// Prints a run's error and exits 2 (the manifest's or the command line's) or 1 (the run's).
func fail(_ error: any Error) -> ExitCode {
    if let error = error as? TrainError {
        printError("error: \(error.message)")
        return ExitCode(error.isUsage ? 2 : 1)
    }
    if let exit = error as? ExitCode { return exit }
    printError("error: \(error)")
    return ExitCode(1)
}

/// `zoo train MANIFEST [--set k=v]… [--out DIR] [--plugin-path DIR]… [--lock FILE | --no-lock]`.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train", abstract: "Train a model from a manifest.",
        discussion: """
            Builds the pipeline, reads the data (with the long-tail cut), trains and evaluates, and writes the run \
            folder (output.folder/<name>-<timestamp>, or --out): resolved.yaml, metrics.jsonl, metrics.csv, \
            evaluation.json, confusion.csv and checkpoint.safetensors. Ctrl-C or SIGTERM stops the run after the \
            step in progress, writes the checkpoint and prints the command that resumes it; --resume continues \
            exactly where the checkpoint stopped (same losses and weights as a run never stopped, for the same \
            thread count). With a lock file (zoo.lock beside the manifest, or --lock), every plug-in must be the \
            library it locks, by SHA-256, or the run is refused before any plug-in loads. Exit codes: 0 done, 1 the run failed (e.g. the loss stopped being finite), 2 a usage, \
            manifest, data-path or checkpoint error, 130 (SIGINT) or 143 (SIGTERM) stopped with a checkpoint.

            Examples:
              zoo train Examples/recipes/fashion-mnist-lt-batchformer.yaml --plugin-path .build/release --set training.epochs=5 --set model.losses.0.module=cross-entropy
              zoo train Examples/recipes/fashion-mnist-lt-batchformer.yaml --plugin-path .build/release --resume runs/fashion-mnist-lt-batchformer/…/checkpoint.safetensors
            """)

    @Argument(help: "The manifest (YAML or JSON).")
    var manifest: String

    @Option(name: .customLong("set"), help: ArgumentHelp("Override a value: key.path=value (value read as YAML).", valueName: "key=value"))
    var overrides: [String] = []

    @Option(name: .customLong("out"), help: ArgumentHelp("The run folder (default: output.folder/<name>-<timestamp>).", valueName: "dir"))
    var out: String?

    @Option(name: .customLong("log-every"), help: ArgumentHelp("A progress line every this many steps.", valueName: "n"))
    var logEvery: Int = 50

    @Option(name: .customLong("resume"), help: ArgumentHelp("Continue from this checkpoint (its run folder unless --out).", valueName: "checkpoint"))
    var resume: String?

    @OptionGroup var pluginPath: PluginPathOptions

    @OptionGroup var lockOptions: LockOptions

    func validate() throws {
        guard logEvery >= 0 else { throw ValidationError("--log-every must not be negative") }
    }

    func run() throws {
        let lock = try lockOptions.lock(forManifest: manifest)
        let (pipeline, file) = try buildPipeline(manifest: manifest, overrides: overrides, pluginFolders: pluginPath.urls, lock: lock)
        let checkpoint = resume.map { URL(fileURLWithPath: $0).standardizedFileURL }
        let folder = out.map { URL(fileURLWithPath: $0, isDirectory: true).standardizedFileURL }
            ?? checkpoint?.deletingLastPathComponent()
            ?? RunFolder.unique(for: pipeline.manifest, manifestFile: file).url
        let stages = pipeline.stages.map { "\($0.name)=\($0.descriptor.name)" }.joined(separator: ", ")
        say("model: \(stages)")
        for plugin in pipeline.manifest.plugins {
            say("plug-in \(plugin.name ?? "?") \(plugin.version ?? "?") (\(plugin.file ?? plugin.path ?? "?"))")
        }
        if let lockFile = lock?.file { say("plug-ins as locked in \(lockFile.path)") }
        Interruption.install()
        let options = TrainerOptions(runFolder: folder, dataFolder: file.deletingLastPathComponent(), logEvery: logEvery,
                                     resume: checkpoint, stopRequested: Interruption.requested)
        do {
            _ = try Trainer(pipeline: pipeline, options: options).run()
        } catch let stopped as TrainingInterrupted {
            say("stopped by \(stopped.reason) after step \(stopped.position.step) (epoch \(stopped.position.epoch + 1), "
                + "step \(stopped.position.epochStep) of the epoch); checkpoint: \(stopped.checkpoint.path)")
            say("resume with: " + resumeCommand(folder: folder, checkpoint: stopped.checkpoint))
            throw ExitCode(Interruption.exitCode(for: stopped.reason))
        } catch {
            throw fail(error)
        }
    }

    /// This command again, continuing from `checkpoint` in `folder`.
    func resumeCommand(folder: URL, checkpoint: URL) -> String {
        var words = [CommandLine.arguments.first ?? "zoo", "train", manifest]
        words += overrides.flatMap { ["--set", $0] }
        words += pluginPath.folders.flatMap { ["--plugin-path", $0] }
        words += lockOptions.arguments
        if folder != checkpoint.deletingLastPathComponent() { words += ["--out", folder.path] }
        words += ["--resume", checkpoint.path]
        return words.map(shellWord).joined(separator: " ")
    }
}
