import Foundation
import XCTest

/// The example plug-ins' manifests validate, and `zoo models` lists the built-in zoo.
final class ExamplesTests: XCTestCase {
    static let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Examples")

    func testExamplePluginManifestsValidate() throws {
        let folder = try Built.builtInFolder()
        _ = try Built.pluginFolder("ZooExampleScaledHead", "ZooExampleFocalLoss")
        for (example, summary) in [("focal-loss", "losses.0=focal-loss"), ("scaled-head-c", "head=scaled-head")] {
            let manifest = Self.examples.appendingPathComponent("plugins/\(example)/manifest.yaml").path
            let result = try runZoo(["validate", manifest, "--plugin-path", folder.path], environment: [:])
            XCTAssertEqual(result.status, 0, "\(example): \(result.output)")
            XCTAssertTrue(result.output.contains(summary), result.output)
        }
    }

    func testModelsListsTheBuiltInZooWithParameterCounts() throws {
        let folder = try Built.builtInFolder()
        let result = try runZoo(["models", "--plugin-path", folder.path], environment: [:])
        XCTAssertEqual(result.status, 0, result.output)
        let lines = result.output.split(separator: "\n").map(String.init)
        func line(_ module: String) -> String? { lines.first { $0.hasPrefix(module.padding(toLength: 19, withPad: " ", startingAt: 0) + " ") } }
        for module in ["mlp", "resnet-cifar", "linear", "cross-entropy", "batchformer-v1", "batchformer-v2", "identity"] {
            XCTAssertNotNil(line(module), "\(module) missing from:\n\(result.output)")
        }
        // ResNet-32 without its classifier: 464,154 − 650 (a 64→10 fc) = 463,504 parameters.
        XCTAssertTrue(line("resnet-cifar")?.contains("463,504") ?? false, line("resnet-cifar") ?? "")
        XCTAssertTrue(line("cross-entropy")?.contains(" 0 ") ?? false, line("cross-entropy") ?? "")
        XCTAssertTrue(line("batchformer-v1")?.contains("needs dim") ?? false, line("batchformer-v1") ?? "")
    }

    func testDescribeGivesTheDefaultParameterCount() throws {
        let folder = try Built.builtInFolder()
        let text = try runZoo(["describe", "resnet-cifar", "--plugin-path", folder.path], environment: [:])
        XCTAssertEqual(text.status, 0, text.output)
        XCTAssertTrue(text.output.hasSuffix("parameters with the default configuration: 463,504\n"), text.output)
        XCTAssertTrue(text.output.contains(#"      example: {"depth":8,"in_channels":3} with inputs [4, 3, 32, 32]"# + "\n"), text.output)
        let needs = try runZoo(["describe", "batchformer-v1", "--plugin-path", folder.path, "--json"], environment: [:])
        XCTAssertTrue(needs.output.contains(#""parameters" : "needs dim""#) || needs.output.contains(#""parameters": "needs dim""#), needs.output)
    }

    /// Every example manifest trains for one epoch when its data is on this machine (synthetic data,
    /// or Fashion-MNIST from Debian's dataset-fashion-mnist), so that examples never rot; the others
    /// (CIFAR-100-LT and ImageNet-LT, whose data the user supplies) are validated. Every recipe of
    /// `Examples/recipes` is covered, whatever its name.
    func testEveryExampleManifestRunsOneEpochOrValidates() throws {
        let folder = try Built.builtInFolder()
        _ = try Built.pluginFolder("ZooExampleScaledHead", "ZooExampleFocalLoss")
        let recipes = try FileManager.default.contentsOfDirectory(atPath: Self.examples.appendingPathComponent("recipes").path)
            .filter { $0.hasSuffix(".yaml") && $0 != "base.yaml" }.sorted().map { "recipes/" + $0 }
        for expected in ["cifar100-lt-resnet32-batchformer", "cifar100-lt-resnet32-baseline",
                         "imagenet-lt-resnet50-batchformer", "imagenet-lt-resnet50-baseline"] {
            XCTAssertTrue(recipes.contains("recipes/\(expected).yaml"), "\(expected) missing from \(recipes)")
        }
        let manifests = recipes + ["plugins/focal-loss/manifest.yaml", "plugins/scaled-head-c/manifest.yaml"]
        let fashionMNIST = FileManager.default.fileExists(atPath: "/usr/share/datasets/fashion-mnist")
        for name in manifests {
            let manifest = Self.examples.appendingPathComponent(name).path
            let suppliedData = name.contains("cifar100") || name.contains("imagenet")
            let runnable = !suppliedData && (fashionMNIST || !name.contains("fashion"))
            let out = FileManager.default.temporaryDirectory.appendingPathComponent("zoo-example-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: out) }
            let arguments = runnable
                ? ["train", manifest, "--plugin-path", folder.path, "--set", "training.epochs=1", "--out", out.path]
                : ["validate", manifest, "--plugin-path", folder.path]
            let result = try runZoo(arguments, environment: [:])
            XCTAssertEqual(result.status, 0, "\(name): \(result.output)")
            if runnable {
                XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent("checkpoint.safetensors").path), name)
            }
        }
    }
}
