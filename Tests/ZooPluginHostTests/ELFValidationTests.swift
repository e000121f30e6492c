import Foundation
import XCTest
import ZooPluginHost
import ZooTestSupport

/// The ELF check that judges a plug-in file before `dlopen`: real libraries pass, and the damaged
/// files that once crashed the dynamic loader (`Tests/Fixtures/elf`, see its README) are refused
/// with the field and the reason.
final class ELFValidationTests: XCTestCase {
    static let fixtures = TestPlugins.packageRoot.appendingPathComponent("Tests/Fixtures/elf")

    func message(_ body: () throws -> Any) -> String {
        do { _ = try body(); return "no error" } catch { return "\(error)" }
    }

    func testBuiltPluginsAndTheBaseFilePass() throws {
        for name in ["ZooBackbones", "ZooHeads", "ZooLosses", "ZooRelations", "ZooExampleFocalLoss", "ZooExampleScaledHead"] {
            // SwiftPM links every product, the C example too, with the Swift runtime.
            let info = try ELFInspector.validate(path: try BuiltProducts.library(name).path)
            XCTAssertTrue(info.isSwift, name)
        }
        let c = try ELFInspector.validate(path: try TestPlugins.build([], name: "plain-c").path)
        XCTAssertFalse(c.isSwift)
        let base = try ELFInspector.validate(path: Self.fixtures.appendingPathComponent("lld-tls-base.so").path)
        XCTAssertTrue(base.needed.contains("libc.so.6"), "\(base.needed)")
    }

    func testFilesThatCrashedTheLoaderAreRefused() {
        let versym = Self.fixtures.appendingPathComponent("lld-versym-tag-mangled.so").path
        XCTAssertEqual(message { try ELFInspector.validate(path: versym) }, "DT_VERSYM: missing, but DT_VERNEED or DT_VERDEF is present")
        let jmprel = Self.fixtures.appendingPathComponent("lld-jmprel-retargeted.so").path
        XCTAssertEqual(message { try ELFInspector.validate(path: jmprel) },
                       "DT_JMPREL entry 0: relocation type 6 in the PLT relocations, expected JUMP_SLOT, TLSDESC or IRELATIVE")
        // Loading refuses them before dlopen, with the file's name.
        XCTAssertEqual(message { try PluginLibrary.load(file: URL(fileURLWithPath: versym)) },
                       "plug-in \(versym) is not a loadable shared library: DT_VERSYM: missing, but DT_VERNEED or DT_VERDEF is present")
    }

    func testHeadersThatLieAboutTheFileAreRefused() throws {
        var bytes = [UInt8](try Data(contentsOf: Self.fixtures.appendingPathComponent("lld-tls-base.so")))
        let folder = try TestPlugins.makeFolder()
        func write(_ name: String, _ change: (inout [UInt8]) -> Void) throws -> String {
            var copy = bytes
            change(&copy)
            let file = folder.appendingPathComponent(name)
            try Data(copy).write(to: file)
            return file.path
        }
        let truncated = try write("truncated.so") { $0.removeLast($0.count - 40) }
        XCTAssertEqual(message { try ELFInspector.validate(path: truncated) }, "file: 40 bytes, shorter than the 64-byte ELF header")
        let executable = try write("executable.so") { $0[16] = 2 }   // e_type ET_EXEC
        XCTAssertNotEqual(message { try ELFInspector.validate(path: executable) }, "no error")
        let phnum = try write("phnum.so") { $0[56] = 0xFF; $0[57] = 0xFF }   // e_phnum 0xFFFF
        XCTAssertNotEqual(message { try ELFInspector.validate(path: phnum) }, "no error")
        bytes[5] = 2   // big-endian
        let bigEndian = try write("big-endian.so") { _ in }
        XCTAssertNotEqual(message { try ELFInspector.validate(path: bigEndian) }, "no error")
    }
}
