import Foundation
import ZooPluginHost
import ZooValue

/// Time to load a plug-in library (open, hash, map, handshake, validate) and create one module,
/// for the example plug-ins built beside this executable; nil when a library is not there.
func pluginLoadMilliseconds() -> [(name: String, milliseconds: Double)] {
    let folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    let cases: [(name: String, library: String, module: String, configuration: String)] = [
        ("plugin.load.c", "libZooExampleScaledHead.so", "scaled-head", #"{"in_features": 64, "out_features": 10}"#),
        ("plugin.load.swift", "libZooExampleFocalLoss.so", "focal-loss", #"{}"#),
    ]
    return cases.compactMap { entry in
        let file = folder.appendingPathComponent(entry.library)
        guard FileManager.default.fileExists(atPath: file.path) else { return nil }
        let start = now()
        guard let library = try? PluginLibrary.load(file: file),
              let descriptor = library.module(named: entry.module),
              let configuration = try? JSONValue.parse(entry.configuration),
              (try? ModuleInstance(descriptor, configuration: configuration, library: library)) != nil else { return nil }
        return (entry.name, (now() - start) * 1000)
    }
}
