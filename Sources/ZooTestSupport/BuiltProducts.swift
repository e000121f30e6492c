import Foundation
import XCTest

/// What the package build puts beside the test bundle: plug-in libraries and the `zoo` executable.
public enum BuiltProducts {
    /// The folder of the test bundle (`.build/<configuration>`), or `ZOO_BUILT_PRODUCTS` when set
    /// (the test that proves a missing product fails its tests points it at an empty folder).
    public static var folder: URL {
        if let override = ProcessInfo.processInfo.environment["ZOO_BUILT_PRODUCTS"], !override.isEmpty {
            return URL(fileURLWithPath: override, isDirectory: true)
        }
        let bundle = Bundle.main.bundleURL
        return bundle.hasDirectoryPath ? bundle : bundle.deletingLastPathComponent()
    }

    /// `name` in that folder or its parent, if it exists.
    public static func file(_ name: String) -> URL? {
        let folders = ProcessInfo.processInfo.environment["ZOO_BUILT_PRODUCTS"].map { _ in [folder] }
            ?? [folder, folder.deletingLastPathComponent()]
        return folders.map { $0.appendingPathComponent(name) }
            .first { FileManager.default.fileExists(atPath: $0.path) }
    }

    /// `lib<name>.so`; a missing one is a failure of the test that needs it, never a skip: the
    /// build makes every built-in and example library.
    /// Its metadata file (`lib<name>.zoo.json`, which `make` writes after building) is written
    /// with `zoo plugin seal` when missing or older than the library.
    public static func library(_ name: String) throws -> URL {
        guard let file = file("lib\(name).so") else { throw MissingBuiltProduct("lib\(name).so", in: folder) }
        let metadata = file.deletingLastPathComponent().appendingPathComponent("lib\(name).zoo.json")
        func modified(_ url: URL) -> Date? { try? FileManager.default.attributesOfItem(atPath: url.path)[.modificationDate] as? Date }
        if let built = modified(file), modified(metadata).map({ $0 < built }) ?? true {
            let sealed = try runZoo(["plugin", "seal", file.path])
            guard sealed.status == 0 else { throw MissingBuiltProduct("lib\(name).so", failsToLoad: sealed.output) }
        }
        return file
    }

    /// A built executable (`zoo`, `zoo-fuzz`), or the failure that it is missing.
    public static func executable(_ name: String) throws -> URL {
        guard let file = file(name), FileManager.default.isExecutableFile(atPath: file.path) else {
            throw MissingBuiltProduct("the \(name) executable", in: folder)
        }
        return file
    }

    /// The built `zoo` executable, or the failure that it is missing.
    public static func zooExecutable() throws -> URL { try executable("zoo") }

    /// Runs the built `zoo` as a user would, with standard output and error together; `environment`
    /// replaces the process environment when given.
    public static func runZoo(_ arguments: [String], environment: [String: String]? = nil) throws -> (status: Int32, output: String) {
        try run(zooExecutable(), arguments, environment: environment)
    }

    /// Runs `executable` with standard output and error together.
    public static func run(_ executable: URL, _ arguments: [String], environment: [String: String]? = nil) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = executable
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

/// A product of the package build that a test needs and that is not there, or does not load. It
/// fails the test: a broken or missing built-in part must never pass as a skip.
public struct MissingBuiltProduct: Error, CustomStringConvertible {
    public let description: String

    public init(_ product: String, in folder: URL) {
        description = "\(product) not found in \(folder.path): build the package with `swift build --build-tests` (make test does)"
    }

    public init(_ message: String) { description = message }

    public init(_ product: String, failsToLoad reason: Any) {
        description = "\(product) does not load: \(reason)"
    }
}
