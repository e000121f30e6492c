import ArgumentParser
import Foundation

extension PluginCommand {
    /// `zoo plugin new NAME --swift | --c`: a complete out-of-tree plug-in to start from.
    struct New: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a new plug-in to start from, outside this repository: one module, a manifest, a README.",
            discussion: """
                --swift writes a SwiftPM package (Package.swift depending on Zoo, one dynamic library built with \
                ZooPluginKit); --c writes one C file with forward and backward by hand and a Makefile that compiles \
                it against the header of `zoo plugin header`. Each module declares an example configuration, so \
                that `zoo plugin check` runs it as it is; manifest.yaml trains it for one epoch on synthetic data.

                Examples:
                  zoo plugin new focal2 --swift --role loss
                  zoo plugin new scaled2 --c --dir ~/plugins
                """)

        @Argument(help: "The plug-in's and its module's name: \(ScaffoldName.rule).")
        var name: String

        @Flag(help: "The language to write it in.")
        var language: ScaffoldLanguage

        @Option(help: "The module's role: \(ScaffoldRole.allCases.map(\.rawValue).joined(separator: ", ")).")
        var role: ScaffoldRole = .head

        @Option(help: ArgumentHelp("The folder to write NAME/ into.", valueName: "dir"))
        var dir = "."

        func validate() throws {
            _ = try ScaffoldName(name)
        }

        func run() throws {
            let zoo = ZooInstallation.executable
            let scaffold = PluginScaffold(name: try ScaffoldName(name), role: role, language: language,
                                          zooCheckout: ZooInstallation.checkout(executable: zoo), zoo: zoo,
                                          builtIns: ZooInstallation.builtInPlugins(executable: zoo))
            let folder = URL(fileURLWithPath: dir, isDirectory: true).appendingPathComponent(name).standardizedFileURL
            for file in try scaffold.write(into: folder) { print("wrote \(file.path)") }
            let build = language == .swift ? "swift build" : "make"
            print("next: cd \(folder.path) && \(build), then see README.md")
        }
    }
}
