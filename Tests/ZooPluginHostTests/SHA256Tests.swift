import Foundation
import XCTest
import ZooPluginHost

/// SHA-256 against the FIPS 180-4 / NIST example vectors, fed whole, byte by byte and from a file.
final class SHA256VectorTests: XCTestCase {
    func hex(_ text: String) -> String { SHA256.hex(SHA256.hash(Array(text.utf8))) }

    func testStandardVectors() {
        XCTAssertEqual(hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        XCTAssertEqual(
            hex("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"),
            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1")
    }

    func testOneMillionAsInUnevenPieces() {
        var hasher = SHA256()
        let piece = [UInt8](repeating: UInt8(ascii: "a"), count: 999)
        var fed = 0
        while fed < 1_000_000 {
            let count = min(piece.count - fed % 7, 1_000_000 - fed)
            piece.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
            fed += count
        }
        XCTAssertEqual(SHA256.hex(hasher.finalize()), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    func testPaddingBoundariesAgreeWithOneShot() {
        // Lengths around the 55/56/64-byte padding edges, fed byte by byte.
        for length in [55, 56, 57, 63, 64, 65, 119, 120, 128] {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            var hasher = SHA256()
            for byte in bytes { hasher.update([byte]) }
            XCTAssertEqual(hasher.finalize(), SHA256.hash(bytes), "length \(length)")
        }
    }

    func testHashesAFileThroughItsDescriptor() throws {
        let folder = try TestPlugins.makeFolder()
        let file = try TestPlugins.writeFile(String(repeating: "a", count: 1_000_000), named: "million", in: folder)
        XCTAssertEqual(SHA256.hex(try SHA256.hash(file: file.path)),
                       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        let descriptor = open(file.path, O_RDONLY)
        defer { close(descriptor) }
        _ = lseek(descriptor, 100, SEEK_SET)
        XCTAssertEqual(SHA256.hex(try SHA256.hash(fileDescriptor: descriptor)),
                       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0", "hashes from offset 0")
        XCTAssertEqual(lseek(descriptor, 0, SEEK_CUR), 100, "the descriptor's offset does not move")
    }
}
