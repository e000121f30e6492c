import XCTest
import ZooNN
import ZooTensor

final class DropoutReseedTests: XCTestCase {
    /// After `reseedDropout(seed)` the masks depend on the seed alone, not on what was drawn before.
    func testReseededDropoutMasksDependOnTheSeedAlone() {
        let layer = TransformerEncoderLayer(dModel: 8, heads: 2, feedForward: 16, dropout: 0.5, random: RandomSource(seed: 1))
        XCTAssertEqual(layer.dropoutLayers.count, 4, "attention weights, after attention, inside and after the feed-forward block")
        var generator = RandomGenerator(seed: 2)
        let input = Tensor.normal([3, 2, 8], generator: &generator)
        layer.reseedDropout(5)
        let first = layer(input).scalars
        _ = layer(input)  // draws more masks
        layer.reseedDropout(5)
        XCTAssertEqual(layer(input).scalars, first)
        layer.reseedDropout(6)
        XCTAssertNotEqual(layer(input).scalars, first)
    }
}
