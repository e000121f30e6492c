import ZooTensor

/// Synthetic data: Gaussian clusters, one per class. The class centres are drawn once from the
/// seed (standard normal); a sample is its class's centre plus 2 · standard normal noise.
public enum GaussianClusters {
    /// Test samples per class.
    public static let testSamplesPerClass = 50

    /// A training set of `trainCounts[c]` samples of class `c` and a test set of
    /// `testSamplesPerClass` for each of the `classCount` classes, each sample of `sampleShape`;
    /// the same for a seed.
    public static func datasets(sampleShape: [Int], classCount classes: Int, trainCounts: [Int],
                                seed: Int) -> (train: Dataset, test: Dataset) {
        let size = sampleShape.elementCount
        var generator = RandomGenerator(seed: UInt64(truncatingIfNeeded: seed) &+ 0x5EED)
        let centres = (0..<(classes * size)).map { _ in generator.nextNormal() }
        func make(_ counts: [Int], generator: inout RandomGenerator) -> Dataset {
            var values: [Float] = [], labels: [Int] = []
            for (label, count) in counts.enumerated() {
                for _ in 0..<count {
                    for k in 0..<size { values.append(centres[label * size + k] + 2 * generator.nextNormal()) }
                    labels.append(label)
                }
            }
            return Dataset(values: .floats(values), sampleShape: sampleShape, labels: labels, classCount: classes)
        }
        var trainGenerator = RandomGenerator(seed: UInt64(truncatingIfNeeded: seed) &+ 1)
        var testGenerator = RandomGenerator(seed: UInt64(truncatingIfNeeded: seed) &+ 2)
        return (make(trainCounts, generator: &trainGenerator),
                make(Array(repeating: testSamplesPerClass, count: classes), generator: &testGenerator))
    }
}
