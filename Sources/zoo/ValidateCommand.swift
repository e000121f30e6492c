import ArgumentParser
import Foundation
import ZooManifest
import ZooPipeline

/// `zoo validate MANIFEST [--set k=v]…`: every problem of a manifest, before anything runs.
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate", abstract: "Check a manifest: its keys, its plug-ins, module configurations and shapes.",
        discussion: """
            Loads the manifest (includes expanded, --set overrides applied), loads its plug-ins, validates every \
            module configuration against the module's schema and checks shapes between stages. Prints every \
            problem as FILE:LINE:COLUMN: KEY.PATH: MESSAGE and exits 2, or exits 0.

            Example:
              zoo validate Examples/recipes/cifar100-lt-resnet32-batchformer.yaml --plugin-path .build/release --set model.relations.0.config.dropout=0.3
            """)

    @Argument(help: "The manifest (YAML or JSON).")
    var manifest: String

    @Option(name: .customLong("set"), help: ArgumentHelp("Override a value: key.path=value (value read as YAML).", valueName: "key=value"))
    var overrides: [String] = []

    @OptionGroup var pluginPath: PluginPathOptions

    @Option(name: .customLong("resolved"), help: ArgumentHelp("Write the resolved manifest here (.json or .yaml).", valueName: "file"))
    var resolvedOutput: String?

    @Flag(name: .customLong("print-resolved"), help: "Print the resolved manifest (YAML).")
    var printResolved = false

    func run() throws {
        do {
            let parsed = try overrides.map { text throws(ManifestError) in try ManifestOverride(text) }
            let (built, problems) = PipelineBuilder(pluginFolders: pluginPath.urls)
                .validate(file: URL(fileURLWithPath: manifest), overrides: parsed)
            guard let pipeline = built else { throw ManifestError(problems) }
            let resolved = pipeline.manifest
            if let resolvedOutput {
                let text = resolvedOutput.hasSuffix(".json") ? resolved.jsonText() : try resolved.yamlText()
                try text.write(toFile: resolvedOutput, atomically: true, encoding: .utf8)
            }
            if printResolved { print(try resolved.yamlText(), terminator: "") }
            let stages = pipeline.stages.map { "\($0.name)=\($0.descriptor.name)" }.joined(separator: ", ")
            print("ok: \(manifest) (\(stages))")
        } catch let error as ManifestError {
            for diagnostic in error.diagnostics { printError(diagnostic.description) }
            printError("\(error.diagnostics.count) problem\(error.diagnostics.count == 1 ? "" : "s") in \(manifest)")
            throw ExitCode(2)
        }
    }
}
