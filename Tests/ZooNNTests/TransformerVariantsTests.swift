import XCTest
import ZooNN
import ZooTensor
import ZooTestSupport

/// `TransformerEncoderLayer` and `MultiheadAttention` in the configurations BatchFormer does not use:
/// pre-norm with GELU and batch-first input, post-norm with ReLU and sequence-first input, and the
/// attention alone. Reference: `transformer_variants.safetensors` (one prefix per case; biases and
/// LayerNorm weights are perturbed away from 0 and 1). Tolerances from the fixtures' README.
final class TransformerVariantsTests: XCTestCase {
    func archive() throws -> SafeTensorsArchive {
        try SafeTensorsArchive.fixture("transformer_variants.safetensors")
    }

    /// Loads `<case>.param.*`, runs `layer` on `<case>.input.x`, back-propagates
    /// `sum(y · <case>.input.upstream)` and compares the output and every gradient with the fixture.
    func check(_ layer: Layer, case name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let archive = try archive()
        let parameters = archive.tensors(withPrefix: name + ".param.")
        XCTAssertFalse(parameters.isEmpty, "no parameters under \(name).param.", file: file, line: line)
        try layer.loadStateDictionary(parameters)
        XCTAssertEqual(Set(layer.namedParameters().map(\.0)), Set(parameters.keys),
                       "\(name): parameter names", file: file, line: line)

        let x = try archive.tensor(name + ".input.x").copied()
        x.requiresGrad = true
        let y = layer(x)
        assertClose(y, try archive.tensor(name + ".output.y"), tolerance: 1e-4, "\(name).output.y",
                    file: file, line: line)

        try (y * archive.tensor(name + ".input.upstream")).sum().backward()
        guard let inputGradient = x.grad else {
            return XCTFail("\(name): no gradient for the input", file: file, line: line)
        }
        assertClose(inputGradient, try archive.tensor(name + ".grad.input.x"), tolerance: 1e-3,
                    "\(name).grad.input.x", file: file, line: line)
        for (key, parameter) in layer.namedParameters() {
            guard let gradient = parameter.grad else {
                XCTFail("\(name): no gradient for \(key)", file: file, line: line)
                continue
            }
            assertClose(gradient, try archive.tensor("\(name).grad.param.\(key)"), tolerance: 1e-3,
                        "\(name).grad.param.\(key)", file: file, line: line)
        }
    }

    func testPreNormGELUBatchFirstEncoderLayer() throws {
        let layer = TransformerEncoderLayer(dModel: 24, heads: 3, feedForward: 40, dropout: 0, activation: .gelu,
                                            batchFirst: true, normFirst: true, random: RandomSource(seed: 1))
        try check(layer, case: "prenorm_gelu")
    }

    func testPostNormReLUSequenceFirstEncoderLayer() throws {
        let layer = TransformerEncoderLayer(dModel: 16, heads: 2, feedForward: 20, dropout: 0, activation: .relu,
                                            batchFirst: false, normFirst: false, random: RandomSource(seed: 2))
        try check(layer, case: "postnorm_relu")
    }

    func testMultiheadSelfAttentionAlone() throws {
        let attention = MultiheadAttention(embedDimension: 12, heads: 4, dropout: 0, batchFirst: false,
                                           random: RandomSource(seed: 3))
        try check(attention, case: "mha")
    }

    /// The same pre-norm layer fed `[L, N, E]` without `batchFirst` gives the fixture's numbers transposed.
    func testPreNormLayerSequenceFirstMatchesBatchFirst() throws {
        let archive = try archive()
        let layer = TransformerEncoderLayer(dModel: 24, heads: 3, feedForward: 40, dropout: 0, activation: .gelu,
                                            batchFirst: false, normFirst: true, random: RandomSource(seed: 4))
        try layer.loadStateDictionary(archive.tensors(withPrefix: "prenorm_gelu.param."))
        let x = try archive.tensor("prenorm_gelu.input.x")                 // [N, L, E]
        let y = layer(x.transposed(0, 1)).transposed(0, 1)
        assertClose(y, try archive.tensor("prenorm_gelu.output.y"), tolerance: 1e-4, "prenorm_gelu.output.y")
    }

    /// The fixture tells the two LayerNorms apart: with norm1 and norm2 swapped the output is far off.
    func testSwappedLayerNormsAreDetected() throws {
        let archive = try archive()
        for (name, normFirst, batchFirst, activation) in [("prenorm_gelu", true, true, Activation.gelu),
                                                           ("postnorm_relu", false, false, Activation.relu)] {
            var parameters = archive.tensors(withPrefix: name + ".param.")
            for suffix in ["weight", "bias"] {
                (parameters["norm1." + suffix], parameters["norm2." + suffix]) =
                    (parameters["norm2." + suffix], parameters["norm1." + suffix])
            }
            let x = try archive.tensor(name + ".input.x")
            let layer = TransformerEncoderLayer(dModel: x.shape[2], heads: name == "prenorm_gelu" ? 3 : 2,
                                                feedForward: name == "prenorm_gelu" ? 40 : 20, dropout: 0,
                                                activation: activation, batchFirst: batchFirst, normFirst: normFirst,
                                                random: RandomSource(seed: 5))
            try layer.loadStateDictionary(parameters)
            let error = relativeError(layer(x).scalars, try archive.tensor(name + ".output.y").scalars)
            XCTAssertGreaterThan(error, 1e-2, "\(name): swapped norms went unnoticed")
        }
    }

    /// The perturbed parameters are what makes a swap visible: none of the fixture's biases is zero
    /// and none of its LayerNorm weights is one.
    func testFixtureParametersAreAwayFromTheirDefaults() throws {
        let archive = try archive()
        for name in ["prenorm_gelu", "postnorm_relu", "mha"] {
            for (key, tensor) in archive.tensors(withPrefix: name + ".param.") {
                if key.hasSuffix("bias") {
                    XCTAssertFalse(tensor.scalars.contains(0), "\(name).\(key) has a zero")
                }
                if key.hasPrefix("norm") && key.hasSuffix("weight") {
                    XCTAssertFalse(tensor.scalars.contains(1), "\(name).\(key) has a one")
                }
            }
        }
    }
}
