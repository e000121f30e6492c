import CZooPlugin
import Foundation
import XCTest
import ZooTestSupport
import ZooPluginHost

/// Loading the C test plug-in, and every refusal with its exact message.
final class PluginLoaderTests: XCTestCase {
    /// /proc/self/maps (its size reads as 0, so it is read to the end rather than by size).
    func processMaps() throws -> String {
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: "/proc/self/maps"))
        defer { try? handle.close() }
        return String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
    }

    /// The error `body` throws, as a PluginError.
    func loadError(_ body: () throws -> Void, file: StaticString = #filePath, line: UInt = #line) -> PluginError? {
        do {
            try body()
            XCTFail("expected an error", file: file, line: line)
            return nil
        } catch let error as PluginError {
            return error
        } catch {
            XCTFail("unexpected error \(error)", file: file, line: line)
            return nil
        }
    }

    func testLoadsTheDoublePlugin() throws {
        let file = try TestPlugins.build([], name: "double")
        let library = try PluginLibrary.load(file: file)
        XCTAssertEqual(library.path, file.path)
        XCTAssertEqual(library.name, "test-double")
        XCTAssertEqual(library.version, "1.0.0")
        XCTAssertEqual([library.abiMajor, library.abiMinor], [1, Int(ZOO_ABI_MINOR)])
        XCTAssertFalse(library.isSwift)
        XCTAssertEqual(library.sha256, SHA256.hex(try SHA256.hash(file: file.path)))
        XCTAssertEqual(library.modules.count, 1)
        let module = try XCTUnwrap(library.module(named: "double"))
        XCTAssertEqual(module.kind, .head)
        XCTAssertEqual(module.summary, "multiplies its input by a constant factor")
        XCTAssertEqual(module.documentation, "y = factor * x element-wise (factor 2 by default); dx = factor * dy. No parameters.")
        XCTAssertEqual([module.inputCount, module.outputCount], [1, 1])
        XCTAssertEqual(module.threading, .reentrant)
        XCTAssertEqual(module.batchEffect, .unchanged)
        XCTAssertFalse(module.trainingOnly)
        XCTAssertEqual(module.abiMinor, Int(ZOO_ABI_MINOR))
        XCTAssertEqual(module.structSize, MemoryLayout<zoo_module_descriptor>.size)
        XCTAssertEqual(module.configSchema.propertyNames, ["factor"])
        XCTAssertEqual(try module.validatedConfigJSON([:]), #"{"factor":2.0}"#)
        XCTAssertEqual(module.functions, module.raw.pointee.functions)
        XCTAssertEqual(String(cString: library.info.pointee.name), "test-double")
    }

    func testRunsTheModuleThroughItsFunctionTable() throws {
        let library = try PluginLibrary.load(file: try TestPlugins.build([], name: "double-run"))
        let module = try XCTUnwrap(library.module(named: "double"))
        let functions = module.functions.pointee
        let liveStates = unsafeBitCast(try XCTUnwrap(library.symbol(named: "test_plugin_live_states")),
                                       to: (@convention(c) () -> Int64).self)
        let liveModules = unsafeBitCast(try XCTUnwrap(library.symbol(named: "test_plugin_live_modules")),
                                        to: (@convention(c) () -> Int64).self)
        let recorder = LogRecorder()
        recorder.install()
        defer { HostServices.logHandler = nil }

        var instance: UnsafeMutableRawPointer?
        let config = try module.validatedConfigJSON(["factor": 3])
        try PluginCallError.check { functions.create!(HostServices.api, config, &instance, $0) }
        XCTAssertEqual(recorder.lines, ["info: created double with factor 3"])
        XCTAssertEqual(liveModules(), 1)

        func buffer(_ values: [Float]) -> UnsafeMutableBufferPointer<Float> {
            let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: values.count)
            _ = buffer.initialize(from: values)
            return buffer
        }
        let x = buffer([1, 2, 3, 4, 5, 6]), y = buffer(Array(repeating: 0, count: 6))
        let dy = buffer([1, 1, 1, 0.5, 0.5, 0.5]), dx = buffer(Array(repeating: 0, count: 6))
        let shape = UnsafeMutablePointer<Int64>.allocate(capacity: 2)
        shape.initialize(from: [2, 3], count: 2)
        defer {
            for b in [x, y, dy, dx] { b.deallocate() }
            shape.deallocate()
        }
        func tensor(_ data: UnsafeMutableBufferPointer<Float>) -> DLTensor {
            DLTensor(data: data.baseAddress, device: DLDevice(device_type: kDLCPU, device_id: 0), ndim: 2,
                     dtype: DLDataType(code: UInt8(kDLFloat.rawValue), bits: 32, lanes: 1), shape: shape, strides: nil,
                     byte_offset: 0)
        }
        var input = tensor(x), output = tensor(y), outputGradient = tensor(dy), inputGradient = tensor(dx)
        var state: UnsafeMutableRawPointer?
        try PluginCallError.check { functions.forward!(instance, ZOO_MODE_TRAIN, 1, &input, 1, &output, &state, $0) }
        XCTAssertNotNil(state)
        XCTAssertEqual(liveStates(), 1)
        try PluginCallError.check {
            functions.backward!(instance, state, 1, &outputGradient, 1, &inputGradient, 0, nil, $0)
        }
        functions.release_state!(instance, state)
        XCTAssertEqual(liveStates(), 0)

        // A backward without state reports its reason through the error slot.
        XCTAssertThrowsError(try PluginCallError.check("backward") {
            functions.backward!(instance, nil, 1, &outputGradient, 1, &inputGradient, 0, nil, $0)
        }) { error in
            XCTAssertEqual("\(error)", "invalid argument: backward: backward without a training forward's state")
        }
        XCTAssertEqual(Array(y), [3, 6, 9, 12, 15, 18])
        XCTAssertEqual(Array(dx), [3, 3, 3, 1.5, 1.5, 1.5])
        XCTAssertEqual(functions.parameter_count!(instance), 0)
        functions.destroy!(instance)
        XCTAssertEqual(liveModules(), 0)

        var refused: UnsafeMutableRawPointer?
        let (status, message) = PluginCallError.withErrorSlot { functions.create!(HostServices.api, #"{"factor": 0}"#, &refused, $0) }
        XCTAssertEqual(status, ZOO_ERROR_INVALID_CONFIG)
        XCTAssertEqual(message, "factor must not be 0, found 0")
        XCTAssertNil(refused)
    }

    func testA10PluginLoadsWithoutDocumentation() throws {
        let library = try PluginLibrary.load(file: try TestPlugins.build(["ABI_1_0"], name: "old"))
        XCTAssertEqual([library.abiMajor, library.abiMinor], [1, 0])
        let module = try XCTUnwrap(library.modules.first)
        XCTAssertEqual(module.structSize, 64)
        XCTAssertEqual(module.abiMinor, 0)
        XCTAssertNil(module.documentation, "a 1.0 descriptor has no documentation field")
        XCTAssertEqual(module.name, "double")
    }

    func testUnknownKindsAndTheOtherDescriptorFields() throws {
        let library = try PluginLibrary.load(file: try TestPlugins.build(["WITH_TRIPLE"], name: "triple"))
        XCTAssertEqual(library.modules.map(\.name), ["double", "triple"])
        let triple = library.modules[1]
        XCTAssertEqual(triple.kind, .other(42))
        XCTAssertEqual(triple.kind.description, "kind 42")
        XCTAssertEqual(triple.threading, .serialised)
        XCTAssertEqual(triple.batchEffect, .twoStream)
        XCTAssertTrue(triple.trainingOnly)
        XCTAssertNil(triple.documentation, "NULL documentation in a 1.1 descriptor")
        XCTAssertEqual(try triple.validatedConfigJSON([:]), #"{"factor":3}"#)
    }

    func testRefusesAnotherMajorVersion() throws {
        let file = try TestPlugins.build(["WRONG_MAJOR"], name: "major")
        let error = loadError { _ = try PluginLibrary.load(file: file) }
        XCTAssertEqual(error?.code, .versionMismatch)
        XCTAssertEqual(error?.step, .handshake)
        XCTAssertEqual(error?.path, file.path)
        XCTAssertEqual(error?.description,
                       "plug-in \(file.path) was built for plug-in ABI 2.3; this host speaks 1.3 (a different major version cannot load: rebuild the plug-in against this host's zoo_plugin.h)")
    }

    func testRefusesANewerMinorVersion() throws {
        let file = try TestPlugins.build(["NEWER_MINOR"], name: "minor")
        let error = loadError { _ = try PluginLibrary.load(file: file) }
        XCTAssertEqual(error?.code, .versionMismatch)
        XCTAssertEqual(error?.description,
                       "plug-in \(file.path) requires plug-in ABI 1.4; this host speaks 1.3 (update Zoo, or rebuild the plug-in against ABI 1.3)")
    }

    func testRefusesALibraryWithoutTheEntrySymbol() throws {
        let file = try TestPlugins.build(["NO_ENTRY"], name: "noentry")
        let error = loadError { _ = try PluginLibrary.load(file: file) }
        XCTAssertEqual(error?.code, .missingEntrySymbol)
        XCTAssertEqual(error?.step, .entrySymbol)
        XCTAssertEqual(error?.description,
                       "plug-in \(file.path) has no entry symbol zoo_plugin_entry_v1: it is not a Zoo plug-in (a plug-in exports const zoo_plugin_info *zoo_plugin_entry_v1(const zoo_host_api *, zoo_error *))")
    }

    func testNamesTheMajorVersionOfAnotherEntrySymbol() throws {
        let file = try TestPlugins.build(["ENTRY_V2"], name: "v2")
        let error = loadError { _ = try PluginLibrary.load(file: file) }
        XCTAssertEqual(error?.code, .versionMismatch)
        XCTAssertEqual(error?.description,
                       "plug-in \(file.path) exports zoo_plugin_entry_v2, the entry point of plug-in ABI 2; this host speaks 1.3 and looks for zoo_plugin_entry_v1 (rebuild the plug-in against this host's zoo_plugin.h)")
    }

    func testReportsTheEntryPointsOwnError() throws {
        let file = try TestPlugins.build(["ENTRY_FAILS"], name: "fails")
        let error = loadError { _ = try PluginLibrary.load(file: file) }
        XCTAssertEqual(error?.code, .entryFailed)
        XCTAssertEqual(error?.description, "plug-in \(file.path) failed to initialise: the test plug-in was built to fail (internal error)")
    }

    func testRefusesAFileThatIsNotALibrary() throws {
        let folder = try TestPlugins.makeFolder()
        let text = try TestPlugins.writeFile(String(repeating: "not a shared library\n", count: 10), named: "libbad.so", in: folder)
        let error = loadError { _ = try PluginLibrary.load(file: text) }
        XCTAssertEqual(error?.code, .notSharedLibrary)
        XCTAssertEqual(error?.step, .inspect, "refused before dlopen")
        XCTAssertEqual(error?.description,
                       "plug-in \(text.path) is not a loadable shared library: ELF header e_ident: magic is not 7f 45 4c 46 (not an ELF file)")

        let short = try TestPlugins.writeFile("hi\n", named: "libshort.so", in: folder)
        XCTAssertEqual(loadError { _ = try PluginLibrary.load(file: short) }?.description,
                       "plug-in \(short.path) is not a loadable shared library: file: 3 bytes, shorter than the 64-byte ELF header")
    }

    func testRefusesMissingFilesAndDirectories() throws {
        let folder = try TestPlugins.makeFolder()
        let missing = folder.appendingPathComponent("libnothing.so")
        let error = loadError { _ = try PluginLibrary.load(file: missing) }
        XCTAssertEqual(error?.code, .fileNotFound)
        XCTAssertEqual(error?.description, "plug-in file \(missing.path) not found")

        let directory = folder.appendingPathComponent("libdir.so")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: false)
        let notFile = loadError { _ = try PluginLibrary.load(file: directory) }
        XCTAssertEqual(notFile?.code, .notRegularFile)
        XCTAssertEqual(notFile?.description, "plug-in \(directory.path) is not a regular file (it is a directory)")
    }

    func testPinnedHashMustMatch() throws {
        let file = try TestPlugins.build([], name: "pinned")
        let actual = SHA256.hex(try SHA256.hash(file: file.path))
        let wrong = SHA256.hex(SHA256.hash(Array("abc".utf8)))
        let error = loadError { _ = try PluginLibrary.load(file: file, sha256: wrong) }
        XCTAssertEqual(error?.code, .hashMismatch)
        XCTAssertEqual(error?.step, .integrity)
        XCTAssertEqual(error?.description,
                       "refusing plug-in \(file.path): its SHA-256 is \(actual) but \(wrong) is pinned (the file changed since it was pinned; check it and update the pin)")

        let badPin = loadError { _ = try PluginLibrary.load(file: file, sha256: "12ab") }
        XCTAssertEqual(badPin?.code, .invalidPin)
        XCTAssertEqual(badPin?.description, "invalid pinned SHA-256 \"12ab\" for plug-in \(file.path): expected 64 hexadecimal digits")

        let library = try PluginLibrary.load(file: file, sha256: "sha256:" + actual.uppercased())
        XCTAssertEqual(library.sha256, actual)
        // The same file again is the same library; a wrong pin still refuses it.
        XCTAssertTrue(try PluginLibrary.load(file: file, sha256: actual) === library)
        XCTAssertEqual(loadError { _ = try PluginLibrary.load(file: file, sha256: wrong) }?.code, .hashMismatch)
    }

    func testRefusesWorldWritableFoldersAndFiles() throws {
        let folder = try TestPlugins.makeFolder(permissions: 0o777)
        let file = try TestPlugins.build([], name: "open-folder", in: folder)
        let error = loadError { _ = try PluginLibrary.load(file: file) }
        XCTAssertEqual(error?.code, .worldWritable)
        XCTAssertEqual(error?.step, .permissions)
        XCTAssertEqual(error?.description,
                       "refusing plug-in \(file.path): its folder \(folder.path) is writable by every user, so anyone could replace the library (remove the write permission for others, or allow world-writable plug-in folders explicitly)")
        XCTAssertEqual(try PluginLibrary.load(file: file, allowWorldWritable: true).name, "test-double")

        let writable = try TestPlugins.build([], name: "open-file")
        try FileManager.default.setAttributes([.posixPermissions: 0o666], ofItemAtPath: writable.path)
        XCTAssertEqual(loadError { _ = try PluginLibrary.load(file: writable) }?.description,
                       "refusing plug-in \(writable.path): the file is writable by every user, so anyone could change it (remove the write permission for others, or allow world-writable plug-in folders explicitly)")
    }

    func testRefusesInvalidDescriptors() throws {
        func message(_ defines: [String], _ name: String) throws -> (String, String?) {
            let file = try TestPlugins.build(defines, name: name)
            let error = loadError { _ = try PluginLibrary.load(file: file) }
            return (file.path, error?.description)
        }
        var (path, text) = try message(["ZERO_INPUTS"], "zero")
        XCTAssertEqual(text, "plug-in \(path): invalid descriptor of module \"double\" (modules[0]): input_count is 0; expected at least 1")
        (path, text) = try message(["NULL_BACKWARD"], "nullbackward")
        XCTAssertEqual(text, "plug-in \(path): invalid descriptor of module \"double\" (modules[0]): functions table: backward is NULL")
        (path, text) = try message(["SCHEMA_NOT_OBJECT"], "schema")
        XCTAssertEqual(text,
                       "plug-in \(path): invalid descriptor of module \"double\" (modules[0]): config_schema_json: expected a JSON object, found [1, 2]")
        (path, text) = try message([#"MODULE_NAME="Dou ble""#], "badmodule")
        XCTAssertEqual(text,
                       "plug-in \(path): invalid descriptor of module \"Dou ble\" (modules[0]): name \"Dou ble\" is not valid: use lowercase letters, digits, '-' and '_', beginning with a letter or digit")
        (path, text) = try message([#"NAME="Test""#], "badname")
        XCTAssertEqual(text,
                       "plug-in \(path): invalid zoo_plugin_info: name \"Test\" is not valid: use lowercase letters, digits, '-' and '_', beginning with a letter or digit")
        (path, text) = try message(["DUPLICATE_MODULE"], "twice")
        XCTAssertEqual(text, "plug-in \(path) offers module \"double\" twice (modules[0] and modules[1])")
    }

    func testCLibraryIsUnloadedWhenTheLastReferenceGoes() throws {
        let file = try TestPlugins.build([], name: "unload")
        func mapped() throws -> Bool { try processMaps().contains(file.path) }
        var library: PluginLibrary? = try PluginLibrary.load(file: file)
        XCTAssertTrue(try mapped())
        XCTAssertEqual(library?.isSwift, false)
        library = nil
        XCTAssertFalse(try mapped(), "dlclose unmapped the C library")
        // It loads again afterwards.
        XCTAssertEqual(try PluginLibrary.load(file: file).name, "test-double")
    }

    /// `/proc/self/fd/N` names stay attached to a loaded library after N is closed; a later file
    /// opened as N must not be mistaken for it.
    func testAReusedDescriptorNumberDoesNotReturnAnotherLibrary() throws {
        let stale = try TestPlugins.build([#"NAME="stale""#, #"MODULE_NAME="stale-module""#], name: "stale")
        let fresh = try TestPlugins.build([#"NAME="fresh""#], name: "fresh")
        let descriptor = open(stale.path, O_RDONLY | O_CLOEXEC)
        let handle = try XCTUnwrap(dlopen("/proc/self/fd/\(descriptor)", RTLD_NOW | RTLD_LOCAL))
        defer { dlclose(handle) }
        close(descriptor)  // the next open() in the loader gets this number again
        let library = try PluginLibrary.load(file: fresh)
        XCTAssertEqual(library.name, "fresh")
        XCTAssertEqual(library.modules.map(\.name), ["double"])
    }

    func testTellsSwiftLibrariesFromCLibraries() throws {
        let file = try TestPlugins.build([], name: "elf")
        let info = try XCTUnwrap(ELFInspector.inspect(path: file.path))
        XCTAssertTrue(info.needed.contains("libc.so.6"))
        XCTAssertFalse(info.isSwift)
        XCTAssertFalse(info.hasSwiftMetadata)

        // Foundation is mapped into this process and is built from Swift.
        let maps = try processMaps()
        let foundation = try XCTUnwrap(maps.split(separator: "\n").compactMap { line in
            line.split(separator: " ", omittingEmptySubsequences: true).last.map(String.init)
        }.first { $0.hasSuffix("/libFoundation.so") })
        let swift = try XCTUnwrap(ELFInspector.inspect(path: foundation))
        XCTAssertTrue(swift.needed.contains("libswiftCore.so"))
        XCTAssertTrue(swift.isSwift)
        XCTAssertTrue(swift.usesOrigin, "the toolchain's libraries find each other through $ORIGIN")

        let folder = try TestPlugins.makeFolder()
        XCTAssertNil(ELFInspector.inspect(path: try TestPlugins.writeFile("text", named: "text", in: folder).path))
    }
}

/// The example plug-ins the package builds (`libZooExampleFocalLoss.so` from Swift with
/// ZooPluginKit, `libZooExampleScaledHead.so` from C) load through the same checks.
final class ExamplePluginLoadingTests: XCTestCase {
    func exampleLibrary(_ fileName: String) throws -> URL {
        guard let found = BuiltProducts.file(fileName) else { throw MissingBuiltProduct(fileName, in: BuiltProducts.folder) }
        return found
    }

    func testSwiftExampleLoadsAndStaysLoaded() throws {
        let file = try exampleLibrary("libZooExampleFocalLoss.so")
        let library = try PluginLibrary.load(file: file)
        XCTAssertTrue(library.isSwift, "a Swift plug-in is loaded with RTLD_NODELETE")
        XCTAssertEqual([library.abiMajor], [1])
        XCTAssertFalse(library.modules.isEmpty)
        XCTAssertTrue(library.modules.allSatisfy { ModuleDescriptor.isValidName($0.name) })
    }

    func testCExampleLoads() throws {
        let library = try PluginLibrary.load(file: try exampleLibrary("libZooExampleScaledHead.so"))
        XCTAssertEqual(library.abiMajor, 1)
        XCTAssertFalse(library.modules.isEmpty)
    }
}
