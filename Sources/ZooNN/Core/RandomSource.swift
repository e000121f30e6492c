import ZooTensor

/// A shared, seeded random generator for the layers of one model (initialisation and dropout),
/// so that a model built and trained from the same seed gives the same numbers.
public final class RandomSource: @unchecked Sendable {
    public var generator: RandomGenerator

    public init(seed: UInt64) { generator = RandomGenerator(seed: seed) }
}
