import Foundation
import XCTest
import ZooData

/// Each reader on small committed files (`Tests/Fixtures/data`, made by
/// `Tests/Fixtures/scripts/make_data_fixtures.py`) and on damaged copies.
final class ReaderTests: XCTestCase {
    static let data = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/data")
    func path(_ name: String) -> String { Self.data.appendingPathComponent(name).path }

    /// The fixtures' pixel k of image i.
    func pixel(_ i: Int, _ k: Int) -> Float { Float((i * 40 + k) % 256) / 255 }

    /// A damaged copy of a fixture in a temporary folder.
    func damaged(_ name: String, _ change: (inout [UInt8]) -> Void) throws -> String {
        var bytes = [UInt8](try Data(contentsOf: Self.data.appendingPathComponent(name)))
        change(&bytes)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("zoo-data-\(getpid())-\(name)")
        try Data(bytes).write(to: url)
        return url.path
    }

    func message(_ body: () throws -> Any) -> String {
        do { _ = try body(); return "no error" } catch { return "\(error)" }
    }

    func testIDXRawAndGzipReadTheSameSamples() throws {
        for suffix in ["", ".gz"] {
            let dataset = try IDX.dataset(images: path("images-idx3-ubyte" + suffix), labels: path("labels-idx1-ubyte" + suffix))
            XCTAssertEqual(dataset.sampleShape, [1, 4, 3])
            XCTAssertEqual(dataset.labels, [0, 1, 2, 0, 1, 2])
            XCTAssertEqual(dataset.classCounts, [2, 2, 2])
            let (batch, labels) = dataset.batch([5, 1])
            XCTAssertEqual(batch.shape, [2, 1, 4, 3])
            XCTAssertEqual(labels, [2, 1])
            XCTAssertEqual(batch.scalars[0], pixel(5, 0))
            XCTAssertEqual(batch.scalars[12 + 11], pixel(1, 11))
        }
    }

    func testDamagedIDXFilesAreRefusedWithTheReason() throws {
        let truncated = try damaged("images-idx3-ubyte") { $0.removeLast(5) }
        XCTAssertEqual(message { try IDX.read(truncated) }, "\(truncated): shape [6, 4, 3] needs 72 bytes of data, the file has 67 (truncated)")
        let magic = try damaged("images-idx3-ubyte") { $0[0] = 0x1F; $0[1] = 0x00 }
        XCTAssertEqual(message { try IDX.read(magic) }, "\(magic): wrong magic number 0x1F000803: not an IDX file")
        let type = try damaged("labels-idx1-ubyte") { $0[2] = 0x0D }
        XCTAssertEqual(message { try IDX.read(type) }, "\(type): data type 0x0D is not supported (expected 0x08, unsigned byte)")
        let shortGzip = try damaged("images-idx3-ubyte.gz") { $0.removeLast(20) }
        XCTAssertTrue(message { try IDX.read(shortGzip) }.hasPrefix("\(shortGzip): compressed data is damaged or truncated"))
        let fewerLabels = try damaged("labels-idx1-ubyte") { $0[7] = 5; $0.removeLast() }
        XCTAssertEqual(message { try IDX.dataset(images: path("images-idx3-ubyte"), labels: fewerLabels) },
                       "\(fewerLabels): 5 labels for 6 images in \(path("images-idx3-ubyte"))")
    }

    func testCIFARTenAndHundred() throws {
        let ten = try CIFAR.dataset(files: [path("cifar10.bin")], variant: .cifar10)
        XCTAssertEqual(ten.sampleShape, [3, 32, 32])
        XCTAssertEqual(ten.labels, [0, 1, 2, 0, 1, 2])
        XCTAssertEqual(ten.batch([3]).inputs.scalars[3071], pixel(3, 3071))
        let hundred = try CIFAR.dataset(files: [path("cifar100.bin")], variant: .cifar100)
        XCTAssertEqual(hundred.labels, [90, 91, 92, 93, 94, 95], "the fine label")
        XCTAssertEqual(hundred.classCount, 100)
        let truncated = try damaged("cifar10.bin") { $0.removeLast(100) }
        XCTAssertEqual(message { try CIFAR.dataset(files: [truncated], variant: .cifar10) },
                       "\(truncated): size 18338 bytes is not a whole number of 3073-byte CIFAR-10 records")
        XCTAssertEqual(message { try CIFAR.dataset(files: [self.path("cifar100.bin")], variant: .cifar10) },
                       "\(path("cifar100.bin")): size 18444 bytes is not a whole number of 3073-byte CIFAR-10 records")
    }

    func testNumPyArraysAndArchives() throws {
        let images = try NumPy.load(path("images.npy")), labels = try NumPy.load(path("labels.npy"))
        XCTAssertEqual(images.shape, [6, 4, 3])
        let dataset = try NumPy.dataset(images: images, labels: labels, file: path("images.npy"))
        XCTAssertEqual(dataset.labels, [0, 1, 2, 0, 1, 2])
        XCTAssertEqual(dataset.batch([4]).inputs.scalars[7], pixel(4, 7))

        let archive = try NumPy.loadArchive(path("data.npz"))
        XCTAssertEqual(Set(archive.keys), ["images", "labels"])
        let compressed = try NumPy.dataset(images: archive["images"]!, labels: archive["labels"]!, file: path("data.npz"))
        XCTAssertEqual(compressed.batch([2]).inputs.scalars[5], pixel(2, 5), accuracy: 1e-7)

        let truncated = try damaged("images.npy") { $0.removeLast(3) }
        XCTAssertEqual(message { try NumPy.load(truncated) }, "\(truncated): shape [6, 4, 3] of |u1 needs 72 bytes of data, the file has 69")
        let magic = try damaged("images.npy") { $0[1] = UInt8(ascii: "X") }
        XCTAssertEqual(message { try NumPy.load(magic) }, "\(magic): wrong magic number: not a .npy file")
        let cut = try damaged("data.npz") { $0.removeLast(30) }
        XCTAssertEqual(message { try NumPy.loadArchive(cut) }, "\(cut): not a zip archive (no end-of-central-directory record)")
        XCTAssertEqual(message { try NumPy.dataset(images: images, labels: images, file: "x.npz") },
                       "x.npz: labels must be a 1-dimensional integer array, found shape [6, 4, 3]")
    }

    func testCSVSkipsItsHeaderAndNamesBadCells() throws {
        let dataset = try CSV.dataset(path("features.csv"))
        XCTAssertEqual(dataset.sampleShape, [3])
        XCTAssertEqual(dataset.labels, [0, 1, 2, 0, 1, 2])
        XCTAssertEqual(dataset.batch([3]).inputs.scalars, [1.5, -3, 9])
        let bad = try damaged("features.csv") { bytes in
            bytes = Array(String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "1.0,-2", with: "1.0,x").utf8)
        }
        XCTAssertEqual(message { try CSV.dataset(bad) }, "\(bad): line 4, column 2: \"x\" is not a number")
    }
}
