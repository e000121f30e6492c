import Foundation
import XCTest
import ZooManifest
import ZooTestSupport

/// `zoo plugin new` and `zoo plugin header`, run as a user types them: the names refused, the
/// folders refused, and the files written for each language and role (building them is the
/// `make test-outside` stage's part).
final class PluginNewCommandTests: XCTestCase {
    let checkout = CCompiler.packageRoot.standardizedFileURL

    func testBadNamesAreRefusedWithTheRule() throws {
        let scratch = try Scratch()
        for name in ["Focal", "2focal", "my_head", "a.b", "focal loss", "zoo"] {
            let result = try runZoo(["plugin", "new", name, "--c", "--dir", scratch.folder.path])
            XCTAssertEqual(result.status, 2, "\(name): \(result.output)")
            let rule = name == "zoo"
                ? "plug-in name \"zoo\" is Zoo's own: zoo and names beginning with zoo- belong to the built-in plug-ins"
                : "plug-in name \"\(name)\" is not valid: use a lowercase letter, then lowercase letters, digits and '-' "
                    + "([a-z][a-z0-9-]*), e.g. focal-loss2"
            XCTAssertTrue(result.output.hasPrefix("Error: \(rule)\n"), "\(name): \(result.output)")
        }
        let zooHeads = try runZoo(["plugin", "new", "zoo-heads", "--c", "--dir", scratch.folder.path])
        XCTAssertEqual(zooHeads.status, 2, zooHeads.output)
        XCTAssertTrue(zooHeads.output.contains("plug-in name \"zoo-heads\" is Zoo's own"), zooHeads.output)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: scratch.folder.path), [])
    }

    func testANonEmptyFolderIsRefusedAndLeftAlone() throws {
        let scratch = try Scratch()
        let folder = scratch.folder.appendingPathComponent("scaled2")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try "mine\n".write(to: folder.appendingPathComponent("notes.txt"), atomically: true, encoding: .utf8)
        let refused = try runZoo(["plugin", "new", "scaled2", "--c", "--dir", scratch.folder.path])
        XCTAssertEqual(refused.status, 1, refused.output)
        XCTAssertEqual(refused.output, "error: \(folder.path) exists and is not empty (1 entry): choose another name or --dir, or remove it\n")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["notes.txt"])

        // An empty folder is used.
        try FileManager.default.removeItem(at: folder.appendingPathComponent("notes.txt"))
        let written = try runZoo(["plugin", "new", "scaled2", "--c", "--dir", scratch.folder.path])
        XCTAssertEqual(written.status, 0, written.output)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted(),
                       ["Makefile", "README.md", "manifest.yaml", "scaled2.c"])
    }

    func testTheSwiftPackageDependsOnThisCheckoutByPathAndBuildsOneLibrary() throws {
        let scratch = try Scratch()
        let result = try runZoo(["plugin", "new", "focal-loss2", "--swift", "--role", "loss", "--dir", scratch.folder.path])
        XCTAssertEqual(result.status, 0, result.output)
        let folder = scratch.folder.appendingPathComponent("focal-loss2").path
        XCTAssertEqual(result.output, """
            wrote \(folder)/Package.swift
            wrote \(folder)/Sources/FocalLoss2Plugin/FocalLoss2.swift
            wrote \(folder)/manifest.yaml
            wrote \(folder)/README.md
            next: cd \(folder) && swift build, then see README.md

            """)
        let package = try text(folder, "Package.swift")
        XCTAssertTrue(package.hasPrefix("// swift-tools-version: 6.0\n"), package)
        XCTAssertTrue(package.contains("\nlet zoo: Package.Dependency = .package(name: \"Zoo\", path: \"\(checkout.path)\")\n"), package)
        XCTAssertTrue(package.contains(
            "\n// let zoo: Package.Dependency = .package(url: \"https://github.com/OWNER/zoo.git\", branch: \"main\")\n"), package)
        XCTAssertTrue(package.contains(#".library(name: "FocalLoss2", type: .dynamic, targets: ["FocalLoss2Plugin"]),"#), package)
        XCTAssertTrue(package.contains(#"name: "FocalLoss2Plugin", dependencies: [.product(name: "ZooPluginKit", package: "Zoo")],"#), package)
        XCTAssertTrue(package.contains(#"linkerSettings: [.unsafeFlags(["-Xlinker", "-Bsymbolic"])]),"#), package)
        XCTAssertEqual(package.components(separatedBy: ".library(").count, 2, "one product")

        let source = try text(folder, "Sources/FocalLoss2Plugin/FocalLoss2.swift")
        XCTAssertTrue(source.contains("final class FocalLoss2: Module, Loss {"), source)
        XCTAssertTrue(source.contains(##"static let examples = [ModuleExample(#"{"smoothing": 0.1}"#, inputs: [[4, 10]])]"##), source)
        XCTAssertTrue(source.contains("@_cdecl(\"zoo_plugin_entry_v1\")"), source)
        XCTAssertTrue(source.contains(#"ZooPlugin.export(name: "focal-loss2", version: "0.1.0", modules: [FocalLoss2.self], host: host, error: error)"#), source)

        let manifest = try ManifestLoader.load(file: URL(fileURLWithPath: folder).appendingPathComponent("manifest.yaml")).manifest
        XCTAssertEqual(manifest.plugins.map { $0.name ?? $0.path ?? "" }, ["zoo-backbones", "zoo-heads", ".build/debug/libFocalLoss2.so"])
        XCTAssertEqual(manifest.model.losses.map(\.module), ["focal-loss2"])
        XCTAssertEqual(manifest.training.epochs, 1)
        XCTAssertEqual(manifest.data?.format, .synthetic)

        let readme = try text(folder, "README.md")
        XCTAssertTrue((10...20).contains(readme.split(separator: "\n", omittingEmptySubsequences: false).count), readme)
        XCTAssertTrue(readme.contains("\nswift build                                      # .build/debug/libFocalLoss2.so\n"), readme)
        XCTAssertTrue(readme.contains("\nzoo plugin check .build/debug/libFocalLoss2.so   # forward, backward against finite differences, refusals\n"), readme)
        XCTAssertTrue(readme.contains(#"`.package(name: "Zoo", path: "/path/to/zoo")`"#), readme)
        XCTAssertTrue(readme.contains(#"`.package(url: "https://github.com/OWNER/zoo.git", branch: "main")`"#), readme)
    }

    /// What each role's Swift module is and declares: the role protocol, the bound keys, the example.
    func testEachRoleWritesItsSwiftModuleAndManifest() throws {
        let expected: [(role: String, declaration: String, keys: [String], example: String, stage: (Manifest) -> [String])] = [
            ("backbone", "final class Probe2Backbone: Module, Backbone {",
             [#"@Key("in_dim", minimum: 1, "input width D; the host fills it from the data", from: .inputFeatures)"#],
             ##"[ModuleExample(#"{"in_dim": 16, "out_dim": 8}"#, inputs: [[4, 16]])]"##, { [$0.model.backbone.module] }),
            ("head", "final class Probe2Head: Module, Head {",
             [#"@Key("in_dim", minimum: 1, "feature width D; the host fills it from the stage's input", from: .inputFeatures)"#,
              #"@Key("num_classes", minimum: 1, "classes C: the logits' width; the host fills it from the data", from: .dataNumClasses)"#],
             ##"[ModuleExample(#"{"in_dim": 16, "num_classes": 4}"#, inputs: [[4, 16]])]"##, { [$0.model.head.module] }),
            ("relation", "final class Probe2Relation: Module, BatchRelation {",
             [#"@Key("dim", minimum: 1, "feature width D; the host fills it from the stage's input", from: .inputFeatures)"#,
              "static let batchEffect = BatchEffect.twoStream", "static let trainingOnly = true"],
             ##"[ModuleExample(#"{"dim": 16}"#, inputs: [[4, 16]])]"##, { $0.model.relations.map(\.module) }),
        ]
        for entry in expected {
            let scratch = try Scratch()
            let result = try runZoo(["plugin", "new", "probe2", "--swift", "--role", entry.role, "--dir", scratch.folder.path])
            XCTAssertEqual(result.status, 0, result.output)
            let folder = scratch.folder.appendingPathComponent("probe2").path
            let type = "Probe2" + entry.role.prefix(1).uppercased() + entry.role.dropFirst()
            let source = try text(folder, "Sources/Probe2Plugin/\(type).swift")
            XCTAssertTrue(source.contains(entry.declaration), "\(entry.role): \(source)")
            for key in entry.keys { XCTAssertTrue(source.contains(key), "\(entry.role): \(key)") }
            XCTAssertTrue(source.contains("static let examples = " + entry.example), "\(entry.role): \(source)")
            let manifest = try ManifestLoader.load(file: URL(fileURLWithPath: folder).appendingPathComponent("manifest.yaml")).manifest
            XCTAssertEqual(entry.stage(manifest), ["probe2"], entry.role)
            XCTAssertEqual(manifest.plugins.count, entry.role == "relation" ? 4 : 3, "\(entry.role): \(manifest.plugins)")
            XCTAssertEqual(manifest.plugins.last?.path, ".build/debug/libProbe2.so", entry.role)
        }
    }

    func testTheCFolderHasTheRolesModuleAMakefileAndAManifestThatFindsIt() throws {
        let expected = [("head", "ZOO_KIND_HEAD", "ZOO_BATCH_UNCHANGED", 0, #"[{\"in_dim\": 16, \"num_classes\": 4}]"#),
                        ("backbone", "ZOO_KIND_BACKBONE", "ZOO_BATCH_UNCHANGED", 0, #"[{\"in_dim\": 16, \"out_dim\": 8}]"#),
                        ("loss", "ZOO_KIND_LOSS", "ZOO_BATCH_UNCHANGED", 0, #"[{\"smoothing\": 0.1}]"#),
                        ("relation", "ZOO_KIND_RELATION", "ZOO_BATCH_TWO_STREAM", 1, #"[{\"dim\": 16}]"#)]
        for (role, kind, effect, trainingOnly, examples) in expected {
            let scratch = try Scratch()
            let result = try runZoo(["plugin", "new", "my-\(role)", "--c", "--role", role, "--dir", scratch.folder.path])
            XCTAssertEqual(result.status, 0, result.output)
            let folder = scratch.folder.appendingPathComponent("my-\(role)").path
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder).sorted(),
                           ["Makefile", "README.md", "manifest.yaml", "my_\(role).c"])
            let source = try text(folder, "my_\(role).c")
            XCTAssertTrue(source.contains("\n#define MODULE_NAME \"my-\(role)\"\n"), source)
            XCTAssertTrue(source.contains(".kind = \(kind), .threading = ZOO_THREADING_REENTRANT"), source)
            XCTAssertTrue(source.contains(".batch_effect = \(effect), .training_only = \(trainingOnly),"), source)
            XCTAssertTrue(source.contains(#"" \"examples\": \#(examples),""#), source)
            XCTAssertTrue(source.contains("static zoo_status backward("), source)

            let makefile = try text(folder, "Makefile")
            XCTAssertTrue(makefile.contains("\nZOO ?= zoo\n"), makefile)
            XCTAssertTrue(makefile.contains("ZOO_HEADER := $(shell $(ZOO) plugin header 2>/dev/null)"), makefile)
            XCTAssertTrue(makefile.contains("ZOO_CFLAGS := $(shell pkg-config --cflags zoo-plugin)"), makefile)
            XCTAssertTrue(makefile.contains("\nlibmy-\(role).so: my_\(role).c\n\t$(CC) $(CFLAGS) $(ZOO_CFLAGS) -std=c11 -fPIC -shared -o $@ $< -lm\n"),
                          makefile)

            let manifest = try ManifestLoader.load(file: URL(fileURLWithPath: folder).appendingPathComponent("manifest.yaml")).manifest
            XCTAssertEqual(manifest.plugins.last?.name, "my-\(role)")
            XCTAssertNil(manifest.plugins.last?.path)
        }
    }

    func testHeaderIsTheCheckoutsUnlessAnInstallationHasOne() throws {
        let header = try runZoo(["plugin", "header"])
        XCTAssertEqual(header.status, 0, header.output)
        XCTAssertEqual(header.output, checkout.appendingPathComponent("Sources/CZooPlugin/include/zoo_plugin.h").path + "\n")

        // A zoo outside any checkout: no header, and a Swift package that depends on Zoo by URL.
        let scratch = try Scratch()
        let bin = scratch.folder.appendingPathComponent("prefix/bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        let zoo = bin.appendingPathComponent("zoo")
        try FileManager.default.copyItem(at: try BuiltProducts.zooExecutable(), to: zoo)
        let missing = try BuiltProducts.run(zoo, ["plugin", "header"])
        XCTAssertEqual(missing.status, 1, missing.output)
        XCTAssertEqual(missing.output, "error: zoo_plugin.h not found: neither \(scratch.folder.path)/prefix/include/zoo/zoo_plugin.h "
                       + "(an installation) nor a Zoo source checkout above \(zoo.path) holds it\n")
        let written = try BuiltProducts.run(zoo, ["plugin", "new", "far", "--swift", "--dir", scratch.folder.path])
        XCTAssertEqual(written.status, 0, written.output)
        let package = try text(scratch.folder.appendingPathComponent("far").path, "Package.swift")
        XCTAssertTrue(package.contains("\nlet zoo: Package.Dependency = .package(url: \"https://github.com/OWNER/zoo.git\", branch: \"main\")\n"),
                      package)
        XCTAssertTrue(package.contains("\n// let zoo: Package.Dependency = .package(name: \"Zoo\", path: \"/path/to/zoo\")\n"), package)

        // The installed layout: <prefix>/include/zoo/zoo_plugin.h beside <prefix>/bin/zoo.
        let include = scratch.folder.appendingPathComponent("prefix/include/zoo")
        try FileManager.default.createDirectory(at: include, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: checkout.appendingPathComponent("Sources/CZooPlugin/include/zoo_plugin.h"),
                                         to: include.appendingPathComponent("zoo_plugin.h"))
        let installed = try BuiltProducts.run(zoo, ["plugin", "header"])
        XCTAssertEqual(installed.status, 0, installed.output)
        XCTAssertEqual(installed.output, include.appendingPathComponent("zoo_plugin.h").path + "\n")
    }

    private func text(_ folder: String, _ path: String) throws -> String {
        try String(contentsOfFile: folder + "/" + path, encoding: .utf8)
    }
}
