import Foundation
import XCTest
@testable import ZooData

/// Sizes, counts and shapes from a file that would overflow, exceed the file or the memory budget,
/// or index outside a table: each is refused with the file, the field and what was found.
final class HostileInputTests: XCTestCase {
    func temporary(_ name: String, _ bytes: [UInt8]) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("zoo-hostile-\(getpid())-\(name)")
        try Data(bytes).write(to: url)
        return url.path
    }

    func message(_ body: () throws -> Any) -> String {
        do { _ = try body(); return "no error" } catch { return "\(error)" }
    }

    /// A version 1.0 `.npy` file with this header dictionary and data.
    func npy(_ dictionary: String, data: [UInt8] = []) -> [UInt8] {
        var header = Array(dictionary.utf8)
        while (10 + header.count + 1) % 64 != 0 { header.append(UInt8(ascii: " ")) }
        header.append(UInt8(ascii: "\n"))
        return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.count & 0xFF), UInt8(header.count >> 8)] + header + data
    }

    func testIDXExtentsWhoseProductOverflowsAreRefused() throws {
        let file = try temporary("huge-idx3-ubyte", [0, 0, 8, 3] + Array(repeating: 0xFF, count: 12) + [1, 2, 3])
        XCTAssertEqual(message { try IDX.read(file) },
                       "\(file): extents: shape [4294967295, 4294967295, 4294967295] has more elements than can be counted")
        let labels = try temporary("labels-idx1-ubyte", [0, 0, 8, 1, 0, 0, 0, 2, 3, 7])
        let images = try temporary("images-idx3-ubyte", [0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 5])
        XCTAssertEqual(message { try IDX.dataset(images: images, labels: labels) }, "\(labels): samples of shape [1, 0, 5] have no elements")
    }

    func testNumPyShapesThatAreNotCountsAreRefused() throws {
        let negative = try temporary("negative.npy", npy("{'descr': '|u1', 'fortran_order': False, 'shape': (-1, 3), }"))
        XCTAssertEqual(message { try NumPy.load(negative) },
                       "\(negative): shape (-1, 3): extent \"-1\" is not a non-negative integer")
        let word = try temporary("word.npy", npy("{'descr': '|u1', 'fortran_order': False, 'shape': (2, x), }"))
        XCTAssertEqual(message { try NumPy.load(word) }, "\(word): shape (2, x): extent \"x\" is not a non-negative integer")
        let overflow = try temporary("overflow.npy", npy("{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904, 4), }"))
        XCTAssertEqual(message { try NumPy.load(overflow) },
                       "\(overflow): shape: shape [4611686018427387904, 4] has more elements than can be counted")
        let bytes = try temporary("bytes.npy", npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1152921504606846976, 2), }"))
        XCTAssertEqual(message { try NumPy.load(bytes) },
                       "\(bytes): shape [1152921504606846976, 2] of <f8 needs more than Int.max bytes of data, the file has 0")
        let long = try temporary("long.npy", Array(npy("{}").prefix(8)) + [0xFF, 0xFF])
        XCTAssertEqual(message { try NumPy.load(long) }, "\(long): header length: 65535 bytes, more than the 0 the file has after it")
        let scalar = try NumPy.load(try temporary("scalar.npy", npy("{'descr': '|u1', 'fortran_order': False, 'shape': (), }", data: [7])))
        XCTAssertEqual(scalar.shape, [])
        let labels = NumPy.Array(shape: [2], elements: .integers([0, 1 << 40]))
        let images = NumPy.Array(shape: [2, 1], elements: .floats([1, 2]))
        XCTAssertEqual(message { try NumPy.dataset(images: images, labels: labels, file: "x.npz") },
                       "x.npz: sample 1 has label 1099511627776, expected a label in 0..<16777216 (the most classes a data file may use)")
    }

    func testZipMembersAreCheckedAgainstTheirCRCAndTheirDirectorySize() throws {
        let original = [UInt8](try Data(contentsOf: ReaderTests.data.appendingPathComponent("data.npz")))
        // The second central-directory entry (labels.npy): its CRC-32 is at +16, its size at +24.
        let entries = (0..<(original.count - 4)).filter { original[$0..<($0 + 4)] == [0x50, 0x4B, 0x01, 0x02] }
        XCTAssertEqual(entries.count, 2)
        var badCRC = original
        badCRC[entries[1] + 16] ^= 0x01
        let crcFile = try temporary("crc.npz", badCRC)
        XCTAssertEqual(message { try NumPy.loadArchive(crcFile) },
                       "\(crcFile): member labels.npy: CRC-32 of the data is 0x12B4D357, the directory says 0x12B4D356 (damaged)")
        var small = original
        small[entries[1] + 24] = 100   // 176 bytes inflated, the directory says 100
        let smallFile = try temporary("small.npz", small)
        XCTAssertEqual(message { try NumPy.loadArchive(smallFile) },
                       "\(smallFile)[labels.npy]: compressed data decompresses to more than the 100 bytes its directory entry says")
        var offset = original
        offset[entries[1] + 42] = 0xF0; offset[entries[1] + 43] = 0xFF   // local header offset 0xFFF0, past the end
        let offsetFile = try temporary("offset.npz", offset)
        XCTAssertEqual(message { try NumPy.loadArchive(offsetFile) },
                       "\(offsetFile): member labels.npy: local header at byte 65520 lies outside the file's \(original.count) bytes (truncated?)")
    }

    func testCSVLabelsAndWidthsAreChecked() throws {
        let huge = try temporary("huge.csv", Array("1.0,2.0,0\n3.0,4.0,99999999999\n".utf8))
        XCTAssertEqual(message { try CSV.dataset(huge) },
                       "\(huge): sample 1 has label 99999999999, expected a label in 0..<16777216 (the most classes a data file may use)")
        let single = try temporary("single.csv", Array("0\n1\n".utf8))
        XCTAssertEqual(message { try CSV.dataset(single) }, "\(single): line 1: 1 cell, expected features and a label column")
    }

    func testTheMemoryBudgetIsReadFromItsVariable() {
        XCTAssertEqual(ReadLimits.budget(from: "512M"), 512 << 20)
        XCTAssertEqual(ReadLimits.budget(from: "3g"), 3 << 30)
        XCTAssertEqual(ReadLimits.budget(from: "4096"), 4096)
        let physical = Int(clamping: ProcessInfo.processInfo.physicalMemory)
        XCTAssertEqual(ReadLimits.budget(from: nil), physical)
        XCTAssertEqual(ReadLimits.budget(from: "lots"), physical)
        XCTAssertEqual(ReadLimits.budget(from: "9999999999999G"), Int.max)
        XCTAssertEqual(ReadLimits.describe(3 << 30), "3.0 GiB (3221225472 bytes)")
    }
}
