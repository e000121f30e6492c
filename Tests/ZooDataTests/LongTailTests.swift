import XCTest
import ZooData
import ZooTensor

/// Long-tail profiles, cuts, samplers and augmentation.
final class LongTailTests: XCTestCase {
    func testFashionMNISTProfile() {
        XCTAssertEqual(LongTail.exponentialCounts(classes: 10, maximum: 1000, ratio: 100),
                       [1000, 599, 359, 215, 129, 77, 46, 27, 16, 10])
        XCTAssertEqual(LongTail.exponentialCounts(classes: 100, maximum: 500, ratio: 100).suffix(1), [5])
        XCTAssertEqual(LongTail.stepCounts(classes: 4, maximum: 100, ratio: 10, manyClasses: 2), [100, 100, 10, 10])
    }

    func balanced(perClass: Int, classes: Int) -> Dataset {
        let labels = (0..<(perClass * classes)).map { $0 % classes }
        return Dataset(values: .floats(labels.map(Float.init)), sampleShape: [1], labels: labels)
    }

    func testCutIsDeterministicForASeedAndKeepsTheCounts() throws {
        let data = balanced(perClass: 50, classes: 5)
        let counts = LongTail.exponentialCounts(classes: 5, maximum: 50, ratio: 10)
        let first = try LongTail.cut(data, counts: counts, seed: 7), again = try LongTail.cut(data, counts: counts, seed: 7)
        XCTAssertEqual(first.classCounts, counts)
        XCTAssertEqual(first.labels, again.labels)
        XCTAssertEqual(first.batch(Array(0..<first.count)).inputs.scalars, again.batch(Array(0..<again.count)).inputs.scalars)
        let other = try LongTail.cut(data, counts: counts, seed: 8)
        XCTAssertNotEqual(first.batch(Array(0..<first.count)).inputs.scalars, other.batch(Array(0..<other.count)).inputs.scalars)
        XCTAssertThrowsError(try LongTail.cut(data, counts: [60], seed: 1)) { error in
            XCTAssertEqual("\(error)", "long-tail cut: class 0 has 50 samples, the profile asks for 60")
        }
    }

    func testSamplersFollowTheirClassProbabilities() {
        let counts = [900, 90, 10]
        let labels = counts.enumerated().flatMap { Array(repeating: $0.offset, count: $0.element) }
        var generator = RandomGenerator(seed: 3)
        func frequencies(_ sampling: Sampling) -> [Double] {
            var seen = [0, 0, 0]
            for _ in 0..<20 { for index in sampling.epoch(labels: labels, classCount: 3, generator: &generator) { seen[labels[index]] += 1 } }
            let total = Double(seen.reduce(0, +))
            return seen.map { Double($0) / total }
        }
        let uniform = Sampling.uniform.epoch(labels: labels, classCount: 3, generator: &generator)
        XCTAssertEqual(uniform.sorted(), Array(labels.indices), "uniform visits every sample once")
        for (value, expected) in zip(frequencies(.classBalanced), [1.0 / 3, 1.0 / 3, 1.0 / 3]) { XCTAssertEqual(value, expected, accuracy: 0.02) }
        let roots = counts.map { Double($0).squareRoot() }, total = roots.reduce(0, +)
        for (value, expected) in zip(frequencies(.squareRoot), roots.map { $0 / total }) { XCTAssertEqual(value, expected, accuracy: 0.02) }
    }

    func testAugmentationCropsFlipsAndNormalises() {
        let image = Tensor(shape: [1, 1, 2, 3], scalars: [1, 2, 3, 4, 5, 6])
        var generator = RandomGenerator(seed: 1)
        let flipped = (0..<20).map { _ in Augmentation(horizontalFlip: true).apply(image, generator: &generator).scalars }
        XCTAssertTrue(flipped.contains([3, 2, 1, 6, 5, 4]) && flipped.contains([1, 2, 3, 4, 5, 6]))
        let normalised = Augmentation(mean: [2], standardDeviation: [0.5]).apply(image, generator: &generator)
        XCTAssertEqual(normalised.scalars, [-2, 0, 2, 4, 6, 8])
        let cropped = (0..<40).map { _ in Augmentation(cropPadding: 1).apply(image, generator: &generator).scalars }
        XCTAssertTrue(cropped.contains([0, 0, 0, 0, 1, 2]), "shifted down-right by one, zeros enter")
        XCTAssertTrue(cropped.allSatisfy { Set($0).isSubset(of: [0, 1, 2, 3, 4, 5, 6]) })
        var first = RandomGenerator(seed: 9), second = RandomGenerator(seed: 9)
        let augmentation = Augmentation(cropPadding: 2, horizontalFlip: true)
        let batch = Tensor(shape: [3, 1, 2, 3], scalars: (0..<18).map(Float.init))
        XCTAssertEqual(augmentation.apply(batch, generator: &first).scalars, augmentation.apply(batch, generator: &second).scalars)
    }
}
