import Foundation
import XCTest
import ZooData

/// ImageNet-LT list files with `.npy` shards, written in a temporary folder: read lazily in list
/// order, and every inconsistency refused with the file (and line) that has it.
final class ImageListTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("zoo-image-list-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    /// A `.npy` file (format 1.0) of `descriptor` and `shape` holding `body`.
    func writeArray(_ name: String, shape: [Int], descriptor: String = "|u1", body: [UInt8]) throws {
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '\(descriptor)', 'fortran_order': False, 'shape': \(shapeText), }"
        while (10 + header.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        let length = UInt16(header.utf8.count)
        let bytes = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(length & 0xFF), UInt8(length >> 8)] + Array(header.utf8) + body
        try Data(bytes).write(to: folder.appendingPathComponent(name))
    }

    /// Image i's pixel k.
    func pixel(_ i: Int, _ k: Int) -> UInt8 { UInt8((i * 7 + k) % 256) }

    /// Shards of `counts` images `[3, 2, 2]`, numbered over all shards.
    func writeShards(_ stem: String, counts: [Int]) throws {
        var first = 0
        for (number, count) in counts.enumerated() {
            let body = (first..<(first + count)).flatMap { i in (0..<12).map { pixel(i, $0) } }
            try writeArray("\(stem)-\(String(format: "%05d", number)).npy", shape: [count, 3, 2, 2], body: body)
            first += count
        }
    }

    func writeList(_ name: String, labels: [Int]) throws {
        let text = labels.enumerated().map { "train/n0\($0.element)/image_\($0.offset).JPEG \($0.element)\n" }.joined()
        try text.write(toFile: path(name), atomically: true, encoding: .utf8)
    }

    func message(_ body: () throws -> Any) -> String {
        do { _ = try body(); return "no error" } catch { return "\(error)" }
    }

    func testImagesComeFromTheShardsInListOrder() throws {
        try writeList("ImageNet_LT_train.txt", labels: [2, 0, 1, 0, 2])
        try writeShards("ImageNet_LT_train", counts: [2, 3])
        let dataset = try ImageList.dataset(list: path("ImageNet_LT_train.txt"), classCount: 4)
        XCTAssertEqual(dataset.sampleShape, [3, 2, 2])
        XCTAssertEqual(dataset.labels, [2, 0, 1, 0, 2])
        XCTAssertEqual(dataset.classCounts, [2, 1, 2, 0])
        guard case .shards = dataset.values else { return XCTFail("the images should stay in the shards") }
        let (batch, labels) = dataset.batch([4, 1, 2])
        XCTAssertEqual(batch.shape, [3, 3, 2, 2])
        XCTAssertEqual(labels, [2, 0, 1])
        XCTAssertEqual(batch.scalars[0], Float(pixel(4, 0)) / 255)
        XCTAssertEqual(batch.scalars[12 + 11], Float(pixel(1, 11)) / 255)
        XCTAssertEqual(batch.scalars[24 + 5], Float(pixel(2, 5)) / 255, "the first image of the second shard")
        let subset = dataset.subset([3, 0])
        XCTAssertEqual(subset.labels, [0, 2])
        XCTAssertEqual(subset.batch([1, 0]).inputs.scalars[7], Float(pixel(0, 7)) / 255)
        XCTAssertEqual(subset.batch([0]).inputs.scalars[7], Float(pixel(3, 7)) / 255)
    }

    func testBlankLinesAreSkippedAndTheClassCountDefaultsToTheLargestLabel() throws {
        try "a.JPEG 1\n\nb.JPEG\t3\r\n\n".write(toFile: path("list.txt"), atomically: true, encoding: .utf8)
        try writeShards("list", counts: [2])
        let dataset = try ImageList.dataset(list: path("list.txt"))
        XCTAssertEqual(dataset.labels, [1, 3])
        XCTAssertEqual(dataset.classCount, 4)
    }

    func testBadLinesAreRefusedWithTheirLineNumber() throws {
        let list = path("list.txt")
        try "a.JPEG 0\nb.JPEG\nc.JPEG 1\n".write(toFile: list, atomically: true, encoding: .utf8)
        XCTAssertEqual(message { try ImageList.labels(list, classCount: 10) },
                       "\(list): line 2: expected an image path and an integer label, found \"b.JPEG\"")
        try "a.JPEG 0\nb.JPEG one\n".write(toFile: list, atomically: true, encoding: .utf8)
        XCTAssertEqual(message { try ImageList.labels(list, classCount: 10) },
                       "\(list): line 2: expected an image path and an integer label, found \"b.JPEG one\"")
        try "a.JPEG 0\nb.JPEG 1\n\nc.JPEG 1000\n".write(toFile: list, atomically: true, encoding: .utf8)
        XCTAssertEqual(message { try ImageList.labels(list, classCount: 1000) }, "\(list): line 4: label 1000 is outside 0..<1000")
        try "a.JPEG -1\n".write(toFile: list, atomically: true, encoding: .utf8)
        XCTAssertEqual(message { try ImageList.labels(list, classCount: nil) }, "\(list): line 1: label -1 is negative")
        try "\n\n".write(toFile: list, atomically: true, encoding: .utf8)
        XCTAssertEqual(message { try ImageList.labels(list, classCount: nil) },
                       "\(list): no samples: expected lines of an image path and an integer label")
        XCTAssertEqual(message { try ImageList.labels(self.path("absent.txt"), classCount: nil) }, "\(path("absent.txt")): cannot read the file")
    }

    func testMissingShardsAndWrongCountsAreRefused() throws {
        let list = path("ImageNet_LT_test.txt")
        try writeList("ImageNet_LT_test.txt", labels: [0, 1, 2, 3])
        XCTAssertEqual(message { try ImageList.dataset(list: list) },
                       "\(list): no image shards beside it: expected ImageNet_LT_test-00000.npy, ImageNet_LT_test-00001.npy, … "
                           + "(Examples/tools/imagenet_lt_to_npy.py makes them)")
        try writeShards("ImageNet_LT_test", counts: [1, 1, 1])
        XCTAssertEqual(message { try ImageList.dataset(list: list) },
                       "\(list): 4 samples listed, the 3 shards ImageNet_LT_test-00000.npy … ImageNet_LT_test-00002.npy hold 3 images")
        try FileManager.default.removeItem(atPath: path("ImageNet_LT_test-00001.npy"))
        XCTAssertEqual(message { try ImageList.dataset(list: list) },
                       "\(path("ImageNet_LT_test-00001.npy")): file not found, while ImageNet_LT_test-00002.npy is there: "
                           + "the shards are numbered from 00000 without gaps")
        try FileManager.default.removeItem(atPath: path("ImageNet_LT_test-00002.npy"))
        try writeShards("ImageNet_LT_test", counts: [6])
        XCTAssertEqual(message { try ImageList.dataset(list: list) },
                       "\(list): 4 samples listed, the shard ImageNet_LT_test-00000.npy holds 6 images")
    }

    func testDamagedShardsAreRefusedWithTheReason() throws {
        let list = path("list.txt")
        try writeList("list.txt", labels: [0, 1])
        let shard = path("list-00000.npy")
        try writeArray("list-00000.npy", shape: [2, 3, 2, 2], body: Array(repeating: 9, count: 20))
        XCTAssertEqual(message { try ImageList.dataset(list: list) }, "\(shard): shape [2, 3, 2, 2] of |u1 needs 24 bytes of data, the file has 20")
        try writeArray("list-00000.npy", shape: [2, 2, 2, 3], body: Array(repeating: 9, count: 24))
        XCTAssertEqual(message { try ImageList.dataset(list: list) },
                       "\(shard): expected images [n, 3, height, width] (channels first), found shape [2, 2, 2, 3]; "
                           + "transpose with images.transpose(0, 3, 1, 2)")
        try writeArray("list-00000.npy", shape: [2, 12], body: Array(repeating: 9, count: 24))
        XCTAssertEqual(message { try ImageList.dataset(list: list) },
                       "\(shard): expected images [n, 3, height, width] (channels first), found shape [2, 12]")
        try writeArray("list-00000.npy", shape: [2, 3, 1, 1], descriptor: "<f4", body: Array(repeating: 0, count: 24))
        XCTAssertEqual(message { try ImageList.dataset(list: list) }, "\(shard): images must be uint8 (|u1), found <f4")
        try writeArray("list-00000.npy", shape: [1, 3, 2, 2], body: Array(repeating: 9, count: 12))
        try writeArray("list-00001.npy", shape: [1, 3, 1, 4], body: Array(repeating: 9, count: 12))
        XCTAssertEqual(message { try ImageList.dataset(list: list) },
                       "\(path("list-00001.npy")): images of shape [3, 1, 4], the first shard's are [3, 2, 2]")
        try Data("not numpy".utf8).write(to: URL(fileURLWithPath: path("list-00001.npy")))
        XCTAssertEqual(message { try ImageList.dataset(list: list) }, "\(path("list-00001.npy")): wrong magic number: not a .npy file")
    }
}
