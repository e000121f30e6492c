import Foundation
import XCTest
import ZooTestSupport

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
    static let packageRoot = CCompiler.packageRoot
    static let source = packageRoot.appendingPathComponent("Tests/ZooPluginHostTests/Plugins/test_plugin.c")

    /// Compiles the test plug-in (or another C `source` of this test folder) into a new folder of
    /// its own and returns `<folder>/lib<name>.so`.
    static func build(_ defines: [String], name: String, source: URL = source) throws -> URL {
        try build(defines, name: name, in: makeFolder(), source: source)
    }

    /// Compiles the test plug-in (or `source`) into `folder` as `lib<name>.so` and returns its URL.
    static func build(_ defines: [String], name: String, in folder: URL, source: URL = source) throws -> URL {
        let output = folder.appendingPathComponent("lib\(name).so")
        try CCompiler.sharedLibrary(source, defines: defines, output: output)
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
