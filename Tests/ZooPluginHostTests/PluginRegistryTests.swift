import Foundation
import XCTest
import ZooPluginHost

final class PluginRegistryTests: XCTestCase {
    func testModulesByQualifiedAndBareNameWithProvenance() throws {
        let folder = try TestPlugins.makeFolder()
        _ = try TestPlugins.build(["WITH_TRIPLE", #"NAME="scales""#], name: "scales", in: folder)
        let registry = PluginRegistry()
        let loader = PluginLoader(searchPath: PluginSearchPath(manifestFolder: folder, environment: [:]))
        let library = try registry.load(.name("scales"), using: loader)
        XCTAssertEqual(registry.modules.map(\.qualifiedName), ["scales/double", "scales/triple"])
        XCTAssertEqual(registry.modules(ofKind: .head).map(\.qualifiedName), ["scales/double"])

        let bare = try registry.module("triple")
        let qualified = try registry.module("scales/triple")
        XCTAssertTrue(bare.library === library && qualified.library === library)
        XCTAssertEqual(bare.descriptor.functions, qualified.descriptor.functions)
        XCTAssertEqual(bare.provenance, ModuleProvenance(
            moduleName: "triple", filePath: folder.appendingPathComponent("libscales.so").path, pluginName: "scales",
            pluginVersion: "1.0.0", sha256: SHA256.hex(try SHA256.hash(file: library.path))))
        XCTAssertEqual(bare.provenance.description,
                       "scales/triple 1.0.0 from \(library.path) (sha256 \(library.sha256))")

        // Loading the same file again changes nothing.
        XCTAssertTrue(try registry.load(.name("scales"), using: loader) === library)
        try registry.register(library)
        XCTAssertEqual(registry.libraries.count, 1)
    }

    func testLookupErrorsSuggestNames() throws {
        let registry = PluginRegistry()
        XCTAssertThrowsError(try registry.module("double")) { error in
            XCTAssertEqual("\(error)", "no loaded plug-in offers module \"double\" (no plug-ins are loaded)")
        }
        try registry.register(try PluginLibrary.load(file: try TestPlugins.build(["WITH_TRIPLE"], name: "lookup")))
        XCTAssertThrowsError(try registry.module("tripel")) { error in
            XCTAssertEqual((error as? PluginError)?.code, .moduleNotFound)
            XCTAssertEqual("\(error)", "no loaded plug-in offers module \"tripel\" (did you mean triple?)")
        }
        XCTAssertThrowsError(try registry.module("quadruple")) { error in
            XCTAssertEqual("\(error)",
                           "no loaded plug-in offers module \"quadruple\" (loaded modules: test-double/double, test-double/triple)")
        }
        XCTAssertThrowsError(try registry.module("test-dubble/double")) { error in
            XCTAssertEqual("\(error)", "no plug-in named \"test-dubble\" is loaded (did you mean test-double?)")
        }
        XCTAssertThrowsError(try registry.module("test-double/half")) { error in
            let path = registry.libraries[0].path
            XCTAssertEqual("\(error)", "plug-in \"test-double\" (\(path)) has no module \"half\" (it offers double, triple)")
        }
    }

    func testRefusesTheSameModuleNameFromTwoPlugins() throws {
        let one = try PluginLibrary.load(file: try TestPlugins.build([#"NAME="one""#], name: "one"))
        let two = try PluginLibrary.load(file: try TestPlugins.build([#"NAME="two""#], name: "two"))
        let registry = PluginRegistry()
        try registry.register(one)
        XCTAssertThrowsError(try registry.register(two)) { error in
            let error = error as! PluginError
            XCTAssertEqual(error.code, .duplicateModule)
            XCTAssertEqual(error.step, .registration)
            XCTAssertEqual(error.path, two.path)
            XCTAssertEqual(error.description,
                           "module \"double\" is offered by two plug-ins: \(one.path) (one 1.0.0) and \(two.path) (two 1.0.0); load only one of them")
        }
        XCTAssertEqual(registry.libraries.map(\.name), ["one"], "nothing of the refused library is registered")
    }

    func testRefusesTheSamePluginNameFromTwoFiles() throws {
        let first = try PluginLibrary.load(file: try TestPlugins.build([], name: "first"))
        let second = try PluginLibrary.load(file: try TestPlugins.build([#"MODULE_NAME="other""#], name: "second"))
        let registry = PluginRegistry()
        try registry.register(first)
        XCTAssertThrowsError(try registry.register(second)) { error in
            XCTAssertEqual((error as? PluginError)?.code, .duplicatePlugin)
            XCTAssertEqual("\(error)",
                           "plug-in name \"test-double\" is used by two libraries: \(first.path) and \(second.path); load only one of them")
        }
    }
}
