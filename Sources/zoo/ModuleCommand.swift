import ArgumentParser
import Foundation
import ZooManifest
import ZooPipeline
import ZooPluginHost
import ZooTensor

/// `zoo module run`: one module on tensors from a safetensors file.
struct ModuleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "module", abstract: "Run one module of a plug-in on tensors from a file.", subcommands: [Run.self])

    enum Mode: String, EnumerableFlag {
        case train, eval
        static func help(for value: Mode) -> ArgumentHelp? {
            value == .train ? "Training mode (needed for gradients)." : "Evaluation mode (the default)."
        }
    }

    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a module on tensors from a safetensors file and write its outputs.",
            discussion: """
                Tensor names follow the reference fixtures' convention. Read: param.<key> and buffer.<key> (set the \
                module's parameters and buffers; those not given keep the module's initial values), input.x (or, for a \
                loss, input.logits and the integer input.labels), and optionally input.upstream, the gradient of the \
                objective with respect to the output (needs --train). Written: output.y (output.loss for a loss), \
                with input.upstream grad.input.<name> and grad.param.<key>, and in training after.buffer.<key>.

                Example:
                  zoo module run batchformer-v1 --plugin .build/release/libZooRelations.so --config '{"dim": 64, "dropout": 0}' --tensors batchformer_v1.safetensors --out out.safetensors --train
                """)

        @Argument(help: "The module's name.") var module: String
        @Option(name: .customLong("plugin"), help: ArgumentHelp("The plug-in library (a path, or a name in the search path).", valueName: "lib"))
        var plugin: String
        @Option(help: "The module's configuration as JSON (defaults filled from its schema).") var config: String = "{}"
        @Option(help: ArgumentHelp("The input safetensors file.", valueName: "in.safetensors")) var tensors: String
        @Option(help: ArgumentHelp("The output safetensors file.", valueName: "out.safetensors")) var out: String
        @Flag var mode: Mode = .eval
        @Option(help: "The seed plug-ins read (dropout and initialisation).") var seed: UInt64?
        @OptionGroup var pluginPath: PluginPathOptions

        func run() throws {
            let library = try Discovery(folders: pluginPath.urls).library(plugin)
            guard let descriptor = library.module(named: module) else {
                let names = library.modules.map(\.name)
                let hint = Suggestion.closest(to: module, among: names).map { "did you mean \($0)?" } ?? "it offers \(names.joined(separator: ", "))"
                throw CommandFailure(message: "\(library.path) has no module \"\(module)\" (\(hint))", exitCode: 2)
            }
            let configuration: String
            do {
                configuration = try descriptor.configSchema.validatedConfigJSON(config)
            } catch {
                for problem in error.problems { printError("--config: \(problem)") }
                throw ExitCode(2)
            }
            let archive: SafeTensorsArchive
            do {
                archive = try SafeTensorsArchive(contentsOf: URL(fileURLWithPath: tensors))
            } catch {
                throw CommandFailure(message: "\(error)")
            }
            let instance: ModuleInstance
            do {
                instance = try ModuleInstance(functions: descriptor.functions, name: descriptor.name, configuration: configuration,
                                              reentrant: descriptor.threading == .reentrant, owner: library,
                                              session: HostSession(seed: seed ?? 0))
            } catch {
                printError("\(error)")
                throw ExitCode(1)
            }

            var problems: [String] = []
            let state = instance.namedParameters.map { ("param", $0.0, $0.1) } + instance.namedBuffers.map { ("buffer", $0.0, $0.1) }
            for (prefix, key, tensor) in state {
                guard let given = archive.tensors["\(prefix).\(key)"] else { continue }
                if given.shape != tensor.shape {
                    problems.append("\(prefix).\(key): expected shape \(tensor.shape), found \(given.shape)")
                } else {
                    tensor.assign(given)
                }
            }
            let known = state.map { "\($0.0).\($0.1)" }
            for name in archive.tensors.keys.sorted() where (name.hasPrefix("param.") || name.hasPrefix("buffer.")) && !known.contains(name) {
                let hint = Suggestion.closest(to: name, among: known).map { " (did you mean \($0)?)" }
                    ?? (known.isEmpty ? " (it has none)" : " (it has \(known.joined(separator: ", ")))")
                problems.append("\(name): the module has no such tensor\(hint)")
            }
            let isLoss = descriptor.kind == .loss
            let inputName = isLoss ? "input.logits" : "input.x"
            let input = archive.tensors[inputName]
            if input == nil { problems.append("\(inputName): missing (the module's input)") }
            var labels: [Int]?
            if isLoss {
                if let given = archive.indexTensors["input.labels"] {
                    labels = given.values.map { Int($0) }
                    if let input, given.shape != [input.shape.first ?? 0] {
                        problems.append("input.labels: expected shape [\(input.shape.first ?? 0)], found \(given.shape)")
                    }
                } else {
                    problems.append("input.labels: missing (an integer tensor of class indices)")
                }
            }
            let upstream = archive.tensors["input.upstream"]
            let training = mode == .train
            if upstream != nil && !training { problems.append("input.upstream: gradients need --train") }
            if let upstream, let input, problems.isEmpty {
                do {
                    let shapes = try instance.outputShapes([input.shape] + (labels.map { [[$0.count]] } ?? []))
                    if shapes[0] != upstream.shape { problems.append("input.upstream: expected shape \(shapes[0]), found \(upstream.shape)") }
                } catch {
                    problems.append("\(inputName): \(error)")
                }
            }
            guard problems.isEmpty, let input else {
                for problem in problems { printError("\(tensors): \(problem)") }
                throw ExitCode(2)
            }

            let x = Tensor(shape: input.shape, scalars: input.scalars, requiresGrad: upstream != nil)
            var written: [String: Tensor] = [:]
            do {
                let output = try instance.forward([x], labels: labels, training: training)[0]
                written[isLoss ? "output.loss" : "output.y"] = output.copied()
                if let upstream {
                    output.backward(seed: upstream)
                    if let grad = x.grad { written["grad.\(inputName)"] = grad }
                    for (key, parameter) in instance.namedParameters {
                        if let grad = parameter.grad { written["grad.param.\(key)"] = grad }
                    }
                }
            } catch {
                printError("\(error)")
                throw ExitCode(1)
            }
            if training {
                for (key, buffer) in instance.namedBuffers { written["after.buffer.\(key)"] = buffer.copied() }
            }
            do {
                try SafeTensorsArchive(metadata: ["module": descriptor.name, "plugin": "\(library.name) \(library.version)",
                                                  "config": configuration, "mode": training ? "train" : "eval"],
                                       tensors: written).write(to: URL(fileURLWithPath: out))
            } catch {
                printError("\(error)")
                throw ExitCode(1)
            }
            print("wrote \(written.keys.sorted().joined(separator: ", ")) to \(out)")
        }
    }
}
