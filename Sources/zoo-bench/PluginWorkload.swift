import Foundation
import ZooManifest
import ZooPipeline
import ZooPluginHost
import ZooTensor
import ZooTrain

/// Where the plug-in workloads find their manifests and plug-ins.
struct PluginWorkloadOptions {
    /// `Benchmarks/manifests` of the repository (`--manifests`).
    var manifests: URL
    /// The folder of the plug-in libraries (`--plugin-path`; default: beside this executable).
    var pluginFolder: URL

    static let defaultManifests = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Benchmarks/manifests")
}

/// The design's workloads on the path users run: the manifests of `Benchmarks/manifests`, their
/// modules loaded as plug-ins from shared libraries, composed by `PipelineBuilder`, trained with
/// the optimiser `zoo train` builds (`OptimizerFactory.optimizer(for:)`).
///
/// A training step is what the trainer does for a batch: zero the gradients, `Pipeline.forward`
/// in training (two-stream: the head and the loss see `[f; BatchFormer(f)]` and the labels twice),
/// backward from the loss, the optimiser's step. An inference step is `Pipeline.forward` in
/// evaluation without gradients; `w2.infer.bf-loaded` builds W2 with BatchFormer in the manifest,
/// which evaluation skips (training only), to show that it costs nothing there.
enum PluginWorkload {
    /// Workload name → (manifest file, training).
    static let table: [(name: String, manifest: String, train: Bool)] = [
        ("w1.train.bf", "w1-bf.yaml", true),
        ("w1.train.plain", "w1.yaml", true),
        ("w2.train.bf", "w2-bf.yaml", true),
        ("w2.train.plain", "w2.yaml", true),
        ("w2.infer", "w2.yaml", false),
        ("w2.infer.bf-loaded", "w2-bf.yaml", false),
    ]
    static var names: [String] { table.map(\.name) }

    static func named(_ name: String, options: PluginWorkloadOptions) throws -> Workload {
        guard let entry = table.first(where: { $0.name == name }) else {
            throw BenchmarkError(message: "unknown workload '\(name)'; known: "
                                 + (names + NNWorkload.names).joined(separator: ", "))
        }
        let pipeline = try pipeline(options.manifests.appendingPathComponent(entry.manifest), pluginFolder: options.pluginFolder)
        let batch = pipeline.manifest.training.batchSize
        guard let inputShape = pipeline.inputShape, let classes = pipeline.manifest.data?.numClasses else {
            throw BenchmarkError(message: "\(entry.manifest): data.input_shape and data.num_classes are needed")
        }
        var generator = RandomGenerator(seed: UInt64(pipeline.manifest.training.seed))
        let input = Tensor.normal([batch] + inputShape, generator: &generator)
        let labels = (0..<batch).map { _ in Int(generator.next() % UInt64(classes)) }
        guard entry.train else {
            return Workload(name: name, batch: batch, countedInProcess: false) {
                _ = try withoutGradients { try pipeline.forward(input, training: false) }
            }
        }
        let optimizer = OptimizerFactory.optimizer(for: pipeline)
        return Workload(name: name, batch: batch, countedInProcess: false) {
            optimizer.zeroGradients()
            let output = try pipeline.forward(input, labels: labels, training: true)
            guard let loss = output.loss else { throw BenchmarkError(message: "\(entry.manifest): the pipeline has no loss") }
            loss.backward()
            optimizer.step()
        }
    }

    /// Builds a manifest's pipeline as `zoo train` does (its modules created with the manifest's seed).
    static func pipeline(_ file: URL, pluginFolder: URL) throws -> Pipeline {
        do {
            let loaded = try ManifestLoader.load(file: file)
            return try PipelineBuilder(pluginFolders: [pluginFolder]).build(loaded)
        } catch {
            throw BenchmarkError(message: error.diagnostics.map(\.description).joined(separator: "\n"))
        }
    }
}
