import Foundation
import XCTest
import ZooManifest
import ZooOptim
import ZooPipeline
import ZooPluginHost
import ZooTensor
import ZooTestSupport

/// The binding contract seen from a plug-in written outside the package (`Plugins/width_head.c`,
/// compiled at test time): the host fills exactly the keys a module declares with `x-zoo-from`,
/// whatever they are called, and a module built for ABI 1.2 gets the rule of names.
final class BindingContractTests: XCTestCase {
    static let source = CCompiler.packageRoot.appendingPathComponent("Tests/ZooTrainTests/Plugins/width_head.c")

    /// A folder holding the width-head plug-in built with `defines`.
    func widthHead(_ defines: [String], in scratch: ScratchFolder) throws -> URL {
        let folder = scratch.url.appendingPathComponent("plugins-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try CCompiler.sharedLibrary(Self.source, defines: defines, output: folder.appendingPathComponent("libwidth-head.so"))
        return folder
    }

    func manifest(head: String, in scratch: ScratchFolder) throws -> URL {
        try scratch.write("m-\(UUID().uuidString).yaml", """
            zoo: 1
            plugins: [{name: zoo-backbones}, {name: zoo-heads}, {name: zoo-losses}, {name: width-head}]
            model:
              backbone: {module: mlp, config: {hidden: [12]}}
              head: {module: \(head)}
              losses: [{module: cross-entropy}]
            data: {format: synthetic, input_shape: [6], num_classes: 4}
            training: {batch_size: 16, seed: 5}
            """)
    }

    func build(_ manifest: URL, plugins: URL) throws -> Pipeline {
        try PipelineBuilder(pluginFolders: [plugins, try BuiltProducts.pluginFolder()], environment: [:]).build(file: manifest)
    }

    func problems(_ manifest: URL, plugins: URL) throws -> [String] {
        PipelineBuilder(pluginFolders: [plugins, try BuiltProducts.pluginFolder()], environment: [:])
            .validate(file: manifest).problems.map { "\($0.path): \($0.message)" }
    }

    /// A head whose width key is `width`, declared bound to the input's features, is created with
    /// the backbone's width and trains step for step as the built-in linear head does from the same
    /// weights.
    func testADeclaredWidthKeyIsFilledAndTheHeadTrainsAsTheBuiltInLinearHead() throws {
        let scratch = try ScratchFolder()
        let plugins = try widthHead(["BIND_WIDTH", "BIND_CLASSES"], in: scratch)
        let bound = try build(try manifest(head: "width-head", in: scratch), plugins: plugins)
        XCTAssertEqual(bound.head.configuration, .object([("width", .integer(12)), ("num_classes", .integer(4))]))
        let reference = try build(try manifest(head: "linear", in: scratch), plugins: plugins)

        // The same weights in both pipelines (the backbones already agree: same seed).
        let referenceState = Dictionary(uniqueKeysWithValues: reference.namedState)
        for (name, tensor) in bound.namedState { try XCTUnwrap(referenceState[name], name).assign(tensor) }

        func sgd(_ pipeline: Pipeline) -> SGD {
            SGD(groups: pipeline.parameterGroups.map { ZooOptim.ParameterGroup(parameters: $0.parameters.map(\.1)) },
                learningRate: 0.1, momentum: 0.9)
        }
        let (boundSGD, referenceSGD) = (sgd(bound), sgd(reference))
        var random = RandomGenerator(seed: 11)
        for step in 0..<5 {
            let input = Tensor(shape: [16, 6], scalars: (0..<96).map { _ in Float(random.nextNormal()) })
            let labels = (0..<16).map { ($0 * 7 + step) % 4 }
            var losses: [Float] = []
            for (pipeline, optimizer) in [(bound, boundSGD), (reference, referenceSGD)] {
                optimizer.zeroGradients()
                let loss = try XCTUnwrap(try pipeline.forward(input, labels: labels, training: true).loss)
                losses.append(loss.scalars[0])
                loss.backward()
                optimizer.step()
            }
            XCTAssertEqual(losses[0], losses[1], accuracy: 1e-5, "step \(step)")
        }
        let trained = Dictionary(uniqueKeysWithValues: reference.namedState)
        for (name, tensor) in bound.namedState {
            assertClose(tensor, try XCTUnwrap(trained[name], name), tolerance: 1e-5, "\(name) after 5 steps")
        }
    }

    /// `num_classes` without `x-zoo-from` is not filled, though the host knows the class count.
    func testAnUndeclaredKeyIsNotFilledWhateverItsName() throws {
        let scratch = try ScratchFolder()
        let plugins = try widthHead(["BIND_WIDTH"], in: scratch)
        XCTAssertEqual(try problems(try manifest(head: "width-head", in: scratch), plugins: plugins),
                       ["model.head.config.num_classes: required key is missing"])
    }

    /// A module built for ABI 1.2 declares nothing: the host fills `in_dim` and `num_classes` by
    /// name, as 1.2 hosts did, and nothing else.
    func testAnABI12ModuleKeepsTheRuleOfNames() throws {
        let scratch = try ScratchFolder()
        let named = try widthHead(["MINOR=2", "WIDTH_KEY=\"in_dim\""], in: scratch)
        let pipeline = try build(try manifest(head: "width-head", in: scratch), plugins: named)
        XCTAssertEqual(pipeline.head.configuration, .object([("in_dim", .integer(12)), ("num_classes", .integer(4))]))
        XCTAssertEqual(pipeline.head.descriptor.abiMinor, 2)

        let unnamed = try widthHead(["MINOR=2", "BIND_WIDTH"], in: scratch)
        XCTAssertEqual(try problems(try manifest(head: "width-head", in: scratch), plugins: unnamed),
                       ["model.head.config.width: required key is missing"], "a 1.2 module's annotations are not read")
    }

    /// A bound key the manifest gives is kept; a needed one whose source is unknown is refused with
    /// where to give it.
    func testAGivenValueIsKeptAndAnUnknownSourceSaysWhereToGiveIt() throws {
        let scratch = try ScratchFolder()
        let plugins = try widthHead(["BIND_WIDTH", "BIND_CLASSES"], in: scratch)
        let file = try scratch.write("given.yaml", """
            zoo: 1
            plugins: [{name: zoo-backbones}, {name: zoo-losses}, {name: width-head}]
            model:
              backbone: {module: mlp, config: {hidden: [12]}}
              head: {module: width-head, config: {width: 5}}
              losses: [{module: cross-entropy}]
            data: {format: synthetic, input_shape: [6]}
            """)
        XCTAssertEqual(try problems(file, plugins: plugins), [
            "model.head.config.num_classes: width-head needs the number of classes: give it here, or data.num_classes",
        ])
    }
}
