import Foundation
import ZooTensor
import ZooValue

/// Long-tailed cuts of a balanced data set.
public enum LongTail {
    /// The exponential profile `n_i = floor(n_max · ratio^(−i/(C−1)))` for classes `0..<classes`.
    public static func exponentialCounts(classes: Int, maximum: Int, ratio: Double) -> [Int] {
        precondition(classes >= 1 && maximum >= 1 && ratio >= 1, "[long tail] needs classes ≥ 1, n_max ≥ 1, ratio ≥ 1")
        return LongTailCounts.exponential(classes: classes, maximum: maximum, ratio: ratio)
    }

    /// The step profile: the first `manyClasses` classes keep `maximum`, the rest `maximum / ratio`.
    public static func stepCounts(classes: Int, maximum: Int, ratio: Double, manyClasses: Int) -> [Int] {
        LongTailCounts.step(classes: classes, maximum: maximum, ratio: ratio, manyClasses: manyClasses)
    }

    /// A subset with at most `counts[c]` samples of class `c`, chosen at random with `seed`
    /// (the same seed gives the same subset); throws when a class has fewer samples than asked.
    public static func cut(_ dataset: Dataset, counts: [Int], seed: UInt64) throws -> Dataset {
        guard counts.count <= dataset.classCount else {
            throw DataError(file: "long-tail cut", "\(counts.count) class counts for \(dataset.classCount) classes")
        }
        var byClass = [[Int]](repeating: [], count: dataset.classCount)
        for (index, label) in dataset.labels.enumerated() { byClass[label].append(index) }
        var generator = RandomGenerator(seed: seed)
        var chosen: [Int] = []
        for (label, count) in counts.enumerated() {
            guard byClass[label].count >= count else {
                throw DataError(file: "long-tail cut", "class \(label) has \(byClass[label].count) samples, the profile asks for \(count)")
            }
            var members = byClass[label]
            members.shuffle(using: &generator)
            chosen += members.prefix(count)
        }
        chosen.sort()
        return dataset.subset(chosen)
    }
}
