import Foundation

/// A seeded pseudo-random generator (xoshiro256**, seeded through SplitMix64), so runs repeat exactly.
///
/// Every op that draws random numbers takes a generator explicitly.
public struct RandomGenerator: RandomNumberGenerator, Sendable {
    private var state: (UInt64, UInt64, UInt64, UInt64)

    public init(seed: UInt64) {
        var mixer = seed
        func splitMix() -> UInt64 {
            mixer &+= 0x9E37_79B9_7F4A_7C15
            var z = mixer
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = (splitMix(), splitMix(), splitMix(), splitMix())
    }

    /// A generator continuing from `words`, a state read from `stateWords` (nil unless four words,
    /// not all zero: xoshiro's one forbidden state).
    public init?(stateWords words: [UInt64]) {
        guard words.count == 4, words.contains(where: { $0 != 0 }) else { return nil }
        state = (words[0], words[1], words[2], words[3])
    }

    /// The generator's whole state, for checkpoints.
    public var stateWords: [UInt64] { [state.0, state.1, state.2, state.3] }

    public mutating func next() -> UInt64 {
        let result = ((state.1 &* 5) << 7 | (state.1 &* 5) >> 57) &* 9
        let shifted = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= shifted
        state.3 = (state.3 << 45) | (state.3 >> 19)
        return result
    }

    /// Uniform in [0, 1) with 24 random bits.
    public mutating func nextUniform() -> Float {
        Float(next() >> 40) * (1.0 / 16_777_216.0)
    }

    /// Standard normal (Box–Muller).
    public mutating func nextNormal() -> Float {
        let u1 = Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
        let u2 = Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
        return Float((-2 * Foundation.log(1 - u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2))
    }
}

extension Tensor {
    /// Elements drawn uniformly from `[low, high)`.
    public static func uniform(_ shape: [Int], low: Float = 0, high: Float = 1,
                               generator: inout RandomGenerator, requiresGrad: Bool = false) -> Tensor {
        let result = Tensor.uninitialized(shape)
        result.requiresGrad = requiresGrad
        let width = high - low
        for index in 0..<result.count { result.storage.pointer[index] = low + width * generator.nextUniform() }
        return result
    }

    /// Elements drawn from a normal distribution.
    public static func normal(_ shape: [Int], mean: Float = 0, standardDeviation: Float = 1,
                              generator: inout RandomGenerator, requiresGrad: Bool = false) -> Tensor {
        let result = Tensor.uninitialized(shape)
        result.requiresGrad = requiresGrad
        for index in 0..<result.count {
            result.storage.pointer[index] = mean + standardDeviation * generator.nextNormal()
        }
        return result
    }

    /// Elements that are 1 with probability `probability`, else 0.
    public static func bernoulli(_ shape: [Int], probability: Float, generator: inout RandomGenerator) -> Tensor {
        let result = Tensor.uninitialized(shape)
        for index in 0..<result.count {
            result.storage.pointer[index] = generator.nextUniform() < probability ? 1 : 0
        }
        return result
    }
}
