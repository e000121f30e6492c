// Builds a pipeline from a manifest without the CLI and runs one two-stream training step's forward
// and backward, then an evaluation forward.
//
//     swift build --product ZooBackbones --product ZooHeads --product ZooLosses --product ZooRelations
//     ZOO_PLUGIN_PATH=$PWD/.build/debug swift run pipeline-example [Examples/recipes/mlp-batchformer-synthetic.yaml]
import Foundation
import ZooManifest
import ZooPipeline
import ZooTensor

func run() throws -> Int32 {
    let path = CommandLine.arguments.dropFirst().first ?? "Examples/recipes/mlp-batchformer-synthetic.yaml"
    // Includes are expanded, overrides applied, every module configuration validated and shapes checked;
    // a ManifestError lists every problem.
    let loaded = try ManifestLoader.load(file: URL(fileURLWithPath: path), overrides: [try ManifestOverride("training.batch_size=8")])
    let pipeline = try PipelineBuilder().build(loaded)

    for stage in pipeline.stages {
        print("\(stage.name): \(stage.module.qualifiedName) \(stage.configuration)")
    }
    let batch = pipeline.manifest.training.batchSize
    guard let inputShape = pipeline.inputShape, let classes = pipeline.manifest.data?.numClasses else {
        print("the manifest's data names no input shape or class count")
        return 1
    }
    var generator = RandomGenerator(seed: UInt64(pipeline.manifest.training.seed))
    let x = Tensor.normal([batch] + inputShape, generator: &generator)
    let labels = (0..<batch).map { $0 % classes }

    // Training: two-stream relations double the batch, and the labels with it.
    let training = try pipeline.forward(x, labels: labels, training: true)
    print("training logits \(training.logits.shape), labels \(training.labels?.count ?? 0), loss \(training.loss!.item)")
    training.loss!.backward()
    for group in pipeline.parameterGroups {
        let norm = group.parameters.compactMap { $0.1.grad?.scalars }.joined().reduce(0) { $0 + $1 * $1 }.squareRoot()
        print("  \(group.stage): \(group.parameters.count) tensors, lr × \(group.learningRateMultiplier), gradient norm \(norm)")
    }

    // Evaluation: training-only relations are skipped.
    let evaluation = try pipeline.forward(x, training: false)
    print("evaluation logits \(evaluation.logits.shape)")
    print("checkpoint keys: \(pipeline.namedState.prefix(4).map(\.0).joined(separator: ", ")), …")
    return 0
}

do {
    exit(try run())
} catch let error as ManifestError {
    for diagnostic in error.diagnostics { print(diagnostic) }
    exit(2)
} catch {
    print(error)
    exit(1)
}
