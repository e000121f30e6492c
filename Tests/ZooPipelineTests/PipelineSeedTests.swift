import Foundation
import XCTest
import ZooPipeline
import ZooPluginHost
import ZooTestSupport

/// A pipeline's modules take their seed from its manifest, not from a process-wide setting.
final class PipelineSeedTests: XCTestCase {
    func pipeline(seed: Int, scratch: Scratch) throws -> Pipeline {
        let file = try scratch.write("seed-\(seed)-\(UUID().uuidString).yaml", """
            zoo: 1
            plugins: [{name: zoo-backbones}, {name: zoo-heads}, {name: zoo-losses}]
            model:
              backbone: {module: mlp, config: {hidden: [8]}}
              head: {module: linear}
              losses: [{module: cross-entropy}]
            data: {format: synthetic, input_shape: [5], num_classes: 3}
            training: {seed: \(seed)}
            """)
        return try PipelineBuilder(pluginFolders: [try Built.builtInFolder()], environment: [:]).build(file: file)
    }

    func testEachPipelineDrawsItsWeightsFromItsManifestsSeed() throws {
        let scratch = try Scratch()
        let processSeed = HostServices.seed
        let (a, b, c) = (try pipeline(seed: 7, scratch: scratch), try pipeline(seed: 7, scratch: scratch),
                         try pipeline(seed: 8, scratch: scratch))
        XCTAssertEqual(HostServices.seed, processSeed, "building a pipeline sets nothing process-wide")
        XCTAssertEqual([a.host.seed, c.host.seed], [7, 8])
        let weights = { (p: Pipeline) in p.namedState.map { $0.1.scalars } }
        XCTAssertEqual(weights(a), weights(b), "the same seed gives the same weights, whatever was built before")
        XCTAssertNotEqual(weights(a), weights(c))
    }
}
