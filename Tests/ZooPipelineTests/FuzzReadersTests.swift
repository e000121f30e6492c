import Foundation
import XCTest
import ZooTestSupport

/// The bounded fuzz run of `make test`: every reader of `zoo-fuzz` (IDX, npy, npz, CSV, CIFAR,
/// ImageNet-LT lists and shards, safetensors, checkpoints, manifests, plug-in ELF files) on its
/// committed corpus (`Tests/Fixtures/fuzz`, which holds every crash input found so far) and 2,000
/// seeded mutants of it. Any crash or hang fails the test and names the input.
final class FuzzReadersTests: XCTestCase {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/fuzz")

    func testEveryReaderRefusesDamagedInputWithoutCrashing() throws {
        let fuzz = try BuiltProducts.executable("zoo-fuzz")
        let library = try BuiltProducts.library("ZooExampleScaledHead")
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("zoo-fuzz-test-\(getpid())")
        defer { try? FileManager.default.removeItem(at: work) }
        let run = try BuiltProducts.run(fuzz, ["all", "--seed", "20261207", "--count", "2000", "--corpus", Self.corpus.path,
                                               "--add-seed", "elf=\(library.path)", "--work", work.path])
        XCTAssertEqual(run.status, 0, "a reader crashed or hung; its input is in \(work.path):\n\(run.output)")
        XCTAssertTrue(run.output.contains("no crash and no hang"), run.output)
        for target in ["idx", "npy", "npz", "csv", "cifar", "imagenet-list", "imagenet-shard", "safetensors", "checkpoint", "manifest", "elf"] {
            XCTAssertTrue(run.output.contains("\n\(target): ") || run.output.hasPrefix("\(target): "), "\(target) did not run:\n\(run.output)")
        }
        // The seeds themselves are valid input: each target reads some of what it is given.
        let refusedAll = run.output.split(separator: "\n").filter { $0.contains(" 0 read,") }
        XCTAssertEqual(refusedAll, [], run.output)
        print(run.output)
    }
}
