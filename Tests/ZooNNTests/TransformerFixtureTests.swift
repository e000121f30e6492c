import XCTest
import ZooNN
import ZooTensor
import ZooTestSupport

/// `TransformerEncoderLayer` against PyTorch: BatchFormer V1 (batch as the sequence) and V2
/// (attention across the batch at every spatial position). Tolerances from the fixtures' README.
final class TransformerFixtureTests: XCTestCase {
    func makeLayer(_ archive: SafeTensorsArchive) throws -> TransformerEncoderLayer {
        let x = try archive.tensor("input.x")
        let channels = x.shape[1]
        let layer = TransformerEncoderLayer(dModel: channels, heads: 4, feedForward: channels, dropout: 0,
                                            random: RandomSource(seed: 0))
        try layer.loadStateDictionary(archive.tensors(withPrefix: "param."))
        return layer
    }

    func assertGradients(_ layer: TransformerEncoderLayer, _ archive: SafeTensorsArchive, input: Tensor,
                         file: StaticString = #filePath, line: UInt = #line) throws {
        assertClose(input.grad!, try archive.tensor("grad.input.x"), tolerance: 1e-3, "grad.input.x", file: file, line: line)
        for (name, parameter) in layer.namedParameters() {
            assertClose(parameter.grad!, try archive.tensor("grad.param." + name), tolerance: 1e-3, name, file: file, line: line)
        }
    }

    func testBatchFormerV1AttendsAcrossTheBatch() throws {
        let archive = try SafeTensorsArchive.fixture("batchformer_v1.safetensors")
        let layer = try makeLayer(archive)
        let x = try archive.tensor("input.x")
        x.requiresGrad = true
        // [B, D] → one sequence of B tokens: [L = B, N = 1, E = D].
        let y = layer(x.unsqueezed(1)).reshaped(x.shape)
        assertClose(y, try archive.tensor("output.y"), tolerance: 1e-4, "output.y")
        try (y * archive.tensor("input.upstream")).sum().backward()
        try assertGradients(layer, archive, input: x)
    }

    func testBatchFormerV1BatchFirstGivesTheSameNumbers() throws {
        let archive = try SafeTensorsArchive.fixture("batchformer_v1.safetensors")
        let x = try archive.tensor("input.x")
        let layer = TransformerEncoderLayer(dModel: 64, heads: 4, feedForward: 64, dropout: 0, batchFirst: true,
                                            random: RandomSource(seed: 0))
        try layer.loadStateDictionary(archive.tensors(withPrefix: "param."))
        let y = layer(x.unsqueezed(0)).reshaped(x.shape)   // [N = 1, L = B, E]
        assertClose(y, try archive.tensor("output.y"), tolerance: 1e-4, "output.y")
    }

    func testBatchFormerV2AttendsAcrossTheBatchAtEveryPosition() throws {
        let archive = try SafeTensorsArchive.fixture("batchformer_v2.safetensors")
        let layer = try makeLayer(archive)
        let x = try archive.tensor("input.x")
        x.requiresGrad = true
        let (b, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        // [B, C, H, W] → [L = B, N = H·W, E = C] → back.
        let sequences = x.permuted([0, 2, 3, 1]).reshaped([b, h * w, c])
        let y = layer(sequences).reshaped([b, h, w, c]).permuted([0, 3, 1, 2])
        assertClose(y, try archive.tensor("output.y"), tolerance: 1e-4, "output.y")
        try (y * archive.tensor("input.upstream")).sum().backward()
        try assertGradients(layer, archive, input: x)
    }

    func testParameterNamesAreTorchStateDictKeys() throws {
        let archive = try SafeTensorsArchive.fixture("batchformer_v1.safetensors")
        let layer = try makeLayer(archive)
        XCTAssertEqual(Set(layer.namedParameters().map(\.0)), Set(archive.tensors(withPrefix: "param.").keys))
    }
}
