import ZooTensor

/// A module's backward against central finite differences of its forward, in float32.
///
/// The objective is `f = Σ output · u` for a fixed random `u`; its gradient with respect to a
/// tensor `x` is what backward returns for the upstream gradient `u`. Each input and parameter
/// tensor is measured along its returned gradient's own direction (`v = g/‖g‖`, where the expected
/// derivative `g · v = ‖g‖` is as large as a directional derivative can be, so float32 noise
/// matters least, and where a gradient off in any way disagrees), and all tensors together along
/// one random direction. Each derivative is estimated by `(f(x + hv) − f(x − hv)) / 2h`,
/// corrected for the rounding of the two points to float32 (they are `δ` apart, not exactly `2hv`,
/// so `f₊ − f₋` is compared with `g·δ`).
///
/// In float32 no single step is right for every tensor: a large step crosses ReLU and max-pool
/// kinks and feels curvature (errors that shrink with `h`), a small one drowns in rounding (an
/// error that grows as `1/h`). So the steps form a ladder, chosen to change `f` by 3e-2 down to
/// 1e-5 of its size `Σ|output · u|` (shifted down together when the largest would move the
/// tensor by more than a tenth of its norm), and the error is that of the two neighbouring steps
/// that both come closest to backward's value, relative to `‖g‖`. It passes within `tolerance`.
///
/// A smooth module comes within about 1e-5, a ReLU network with max-pooling or training-mode
/// BatchNorm within about 3e-3; a gradient off by 1 % fails (1e-2 > 5e-3), and so does a dropped
/// term or a transposed matrix, by far more.
struct GradientComparison {
    static let relativeChanges: [Double] = [3e-2, 1e-2, 3e-3, 1e-3, 3e-4, 1e-4, 3e-5, 1e-5]
    static let maximumStep = 0.1
    static let tolerance = 5e-3

    /// The tensors compared, their gradients (backward's, as Double) and their values.
    let tensors: [Tensor]
    let gradients: [[Double]]
    let originals: [[Float]]
    /// The smallest gradient norm a tensor is judged by: a thousandth of the largest tensor's, so
    /// that a tensor whose gradient is nearly zero is not failed by float noise alone.
    let floor: Double
    /// `objective()` is f at the tensors' current values; `magnitude` is Σ|output · u|, the size
    /// float32 rounds f to a fraction of.
    let objective: () -> Double
    let magnitude: Double

    init(_ tensors: [Tensor], magnitude: Double, objective: @escaping () -> Double) {
        self.tensors = tensors
        self.gradients = tensors.map { ($0.grad?.scalars ?? [Float](repeating: 0, count: $0.count)).map(Double.init) }
        self.originals = tensors.map(\.scalars)
        self.floor = 1e-3 * (gradients.map(Self.norm).max() ?? 0)
        self.magnitude = magnitude
        self.objective = objective
    }

    /// The error of tensor `index` along its own gradient's direction, relative to its gradient's
    /// norm (or `floor`).
    func alongOwnGradient(_ index: Int) -> Double {
        let gradient = gradients[index], gradientNorm = Self.norm(gradient)
        guard gradientNorm > 0 else { return 0 }
        return measure([(index, gradient.map { $0 / gradientNorm })], scale: Swift.max(gradientNorm, floor),
                       reach: Self.reach(originals[index]))
    }

    /// All tensors together along one random unit direction: a wrong gradient that happens to
    /// agree along its own direction does not agree along this one.
    func alongRandomDirection(generator: inout RandomGenerator) -> Double {
        var direction = gradients.map { $0.map { _ in Double(generator.nextNormal()) } }
        let length = Swift.max(Self.norm(direction.flatMap { $0 }), 1e-300)
        direction = direction.map { $0.map { $0 / length } }
        let scale = Self.norm(gradients.flatMap { $0 })
        guard scale > 0 else { return 0 }
        return measure(Array(zip(direction.indices, direction)), scale: scale, reach: Self.reach(originals.flatMap { $0 }))
    }

    /// The directional derivative along `direction` (one unit vector over the tensors it names by
    /// index) against what the gradients predict, at each of the steps; the tensors are restored
    /// afterwards.
    private func measure(_ direction: [(tensor: Int, along: [Double])], scale: Double, reach: Double) -> Double {
        defer {
            for index in direction.map(\.tensor) {
                let original = originals[index]
                tensors[index].withMutableScalars { values in for position in values.indices { values[position] = original[position] } }
            }
        }
        var expected = 0.0
        for (index, along) in direction { expected += zip(gradients[index], along).reduce(0) { $0 + $1.0 * $1.1 } }
        // Steps that change f by the fractions `relativeChanges` of its size, all shifted down
        // when the largest would move the tensor by more than `maximumStep` of its own size.
        let largestStep = Self.relativeChanges[0] * magnitude / scale
        let shrink = Swift.min(1, Self.maximumStep * reach / largestStep)
        let estimates = Self.relativeChanges.map { change -> Double in
            let step = change * magnitude / scale * shrink
            // float32 cannot hold x ± h·v exactly: the points move by δ, not by 2h·v. What backward
            // predicts for that move, g·δ, is what f₊ − f₋ is compared with.
            var predicted = 0.0
            func shifted(_ sign: Double) -> Double {
                for (index, along) in direction {
                    let original = originals[index], gradient = gradients[index]
                    tensors[index].withMutableScalars { values in
                        for position in values.indices {
                            values[position] = Float(Double(original[position]) + sign * step * along[position])
                            predicted += sign * gradient[position] * Double(values[position])
                        }
                    }
                }
                return objective()
            }
            let difference = shifted(1) - shifted(-1)
            return (difference - predicted) / (2 * step) + expected
        }
        return Self.judge(estimates, expected: expected, scale: scale)
    }

    /// The error of the two neighbouring steps that both come closest to `expected`: the larger
    /// of the pair's two, relative to `scale`; the smallest over the pairs.
    static func judge(_ estimates: [Double], expected: Double, scale: Double) -> Double {
        var best = Double.infinity
        for (first, second) in zip(estimates, estimates.dropFirst()) where first.isFinite && second.isFinite {
            best = Swift.min(best, Swift.max(Swift.abs(first - expected), Swift.abs(second - expected)) / scale)
        }
        return best
    }

    /// The size of a tensor's values, for the largest step (at least 1e-2 per element).
    private static func reach(_ values: [Float]) -> Double {
        Swift.max(norm(values.map(Double.init)), 1e-2 * Double(values.count).squareRoot())
    }

    private static func norm(_ values: [Double]) -> Double {
        values.reduce(0) { $0 + $1 * $1 }.squareRoot()
    }
}
