import Foundation
import ZooTensor

/// Long-tailed cuts of a balanced data set.
public enum LongTail {
    /// The exponential profile `n_i = floor(n_max · ratio^(−i/(C−1)))` for classes `0..<classes`.
    public static func exponentialCounts(classes: Int, maximum: Int, ratio: Double) -> [Int] {
        precondition(classes >= 1 && maximum >= 1 && ratio >= 1, "[long tail] needs classes ≥ 1, n_max ≥ 1, ratio ≥ 1")
        guard classes > 1 else { return [maximum] }
        // A hair above the exact value so that 1000 · 100^(−1) is 10, not 9.999…
        return (0..<classes).map { Int((Double(maximum) * pow(ratio, -Double($0) / Double(classes - 1)) + 1e-9).rounded(.down)) }
    }

    /// The step profile: the first `manyClasses` classes keep `maximum`, the rest `maximum / ratio`.
    public static func stepCounts(classes: Int, maximum: Int, ratio: Double, manyClasses: Int) -> [Int] {
        (0..<classes).map { $0 < manyClasses ? maximum : Swift.max(1, Int(Double(maximum) / ratio + 1e-9)) }
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
