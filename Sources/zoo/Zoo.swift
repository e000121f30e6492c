import ArgumentParser

/// `zoo`: the command line of the Zoo model zoo.
@main
struct Zoo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "A plug-in model zoo for deep learning.",
        subcommands: [PluginCommand.self])
}
