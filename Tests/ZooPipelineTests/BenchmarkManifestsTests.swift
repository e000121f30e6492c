import Foundation
import XCTest
import ZooManifest
import ZooPipeline
import ZooPluginHost
import ZooValue

/// The manifests zoo-bench measures (`Benchmarks/manifests`) build their pipelines from the
/// built-in zoo with the shapes of docs/ARCHITECTURE.md §5, so that the benchmark never rots.
final class BenchmarkManifestsTests: XCTestCase {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Benchmarks/manifests")

    func testBenchmarkManifestsBuildTheDesignsWorkloads() throws {
        let plugins = try Built.builtInFolder()
        let mlp: [(String, JSONValue)] = [("in_dim", .integer(784)), ("hidden", .array([.integer(1024), .integer(1024)]))]
        let resnet: [(String, JSONValue)] = [("depth", .integer(32)), ("in_channels", .integer(3))]
        // File, backbone configuration, batch, feature width, BatchFormer's ffn width (nil: no BatchFormer).
        let cases: [(String, [(String, JSONValue)], Int, Int, Int?)] = [
            ("w1.yaml", mlp, 256, 1024, nil), ("w1-bf.yaml", mlp, 256, 1024, 1024),
            ("w2.yaml", resnet, 128, 64, nil), ("w2-bf.yaml", resnet, 128, 64, 64),
        ]
        for (file, backbone, batch, width, ffn) in cases {
            let (built, problems) = PipelineBuilder(pluginFolders: [plugins], environment: [:])
                .validate(file: Self.folder.appendingPathComponent(file))
            let pipeline = try XCTUnwrap(built, "\(file): \(problems.map(\.description))")
            XCTAssertEqual(pipeline.manifest.training.batchSize, batch, file)
            for (key, value) in backbone { XCTAssertEqual(pipeline.backbone.configuration[key], value, "\(file): \(key)") }
            let optimizer = pipeline.manifest.optimizer
            XCTAssertEqual([optimizer.learningRate, optimizer.momentum, optimizer.weightDecay], [0.01, 0.9, 0.0005], file)
            XCTAssertEqual(pipeline.relations.count, ffn == nil ? 0 : 1, file)
            if let relation = pipeline.relations.first {
                XCTAssertEqual(relation.descriptor.name, "batchformer-v1", file)
                for (key, value) in [("dim", width), ("heads", 4), ("ffn_dim", ffn!)] {
                    XCTAssertEqual(relation.configuration[key], .integer(Int64(value)), "\(file): \(key)")
                }
                XCTAssertEqual(relation.configuration["dropout"], .number(0.5), file)
            }
            let rows = ffn == nil ? batch : 2 * batch
            XCTAssertEqual(try pipeline.shapes(batch: batch, training: true).last?.1, [rows, 100], file)
            XCTAssertEqual(try pipeline.shapes(batch: batch, training: false).map(\.1), [[batch, width], [batch, 100]], file)
        }
    }
}
