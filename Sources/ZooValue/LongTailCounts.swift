import Foundation

/// The long-tail cut's samples per class, from the rule the data readers apply and the manifest
/// reports (one formula for both).
public enum LongTailCounts {
    /// The exponential profile `n_i = floor(n_max · ratio^(−i/(C−1)))` for classes `0..<classes`
    /// (a single class keeps `n_max`). Needs classes ≥ 1, n_max ≥ 1, ratio ≥ 1.
    public static func exponential(classes: Int, maximum: Int, ratio: Double) -> [Int] {
        guard classes > 1 else { return Array(repeating: maximum, count: max(classes, 0)) }
        // A hair above the exact value so that 1000 · 100^(−1) is 10, not 9.999…
        return (0..<classes).map { Int((Double(maximum) * pow(ratio, -Double($0) / Double(classes - 1)) + 1e-9).rounded(.down)) }
    }

    /// The step profile: the first `manyClasses` classes keep `maximum`, the rest `maximum / ratio`
    /// (at least 1).
    public static func step(classes: Int, maximum: Int, ratio: Double, manyClasses: Int) -> [Int] {
        (0..<classes).map { $0 < manyClasses ? maximum : Swift.max(1, Int(Double(maximum) / ratio + 1e-9)) }
    }
}
