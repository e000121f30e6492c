import Foundation
import XCTest
import ZooPluginHost

final class PluginSearchPathTests: XCTestCase {
    func touch(_ name: String, in folder: URL) throws -> URL {
        try TestPlugins.writeFile("", named: name, in: folder)
    }

    func testParsesZooPluginPath() {
        let parsed = PluginSearchPath.parse("/opt/zoo/plugins::relative:/home/me/zoo/../plugins/:")
        XCTAssertEqual(parsed.folders.map(\.path), ["/opt/zoo/plugins", "/home/me/plugins"])
        XCTAssertEqual(parsed.ignored, ["relative"])
        XCTAssertEqual(PluginSearchPath.parse("").folders, [])
    }

    func testFolderOrderIsExplicitThenManifestThenEnvironment() {
        let path = PluginSearchPath(
            explicit: [URL(fileURLWithPath: "/explicit"), URL(fileURLWithPath: "/shared")],
            manifestFolder: URL(fileURLWithPath: "/recipes/mnist"),
            environment: ["ZOO_PLUGIN_PATH": "/env/a:/shared:.", "PATH": "/usr/bin"], executable: nil)
        XCTAssertEqual(path.folders.map(\.path), ["/explicit", "/shared", "/recipes/mnist", "/env/a"])
        XCTAssertEqual(path.ignoredEnvironmentEntries, ["."])
        XCTAssertEqual(PluginSearchPath(environment: [:], executable: nil).folders, [], "no folder, not even the current directory")
    }

    /// After the explicit folders, the manifest's folder and ZOO_PLUGIN_PATH: the executable's own
    /// folder, then `../lib/zoo/plugins` beside it (the installed layout), each only when it exists
    /// and only at its first place.
    func testExecutableFoldersComeLastOnceEachAndOnlyWhenTheyExist() throws {
        let prefix = try TestPlugins.makeFolder()
        let bin = prefix.appendingPathComponent("bin", isDirectory: true)
        let installed = prefix.appendingPathComponent("lib/zoo/plugins", isDirectory: true)
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        let executable = bin.appendingPathComponent("zoo")
        let manifest = try TestPlugins.makeFolder(), environment = try TestPlugins.makeFolder()

        // Without lib/zoo/plugins, only the executable's folder is added.
        XCTAssertEqual(PluginSearchPath(manifestFolder: manifest, environment: ["ZOO_PLUGIN_PATH": environment.path], executable: executable)
                        .folders.map(\.path), [manifest.path, environment.path, bin.path])
        try FileManager.default.createDirectory(at: installed, withIntermediateDirectories: true)
        XCTAssertEqual(PluginSearchPath(manifestFolder: manifest, environment: ["ZOO_PLUGIN_PATH": environment.path], executable: executable)
                        .folders.map(\.path), [manifest.path, environment.path, bin.path, installed.path])

        // A folder named earlier (here through a symbolic link) is not searched again.
        let link = try TestPlugins.makeFolder().appendingPathComponent("plugins")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: installed)
        XCTAssertEqual(PluginSearchPath(explicit: [link], environment: ["ZOO_PLUGIN_PATH": bin.path], executable: executable).folders.map(\.path),
                       [link.path, bin.path])

        // A library there is found by name, after every earlier folder.
        let library = try touch("libzoo-heads.so", in: installed)
        XCTAssertEqual(try PluginSearchPath(environment: [:], executable: executable).locate(.name("zoo-heads")).path, library.path)
        XCTAssertThrowsError(try PluginSearchPath(environment: [:], executable: executable).locate(.name("zoo-losses"))) { error in
            XCTAssertEqual("\(error)",
                           "plug-in \"zoo-losses\" not found: looked for zoo-losses, zoo-losses.so, libzoo-losses.so, and for a sealed library (NAME.zoo.json) of that name, in \(bin.path), \(installed.path) (add its folder to ZOO_PLUGIN_PATH or give the library's path)")
        }
    }

    /// By default the executable is this process's, its symbolic links resolved.
    func testTheDefaultExecutableIsTheRunningProcess() throws {
        let running = try XCTUnwrap(PluginSearchPath.processExecutable)
        let argument = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.resolvingSymlinksInPath()
        XCTAssertEqual(running.path, argument.path)
        XCTAssertEqual(PluginSearchPath(environment: [:]).folders.first?.path, running.deletingLastPathComponent().path)
    }

    func testFindsTheFirstMatchInFolderThenNameOrder() throws {
        let first = try TestPlugins.makeFolder(), second = try TestPlugins.makeFolder(), third = try TestPlugins.makeFolder()
        _ = try touch("libfocal-loss.so", in: second)
        let bare = try touch("focal-loss", in: third)
        _ = try touch("focal-loss.so", in: third)
        let path = PluginSearchPath(explicit: [first], manifestFolder: second, environment: ["ZOO_PLUGIN_PATH": third.path], executable: nil)
        XCTAssertEqual(try path.locate(.name("focal-loss")).path, second.appendingPathComponent("libfocal-loss.so").path)

        let later = PluginSearchPath(explicit: [first], environment: ["ZOO_PLUGIN_PATH": third.path], executable: nil)
        XCTAssertEqual(try later.locate(.name("focal-loss")).path, bare.path, "NAME before NAME.so before libNAME.so")

        // A directory with the plug-in's name (its sources, say) is passed over.
        try FileManager.default.createDirectory(at: first.appendingPathComponent("focal-loss"), withIntermediateDirectories: false)
        XCTAssertEqual(try later.locate(.name("focal-loss")).path, bare.path)
        XCTAssertEqual(later.candidates(forName: "x").map(\.lastPathComponent), ["x", "x.so", "libx.so", "x", "x.so", "libx.so"])
    }

    func testNotFoundListsEveryFolder() throws {
        let first = try TestPlugins.makeFolder(), second = try TestPlugins.makeFolder()
        let path = PluginSearchPath(explicit: [first], manifestFolder: nil, environment: ["ZOO_PLUGIN_PATH": second.path], executable: nil)
        XCTAssertThrowsError(try path.locate(.name("batchformer"))) { error in
            let error = error as! PluginError
            XCTAssertEqual(error.code, .fileNotFound)
            XCTAssertEqual(error.step, .locate)
            XCTAssertEqual(error.description,
                           "plug-in \"batchformer\" not found: looked for batchformer, batchformer.so, libbatchformer.so, and for a sealed library (NAME.zoo.json) of that name, in \(first.path), \(second.path) (add its folder to ZOO_PLUGIN_PATH or give the library's path)")
        }
        XCTAssertThrowsError(try PluginSearchPath(environment: [:], executable: nil).locate(.name("batchformer"))) { error in
            XCTAssertEqual("\(error)",
                           "plug-in \"batchformer\" not found: there are no plug-in folders to look in (add its folder to ZOO_PLUGIN_PATH or give the library's path)")
        }
    }

    func testPathsAreRelativeToTheManifestFolder() throws {
        let manifest = try TestPlugins.makeFolder()
        try FileManager.default.createDirectory(at: manifest.appendingPathComponent("plugins"), withIntermediateDirectories: false)
        let library = try touch("plugins/libx.so", in: manifest)
        let path = PluginSearchPath(manifestFolder: manifest, environment: [:])
        XCTAssertEqual(try path.locate(.path("plugins/libx.so")).path, library.path)
        XCTAssertEqual(try path.locate(.path("./plugins/../plugins/libx.so")).path, library.path)
        XCTAssertEqual(try path.locate(.path(library.path)).path, library.path)
        XCTAssertThrowsError(try path.locate(.path("plugins/liby.so"))) { error in
            XCTAssertEqual("\(error)",
                           "plug-in file \(manifest.path)/plugins/liby.so not found (relative to the manifest folder \(manifest.path))")
        }
        XCTAssertThrowsError(try PluginSearchPath(environment: [:]).locate(.path("plugins/libx.so"))) { error in
            XCTAssertEqual("\(error)",
                           "plug-in path plugins/libx.so is relative but there is no manifest folder to resolve it against (give an absolute path)")
        }
    }

    func testReferencesFromManifestText() {
        XCTAssertEqual(PluginReference("focal-loss"), .name("focal-loss"))
        XCTAssertEqual(PluginReference("libfocal-loss.so"), .path("libfocal-loss.so"))
        XCTAssertEqual(PluginReference("plugins/focal"), .path("plugins/focal"))
    }

    func testLoaderFindsAndLoadsByName() throws {
        let folder = try TestPlugins.makeFolder()
        _ = try TestPlugins.build([], name: "test-double", in: folder)
        let loader = PluginLoader(searchPath: PluginSearchPath(environment: ["ZOO_PLUGIN_PATH": folder.path]))
        let library = try loader.load(.name("test-double"))
        XCTAssertEqual(library.path, folder.appendingPathComponent("libtest-double.so").path)
        XCTAssertEqual(library.name, "test-double")
    }
}
