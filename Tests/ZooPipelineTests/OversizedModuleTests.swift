import Foundation
import XCTest

/// A module configuration whose tensors could never be allocated ends the command with exit 1 and
/// the size it asked for, not with a trap in the allocator.
final class OversizedModuleTests: XCTestCase {
    func testAConfigurationLargerThanMemoryIsRefusedWithItsSize() throws {
        let folder = try Built.builtInFolder()
        let scratch = try Scratch()
        let memory = String(format: "%.1f", Double(ProcessInfo.processInfo.physicalMemory) / Double(1 << 30))
        let expected = [
            // 2^40 × 4 floats: more than any machine's memory.
            ("[1099511627776]", "a tensor of 4398046511104 floats (16384.0 GiB) is larger than this machine's memory (\(memory) GiB)"),
            ("[4611686018427387904]", "a tensor of shape [4611686018427387904, 4] has more elements than can be counted"),
        ]
        for (hidden, what) in expected {
            let manifest = try scratch.write("big.yaml", """
                zoo: 1
                plugins: [{name: zoo-backbones}, {name: zoo-heads}, {name: zoo-losses}]
                model:
                  backbone: {module: mlp, config: {hidden: \(hidden)}}
                  head: {module: linear}
                  losses: [{module: cross-entropy}]
                data: {format: synthetic, input_shape: [4], num_classes: 3}
                """)
            let run = try runZoo(["validate", manifest.path, "--plugin-path", folder.path], environment: [:])
            XCTAssertEqual(run.status, 1, run.output)
            XCTAssertEqual(run.output, "error: \(what): a configuration or an input asks for more than can be "
                           + "allocated; check the sizes in the manifest's module configurations\n")
        }
    }
}
