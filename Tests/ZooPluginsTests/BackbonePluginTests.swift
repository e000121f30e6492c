import Foundation
import XCTest
import ZooNN
import ZooPluginHost
import ZooTensor
import ZooTestSupport
import ZooValue

/// The built-in backbones (`libZooBackbones.so`), tested through the loaded plug-in as the host
/// uses them: the conformance check, PyTorch parity of the CIFAR ResNet, torchvision's names,
/// shapes and parameter counts, pretrained weights, and the shapes of the other modules.
final class BackbonePluginTests: XCTestCase {
    static let product = "ZooBackbones"
    var generator = RandomGenerator(seed: 5)

    func backbone(_ name: String, _ config: String) throws -> ModuleInstance {
        try BuiltInPlugins.module(Self.product, name, config)
    }

    /// Every parameter and buffer's shape, by name.
    func shapes(_ module: ModuleInstance) -> [String: [Int]] {
        Dictionary(uniqueKeysWithValues: (module.namedParameters + module.namedBuffers).map { ($0.0, $0.1.shape) })
    }

    func parameterCount(_ module: ModuleInstance) -> Int {
        module.namedParameters.reduce(0) { $0 + $1.1.count }
    }

    /// The creation error's message for a configuration, or a failure when creation succeeds.
    func creationError(_ name: String, _ config: String, file: StaticString = #filePath, line: UInt = #line) -> String {
        do {
            _ = try backbone(name, config)
            XCTFail("\(name) accepted \(config)", file: file, line: line)
            return ""
        } catch {
            return "\(error)"
        }
    }

    /// A temporary safetensors file with `tensors`, removed at the end of the test.
    func temporaryWeights(_ tensors: [String: Tensor]) throws -> String {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("zoo-backbones-\(UUID().uuidString).safetensors")
        try SafeTensorsArchive(tensors: tensors).write(to: url)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url.path
    }

    /// `text` as a JSON string literal.
    func json(_ text: String) -> String {
        let data = try! JSONSerialization.data(withJSONObject: text, options: [.fragmentsAllowed])
        return String(decoding: data, as: UTF8.self)
    }

    // MARK: the library

    func testLibraryDescribesFiveBackbones() throws {
        let library = try BuiltInPlugins.library(Self.product)
        XCTAssertEqual(library.name, "zoo-backbones")
        XCTAssertEqual(library.version, "1.0.0")
        XCTAssertTrue(library.isSwift)
        XCTAssertEqual(library.modules.map(\.name), ["mlp", "convnet", "resnet-cifar", "resnet", "vit"])
        for module in library.modules {
            XCTAssertEqual(module.kind, .backbone, module.name)
            XCTAssertEqual(module.inputCount, 1, module.name)
            XCTAssertEqual(module.outputCount, 1, module.name)
            XCTAssertFalse(module.summary.isEmpty, module.name)
            XCTAssertFalse((module.documentation ?? "").isEmpty, module.name)
            XCTAssertEqual(module.configSchema.json["additionalProperties"], .bool(false), module.name)
            XCTAssertTrue(module.configSchema.propertyNames.contains("pretrained"), module.name)
            XCTAssertTrue(module.configSchema.propertyNames.contains("pretrained_strict"), module.name)
        }
        XCTAssertTrue(creationError("resnet-cifar", #"{"depth": 32, "width": 2}"#).contains("width"))
    }

    /// The conformance check (`zoo plugin check`) with no flags: each backbone with its schema's
    /// example, every check passed, the ResNets' through their training-mode BatchNorm layers too.
    func testCheckWithNoFlagsPassesOnEveryBackbone() throws {
        let checks = try BuiltInPlugins.checkWithExamples(Self.product)
        for name in ["mlp", "convnet", "resnet-cifar", "resnet", "vit"] {
            XCTAssertEqual(checks.filter { $0.module == name }.map(\.name), BuiltInPlugins.checkNames, name)
        }
        for check in checks { XCTAssertTrue(check.passed, "\(check)") }
    }

    /// Backward of the deep backbones through the plug-in against central differences with a step
    /// of 1e-3, over six sampled elements of the input and of about twelve parameters each (relative
    /// error of the sampled vector; a ReLU or max-pool kink crossed by the step moves single
    /// elements by a few per cent, a wrong derivative rule by far more).
    func testDeepBackbonesGradientsMatchFineFiniteDifferences() throws {
        let cases: [(String, String, [Int])] = [
            ("resnet-cifar", #"{"depth": 8}"#, [4, 3, 8, 8]),
            ("resnet", #"{"depth": 18}"#, [4, 3, 32, 32]),
            ("vit", #"{"dim": 16, "depth": 2, "heads": 2, "patch_size": 8}"#, [3, 3, 32, 32]),
            ("convnet", #"{"channels": [4, 8]}"#, [4, 1, 12, 12]),
        ]
        for (name, config, shape) in cases {
            let module = try backbone(name, config)
            var random = RandomGenerator(seed: 11)
            let x = Tensor.normal(shape, generator: &random)
            x.requiresGrad = true
            let output = try module.forward([x], training: true)[0]
            let upstream = Tensor.normal(output.shape, generator: &random)
            (output * upstream).sum().backward()
            func objective() -> Double {
                let value = try! withoutGradients { try module.forward([x], training: true)[0] }
                return zip(value.scalars, upstream.scalars).reduce(0) { $0 + Double($1.0) * Double($1.1) }
            }
            let tensors = [("input", x)] + module.namedParameters
            let stride = max(1, tensors.count / 12)
            for (label, tensor) in tensors.enumerated().filter({ $0.offset % stride == 0 }).map(\.element) {
                var analytic: [Float] = [], numeric: [Float] = []
                let gradient = try XCTUnwrap(tensor.grad, "\(name): no gradient for \(label)").scalars
                for _ in 0..<6 {
                    let index = Int(random.next() % UInt64(tensor.count))
                    let original = tensor.scalars[index]
                    let step: Float = 1e-3
                    tensor.withMutableScalars { $0[index] = original + step }
                    let plus = objective()
                    tensor.withMutableScalars { $0[index] = original - step }
                    let minus = objective()
                    tensor.withMutableScalars { $0[index] = original }
                    numeric.append(Float((plus - minus) / Double(2 * step)))
                    analytic.append(gradient[index])
                }
                let error = relativeError(analytic, numeric)
                XCTAssertLessThan(error, 0.1, "\(name): gradient of \(label): \(analytic) vs \(numeric)")
            }
        }
    }

    // MARK: resnet-cifar

    /// ResNet-8 against PyTorch: the fixture's backbone weights through `pretrained`, the fixture's
    /// classifier applied on the host, train-mode logits, loss, every gradient and the running statistics.
    func testResNetCIFARDepth8MatchesPyTorch() throws {
        let archive = try SafeTensorsArchive.fixture("resnet8_cifar.safetensors")
        var weights = archive.tensors(withPrefix: "param.").filter { !$0.key.hasPrefix("fc.") }
        weights.merge(archive.tensors(withPrefix: "buffer."), uniquingKeysWith: { a, _ in a })
        let path = try temporaryWeights(weights)
        let backbone = try backbone("resnet-cifar", #"{"depth": 8, "pretrained": \#(json(path))}"#)
        XCTAssertEqual(weights.count, 35)

        let x = try archive.tensor("input.x")
        x.requiresGrad = true
        let fcWeight = try archive.tensor("param.fc.weight"), fcBias = try archive.tensor("param.fc.bias")
        fcWeight.requiresGrad = true
        fcBias.requiresGrad = true
        let features = try backbone.forward([x], training: true)[0]
        XCTAssertEqual(features.shape, [4, 64])
        let logits = Tensor.linear(features, weight: fcWeight, bias: fcBias)
        assertClose(logits, try archive.tensor("output.logits"), tolerance: 1e-4, "output.logits")
        let loss = Tensor.crossEntropy(logits: logits, labels: try archive.labels("input.labels"))
        assertClose(loss.reshaped([1]), try archive.tensor("output.loss"), tolerance: 1e-4, "output.loss")
        loss.backward()

        assertClose(try XCTUnwrap(x.grad), try archive.tensor("grad.input.x"), tolerance: 1e-3, "grad.input.x")
        assertClose(try XCTUnwrap(fcWeight.grad), try archive.tensor("grad.param.fc.weight"), tolerance: 1e-3, "fc.weight")
        assertClose(try XCTUnwrap(fcBias.grad), try archive.tensor("grad.param.fc.bias"), tolerance: 1e-3, "fc.bias")
        XCTAssertEqual(backbone.namedParameters.count, 21)
        for (name, parameter) in backbone.namedParameters {
            let gradient = try XCTUnwrap(parameter.grad, "no gradient for \(name)")
            assertClose(gradient, try archive.tensor("grad.param." + name), tolerance: 1e-3, name)
        }
        let after = archive.tensors(withPrefix: "after.buffer.")
        XCTAssertEqual(after.count, 14)
        for (name, buffer) in backbone.namedBuffers where !name.hasSuffix("num_batches_tracked") {
            assertClose(buffer, try XCTUnwrap(after[name], name), tolerance: 1e-4, "after.buffer.\(name)")
        }
        for (name, buffer) in backbone.namedBuffers where name.hasSuffix("num_batches_tracked") {
            XCTAssertEqual(buffer.scalars, [1], name)
        }

        let evaluation = try backbone.forward([try archive.tensor("input.eval.x")], training: false)[0]
        let evaluationLogits = withoutGradients { Tensor.linear(evaluation, weight: fcWeight, bias: fcBias) }
        assertClose(evaluationLogits, try archive.tensor("output.eval.logits"), tolerance: 1e-4, "output.eval.logits")
    }

    /// The same weights written into the host's view of the parameters in place.
    func testResNetCIFARWeightsWrittenInPlaceGiveThePyTorchLogits() throws {
        let archive = try SafeTensorsArchive.fixture("resnet8_cifar.safetensors")
        let backbone = try backbone("resnet-cifar", #"{"depth": 8}"#)
        var state = archive.tensors(withPrefix: "param.")
        state.merge(archive.tensors(withPrefix: "buffer."), uniquingKeysWith: { a, _ in a })
        for (name, tensor) in backbone.namedParameters + backbone.namedBuffers where !name.hasSuffix("num_batches_tracked") {
            tensor.assign(try XCTUnwrap(state[name], name))
        }
        let features = try backbone.forward([try archive.tensor("input.x")], training: true)[0]
        let logits = withoutGradients {
            Tensor.linear(features, weight: try! archive.tensor("param.fc.weight"), bias: try! archive.tensor("param.fc.bias"))
        }
        assertClose(logits, try archive.tensor("output.logits"), tolerance: 1e-4, "output.logits")
    }

    func testResNetCIFARKeysDepthAndParameterCount() throws {
        let resnet32 = try backbone("resnet-cifar", "{}")
        let reference = CIFARResNet(depth: 32, classes: 100, random: RandomSource(seed: 1))
        let referenceCount = reference.parameters.reduce(0) { $0 + $1.count }
        XCTAssertEqual(parameterCount(resnet32) + 64 * 100 + 100, referenceCount)
        XCTAssertEqual(referenceCount, 470_004)   // 0.47 M
        var expected = Dictionary(uniqueKeysWithValues: (reference.namedParameters() + reference.namedBuffers()).map { ($0.0, $0.1.shape) })
        expected["fc.weight"] = nil
        expected["fc.bias"] = nil
        XCTAssertEqual(shapes(resnet32), expected)
        XCTAssertEqual(resnet32.namedBuffers.last?.0, "layer3.4.bn2.num_batches_tracked")

        XCTAssertEqual(try resnet32.outputShapes([[5, 3, 32, 32]]), [[5, 64]])
        XCTAssertThrowsError(try resnet32.outputShapes([[5, 1, 32, 32]]))
        let gray = try backbone("resnet-cifar", #"{"depth": 20, "in_channels": 1}"#)
        XCTAssertEqual(shapes(gray)["conv1.weight"], [16, 1, 3, 3])
        XCTAssertEqual(try gray.forward([Tensor.zeros([2, 1, 28, 28])], training: false)[0].shape, [2, 64])

        XCTAssertTrue(creationError("resnet-cifar", #"{"depth": 33}"#).contains("6n+2"))
    }

    // MARK: resnet

    func torchvisionKeys(_ model: String) throws -> (parameters: Int, shapes: [String: [Int]]) {
        let data = try Data(contentsOf: Fixtures.url("torchvision_resnet_keys.json"))
        let root = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let entry = try XCTUnwrap((root["models"] as? [String: Any])?[model] as? [String: Any], model)
        let keys = try XCTUnwrap(entry["state_dict"] as? [String: [Int]])
        return (try XCTUnwrap(entry["parameters"] as? Int), keys.filter { !$0.key.hasPrefix("fc.") })
    }

    func testResNetHasTorchvisionsKeysShapesAndParameterCounts() throws {
        for (depth, features) in [(18, 512), (34, 512), (50, 2048)] {
            let reference = try torchvisionKeys("resnet\(depth)")
            let resnet = try backbone("resnet", #"{"depth": \#(depth)}"#)
            XCTAssertEqual(shapes(resnet), reference.shapes, "resnet-\(depth)")
            XCTAssertEqual(parameterCount(resnet) + features * 1000 + 1000, reference.parameters, "resnet-\(depth)")
            XCTAssertEqual(try resnet.outputShapes([[2, 3, 224, 224]]), [[2, features]], "resnet-\(depth)")
        }
        XCTAssertEqual(try torchvisionKeys("resnet18").parameters, 11_689_512)
        XCTAssertEqual(try torchvisionKeys("resnet50").parameters, 25_557_032)
    }

    func testResNetTakesAnyImageOfAtLeast32Pixels() throws {
        let resnet = try backbone("resnet", "{}")
        XCTAssertEqual(try resnet.forward([Tensor.normal([2, 3, 40, 33], generator: &generator)], training: false)[0].shape,
                       [2, 512])
        XCTAssertThrowsError(try resnet.outputShapes([[2, 3, 31, 64]])) { error in
            XCTAssertTrue("\(error)".contains("H, W >= 32"), "\(error)")
        }
        XCTAssertTrue(creationError("resnet", #"{"depth": 101}"#).contains("depth"))
    }

    // MARK: pretrained

    func testPretrainedListsWrongKeysByName() throws {
        let module = try backbone("resnet-cifar", #"{"depth": 8}"#)
        var state = Dictionary(uniqueKeysWithValues: (module.namedParameters + module.namedBuffers).map { ($0.0, $0.1.copied()) })

        // An extra key (a checkpoint's classifier).
        var extra = state
        extra["fc.weight"] = Tensor.zeros([10, 64])
        let unexpected = creationError("resnet-cifar", #"{"depth": 8, "pretrained": \#(json(try temporaryWeights(extra)))}"#)
        XCTAssertTrue(unexpected.contains("unexpected keys: fc.weight"), unexpected)
        XCTAssertTrue(unexpected.contains("pretrained_strict"), unexpected)
        let relaxed = try backbone("resnet-cifar",
                                   #"{"depth": 8, "pretrained_strict": false, "pretrained": \#(json(try temporaryWeights(extra)))}"#)
        XCTAssertEqual(relaxed.namedParameters.count, module.namedParameters.count)

        // A renamed key: missing under its own name, unexpected under the other.
        var renamed = state
        renamed["conv0.weight"] = renamed.removeValue(forKey: "conv1.weight")
        let both = creationError("resnet-cifar", #"{"depth": 8, "pretrained": \#(json(try temporaryWeights(renamed)))}"#)
        XCTAssertTrue(both.contains("missing keys: conv1.weight"), both)
        XCTAssertTrue(both.contains("unexpected keys: conv0.weight"), both)

        // A key of the wrong shape, refused even when not strict.
        state["layer1.0.bn1.weight"] = Tensor.ones([17])
        let misshapen = try temporaryWeights(state)
        for strict in [true, false] {
            let message = creationError("resnet-cifar",
                                        #"{"depth": 8, "pretrained_strict": \#(strict), "pretrained": \#(json(misshapen))}"#)
            XCTAssertTrue(message.contains("shape mismatch for layer1.0.bn1.weight: expected [16], found [17]"), message)
        }

        let absent = creationError("mlp", #"{"in_dim": 4, "pretrained": "/nonexistent/weights.safetensors"}"#)
        XCTAssertTrue(absent.contains("/nonexistent/weights.safetensors"), absent)
    }

    func testPretrainedWeightsArrive() throws {
        let source = try backbone("mlp", #"{"in_dim": 6, "hidden": [5, 3]}"#)
        var state: [String: Tensor] = [:]
        for (name, tensor) in source.namedParameters {
            state[name] = Tensor.normal(tensor.shape, generator: &generator)
        }
        let loaded = try backbone("mlp", #"{"in_dim": 6, "hidden": [5, 3], "pretrained": \#(json(try temporaryWeights(state)))}"#)
        XCTAssertEqual(loaded.namedParameters.map(\.0), ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"])
        for (name, tensor) in loaded.namedParameters {
            XCTAssertEqual(tensor.scalars, state[name]?.scalars, name)
        }
    }

    // MARK: mlp, convnet, vit

    func testMLPFeaturesAreTheLastHiddenLayerAfterItsActivation() throws {
        let mlp = try backbone("mlp", #"{"in_dim": 784}"#)
        XCTAssertEqual(shapes(mlp), ["fc1.weight": [512, 784], "fc1.bias": [512], "fc2.weight": [512, 512], "fc2.bias": [512]])
        let features = try mlp.forward([Tensor.normal([3, 1, 28, 28], generator: &generator)], training: false)[0]
        XCTAssertEqual(features.shape, [3, 512])
        XCTAssertTrue(features.scalars.allSatisfy { $0 >= 0 }, "ReLU after the last layer")
        XCTAssertThrowsError(try mlp.outputShapes([[3, 785]]))
        XCTAssertTrue(creationError("mlp", "{}").contains("in_dim"))
        XCTAssertTrue(creationError("mlp", #"{"in_dim": 4, "activation": "tanh"}"#).contains("activation"))
    }

    func testConvNetShapesAndKeys() throws {
        let convnet = try backbone("convnet", "{}")
        XCTAssertEqual(shapes(convnet)["features.0.weight"], [32, 1, 3, 3])
        XCTAssertEqual(shapes(convnet)["features.4.weight"], [64, 32, 3, 3])
        XCTAssertEqual(shapes(convnet)["features.5.running_var"], [64])
        XCTAssertEqual(try convnet.forward([Tensor.normal([2, 1, 28, 28], generator: &generator)], training: true)[0].shape,
                       [2, 64])
        let colour = try backbone("convnet", #"{"in_channels": 3, "channels": [8, 16, 24]}"#)
        XCTAssertEqual(try colour.outputShapes([[2, 3, 32, 32]]), [[2, 24]])
        XCTAssertThrowsError(try colour.outputShapes([[2, 3, 4, 4]]))
    }

    func testViTOutputsTheClassTokenOrTheTokens() throws {
        let config = #""dim": 16, "depth": 2, "heads": 2, "patch_size": 8"#
        let cls = try backbone("vit", "{\(config)}")
        let tokens = try backbone("vit", #"{\#(config), "output": "tokens"}"#)
        let x = Tensor.normal([3, 3, 32, 32], generator: &generator)
        XCTAssertEqual(try cls.outputShapes([[3, 3, 32, 32]]), [[3, 16]])
        XCTAssertEqual(try tokens.outputShapes([[3, 3, 32, 32]]), [[3, 17, 16]])
        XCTAssertEqual(try tokens.forward([x], training: true)[0].shape, [3, 17, 16])
        let features = try cls.forward([x], training: false)[0]
        XCTAssertEqual(features.shape, [3, 16])
        // Same seed, same weights: the class features are the tokens' first row.
        let all = try tokens.forward([x], training: false)[0]
        assertClose(features, all.sliced(alongAxis: 1, 0..<1).reshaped([3, 16]), tolerance: 1e-6, "class token")

        let names = shapes(cls)
        XCTAssertEqual(names["cls_token"], [1, 1, 16])
        XCTAssertEqual(names["pos_embed"], [1, 17, 16])
        XCTAssertEqual(names["patch_embed.weight"], [16, 3, 8, 8])
        XCTAssertEqual(names["blocks.1.self_attn.in_proj_weight"], [48, 16])
        XCTAssertEqual(names["blocks.1.linear1.weight"], [64, 16])   // mlp_dim = 4 · dim
        XCTAssertEqual(names["norm.weight"], [16])
        XCTAssertThrowsError(try cls.outputShapes([[3, 3, 28, 28]]))
        XCTAssertTrue(creationError("vit", #"{"dim": 10, "heads": 3}"#).contains("divisible"))
        XCTAssertTrue(creationError("vit", #"{"image_size": 30, "patch_size": 4}"#).contains("multiple"))
    }

    func testViTDefaultsAreTinyLike() throws {
        let vit = try backbone("vit", "{}")
        let names = shapes(vit)
        XCTAssertEqual(names["pos_embed"], [1, 65, 192])
        XCTAssertEqual(names["blocks.5.linear1.weight"], [768, 192])
        XCTAssertNil(names["blocks.6.linear1.weight"])
        XCTAssertEqual(try vit.outputShapes([[2, 3, 32, 32]]), [[2, 192]])
    }
}
