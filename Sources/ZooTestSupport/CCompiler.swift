import Foundation
import XCTest

/// Compiles a C plug-in source of the tests into a shared library at test time, against the
/// package's `zoo_plugin.h`, as an author outside the package would build one.
public enum CCompiler {
    /// The package root, found from this file's path.
    public static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    public static let includeFolder = packageRoot.appendingPathComponent("Sources/CZooPlugin/include")

    /// `cc` on `PATH`, if there is one.
    public static let compiler: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for folder in path.split(separator: ":") where folder.hasPrefix("/") {
            let candidate = "\(folder)/cc"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }()

    public struct Failure: Error, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    /// Compiles `source` with `-D<define>` for each of `defines` into `output`. Throws `XCTSkip`
    /// when no C compiler is installed, and the compiler's output when it fails.
    public static func sharedLibrary(_ source: URL, defines: [String], output: URL) throws {
        guard let compiler else { throw XCTSkip("no C compiler (cc) on PATH to build test plug-ins") }
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
            throw Failure(message: "cc failed for \(defines): " + String(decoding: text, as: UTF8.self))
        }
    }
}
