import Foundation
import XCTest
import ZooTestSupport

/// `make install` (its script, `Scripts/install.sh`, run on this build so nothing is rebuilt) and
/// the default search path: an installed `zoo` finds the built-in zoo in `../lib/zoo/plugins`, a
/// built one beside itself, and a C plug-in builds against the installed header with pkg-config.
final class InstallTests: XCTestCase {
    static let script = CCompiler.packageRoot.appendingPathComponent("Scripts/install.sh")
    /// The modules of the four built-in libraries, and none of the examples'.
    static let builtInModules: Set<String> = [
        "mlp", "convnet", "resnet-cifar", "resnet", "vit", "linear", "cosine", "tau-norm", "mlp-head",
        "cross-entropy", "label-smoothing", "focal", "class-balanced", "balanced-softmax", "logit-adjusted", "ldam",
        "batchformer-v1", "batchformer-v2", "identity",
    ]

    /// The module names of `zoo models`'s table.
    func modules(_ output: String) -> Set<String> {
        Set(output.split(separator: "\n").dropFirst().compactMap { $0.split(separator: " ").first.map(String.init) })
    }

    func install(_ arguments: [String], prefix: String, destination: String = "") throws -> (status: Int32, output: String) {
        try BuiltProducts.run(URL(fileURLWithPath: "/bin/sh"), [Self.script.path] + arguments,
                              environment: ["PREFIX": prefix, "DESTDIR": destination, "PATH": "/usr/bin:/bin"])
    }

    /// Every file under `folder`, relative to it.
    func files(under folder: URL) -> [String] {
        let enumerator = FileManager.default.enumerator(atPath: folder.path)
        return (enumerator?.allObjects as? [String] ?? []).filter { path in
            var isFolder: ObjCBool = false
            return FileManager.default.fileExists(atPath: folder.appendingPathComponent(path).path, isDirectory: &isFolder) && !isFolder.boolValue
        }.sorted()
    }

    func testModelsWithNoFlagsListsTheZooBesideTheBuiltExecutable() throws {
        _ = try Built.builtInFolder()
        let result = try runZoo(["models"], environment: [:])
        XCTAssertEqual(result.status, 0, result.output)
        XCTAssertTrue(result.output.hasPrefix("module              kind       parameters   summary\n"), result.output)
        // The build folder holds the example plug-ins too.
        XCTAssertEqual(modules(result.output), Self.builtInModules.union(["focal-loss", "scaled-head"]), result.output)
    }

    func testInstallIntoAPrefixThenUninstall() throws {
        let build = try Built.builtInFolder()
        let scratch = try Scratch()
        let prefix = scratch.folder
        let installed = try install([build.path], prefix: prefix.path)
        XCTAssertEqual(installed.status, 0, installed.output)
        XCTAssertEqual(installed.output, "installed Zoo (plug-in ABI 1.3) in \(prefix.path)\n")
        let libraries = ["libZooBackbones", "libZooHeads", "libZooLosses", "libZooRelations"]
        XCTAssertEqual(files(under: prefix), ["bin/zoo", "include/zoo/zoo_plugin.h", "lib/pkgconfig/zoo-plugin.pc"]
            + libraries.flatMap { ["lib/zoo/plugins/\($0).so", "lib/zoo/plugins/\($0).zoo.json"] })
        for library in libraries {
            XCTAssertEqual(try Data(contentsOf: prefix.appendingPathComponent("lib/zoo/plugins/\(library).zoo.json")),
                           try Data(contentsOf: build.appendingPathComponent("\(library).zoo.json")), "metadata records no folder")
        }

        // The installed zoo finds the installed plug-ins, and only those, with no flag and no ZOO_PLUGIN_PATH.
        let zoo = prefix.appendingPathComponent("bin/zoo")
        let models = try BuiltProducts.run(zoo, ["models"], environment: [:])
        XCTAssertEqual(models.status, 0, models.output)
        XCTAssertEqual(modules(models.output), Self.builtInModules, models.output)
        let plugins = try BuiltProducts.run(zoo, ["plugins", "list"], environment: [:])
        XCTAssertTrue(plugins.output.hasPrefix("zoo-backbones 1.0.0  \(prefix.path)/lib/zoo/plugins/libZooBackbones.so\n"), plugins.output)

        // pkg-config gives the header's folder and the ABI version; a C plug-in builds with it alone
        // and passes the installed zoo's check.
        let pkgConfig = ["PKG_CONFIG_PATH": prefix.appendingPathComponent("lib/pkgconfig").path, "PATH": "/usr/bin:/bin"]
        let flags = try BuiltProducts.run(URL(fileURLWithPath: "/usr/bin/pkg-config"), ["--cflags", "--libs", "zoo-plugin"], environment: pkgConfig)
        XCTAssertEqual(flags.status, 0, flags.output)
        XCTAssertEqual(flags.output.trimmingCharacters(in: .whitespacesAndNewlines), "-I\(prefix.path)/include/zoo")
        let version = try BuiltProducts.run(URL(fileURLWithPath: "/usr/bin/pkg-config"), ["--modversion", "zoo-plugin"], environment: pkgConfig)
        XCTAssertEqual(version.output, "1.3\n")
        let plugindir = try BuiltProducts.run(URL(fileURLWithPath: "/usr/bin/pkg-config"), ["--variable=plugindir", "zoo-plugin"], environment: pkgConfig)
        XCTAssertEqual(plugindir.output, "\(prefix.path)/lib/zoo/plugins\n")
        guard let compiler = CCompiler.compiler else { throw XCTSkip("no C compiler (cc) on PATH") }
        let source = CCompiler.packageRoot.appendingPathComponent("Examples/plugins/scaled-head-c/scaled_head.c")
        let library = prefix.appendingPathComponent("libscaled-head.so")
        let compiled = try BuiltProducts.run(URL(fileURLWithPath: compiler),
                                             ["-shared", "-fPIC"] + flags.output.split(whereSeparator: \.isWhitespace).map(String.init)
                                                 + [source.path, "-o", library.path, "-lm"])
        XCTAssertEqual(compiled.status, 0, compiled.output)
        let checked = try BuiltProducts.run(zoo, ["plugin", "check", library.path, "--config", #"scaled-head={"in_features": 6, "out_features": 3}"#],
                                           environment: [:])
        XCTAssertEqual(checked.status, 0, checked.output)
        try FileManager.default.removeItem(at: library)

        let removed = try install(["--uninstall"], prefix: prefix.path)
        XCTAssertEqual(removed.status, 0, removed.output)
        XCTAssertEqual(removed.output, "removed Zoo from \(prefix.path)\n")
        XCTAssertEqual(files(under: prefix), [])
        for folder in ["lib/zoo", "include/zoo"] {
            XCTAssertFalse(FileManager.default.fileExists(atPath: prefix.appendingPathComponent(folder).path), folder)
        }
    }

    /// DESTDIR stages the files; what they record names PREFIX alone.
    func testDestdirStagesUnderPrefix() throws {
        let build = try Built.builtInFolder()
        let scratch = try Scratch()
        let stage = scratch.folder
        let installed = try install([build.path], prefix: "/opt/zoo", destination: stage.path)
        XCTAssertEqual(installed.status, 0, installed.output)
        let pc = try String(contentsOf: stage.appendingPathComponent("opt/zoo/lib/pkgconfig/zoo-plugin.pc"), encoding: .utf8)
        XCTAssertTrue(pc.hasPrefix("prefix=/opt/zoo\nincludedir=${prefix}/include\n"), pc)
        XCTAssertTrue(pc.contains("\nVersion: 1.3\nCflags: -I${includedir}/zoo\nLibs:\n"), pc)
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: stage.appendingPathComponent("opt/zoo/bin/zoo").path))
        XCTAssertEqual(try install(["--uninstall"], prefix: "/opt/zoo", destination: stage.path).status, 0)
        XCTAssertEqual(files(under: stage), [])

        let relative = try install([build.path], prefix: "relative/prefix")
        XCTAssertEqual(relative.status, 1)
        XCTAssertEqual(relative.output, "install.sh: PREFIX must be an absolute path, found \"relative/prefix\"\n")
        let missing = try install([stage.path], prefix: stage.path)
        XCTAssertEqual(missing.status, 1)
        XCTAssertEqual(missing.output, "install.sh: \(stage.path)/zoo not found: build first (swift build -c release, or make install)\n")
    }
}
