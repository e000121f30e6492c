import ArgumentParser
import Foundation

/// `zoo`: the command line of the Zoo model zoo.
///
/// Exit codes: 0 success, 1 the run failed, 2 a usage or validation error.
@main
struct Zoo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "A plug-in model zoo for deep learning.",
        discussion: "Exit codes: 0 success, 1 the run failed, 2 a usage or validation error.",
        subcommands: [TrainCommand.self, EvalCommand.self, ValidateCommand.self, ModelsCommand.self, DescribeCommand.self,
                      PluginsCommand.self, PluginCommand.self, ModuleCommand.self])

    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let exit as ExitCode {
            Foundation.exit(exit.rawValue)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                Foundation.exit(0)
            }
            FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
            // ArgumentParser's usage failures (64) are Zoo's exit code 2.
            Foundation.exit(code == .validationFailure ? 2 : code.rawValue)
        }
    }
}

/// Writes a line to standard error.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// `--plugin-path DIR`, repeatable: folders searched for plug-ins before `ZOO_PLUGIN_PATH`.
struct PluginPathOptions: ParsableArguments {
    @Option(name: .customLong("plugin-path"), help: ArgumentHelp("A folder to search for plug-ins (before ZOO_PLUGIN_PATH).", valueName: "dir"))
    var folders: [String] = []

    var urls: [URL] { folders.map { URL(fileURLWithPath: $0, isDirectory: true).standardizedFileURL } }
}
