import Foundation
import XCTest
import ZooPipeline
import ZooPluginHost
import ZooTestSupport
import ZooValue

/// `zoo plugins lock` writes the libraries a manifest resolves to; `zoo train` and `zoo eval` refuse
/// any other library, before its code runs.
final class PluginLockTests: XCTestCase {
    static let manifestText = """
        zoo: 1
        plugins: [{name: zoo-backbones}, {name: zoo-heads}, {name: zoo-losses}]
        model:
          backbone: {module: mlp, config: {hidden: [8]}}
          head: {module: linear}
          losses: [{module: cross-entropy}, {module: focal, weight: 0.5}]
        data: {format: synthetic, input_shape: [4], num_classes: 3}
        training: {epochs: 1, batch_size: 8}
        """

    /// A manifest in a scratch folder that holds its own copy of the heads library, found by its
    /// file name (`libzoo-heads.so`), and finds the other built-in plug-ins in the build folder.
    func lockedRun() throws -> (scratch: Scratch, manifest: URL, heads: URL, built: URL) {
        let built = try Built.builtInFolder()
        let scratch = try Scratch()
        let heads = scratch.folder.appendingPathComponent("libzoo-heads.so")
        try FileManager.default.copyItem(at: built.appendingPathComponent("libZooHeads.so"), to: heads)
        try FileManager.default.copyItem(at: built.appendingPathComponent("libZooHeads.zoo.json"),
                                         to: scratch.folder.appendingPathComponent("libzoo-heads.zoo.json"))
        return (scratch, try scratch.write("m.yaml", Self.manifestText), heads, built)
    }

    func sha256(_ file: URL) throws -> String { SHA256.hex(try SHA256.hash(file: file.path)) }

    func testLockRecordsEveryPluginAndReadsBackTheSame() throws {
        let (scratch, manifest, heads, built) = try lockedRun()
        let result = try runZoo(["plugins", "lock", manifest.path, "--plugin-path", built.path], environment: [:])
        XCTAssertEqual(result.status, 0, result.output)
        let lockFile = scratch.folder.appendingPathComponent("zoo.lock")
        let backbones = built.appendingPathComponent("libZooBackbones.so"), losses = built.appendingPathComponent("libZooLosses.so")
        let expected = [
            PluginLock.Entry(plugin: "zoo-backbones", path: backbones.path, library: "zoo-backbones", version: "1.0.0", abi: "1.3",
                             sha256: try sha256(backbones), modules: ["mlp"]),
            PluginLock.Entry(plugin: "zoo-heads", path: heads.path, library: "zoo-heads", version: "1.0.0", abi: "1.3",
                             sha256: try sha256(heads), modules: ["linear"]),
            PluginLock.Entry(plugin: "zoo-losses", path: losses.path, library: "zoo-losses", version: "1.0.0", abi: "1.3",
                             sha256: try sha256(losses), modules: ["cross-entropy", "focal"]),
        ]
        XCTAssertEqual(result.output, expected.map {
            "locked \($0.plugin): \($0.library) 1.0.0 (\($0.path)), sha256 \($0.sha256), modules \($0.modules.joined(separator: ", "))\n"
        }.joined() + "wrote \(lockFile.path)\n")

        let lock = try PluginLock.read(lockFile)
        XCTAssertEqual(lock, PluginLock(manifest: "m.yaml", entries: expected, file: lockFile))
        XCTAssertEqual(try String(contentsOf: lockFile, encoding: .utf8), lock.json.jsonText(pretty: true) + "\n")
        XCTAssertEqual(try PluginLock(json: try JSONValue.parse(lock.json.jsonText), file: lockFile.path), lock)
        // Nothing but the lock is left in the folder (the write went through a temporary file).
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: scratch.folder.path).sorted(),
                       ["libzoo-heads.so", "libzoo-heads.zoo.json", "m.yaml", "zoo.lock"])

        // Training with the lock in force names it; the same libraries pass.
        let run = scratch.folder.appendingPathComponent("run")
        let trained = try runZoo(["train", manifest.path, "--plugin-path", built.path, "--out", run.path, "--log-every", "0"], environment: [:])
        XCTAssertEqual(trained.status, 0, trained.output)
        XCTAssertTrue(trained.output.contains("plug-in zoo-heads 1.0.0 (\(heads.path))\nplug-in zoo-losses 1.0.0 (\(losses.path))\n"
                                              + "plug-ins as locked in \(lockFile.path)\n"), trained.output)

        // --out writes the lock elsewhere, and --lock names it.
        let other = scratch.folder.appendingPathComponent("other.lock")
        XCTAssertEqual(try runZoo(["plugins", "lock", manifest.path, "--plugin-path", built.path, "--out", other.path], environment: [:]).status, 0)
        XCTAssertEqual(try PluginLock.read(other).entries, expected)
    }

    func testTrainAndEvalRefuseAChangedLibraryBeforeItsCodeRuns() throws {
        let (scratch, manifest, heads, built) = try lockedRun()
        XCTAssertEqual(try runZoo(["plugins", "lock", manifest.path, "--plugin-path", built.path], environment: [:]).status, 0)
        let lockFile = scratch.folder.appendingPathComponent("zoo.lock")
        let locked = try sha256(heads)

        // Another library under the same file name, unsealed, whose constructor would leave a marker.
        let marker = scratch.folder.appendingPathComponent("constructor-ran")
        let source = CCompiler.packageRoot.appendingPathComponent("Tests/ZooPluginHostTests/Plugins/test_plugin.c")
        try FileManager.default.removeItem(at: heads)
        try FileManager.default.removeItem(at: scratch.folder.appendingPathComponent("libzoo-heads.zoo.json"))
        try CCompiler.sharedLibrary(source, defines: ["MARKER_FILE=\"\(marker.path)\""], output: heads)
        let replaced = try sha256(heads)
        func refusal(version: String) -> String {
            "\(lockFile.path): plug-in \"zoo-heads\" is locked to sha256 \(locked) (\(heads.path), 1.0.0) but resolves to sha256 \(replaced) "
                + "(\(heads.path), \(version)): run zoo plugins lock \(manifest.path) again to accept it\n1 problem in \(manifest.path)\n"
        }
        let trained = try runZoo(["train", manifest.path, "--plugin-path", built.path, "--out", scratch.folder.appendingPathComponent("run").path],
                                 environment: [:])
        XCTAssertEqual(trained.status, 2, trained.output)
        XCTAssertEqual(trained.output, refusal(version: "version unknown: not sealed"))
        let evaluated = try runZoo(["eval", manifest.path, "--plugin-path", built.path, "--checkpoint", scratch.folder.appendingPathComponent("c.safetensors").path],
                                   environment: [:])
        XCTAssertEqual(evaluated.status, 2, evaluated.output)
        XCTAssertEqual(evaluated.output, refusal(version: "version unknown: not sealed"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: marker.path), "a library the lock refuses ran its constructor")

        // Sealed (its constructor runs once, at the user's request), it is still refused, now with its version.
        XCTAssertEqual(try runZoo(["plugin", "seal", heads.path], environment: [:]).status, 0)
        try FileManager.default.removeItem(at: marker)
        let sealed = try runZoo(["train", manifest.path, "--plugin-path", built.path], environment: [:])
        XCTAssertEqual(sealed.status, 2, sealed.output)
        XCTAssertEqual(sealed.output, refusal(version: "1.0.0"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: marker.path), "a library the lock refuses ran its constructor")

        // --no-lock resolves as without a lock: the other library loads (and lacks the head module).
        let unlocked = try runZoo(["train", manifest.path, "--plugin-path", built.path, "--no-lock"], environment: [:])
        XCTAssertEqual(unlocked.status, 2, unlocked.output)
        XCTAssertTrue(unlocked.output.contains("model.head.module: no loaded plug-in offers module \"linear\""), unlocked.output)
        XCTAssertTrue(FileManager.default.fileExists(atPath: marker.path))

        // A lock named with --lock is named in the advice too.
        let named = scratch.folder.appendingPathComponent("named.lock")
        try FileManager.default.copyItem(at: lockFile, to: named)
        try FileManager.default.removeItem(at: lockFile)
        let byName = try runZoo(["train", manifest.path, "--plugin-path", built.path, "--lock", named.path], environment: [:])
        XCTAssertEqual(byName.status, 2, byName.output)
        XCTAssertEqual(byName.output, refusal(version: "1.0.0")
            .replacingOccurrences(of: lockFile.path, with: named.path)
            .replacingOccurrences(of: "lock \(manifest.path) again", with: "lock \(manifest.path) --out \(named.path) again"))
    }

    func testAPluginTheLockLacksIsRefused() throws {
        let (scratch, manifest, _, built) = try lockedRun()
        XCTAssertEqual(try runZoo(["plugins", "lock", manifest.path, "--plugin-path", built.path], environment: [:]).status, 0)
        let lockFile = scratch.folder.appendingPathComponent("zoo.lock")
        var lock = try PluginLock.read(lockFile)
        lock.entries.removeAll { $0.plugin == "zoo-losses" }
        try lock.write(to: lockFile)
        let result = try runZoo(["train", manifest.path, "--plugin-path", built.path], environment: [:])
        XCTAssertEqual(result.status, 2, result.output)
        XCTAssertEqual(result.output, """
            \(lockFile.path): plug-in "zoo-losses" is not locked (it locks "zoo-backbones", "zoo-heads"): run zoo plugins lock \(manifest.path) again to lock it
            1 problem in \(manifest.path)

            """)
    }

    func testAMalformedLockNamesTheFileAndTheKey() throws {
        let (scratch, manifest, _, built) = try lockedRun()
        let lockFile = scratch.folder.appendingPathComponent("zoo.lock")
        let entry = #""plugin": "zoo-heads", "path": "/x/libZooHeads.so", "library": "zoo-heads", "version": "1.0.0", "abi": "1.3""#
        let sha = String(repeating: "ab", count: 32)
        let cases: [(String, String)] = [
            ("{\"format\": \"zoo-lock/1\", \"manifest\": \"m.yaml\", \"plugins\": [{\(entry), \"sha256\": \"xyz\", \"modules\": []}]}",
             "plugins[0].sha256: expected 64 lowercase hexadecimal digits, found \"xyz\""),
            ("{\"format\": \"zoo-lock/1\", \"manifest\": \"m.yaml\", \"plugins\": [{\(entry), \"sha256\": \"\(sha)\", \"modules\": [3]}]}",
             "plugins[0].modules[0]: expected a string, found integer"),
            ("{\"format\": \"zoo-lock/1\", \"manifest\": \"m.yaml\", \"plugins\": [{\(entry), \"sha256\": \"\(sha)\"}]}",
             "plugins[0].modules: expected an array of strings, found nothing"),
            ("{\"format\": \"zoo-lock/1\", \"manifest\": \"m.yaml\", \"plugins\": [{\(entry), \"sha256\": \"\(sha)\", \"modules\": [], \"extra\": 1}]}",
             "plugins[0].extra: unknown key (expected plugin, path, library, version, abi, sha256, modules)"),
            ("{\"format\": \"zoo-lock/1\", \"manifest\": \"m.yaml\", \"plugins\": {}}", "plugins: expected an array, found object"),
            ("{\"format\": \"zoo-lock/2\", \"manifest\": \"m.yaml\", \"plugins\": []}", "format: expected \"zoo-lock/1\", found \"zoo-lock/2\""),
            ("[]", "expected an object, found array"),
            ("{\"format\": ", "not JSON: line 1, column 12: expected a value, found end of text"),
        ]
        for (text, problem) in cases {
            try text.write(to: lockFile, atomically: true, encoding: .utf8)
            let result = try runZoo(["train", manifest.path, "--plugin-path", built.path], environment: [:])
            XCTAssertEqual(result.status, 2, result.output)
            XCTAssertEqual(result.output, "error: \(lockFile.path): \(problem)\n", text)
        }
        let twice = "{\"format\": \"zoo-lock/1\", \"manifest\": \"m.yaml\", \"plugins\": [{\(entry), \"sha256\": \"\(sha)\", \"modules\": []}, "
            + "{\(entry), \"sha256\": \"\(sha)\", \"modules\": []}]}"
        XCTAssertThrowsError(try PluginLock(json: try JSONValue.parse(twice), file: "zoo.lock")) { error in
            XCTAssertEqual("\(error)", "zoo.lock: plugins[1].plugin: \"zoo-heads\" is locked twice (first at plugins[0])")
        }
        let missing = scratch.folder.appendingPathComponent("absent.lock")
        let named = try runZoo(["eval", manifest.path, "--checkpoint", "c.safetensors", "--lock", missing.path], environment: [:])
        XCTAssertEqual(named.status, 2, named.output)
        XCTAssertEqual(named.output, "error: \(missing.path): not found\n")
        let both = try runZoo(["train", manifest.path, "--lock", missing.path, "--no-lock"], environment: [:])
        XCTAssertEqual(both.status, 2, both.output)
        XCTAssertTrue(both.output.hasPrefix("Error: --lock and --no-lock exclude each other\n"), both.output)
    }
}
