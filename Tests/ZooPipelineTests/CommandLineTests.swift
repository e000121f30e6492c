import Foundation
import XCTest
import ZooManifest
import ZooPipeline
import ZooPluginHost
import ZooTensor
import ZooValue

/// The `zoo` commands, run as a user types them.
final class CommandLineTests: XCTestCase {
    func testValidatePrintsEveryProblemAndExitsTwo() throws {
        let scratch = try Scratch()
        let folder = try Built.pluginFolder("ZooExampleScaledHead", "ZooExampleFocalLoss")
        let url = try scratch.write("bad.yaml", """
            zoo: 1
            plugins:
              - name: scaled-head-c
              - name: focal-loss
            model:
              backbone: {module: mlp}
              head: {module: scaled-head, config: {in_features: 0, out_features: 3}}
              losses: [{module: focal-los}]
            trainig: {epochs: 1}
            """)
        let result = try runZoo(["validate", url.path, "--plugin-path", folder.path, "--set", "optimizer.name=adam"],
                                environment: [:])
        XCTAssertEqual(result.status, 2, result.output)
        XCTAssertEqual(result.output, """
            bad.yaml:9:1: trainig: unknown key (did you mean training?)
            --set optimizer.name=adam: optimizer.name: expected one of sgd, adamw, found "adam" (did you mean adamw?)
            bad.yaml:6:22: model.backbone.module: no loaded plug-in offers module "mlp"
            bad.yaml:8:21: model.losses[0].module: no loaded plug-in offers module "focal-los" (did you mean focal-loss?)
            4 problems in \(url.path)

            """, result.output)

        // Once the keys are right, the module configurations are checked too.
        try scratch.write("bad.yaml", try String(contentsOf: url, encoding: .utf8).replacingOccurrences(of: "trainig", with: "training"))
        let second = try runZoo(["validate", url.path, "--plugin-path", folder.path], environment: [:])
        XCTAssertEqual(second.status, 2, second.output)
        XCTAssertEqual(second.output, """
            bad.yaml:6:22: model.backbone.module: no loaded plug-in offers module "mlp"
            bad.yaml:8:21: model.losses[0].module: no loaded plug-in offers module "focal-los" (did you mean focal-loss?)
            bad.yaml:7:53: model.head.config.in_features: expected at least 1, found 0
            3 problems in \(url.path)

            """, second.output)
    }

    func testValidateAcceptsAGoodManifestAndWritesTheResolvedOne() throws {
        let folder = try Built.builtInFolder()
        let scratch = try Scratch()
        let url = try scratch.write("good.yaml", """
            zoo: 1
            plugins: [{name: zoo-backbones}, {name: zoo-heads}, {name: zoo-losses}, {name: zoo-relations}]
            model:
              backbone: {module: mlp, config: {hidden: [16]}}
              relations: [{module: batchformer-v1, learning_rate_multiplier: 0.1}]
              head: {module: linear}
              losses: [{module: cross-entropy}]
            data: {format: synthetic, input_shape: [8], num_classes: 4}
            """)
        let resolved = scratch.folder.appendingPathComponent("resolved.json")
        let result = try runZoo(["validate", url.path, "--resolved", resolved.path], environment: ["ZOO_PLUGIN_PATH": folder.path])
        XCTAssertEqual(result.status, 0, result.output)
        XCTAssertEqual(result.output, "ok: \(url.path) (backbone=mlp, relations.0=batchformer-v1, head=linear, losses.0=cross-entropy)\n")
        let manifest = try ManifestLoader.load(file: resolved).manifest
        XCTAssertEqual(manifest.plugins.first?.name, "zoo-backbones")
        XCTAssertEqual(manifest.plugins.first?.file, folder.appendingPathComponent("libZooBackbones.so").path)
        XCTAssertEqual(manifest.model.head.config["in_dim"], ManifestNode(.integer(16)))
    }

    func testTheRecipesValidate() throws {
        let folder = try Built.builtInFolder()
        let recipes = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Examples/recipes")
        for name in ["mlp-batchformer-synthetic.yaml", "cifar100-lt-resnet32-batchformer.yaml"] {
            let result = try runZoo(["validate", recipes.appendingPathComponent(name).path, "--plugin-path", folder.path], environment: [:])
            XCTAssertEqual(result.status, 0, "\(name): \(result.output)")
        }
    }

    func testPluginsListFindsTheLibrariesOfTheSearchPath() throws {
        let folder = try Built.pluginFolder("ZooExampleScaledHead", "ZooExampleFocalLoss")
        let text = try runZoo(["plugins", "list"], environment: ["ZOO_PLUGIN_PATH": folder.path])
        XCTAssertEqual(text.status, 0, text.output)
        XCTAssertTrue(text.output.contains("scaled-head-c 1.0.0  \(folder.path)/libZooExampleScaledHead.so\n  scaled-head [head] — "), text.output)
        XCTAssertTrue(text.output.contains("focal-loss 1.0.0  \(folder.path)/libZooExampleFocalLoss.so\n  focal-loss [loss] — "), text.output)

        let json = try runZoo(["plugins", "list", "--json", "--plugin-path", folder.path], environment: [:])
        XCTAssertEqual(json.status, 0, json.output)
        guard case .array(let entries) = try JSONValue.parse(json.output) else { return XCTFail(json.output) }
        let head = try XCTUnwrap(entries.first { $0["name"] == "scaled-head-c" })
        XCTAssertEqual(head["version"], "1.0.0")
        XCTAssertEqual(head["file"], .string("\(folder.path)/libZooExampleScaledHead.so"))
        guard case .array(let modules)? = head["modules"] else { return XCTFail(json.output) }
        XCTAssertEqual(modules.first?["name"], "scaled-head")
        XCTAssertEqual(modules.first?["kind"], "head")
    }

    func testPluginsInspectByPathOrNameAndDescribe() throws {
        let folder = try Built.pluginFolder("ZooExampleScaledHead")
        let byPath = try runZoo(["plugins", "inspect", "\(folder.path)/libZooExampleScaledHead.so", "--json"], environment: [:])
        XCTAssertEqual(byPath.status, 0, byPath.output)
        let value = try JSONValue.parse(byPath.output)
        XCTAssertEqual(value["name"], "scaled-head-c")
        guard case .array(let modules)? = value["modules"] else { return XCTFail(byPath.output) }
        XCTAssertEqual(modules.first?["config_schema"]?["required"], ["in_features", "out_features"])

        let byName = try runZoo(["plugins", "inspect", "ZooExampleScaledHead", "--plugin-path", folder.path], environment: [:])
        XCTAssertEqual(byName.status, 0, byName.output)
        XCTAssertTrue(byName.output.hasPrefix("scaled-head-c 1.0.0\n  file: \(folder.path)/libZooExampleScaledHead.so\n"), byName.output)

        let missing = try runZoo(["plugins", "inspect", "nothing-here", "--plugin-path", folder.path], environment: [:])
        XCTAssertEqual(missing.status, 2, missing.output)
        XCTAssertTrue(missing.output.contains("plug-in \"nothing-here\" not found"), missing.output)
        XCTAssertFalse(missing.output.contains("Usage:"), missing.output)

        // A file refused at run time: the message alone and exit 1; only a command-line mistake shows the usage.
        let text = FileManager.default.temporaryDirectory.appendingPathComponent("zoo-not-a-plugin-\(getpid()).so")
        try Data("not a library\n".utf8).write(to: text)
        defer { try? FileManager.default.removeItem(at: text) }
        let refused = try runZoo(["plugins", "inspect", text.path], environment: [:])
        XCTAssertEqual(refused.status, 1, refused.output)
        XCTAssertTrue(refused.output.hasPrefix("error: "), refused.output)
        XCTAssertFalse(refused.output.contains("Usage:"), refused.output)
        let mistake = try runZoo(["plugins", "inspect"], environment: [:])
        XCTAssertEqual(mistake.status, 2, mistake.output)
        XCTAssertTrue(mistake.output.contains("Usage: zoo plugins inspect"), mistake.output)

        let described = try runZoo(["describe", "scaled-head", "--json"], environment: ["ZOO_PLUGIN_PATH": folder.path])
        XCTAssertEqual(described.status, 0, described.output)
        let module = try JSONValue.parse(described.output)
        XCTAssertEqual(module["kind"], "head")
        XCTAssertEqual(module["plugin"], "scaled-head-c")
        XCTAssertEqual(module["training_only"], false)

        let typo = try runZoo(["describe", "scaled-haed"], environment: ["ZOO_PLUGIN_PATH": folder.path])
        XCTAssertEqual(typo.status, 2, typo.output)
        XCTAssertTrue(typo.output.contains("no loaded plug-in offers module \"scaled-haed\" (did you mean scaled-head?)"), typo.output)
    }

    func testModuleRunWritesOutputsAndGradients() throws {
        let folder = try Built.pluginFolder("ZooExampleScaledHead")
        let scratch = try Scratch()
        let weight: [Float] = [0.1, -0.2, 0.3, 0.4, -0.5, 0.6]  // [3, 2]
        let bias: [Float] = [0.01, 0.02, 0.03]
        let x: [Float] = [1, 2, -1, 0.5]  // [2, 2]
        let upstream: [Float] = [1, 0, 0, 0, 1, 2]  // [2, 3]
        let input = scratch.folder.appendingPathComponent("in.safetensors")
        try SafeTensorsArchive(tensors: [
            "param.weight": Tensor(shape: [3, 2], scalars: weight), "param.bias": Tensor(shape: [3], scalars: bias),
            "input.x": Tensor(shape: [2, 2], scalars: x), "input.upstream": Tensor(shape: [2, 3], scalars: upstream),
        ]).write(to: input)
        let output = scratch.folder.appendingPathComponent("out.safetensors")
        let result = try runZoo(["module", "run", "scaled-head", "--plugin", "\(folder.path)/libZooExampleScaledHead.so",
                                 "--config", #"{"in_features": 2, "out_features": 3, "scale": 2}"#,
                                 "--tensors", input.path, "--out", output.path, "--train", "--seed", "3"], environment: [:])
        XCTAssertEqual(result.status, 0, result.output)
        let archive = try SafeTensorsArchive(contentsOf: output)
        XCTAssertEqual(Set(archive.tensors.keys), ["output.y", "grad.input.x", "grad.param.weight", "grad.param.bias"])
        // y = 2 (x Wᵀ) + b
        var expected: [Float] = []
        for row in 0..<2 {
            for out in 0..<3 {
                expected.append(2 * (x[row * 2] * weight[out * 2] + x[row * 2 + 1] * weight[out * 2 + 1]) + bias[out])
            }
        }
        let y = try archive.tensor("output.y")
        XCTAssertEqual(y.shape, [2, 3])
        for (a, b) in zip(y.scalars, expected) { XCTAssertEqual(a, b, accuracy: 1e-6) }
        XCTAssertEqual(try archive.tensor("grad.param.bias").scalars, [1, 1, 2])
        XCTAssertEqual(try archive.tensor("grad.input.x").shape, [2, 2])
    }

    func testModuleRunRunsALossOnLogitsAndLabels() throws {
        let folder = try Built.pluginFolder("ZooExampleFocalLoss")
        let scratch = try Scratch()
        let logits: [Float] = [1, 2, 0.5, -1, 0, 3]  // [2, 3]
        let input = scratch.folder.appendingPathComponent("in.safetensors")
        try SafeTensorsArchive(tensors: ["input.logits": Tensor(shape: [2, 3], scalars: logits)],
                               indexTensors: ["input.labels": IndexTensor(shape: [2], values: [1, 2])]).write(to: input)
        let output = scratch.folder.appendingPathComponent("out.safetensors")
        let result = try runZoo(["module", "run", "focal-loss", "--plugin", "ZooExampleFocalLoss", "--plugin-path", folder.path,
                                 "--config", #"{"gamma": 0}"#, "--tensors", input.path, "--out", output.path], environment: [:])
        XCTAssertEqual(result.status, 0, result.output)
        XCTAssertEqual(result.output, "wrote output.loss to \(output.path)\n")
        // gamma 0 is cross-entropy: the mean of log Σ exp − the label's logit.
        func crossEntropy(_ row: ArraySlice<Float>, _ label: Int) -> Float {
            Float(log(row.map { exp(Double($0)) }.reduce(0, +))) - row[row.startIndex + label]
        }
        let expected = (crossEntropy(logits[0..<3], 1) + crossEntropy(logits[3..<6], 2)) / 2
        XCTAssertEqual(try SafeTensorsArchive(contentsOf: output).tensor("output.loss").scalars.first ?? .nan, expected, accuracy: 1e-5)
    }

    func testValidatePrintsTheResolvedManifest() throws {
        let folder = try Built.builtInFolder()
        let scratch = try Scratch()
        let url = try scratch.write("m.json", """
            {"zoo": 1, "plugins": [{"name": "zoo-backbones"}, {"name": "zoo-heads"}, {"name": "zoo-losses"}],
             "model": {"backbone": {"module": "mlp", "config": {"hidden": [4]}}, "head": {"module": "linear"},
                       "losses": [{"module": "cross-entropy"}]},
             "data": {"format": "synthetic", "input_shape": [3], "num_classes": 2}}
            """)
        let result = try runZoo(["validate", url.path, "--print-resolved", "--set", "training.epochs=3", "--plugin-path", folder.path],
                                environment: [:])
        XCTAssertEqual(result.status, 0, result.output)
        XCTAssertTrue(result.output.hasPrefix("zoo: 1\nplugins:\n- name: zoo-backbones\n  sha256: "), result.output)
        XCTAssertTrue(result.output.contains("\n  epochs: 3\n"), result.output)
        XCTAssertTrue(result.output.contains("    config:\n      num_classes: 2\n      in_dim: 4\n"), result.output)
    }

    func testModuleRunListsMissingAndMisShapedTensorsByName() throws {
        let folder = try Built.pluginFolder("ZooExampleScaledHead")
        let scratch = try Scratch()
        let input = scratch.folder.appendingPathComponent("in.safetensors")
        try SafeTensorsArchive(tensors: [
            "param.weight": Tensor(shape: [2, 2], scalars: [1, 2, 3, 4]), "param.bais": Tensor(shape: [3], scalars: [0, 0, 0]),
        ]).write(to: input)
        let result = try runZoo(["module", "run", "scaled-head", "--plugin", "\(folder.path)/libZooExampleScaledHead.so",
                                 "--config", #"{"in_features": 2, "out_features": 3}"#,
                                 "--tensors", input.path, "--out", scratch.folder.appendingPathComponent("out.safetensors").path],
                                environment: [:])
        XCTAssertEqual(result.status, 2, result.output)
        XCTAssertEqual(result.output, """
            \(input.path): param.weight: expected shape [3, 2], found [2, 2]
            \(input.path): param.bais: the module has no such tensor (did you mean param.bias?)
            \(input.path): input.x: missing (the module's input)

            """)
    }

    func testMissingManifestsAndUsageErrorsExitTwo() throws {
        let train = try runZoo(["train", "/nonexistent/recipe.yaml"])
        XCTAssertEqual(train.status, 2, train.output)
        XCTAssertTrue(train.output.contains("/nonexistent/recipe.yaml not found"), train.output)
        let usage = try runZoo(["validate"])
        XCTAssertEqual(usage.status, 2, usage.output)
        XCTAssertTrue(usage.output.contains("Missing expected argument '<manifest>'"), usage.output)
    }

    /// `--help` after a command prints that command's help and exits 0.
    func testHelpOfACommandIsItsUsage() throws {
        for (arguments, overview) in [(["train", "--help"], "OVERVIEW: Train a model from a manifest."),
                                      (["plugins", "lock", "--help"], "OVERVIEW: Write the plug-ins a manifest resolves to into a lock file (zoo.lock beside it).")] {
            let result = try runZoo(arguments, environment: [:])
            XCTAssertEqual(result.status, 0, result.output)
            // The help is wrapped at 80 columns.
            XCTAssertTrue(result.output.replacingOccurrences(of: "\n", with: " ").hasPrefix(overview + " "), result.output)
            XCTAssertTrue(result.output.contains("USAGE: zoo \(arguments.dropLast().joined(separator: " ")) <manifest>"), result.output)
        }
    }
}
