import Foundation
import XCTest

/// Builds the C test plug-in (`Plugins/test_plugin.c`) into temporary folders at test time.
///
///     let library = try TestPlugins.build(["WITH_TRIPLE"], name: "scales")   // .../libscales.so
///
/// Each `defines` entry becomes `-D<entry>` (`"NAME=\"other\""` sets a string macro); see the top
/// of test_plugin.c for the switches. Without switches the library is a well-behaved plug-in
/// "test-double" with one module "double" (y = factor·x, factor 2 by default). Tests are skipped
/// when no C compiler is installed.
enum TestPlugins {
    /// The package root, found from this file's path.
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let source = packageRoot.appendingPathComponent("Tests/ZooPluginHostTests/Plugins/test_plugin.c")
    static let includeFolder = packageRoot.appendingPathComponent("Sources/CZooPlugin/include")

    /// Compiles the test plug-in (or another C `source` of this test folder) into a new folder of
    /// its own and returns `<folder>/lib<name>.so`.
    static func build(_ defines: [String], name: String, source: URL = source) throws -> URL {
        try build(defines, name: name, in: makeFolder(), source: source)
    }

    /// Compiles the test plug-in (or `source`) into `folder` as `lib<name>.so` and returns its URL.
    static func build(_ defines: [String], name: String, in folder: URL, source: URL = source) throws -> URL {
        guard let compiler = compiler else { throw XCTSkip("no C compiler (cc) on PATH to build test plug-ins") }
        let output = folder.appendingPathComponent("lib\(name).so")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: compiler)
        process.arguments = ["-shared", "-fPIC", "-O1", "-I", includeFolder.path] + defines.map { "-D" + $0 }
            + ["-o", output.path, source.path]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = errors
        try process.run()
        let text = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CompileError(message: "cc failed for \(defines): " + String(decoding: text, as: UTF8.self))
        }
        return output
    }

    /// A new empty folder with the given permissions under this process's scratch folder.
    static func makeFolder(permissions: Int = 0o755) throws -> URL {
        let folder = scratchRoot.appendingPathComponent(UUID().uuidString, isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: permissions], ofItemAtPath: folder.path)
        return folder
    }

    /// Writes `text` to `folder/name` and returns the file's URL.
    static func writeFile(_ text: String, named name: String, in folder: URL) throws -> URL {
        let file = folder.appendingPathComponent(name)
        try Data(text.utf8).write(to: file)
        return file
    }

    struct CompileError: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }

    static let compiler: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for folder in path.split(separator: ":") where folder.hasPrefix("/") {
            let candidate = "\(folder)/cc"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }()

    /// `$TMPDIR/zoo-plugin-tests-<pid>` (0755); folders left by earlier runs whose process is gone
    /// are removed the first time it is used.
    static let scratchRoot: URL = {
        let temporary = URL(fileURLWithPath: NSTemporaryDirectory(), isDirectory: true)
        let prefix = "zoo-plugin-tests-"
        let manager = FileManager.default
        for entry in (try? manager.contentsOfDirectory(atPath: temporary.path)) ?? [] where entry.hasPrefix(prefix) {
            if let pid = Int32(entry.dropFirst(prefix.count)), kill(pid, 0) != 0 && errno == ESRCH {
                try? manager.removeItem(at: temporary.appendingPathComponent(entry))
            }
        }
        let root = temporary.appendingPathComponent("\(prefix)\(getpid())", isDirectory: true)
        try? manager.createDirectory(at: root, withIntermediateDirectories: true)
        try? manager.setAttributes([.posixPermissions: 0o755], ofItemAtPath: root.path)
        return root
    }()
}
