import Foundation
import XCTest
import ZooTestSupport

/// Listing and inspecting plug-ins never runs their code: the host reads the metadata file that
/// `zoo plugin seal` wrote (checked against the library's SHA-256 and ELF headers), and a library
/// without one is reported, not loaded. The test library's constructor writes a marker file.
final class NoCodeBeforeTrustTests: XCTestCase {
    func testInspectAndListReadMetadataWithoutRunningTheLibrary() throws {
        let folder = try TestPlugins.makeFolder()
        let marker = folder.appendingPathComponent("constructor-ran")
        let library = try TestPlugins.build(["MARKER_FILE=\"\(marker.path)\""], name: "constructed", in: folder)
        func ran() -> Bool { FileManager.default.fileExists(atPath: marker.path) }
        let metadata = folder.appendingPathComponent("libconstructed.zoo.json").path

        let unsealed = try BuiltProducts.runZoo(["plugins", "inspect", library.path], environment: [:])
        XCTAssertEqual(unsealed.status, 1, unsealed.output)
        XCTAssertEqual(unsealed.output, "error: \(library.path) has no metadata file libconstructed.zoo.json, so it was not read: "
                       + "`zoo plugin seal \(library.path)` loads it once and writes one (or pass --load)\n")
        let listed = try BuiltProducts.runZoo(["plugins", "list", "--plugin-path", folder.path], environment: [:])
        XCTAssertEqual(listed.status, 0, listed.output)
        XCTAssertTrue(listed.output.hasPrefix("(not read) \(library.path): \(library.path) has no metadata file"), listed.output)
        let single = try BuiltProducts.runZoo(["plugin", "list", library.path], environment: [:])
        XCTAssertEqual(single.status, 1, single.output)
        let absent = folder.appendingPathComponent("libabsent.so").path
        let missing = try BuiltProducts.runZoo(["plugin", "list", absent], environment: [:])
        XCTAssertEqual(missing.status, 2, missing.output)
        XCTAssertEqual(missing.output, "error: plug-in file \(absent) not found\n")
        XCTAssertFalse(ran(), "inspecting or listing an unsealed library ran its constructor")

        // Sealing is the explicit act of trust: it loads the library (the constructor runs) once.
        let sealed = try BuiltProducts.runZoo(["plugin", "seal", library.path], environment: [:])
        XCTAssertEqual(sealed.status, 0, sealed.output)
        XCTAssertTrue(sealed.output.hasPrefix("\(metadata): test-double 1.0.0, 1 module, sha256 "), sealed.output)
        XCTAssertTrue(ran())
        try FileManager.default.removeItem(at: marker)

        let inspected = try BuiltProducts.runZoo(["plugins", "inspect", library.path, "--json"], environment: [:])
        XCTAssertEqual(inspected.status, 0, inspected.output)
        XCTAssertTrue(inspected.output.contains("\"name\": \"test-double\""), inspected.output)
        XCTAssertTrue(inspected.output.contains("\"name\": \"double\""), inspected.output)
        let byName = try BuiltProducts.runZoo(["plugins", "inspect", "test-double", "--plugin-path", folder.path], environment: [:])
        XCTAssertEqual(byName.status, 0, byName.output)
        XCTAssertTrue(byName.output.hasPrefix("test-double 1.0.0\n  file: \(library.path)\n"), byName.output)
        let listedSealed = try BuiltProducts.runZoo(["plugins", "list", "--plugin-path", folder.path], environment: [:])
        XCTAssertTrue(listedSealed.output.hasPrefix("test-double 1.0.0  \(library.path)\n  double [head]"), listedSealed.output)
        XCTAssertFalse(ran(), "inspecting or listing a sealed library ran its constructor")

        // A library changed after sealing is refused, by inspection and by loading, before its code runs.
        let handle = try FileHandle(forWritingTo: library)
        handle.seekToEndOfFile()
        handle.write(Data([0]))
        try handle.close()
        let stale = try BuiltProducts.runZoo(["plugins", "inspect", library.path], environment: [:])
        XCTAssertEqual(stale.status, 1, stale.output)
        XCTAssertTrue(stale.output.contains("its metadata file \(metadata) describes a library with SHA-256 "), stale.output)
        let loaded = try BuiltProducts.runZoo(["plugins", "inspect", library.path, "--load"], environment: [:])
        XCTAssertEqual(loaded.status, 1, loaded.output)
        XCTAssertTrue(loaded.output.contains("the library changed since `zoo plugin seal`; seal it again"), loaded.output)
        XCTAssertFalse(ran(), "a library that no longer matches its metadata ran its constructor")
        // Sealing again makes it trusted again.
        let resealed = try BuiltProducts.runZoo(["plugin", "seal", library.path], environment: [:])
        XCTAssertEqual(resealed.status, 0, resealed.output)
        XCTAssertEqual(try BuiltProducts.runZoo(["plugins", "inspect", library.path], environment: [:]).status, 0)
        try FileManager.default.removeItem(at: marker)

        // The control: --load on a library without metadata does run it.
        try FileManager.default.removeItem(atPath: metadata)
        let forced = try BuiltProducts.runZoo(["plugins", "inspect", library.path, "--load"], environment: [:])
        XCTAssertEqual(forced.status, 0, forced.output)
        XCTAssertTrue(ran())
    }
}
