import Foundation
import XCTest
import ZooManifest
import ZooPipeline
import ZooPluginHost
import ZooTestSupport

/// Where the built plug-in libraries and the `zoo` executable sit: beside the test bundle.
enum Built {
    static func file(_ name: String) -> URL? { BuiltProducts.file(name) }

    /// The folder holding `lib<name>.so`; a missing library fails the test.
    static func pluginFolder(_ names: String...) throws -> URL {
        var folder: URL?
        for name in names { folder = try BuiltProducts.library(name).deletingLastPathComponent() }
        return folder!
    }

    /// The built-in zoo; a library that is missing or does not load fails the test.
    static func builtInFolder() throws -> URL {
        let folder = try pluginFolder("ZooBackbones", "ZooHeads", "ZooLosses", "ZooRelations")
        for name in ["ZooBackbones", "ZooHeads", "ZooLosses", "ZooRelations"] {
            do {
                _ = try PluginLibrary.load(file: folder.appendingPathComponent("lib\(name).so"))
            } catch {
                throw MissingBuiltProduct("lib\(name).so", failsToLoad: error)
            }
        }
        return folder
    }
}

/// A temporary folder for manifests and tensors.
final class Scratch {
    let folder: URL
    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("zoo-pipeline-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: folder) }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> URL {
        let url = folder.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }
}

/// Runs the built `zoo` executable as a user would.
func runZoo(_ arguments: [String], environment: [String: String]? = nil) throws -> (status: Int32, output: String) {
    try BuiltProducts.runZoo(arguments, environment: environment)
}
