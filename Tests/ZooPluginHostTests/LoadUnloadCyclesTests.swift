import Foundation
import XCTest
import ZooPluginHost

/// A thousand load, create, destroy and unload cycles of a C plug-in leave resident memory and
/// the mappings as they were: nothing of a library or of its modules outlives it.
final class LoadUnloadCyclesTests: XCTestCase {
    func testAThousandCyclesOfTheCPluginDoNotGrowMemory() throws {
        let file = try TestPlugins.build([], name: "cycles")
        func cycle() throws {
            let library = try PluginLibrary.load(file: file)
            let module = try XCTUnwrap(library.module(named: "double"))
            let instance = try ModuleInstance(functions: module.functions, name: module.name,
                                              configuration: try module.validatedConfigJSON(["factor": 3]),
                                              reentrant: module.threading == .reentrant, owner: library)
            _ = instance
        }
        // Resident memory in bytes (`/proc/self/statm`, second field, in pages).
        func heapInUse() throws -> Int {
            let fields = try String(contentsOfFile: "/proc/self/statm", encoding: .utf8).split(separator: " ")
            return (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE)))
        }
        func mappings() throws -> Int { try String(contentsOfFile: "/proc/self/maps", encoding: .utf8).split(separator: "\n").count }
        for _ in 0..<50 { try cycle() }   // the allocator and the loader settle
        let heap = try heapInUse(), maps = try mappings()
        for _ in 0..<1000 { try cycle() }
        let grown = try heapInUse() - heap
        // Under AddressSanitizer freed memory waits in its quarantine, so resident memory says
        // nothing there; LeakSanitizer checks the same cycles at exit instead.
        if dlsym(UnsafeMutableRawPointer(bitPattern: 0), "__asan_init") == nil {
            XCTAssertLessThan(grown, 1 << 20, "resident memory grew by \(grown) bytes over 1,000 cycles")
        }
        XCTAssertEqual(try mappings(), maps, "every cycle unmaps the library")
        XCTAssertFalse(try String(contentsOfFile: "/proc/self/maps", encoding: .utf8).contains(file.path))
    }
}
