import Foundation

/// Where this `zoo` executable comes from: an installed layout (`<prefix>/bin/zoo` beside
/// `<prefix>/include/zoo/zoo_plugin.h`) or a build inside a Zoo source checkout
/// (`<checkout>/.build/<configuration>/zoo`). Both are found from the executable's real path.
enum ZooInstallation {
    /// The running executable, links resolved (`/proc/self/exe`).
    static var executable: URL {
        let link = "/proc/self/exe"
        if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: link) {
            return URL(fileURLWithPath: target).resolvingSymlinksInPath()
        }
        return URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.resolvingSymlinksInPath()
    }

    /// The header of an installed layout: `<executable's folder>/../include/zoo/zoo_plugin.h`.
    static func installedHeader(executable: URL = executable) -> URL {
        executable.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("include/zoo/zoo_plugin.h").standardizedFileURL
    }

    /// The Zoo source checkout the executable was built in: the nearest folder above it holding a
    /// `Package.swift` of the package named "Zoo".
    static func checkout(executable: URL = executable) -> URL? {
        var folder = executable.deletingLastPathComponent()
        while folder.path != "/" {
            let manifest = folder.appendingPathComponent("Package.swift")
            if let text = try? String(contentsOf: manifest, encoding: .utf8), text.contains(#"name: "Zoo""#) {
                return folder
            }
            folder = folder.deletingLastPathComponent()
        }
        return nil
    }

    /// The folder of Zoo's built-in plug-ins: the executable's own folder when they were built
    /// beside it (a checkout's `.build/<configuration>`); nil otherwise.
    static func builtInPlugins(executable: URL = executable) -> URL? {
        let folder = executable.deletingLastPathComponent()
        let found = ["ZooBackbones", "ZooHeads", "ZooLosses"].allSatisfy {
            FileManager.default.fileExists(atPath: folder.appendingPathComponent("lib\($0).so").path)
        }
        return found ? folder : nil
    }

    /// The header path inside a checkout.
    static let checkoutHeaderPath = "Sources/CZooPlugin/include/zoo_plugin.h"

    /// `zoo_plugin.h`: the installed one first, else the checkout's; nil when neither exists.
    static func header(executable: URL = executable) -> URL? {
        let installed = installedHeader(executable: executable)
        if FileManager.default.fileExists(atPath: installed.path) { return installed }
        guard let checkout = checkout(executable: executable) else { return nil }
        let header = checkout.appendingPathComponent(checkoutHeaderPath)
        return FileManager.default.fileExists(atPath: header.path) ? header : nil
    }
}
