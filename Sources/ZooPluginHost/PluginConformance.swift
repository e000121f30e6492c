import Foundation
import ZooTensor
import ZooValue

/// The contract check any plug-in author can run against a library (`zoo plugin check LIB`):
/// for every module and each of its schema's example configurations (or a given configuration,
/// or the schema's defaults when it has no examples) it creates the module, takes the example's
/// input shapes (or finds shapes it accepts), runs forward and backward on random input, compares
/// backward with central finite differences (`GradientComparison`), and checks that a bad
/// configuration and a wrong input shape come back as errors with messages rather than crashes.
///
/// Every `dropout` key of a module's schema is set to 0 unless given, so that finite differences
/// are deterministic.
public enum PluginConformance {
    /// One check's outcome.
    public struct Check: Sendable, CustomStringConvertible {
        public var module: String
        public var name: String
        public var passed: Bool
        public var detail: String

        public var description: String { "\(passed ? "ok  " : "FAIL") \(module): \(name)\(detail.isEmpty ? "" : " — \(detail)")" }
    }

    /// Checks every module of `library` (or those named in `modules`). `configurations` and
    /// `inputShapes` are keyed by module name.
    public static func check(_ library: PluginLibrary, modules: Set<String>? = nil, configurations: [String: JSONValue] = [:],
                             inputShapes: [String: [[Int]]] = [:], seed: UInt64 = 1) -> [Check] {
        library.modules.filter { modules?.contains($0.name) ?? true }.flatMap { descriptor -> [Check] in
            let check = ModuleCheck(descriptor: descriptor, library: library, seed: seed)
            let examples = descriptor.configSchema.examples
            let givenShapes = inputShapes[descriptor.name]
            if let given = configurations[descriptor.name] {
                return check.run(configuration: given, inputShapes: givenShapes, example: nil)
            }
            guard !examples.isEmpty else { return check.run(configuration: nil, inputShapes: givenShapes, example: nil) }
            return examples.enumerated().flatMap { index, example in
                check.run(configuration: example.configuration,
                          inputShapes: givenShapes ?? example.inputShapes(bindings: descriptor.configSchema.bindings, kind: descriptor.kind),
                          example: examples.count > 1 ? index + 1 : nil)
            }
        }
    }
}

/// The checks of one module.
private struct ModuleCheck {
    let descriptor: ModuleDescriptor
    let library: PluginLibrary
    let seed: UInt64
    var takesLabels: Bool { descriptor.kind == .loss }

    /// The checks with one configuration (nil: the schema's defaults); `example` numbers the
    /// check names when a module has several examples.
    func run(configuration given: JSONValue?, inputShapes givenShapes: [[Int]]?, example: Int?) -> [PluginConformance.Check] {
        var checks: [PluginConformance.Check] = []
        func record(_ name: String, _ passed: Bool, _ detail: String = "") {
            checks.append(.init(module: descriptor.name, name: name + (example.map { " (example \($0))" } ?? ""),
                                passed: passed, detail: detail))
        }
        let configuration = withDeterministicDropout(given ?? .object([]))
        let module: ModuleInstance
        do {
            module = try ModuleInstance(descriptor, configuration: configuration, library: library)
            record("create", true, configuration.jsonText)
        } catch {
            record("create", false, "\(error)\(given == nil ? " (pass a configuration)" : "")")
            return checks
        }
        guard let shapes = givenShapes ?? acceptedShapes(module, configuration: configuration) else {
            record("input shapes", false, "no candidate shape was accepted; pass the module's input shapes")
            return checks
        }
        record("input shapes", true, shapes.map { "\($0)" }.joined(separator: ", "))
        var generator = RandomGenerator(seed: seed)
        let inputs = shapes.map { Tensor.normal($0, generator: &generator) }
        let labels = takesLabels ? (0..<shapes[0][0]).map { _ in Int(generator.next() % UInt64(shapes[0].last!)) } : nil
        let found = forwardAndBackward(module, inputs: inputs, labels: labels)
            + errorPaths(shapes: shapes, labels: labels, configuration: configuration)
        for (name, passed, detail) in found { record(name, passed, detail) }
        return checks
    }

    /// Sets each `dropout`-named property of the schema to 0 unless the configuration sets it.
    private func withDeterministicDropout(_ configuration: JSONValue) -> JSONValue {
        guard case .object(var members) = configuration else { return configuration }
        for name in descriptor.configSchema.propertyNames where name.lowercased().contains("dropout") {
            if !members.contains(where: { $0.key == name }) { members.append((name, .number(0))) }
        }
        return .object(members)
    }

    /// The first candidate input shapes that the module's `output_shapes` accepts.
    private func acceptedShapes(_ module: ModuleInstance, configuration: JSONValue) -> [[Int]]? {
        var widths = [8, 16, 10, 32, 64, 5, 100]
        if case .object(let members) = configuration {
            widths = members.compactMap { $0.value.doubleValue.flatMap { Int(exactly: $0) } }.filter { $0 > 0 && $0 <= 4096 } + widths
        }
        var candidates = widths.map { [[4, $0]] } + [[[4, 3, 32, 32]], [[4, 1, 28, 28]], [[4, 16, 8, 8]], [[4, 6, 16]]]
        if descriptor.inputCount > candidates[0].count + (takesLabels ? 1 : 0) {
            candidates = candidates.map { Array(repeating: $0[0], count: descriptor.inputCount) }
        }
        return candidates.first { shapes in
            let labelShape = takesLabels ? [[shapes[0][0]]] : []
            return (try? module.outputShapes(shapes + labelShape, outputCount: descriptor.outputCount)) != nil
        }
    }

    private func forwardAndBackward(_ module: ModuleInstance, inputs: [Tensor], labels: [Int]?) -> [(String, Bool, String)] {
        var results: [(String, Bool, String)] = []
        for input in inputs { input.requiresGrad = true }
        let output: Tensor
        do {
            output = try module.forward(inputs, labels: labels, training: true)[0]
        } catch {
            return [("forward", false, "\(error)")]
        }
        let finite = output.scalars.allSatisfy(\.isFinite)
        results.append(("forward", finite, "output \(output.shape)\(finite ? "" : " has non-finite values")"))
        guard finite else { return results }
        var generator = RandomGenerator(seed: seed &+ 1)
        let upstream = Tensor.normal(output.shape, generator: &generator)
        (output * upstream).sum().backward()
        let objective: () -> Double = {
            guard let value = try? withoutGradients({ try module.forward(inputs, labels: labels, training: true)[0] }) else { return .nan }
            return zip(value.scalars, upstream.scalars).reduce(0) { $0 + Double($1.0) * Double($1.1) }
        }
        // The objective's own size, Σ|output · u|: float32 rounds f to a fraction of it.
        let magnitude = zip(output.scalars, upstream.scalars).reduce(0) { $0 + Swift.abs(Double($1.0) * Double($1.1)) }
        let checked = inputs + module.namedParameters.map(\.1)
        let names = inputs.indices.map { "input \($0)" } + module.namedParameters.map { "parameter \($0.0)" }
        let comparison = GradientComparison(checked, magnitude: magnitude, objective: objective)
        var worst = 0.0, worstName = ""
        for index in checked.indices {
            let error = comparison.alongOwnGradient(index)
            if error > worst { (worst, worstName) = (error, names[index]) }
        }
        // The random direction names no tensor: it is reported only when every tensor passed.
        let together = comparison.alongRandomDirection(generator: &generator)
        if worst <= GradientComparison.tolerance && together > worst { (worst, worstName) = (together, "all tensors, a random direction") }
        let detail = String(format: "largest relative error %.2e", worst) + (worstName.isEmpty ? "" : " (\(worstName))")
            + String(format: "; passes below %.0e", GradientComparison.tolerance)
        results.append(("backward against finite differences", worst <= GradientComparison.tolerance, detail))
        return results
    }

    /// A configuration with a value of the wrong type must be refused, by the schema or by
    /// `create`; an input of the wrong rank must be refused with a message, or be accepted by
    /// `output_shapes` and forward alike (element-wise modules take any shape).
    private func errorPaths(shapes: [[Int]], labels: [Int]?, configuration: JSONValue) -> [(String, Bool, String)] {
        var results: [(String, Bool, String)] = []
        let property = descriptor.configSchema.propertyNames.first ?? "zoo_check_unknown_key"
        let broken = JSONValue.object([(property, .string("not a valid value"))])
        do {
            let json = try descriptor.validatedConfigJSON(broken)
            _ = try ModuleInstance(functions: descriptor.functions, name: descriptor.name, configuration: json)
            results.append(("bad configuration refused", false, "schema and create accepted \(broken.jsonText)"))
        } catch {
            results.append(("bad configuration refused", true, "\(error)"))
        }
        guard let module = try? ModuleInstance(descriptor, configuration: configuration, library: library) else { return results }
        let wrong = [shapes[0] + [3]] + shapes.dropFirst()
        let labelShape = labels.map { [[$0.count]] } ?? []
        guard let expected = try? module.outputShapes(wrong + labelShape, outputCount: descriptor.outputCount) else {
            results.append(("wrong input shape refused", true, "input \(wrong[0])"))
            return results
        }
        do {
            let outputs = try module.forward(wrong.map { Tensor.zeros($0) }, labels: labels, training: false)
            let consistent = outputs.map(\.shape) == expected
            results.append(("input of another rank handled", consistent,
                            "accepted \(wrong[0]) → \(outputs.map(\.shape))\(consistent ? "" : ", output_shapes said \(expected)")"))
        } catch {
            results.append(("input of another rank handled", false, "output_shapes accepted \(wrong[0]) but forward refused it: \(error)"))
        }
        return results
    }
}
