import Foundation
import ZooPluginHost
import ZooTestSupport
import ZooValue

/// The built-in plug-in libraries (`Plugins/*`), loaded the way the host loads any plug-in: from
/// the shared library SwiftPM builds beside the test executable.
///
/// ```swift
/// let library = try BuiltInPlugins.library("ZooRelations")            // libZooRelations.so
/// let relation = try BuiltInPlugins.module("ZooRelations", "batchformer-v1", #"{"dim": 64}"#)
/// ```
enum BuiltInPlugins {
    /// Why a built-in library or module could not be had.
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// The file of a dynamic library product (`ZooRelations` → `libZooRelations.so` beside the tests).
    static func file(_ product: String) throws -> URL {
        guard let file = BuiltProducts.file("lib\(product).so") else {
            throw Failure(description: "lib\(product).so not found beside the tests in \(BuiltProducts.folder.path); "
                          + "build it with `swift build --build-tests`")
        }
        return file
    }

    /// Loads a built-in library by its product name (`ZooRelations`, `ZooHeads`, `ZooLosses`,
    /// `ZooBackbones`). The host keeps one loaded copy per file, so repeated calls are cheap.
    static func library(_ product: String) throws -> PluginLibrary {
        try PluginLibrary.load(file: try file(product))
    }

    /// Creates module `name` of the built-in library `product` from a configuration in JSON text,
    /// validated against the module's schema with its defaults filled in, as a manifest's would be.
    static func module(_ product: String, _ name: String, _ config: String) throws -> ModuleInstance {
        let library = try library(product)
        guard let descriptor = library.module(named: name) else {
            throw Failure(description: "lib\(product).so has no module \"\(name)\"; it has "
                          + library.modules.map(\.name).joined(separator: ", "))
        }
        let configuration = try JSONValue.parse(config.allSatisfy(\.isWhitespace) ? "{}" : config)
        return try ModuleInstance(descriptor, configuration: configuration, library: library)
    }

    /// `zoo plugin check` with no flags on the built-in library `product`: every module with each
    /// of its schema's examples. Returns the checks, in the library's order.
    static func checkWithExamples(_ product: String) throws -> [PluginConformance.Check] {
        PluginConformance.check(try library(product))
    }

    /// The names of the checks every module goes through once per example.
    static let checkNames = ["create", "input shapes", "forward", "backward against finite differences",
                             "bad configuration refused", "wrong input shape refused"]
}
