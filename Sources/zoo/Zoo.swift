import ArgumentParser
import Foundation
import ZooPluginHost

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
            do {
                try command.run()
            } catch let failure as CommandFailure {
                printError("error: \(failure.message)")
                Foundation.exit(failure.exitCode)
            } catch where exitCode(for: error) == .success {
                // `zoo COMMAND --help` parses as a command whose run throws the request for help.
                print(fullMessage(for: error))
                Foundation.exit(0)
            } catch let error where !(error is ValidationError || error is ExitCode || error is CleanExit) {
                // A refusal while running (a file, a library, a module): the message alone, no usage.
                printError("error: \(error)")
                Foundation.exit(1)
            }
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

/// A command that could not do what was asked (a file or library refused, a name not found): its
/// message is printed alone, without the usage, and the process exits with `exitCode`.
struct CommandFailure: Error, CustomStringConvertible {
    var message: String
    var exitCode: Int32 = 1
    var description: String { message }
}

extension PluginError {
    /// A name that matches nothing: the command line's mistake (exit 2), not a refused file (exit 1).
    var isNameNotFound: Bool { code == .fileNotFound || code == .moduleNotFound }
}

/// Writes a line to standard error.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// `--plugin-path DIR`, repeatable: folders searched for plug-ins before `ZOO_PLUGIN_PATH` and the
/// folders of the `zoo` executable (its own, and `../lib/zoo/plugins`).
struct PluginPathOptions: ParsableArguments {
    @Option(name: .customLong("plugin-path"),
            help: ArgumentHelp("A folder to search for plug-ins (before ZOO_PLUGIN_PATH and the zoo executable's folders).", valueName: "dir"))
    var folders: [String] = []

    var urls: [URL] { folders.map { URL(fileURLWithPath: $0, isDirectory: true).standardizedFileURL } }
}
