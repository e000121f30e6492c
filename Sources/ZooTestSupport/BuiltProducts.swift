import Foundation
import XCTest

/// What the package build puts beside the test bundle: plug-in libraries and the `zoo` executable.
public enum BuiltProducts {
    /// The folder of the test bundle (`.build/<configuration>`).
    public static var folder: URL {
        let bundle = Bundle.main.bundleURL
        return bundle.hasDirectoryPath ? bundle : bundle.deletingLastPathComponent()
    }

    /// `name` in that folder or its parent, if it exists.
    public static func file(_ name: String) -> URL? {
        [folder, folder.deletingLastPathComponent()].map { $0.appendingPathComponent(name) }
            .first { FileManager.default.fileExists(atPath: $0.path) }
    }

    /// `lib<name>.so`, or a skip when the build did not make it.
    public static func library(_ name: String) throws -> URL {
        guard let file = file("lib\(name).so") else { throw XCTSkip("lib\(name).so not found beside the tests") }
        return file
    }

    /// Runs the built `zoo` as a user would, with standard output and error together; `environment`
    /// replaces the process environment when given.
    public static func runZoo(_ arguments: [String], environment: [String: String]? = nil) throws -> (status: Int32, output: String) {
        guard let zoo = file("zoo"), FileManager.default.isExecutableFile(atPath: zoo.path) else {
            throw XCTSkip("the zoo executable was not found beside the tests")
        }
        let process = Process()
        process.executableURL = zoo
        process.arguments = arguments
        if let environment { process.environment = environment }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }
}
