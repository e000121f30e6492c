import XCTest
import ZooTensor
import ZooTestSupport

/// Dropout masks are drawn in blocks, each from a generator seeded by one draw of the caller's.
final class DropoutMaskTests: XCTestCase {
    /// A tensor of 2½ blocks: every element follows the documented rule, whatever the thread count.
    func testMaskFollowsTheBlockRule() {
        let count = Tensor.dropoutBlock * 5 / 2, probability: Float = 0.3
        let ones = Tensor(shape: [count], scalars: [Float](repeating: 1, count: count))
        var generator = RandomGenerator(seed: 11)
        let y = ones.dropout(probability: probability, training: true, generator: &generator).scalars

        var parent = RandomGenerator(seed: 11)
        let seeds = (0..<3).map { _ in parent.next() }
        var expected = [Float]()
        for seed in seeds {
            var block = RandomGenerator(seed: seed)
            for _ in 0..<Swift.min(Tensor.dropoutBlock, count - expected.count) {
                expected.append(block.nextUniform() < probability ? 0 : 1 / (1 - probability))
            }
        }
        XCTAssertEqual(y, expected)
        // The caller's generator moved on by one draw per block, no more.
        XCTAssertEqual(generator.next(), parent.next())
        // About 30% dropped, and no block repeats another's mask.
        let dropped = Double(y.filter { $0 == 0 }.count) / Double(count)
        XCTAssertEqual(dropped, 0.3, accuracy: 0.01)
        XCTAssertNotEqual(Array(y[0..<1000]), Array(y[Tensor.dropoutBlock..<(Tensor.dropoutBlock + 1000)]))
    }
}
