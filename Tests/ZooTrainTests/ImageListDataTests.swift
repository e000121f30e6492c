import Foundation
import XCTest
import ZooData
import ZooManifest
import ZooTestSupport
@testable import ZooTrain

/// The `imagenet-lt-npy` data format through a manifest: list files and shards in a folder, read
/// lazily, cut, and trained on by the `zoo` command.
final class ImageListDataTests: XCTestCase {
    /// A `.npy` file of uint8 images `[n, 3, 4, 4]`, image i filled with i.
    static func shard(first: Int, count: Int) -> Data {
        var header = "{'descr': '|u1', 'fortran_order': False, 'shape': (\(count), 3, 4, 4), }"
        while (10 + header.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        let length = header.utf8.count
        let body = (first..<(first + count)).flatMap { Array(repeating: UInt8($0), count: 48) }
        return Data([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(length & 0xFF), UInt8(length >> 8)] + Array(header.utf8) + body)
    }

    /// `ImageNet_LT_train.txt` (labels `train`) and `ImageNet_LT_test.txt` (labels `test`) with one
    /// shard each, in `scratch`.
    static func write(in scratch: ScratchFolder, train: [Int], test: [Int]) throws {
        for (name, labels) in [("ImageNet_LT_train", train), ("ImageNet_LT_test", test)] {
            try scratch.write(name + ".txt", labels.enumerated().map { "x/\($0.offset).JPEG \($0.element)\n" }.joined())
            try shard(first: 0, count: labels.count).write(to: scratch.url.appendingPathComponent(name + "-00000.npy"))
        }
    }

    func manifest(train: String, test: String? = nil, classes: Int, longTail: LongTailSpec? = nil) -> Manifest {
        Manifest(model: ModelSpec(backbone: ModuleSpec(module: "mlp"), head: ModuleSpec(module: "linear"),
                                  losses: [LossSpec(module: "cross-entropy")]),
                 data: DataSpec(format: .imageList, train: train, test: test, inputShape: [3, 4, 4], numClasses: classes, longTail: longTail))
    }

    func testAFolderGivesBothListsAndTheLongTailCutKeepsTheImagesOnDisk() throws {
        let scratch = try ScratchFolder()
        try Self.write(in: scratch, train: [0, 0, 0, 0, 1, 1, 2, 0], test: [2, 1, 0])
        let data = try TrainingData.load(manifest(train: ".", classes: 4), folder: scratch.url)
        XCTAssertEqual(data.train.classCounts, [5, 2, 1, 0])
        XCTAssertEqual(data.test?.labels, [2, 1, 0])
        XCTAssertEqual(data.test?.classCount, 4)
        XCTAssertEqual(data.train.batch([6]).inputs.scalars.first, 6 / 255)

        let cut = try TrainingData.load(manifest(train: "ImageNet_LT_train.txt", test: "ImageNet_LT_test.txt", classes: 3,
                                                 longTail: LongTailSpec(ratio: 4, nMax: 4, seed: 0)), folder: scratch.url)
        XCTAssertEqual(cut.train.classCounts, [4, 2, 1])
        guard case .shards = cut.train.values else { return XCTFail("the cut should keep the images in the shards") }
        // Each row's image (image i is filled with i) is the listed image of that row's label, in list order.
        let pixels = cut.train.batch(Array(0..<7)).inputs.scalars
        let images = (0..<7).map { Int((pixels[$0 * 48] * 255).rounded()) }
        XCTAssertEqual(images.map { [0, 0, 0, 0, 1, 1, 2, 0][$0] }, cut.train.labels)
        XCTAssertEqual(images, images.sorted())
    }

    func testALabelOutsideNumClassesNamesTheLine() throws {
        let scratch = try ScratchFolder()
        try Self.write(in: scratch, train: [0, 1, 5], test: [0])
        XCTAssertThrowsError(try TrainingData.load(manifest(train: ".", classes: 3), folder: scratch.url)) { error in
            let list = scratch.url.appendingPathComponent("ImageNet_LT_train.txt").standardizedFileURL.path
            XCTAssertEqual("\(error)", "\(list): line 3: label 5 is outside 0..<3")
        }
        XCTAssertThrowsError(try TrainingData.load(manifest(train: "absent.txt", classes: 3), folder: scratch.url)) { error in
            XCTAssertTrue("\(error)".hasPrefix("data.train: file not found: "), "\(error)")
        }
    }

    func testZooTrainsOnListFilesWithShards() throws {
        let plugins = try BuiltProducts.pluginFolder()
        let scratch = try ScratchFolder()
        try Self.write(in: scratch, train: (0..<24).map { $0 % 3 }, test: [0, 1, 2, 0, 1, 2])
        let recipe = try scratch.write("run.yaml", """
            zoo: 1
            plugins: [{name: zoo-backbones}, {name: zoo-heads}, {name: zoo-losses}, {name: zoo-relations}]
            model:
              backbone: {module: mlp, config: {hidden: [8]}}
              relations: [{module: batchformer-v1, config: {heads: 2}}]
              head: {module: linear}
              losses: [{module: cross-entropy}]
            data: {format: imagenet-lt-npy, train: ., input_shape: [48], num_classes: 3}
            training: {epochs: 1, batch_size: 8}
            evaluation: {shot_groups: true}
            """)
        let run = scratch.url.appendingPathComponent("run")
        let result = try BuiltProducts.runZoo(["train", recipe.path, "--plugin-path", plugins.path, "--out", run.path])
        XCTAssertEqual(result.status, 0, result.output)
        XCTAssertTrue(result.output.contains("train: 24 samples in 3 classes"), result.output)
        XCTAssertTrue(FileManager.default.fileExists(atPath: run.appendingPathComponent("evaluation.json").path), result.output)
    }
}
