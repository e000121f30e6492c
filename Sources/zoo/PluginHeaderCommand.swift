import ArgumentParser
import Foundation

extension PluginCommand {
    /// `zoo plugin header`: where `zoo_plugin.h` is, for building plug-ins in C.
    struct Header: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the path of zoo_plugin.h, the plug-in ABI's header.",
            discussion: """
                The installed header (<folder of zoo>/../include/zoo/zoo_plugin.h) first, else the one of the \
                source checkout zoo was built in (\(ZooInstallation.checkoutHeaderPath)). The header includes \
                <dlpack/dlpack.h> (Debian: libdlpack-dev).
                Example: cc -shared -fPIC -I"$(dirname "$(zoo plugin header)")" my_plugin.c -o libmy-plugin.so -lm
                """)

        func run() throws {
            let zoo = ZooInstallation.executable
            guard let header = ZooInstallation.header(executable: zoo) else {
                throw CommandFailure(message: "zoo_plugin.h not found: neither \(ZooInstallation.installedHeader(executable: zoo).path) "
                                     + "(an installation) nor a Zoo source checkout above \(zoo.path) holds it")
            }
            print(header.path)
        }
    }
}
