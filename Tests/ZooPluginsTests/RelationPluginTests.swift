import XCTest
import ZooNN
import ZooPluginHost
import ZooTensor
import ZooTestSupport

/// The relations library (`libZooRelations.so`: batchformer-v1, batchformer-v2, identity), loaded
/// and driven as the host drives any plug-in, against the PyTorch fixtures.
final class RelationPluginTests: XCTestCase {
    static let product = "ZooRelations"

    func relation(_ name: String, _ config: String) throws -> ModuleInstance {
        try BuiltInPlugins.module(Self.product, name, config)
    }

    /// Copies the fixture's `param.*` into the module's parameters in place, as a checkpoint load does.
    func load(_ module: ModuleInstance, from archive: SafeTensorsArchive, prefix: String = "param.") throws {
        let values = archive.tensors(withPrefix: prefix)
        XCTAssertEqual(Set(module.namedParameters.map(\.0)), Set(values.keys))
        for (name, parameter) in module.namedParameters {
            let value = try XCTUnwrap(values[name], name)
            XCTAssertEqual(parameter.shape, value.shape, name)
            parameter.assign(value)
        }
    }

    /// Training forward through the loaded module: the output is `concat([x, f(x)])`; its second
    /// half is compared with `output.y`, and backward is driven with zeros for the first half and
    /// `input.upstream` for the second.
    func checkTwoStreamParity(_ module: ModuleInstance, _ archive: SafeTensorsArchive, prefix: String = "",
                              file: StaticString = #filePath, line: UInt = #line) throws {
        try load(module, from: archive, prefix: prefix + "param.")
        let x = try archive.tensor(prefix + "input.x").copied()
        x.requiresGrad = true
        let output = try module.forward([x], training: true)[0]
        let batch = x.shape[0]
        XCTAssertEqual(output.shape, [2 * batch] + x.shape.dropFirst(), file: file, line: line)
        XCTAssertEqual(output.sliced(alongAxis: 0, 0..<batch).scalars, x.scalars, "the first stream is the input",
                       file: file, line: line)
        assertClose(output.sliced(alongAxis: 0, batch..<(2 * batch)), try archive.tensor(prefix + "output.y"),
                    tolerance: 1e-4, "output.y", file: file, line: line)
        let upstream = try archive.tensor(prefix + "input.upstream")
        (output * Tensor.concatenate([Tensor.zeros(upstream.shape), upstream], alongAxis: 0)).sum().backward()
        assertClose(try XCTUnwrap(x.grad), try archive.tensor(prefix + "grad.input.x"), tolerance: 1e-3, "grad.input.x",
                    file: file, line: line)
        for (name, parameter) in module.namedParameters {
            assertClose(try XCTUnwrap(parameter.grad, name), try archive.tensor(prefix + "grad.param." + name),
                        tolerance: 1e-3, "grad.param." + name, file: file, line: line)
        }
    }

    // MARK: the library

    func testLibraryDescribesItsModules() throws {
        let library = try BuiltInPlugins.library(Self.product)
        XCTAssertEqual(library.name, "zoo-relations")
        XCTAssertEqual(library.version, "1.0.0")
        XCTAssertTrue(library.isSwift)
        XCTAssertEqual(library.modules.map(\.name), ["batchformer-v1", "batchformer-v2", "identity"])
        for descriptor in library.modules {
            XCTAssertEqual(descriptor.kind, .relation, descriptor.name)
            XCTAssertFalse(descriptor.summary.isEmpty, descriptor.name)
            XCTAssertFalse((descriptor.documentation ?? "").isEmpty, "\(descriptor.name) has no documentation")
            XCTAssertTrue(descriptor.documentation?.contains("label") ?? false, "\(descriptor.name): say what happens to the labels")
        }
        for name in ["batchformer-v1", "batchformer-v2"] {
            let descriptor = try XCTUnwrap(library.module(named: name))
            XCTAssertEqual(descriptor.batchEffect, .twoStream, name)
            XCTAssertTrue(descriptor.trainingOnly, name)
            XCTAssertEqual(descriptor.configSchema.propertyNames.sorted(),
                           ["activation", "dim", "dropout", "ffn_dim", "heads", "layers"], name)
        }
        let identity = try XCTUnwrap(library.module(named: "identity"))
        XCTAssertEqual(identity.batchEffect, .unchanged)
        XCTAssertFalse(identity.trainingOnly)
    }

    func testConformance() throws {
        let library = try BuiltInPlugins.library(Self.product)
        // GELU: finite differences across ReLU's kink are not a fair test of backward.
        let checks = PluginConformance.check(
            library,
            configurations: ["batchformer-v1": ["dim": 8, "heads": 2, "activation": "gelu"],
                             "batchformer-v2": ["dim": 8, "heads": 2, "activation": "gelu"]],
            inputShapes: ["batchformer-v2": [[4, 8, 2, 3]]])
        XCTAssertEqual(Set(checks.map(\.module)), ["batchformer-v1", "batchformer-v2", "identity"])
        XCTAssertGreaterThanOrEqual(checks.count, 18)
        for check in checks { XCTAssertTrue(check.passed, "\(check)") }
    }

    /// `zoo plugin check` with no flags: each relation with its schema's example (ReLU, the
    /// default activation, included: the check's step choice copes with its kink).
    func testCheckWithNoFlagsPassesOnEveryRelation() throws {
        let checks = try BuiltInPlugins.checkWithExamples(Self.product)
        for name in ["batchformer-v1", "batchformer-v2", "identity"] {
            XCTAssertEqual(checks.filter { $0.module == name }.map(\.name).prefix(4), BuiltInPlugins.checkNames.prefix(4), name)
        }
        for check in checks { XCTAssertTrue(check.passed, "\(check)") }
    }

    // MARK: BatchFormer V1

    func testV1MatchesPyTorchThroughThePlugIn() throws {
        let archive = try SafeTensorsArchive.fixture("batchformer_v1.safetensors")
        let module = try relation("batchformer-v1", #"{"dim": 64, "dropout": 0}"#)
        try checkTwoStreamParity(module, archive)
    }

    func testV1DefaultsAndParameterNames() throws {
        let module = try relation("batchformer-v1", #"{"dim": 32}"#)
        let shapes = Dictionary(uniqueKeysWithValues: module.namedParameters.map { ($0.0, $0.1.shape) })
        XCTAssertEqual(shapes, [
            "self_attn.in_proj_weight": [96, 32], "self_attn.in_proj_bias": [96],
            "self_attn.out_proj.weight": [32, 32], "self_attn.out_proj.bias": [32],
            "linear1.weight": [32, 32], "linear1.bias": [32], "linear2.weight": [32, 32], "linear2.bias": [32],
            "norm1.weight": [32], "norm1.bias": [32], "norm2.weight": [32], "norm2.bias": [32],
        ])
        XCTAssertTrue(module.namedBuffers.isEmpty)
        XCTAssertEqual(try module.outputShapes([[10, 32]]), [[20, 32]])
        XCTAssertThrowsError(try module.outputShapes([[10, 31]]))
        XCTAssertThrowsError(try module.outputShapes([[10, 32, 1, 1]]))
        let wide = try relation("batchformer-v1", #"{"dim": 32, "ffn_dim": 48}"#)
        XCTAssertEqual(wide.namedParameters.first { $0.0 == "linear1.weight" }?.1.shape, [48, 32])
    }

    func testV1RefusesHeadsThatDoNotDivideTheWidth() throws {
        XCTAssertThrowsError(try relation("batchformer-v1", #"{"dim": 10}"#)) { error in
            XCTAssertTrue("\(error)".contains("heads"), "\(error)")
        }
        XCTAssertThrowsError(try relation("batchformer-v1", #"{"heads": 4}"#))
        XCTAssertThrowsError(try relation("batchformer-v1", #"{"dim": 8, "activation": "tanh"}"#))
        XCTAssertThrowsError(try relation("batchformer-v1", #"{"dim": 8, "depth": 2}"#))
    }

    /// The samples attend to each other: changing one sample changes the others' outputs.
    func testV1MixesTheSamplesOfTheBatch() throws {
        let module = try relation("batchformer-v1", #"{"dim": 16, "dropout": 0}"#)
        let x = randomTensor([5, 16], seed: 3)
        let y = try module.forward([x], training: true)[0].sliced(alongAxis: 0, 5..<10)
        let changed = x.copied()
        changed.withMutableScalars { $0[0] += 1 }   // sample 0 only
        let z = try module.forward([changed], training: true)[0].sliced(alongAxis: 0, 5..<10)
        let otherRows = Array(y.scalars[16...]), otherRowsChanged = Array(z.scalars[16...])
        XCTAssertGreaterThan(relativeError(otherRowsChanged, otherRows), 1e-6)
    }

    // MARK: BatchFormer V2

    func testV2MatchesPyTorchOnDenseMaps() throws {
        let archive = try SafeTensorsArchive.fixture("batchformer_v2.safetensors")
        let module = try relation("batchformer-v2", #"{"dim": 16, "dropout": 0}"#)
        try checkTwoStreamParity(module, archive)
    }

    /// Tokens `[B, N, C]` are N sequences of length B: PyTorch's sequence-first layer on `[L, N, E]`
    /// (transformer_variants.safetensors, case postnorm_relu: 2 heads, feed-forward 20).
    func testV2OnTokensMatchesPyTorchWithOptions() throws {
        let archive = try SafeTensorsArchive.fixture("transformer_variants.safetensors")
        let module = try relation("batchformer-v2", #"{"dim": 16, "heads": 2, "ffn_dim": 20, "dropout": 0}"#)
        try checkTwoStreamParity(module, archive, prefix: "postnorm_relu.")
    }

    // MARK: several layers, GELU

    /// `layers > 1` puts `layers.<i>.` in front of each layer's names and applies the layers in order,
    /// with the configured activation: the same numbers as ZooNN's layers given the same parameters.
    func testSeveralLayersAreNamedAndComposedInOrder() throws {
        let config = #"{"dim": 8, "heads": 2, "ffn_dim": 12, "layers": 3, "activation": "gelu", "dropout": 0}"#
        let module = try relation("batchformer-v1", config)
        let names = module.namedParameters.map(\.0)
        XCTAssertEqual(names.count, 36)
        for index in 0..<3 {
            XCTAssertTrue(names.contains("layers.\(index).self_attn.in_proj_weight"), "\(names)")
            XCTAssertTrue(names.contains("layers.\(index).norm2.bias"), "\(names)")
        }
        XCTAssertTrue(names.allSatisfy { $0.hasPrefix("layers.") }, "\(names)")

        var references: [TransformerEncoderLayer] = []
        for index in 0..<3 {
            let layer = TransformerEncoderLayer(dModel: 8, heads: 2, feedForward: 12, dropout: 0, activation: .gelu,
                                                random: RandomSource(seed: 99))
            var values: [String: Tensor] = [:]
            for (name, parameter) in module.namedParameters where name.hasPrefix("layers.\(index).") {
                parameter.withMutableScalars { scalars in   // move away from the default 0 and 1
                    for i in scalars.indices { scalars[i] += 0.05 * Float((i * 7 + index) % 5 - 2) }
                }
                values[String(name.dropFirst("layers.\(index).".count))] = parameter.copied()
            }
            try layer.loadStateDictionary(values)
            references.append(layer)
        }
        let x = randomTensor([6, 8], seed: 11)
        let output = try module.forward([x], training: true)[0].sliced(alongAxis: 0, 6..<12)
        let expected = references.reduce(x.unsqueezed(1)) { $1($0) }.reshaped([6, 8])
        assertClose(output, expected, tolerance: 1e-5, "three GELU layers")

        let relu = try relation("batchformer-v1", #"{"dim": 8, "heads": 2, "ffn_dim": 12, "layers": 3, "dropout": 0}"#)
        for ((_, target), (_, source)) in zip(relu.namedParameters, module.namedParameters) { target.assign(source) }
        let reluOutput = try relu.forward([x], training: true)[0].sliced(alongAxis: 0, 6..<12)
        XCTAssertGreaterThan(relativeError(reluOutput.scalars, output.scalars), 1e-4, "activation is honoured")
    }

    func testDropoutIsActiveInTraining() throws {
        let module = try relation("batchformer-v1", #"{"dim": 16}"#)   // dropout 0.5 by default
        let x = randomTensor([8, 16], seed: 5)
        let first = try module.forward([x], training: true)[0]
        let second = try module.forward([x], training: true)[0]
        XCTAssertGreaterThan(relativeError(second.scalars, first.scalars), 1e-4)
    }

    // MARK: identity

    func testIdentityIsTheIdentity() throws {
        let module = try relation("identity", "{}")
        XCTAssertTrue(module.namedParameters.isEmpty)
        XCTAssertTrue(module.namedBuffers.isEmpty)
        for shape in [[4, 10], [3, 2, 5, 5], [2, 7, 6]] {
            let x = randomTensor(shape, seed: UInt64(shape.count))
            XCTAssertEqual(try module.outputShapes([shape]), [shape])
            for training in [false, true] {
                x.grad = nil
                x.requiresGrad = training
                let y = try module.forward([x], training: training)[0]
                XCTAssertEqual(y.shape, shape)
                XCTAssertEqual(y.scalars, x.scalars)
                if training {
                    let upstream = randomTensor(shape, seed: 9)
                    (y * upstream).sum().backward()
                    XCTAssertEqual(try XCTUnwrap(x.grad).scalars, upstream.scalars)
                }
            }
        }
        XCTAssertNoThrow(try relation("identity", #"{"dim": 64}"#))
        XCTAssertThrowsError(try relation("identity", #"{"heads": 4}"#))
    }
}
