import Foundation

/// Element-wise math and activations, each with its derivative rule.
extension Tensor {
    public func exp() -> Tensor {
        let result = mapped { Foundation.exp($0) }
        let saved = result.detached()
        return Tensor.record(result, op: "exp", inputs: [self]) { g, _ in [g.zipped(saved, *)] }
    }

    public func log() -> Tensor {
        let result = mapped { Foundation.log($0) }
        let x = detached()
        return Tensor.record(result, op: "log", inputs: [self]) { g, _ in [g.zipped(x, /)] }
    }

    public func sqrt() -> Tensor {
        let result = mapped { $0.squareRoot() }
        let saved = result.detached()
        return Tensor.record(result, op: "sqrt", inputs: [self]) { g, _ in [g.zipped(saved) { $0 / (2 * $1) }] }
    }

    /// Raises every element to a constant power.
    public func pow(_ exponent: Float) -> Tensor {
        let result = mapped { Foundation.pow($0, exponent) }
        let x = detached()
        return Tensor.record(result, op: "pow", inputs: [self]) { g, _ in
            [g.zipped(x) { $0 * exponent * Foundation.pow($1, exponent - 1) }]
        }
    }

    public func abs() -> Tensor {
        let result = mapped { Swift.abs($0) }
        let x = detached()
        return Tensor.record(result, op: "abs", inputs: [self]) { g, _ in
            [g.zipped(x) { $1 > 0 ? $0 : ($1 < 0 ? -$0 : 0) }]
        }
    }

    /// Limits every element to `[minimum, maximum]`; the gradient passes where the input lies inside.
    public func clamped(min minimum: Float = -.infinity, max maximum: Float = .infinity) -> Tensor {
        let result = mapped { Swift.min(Swift.max($0, minimum), maximum) }
        let x = detached()
        return Tensor.record(result, op: "clamp", inputs: [self]) { g, _ in
            [g.zipped(x) { $1 >= minimum && $1 <= maximum ? $0 : 0 }]
        }
    }

    public func relu() -> Tensor {
        let result = Tensor.uninitialized(shape)
        let (x, out) = (UncheckedSendable(storage.pointer), UncheckedSendable(result.storage.pointer))
        OpTimer.measure(.elementwise) {
            Threading.parallelFor(count, grain: Threading.elementwiseGrain) { range in
                VectorKernels.relu(x.value + range.lowerBound, range.count, into: out.value + range.lowerBound)
            }
        }
        let saved = result.detached()
        return Tensor.record(result, op: "relu", inputs: [self]) { g, _ in [g.reluGradient(output: saved)] }
    }

    /// The ReLU derivative rule: this upstream gradient where the ReLU's `output` is positive, else 0.
    func reluGradient(output: Tensor) -> Tensor {
        let result = Tensor.uninitialized(shape)
        let (g, y, out) = (UncheckedSendable(storage.pointer), UncheckedSendable(output.storage.pointer),
                           UncheckedSendable(result.storage.pointer))
        OpTimer.measure(.elementwise) {
            Threading.parallelFor(count, grain: Threading.elementwiseGrain) { range in
                VectorKernels.reluGradient(g.value + range.lowerBound, y.value + range.lowerBound, range.count,
                                           into: out.value + range.lowerBound)
            }
        }
        return result
    }

    /// GELU with the exact erf form (PyTorch's default `approximate='none'`).
    public func gelu() -> Tensor {
        let result = mapped { 0.5 * $0 * (1 + Foundation.erf($0 * 0.70710678118654752)) }
        let x = detached()
        return Tensor.record(result, op: "gelu", inputs: [self]) { g, _ in
            [g.zipped(x) { g, x in
                let cdf = 0.5 * (1 + Foundation.erf(x * 0.70710678118654752))
                let pdf = 0.39894228040143268 * Foundation.exp(-0.5 * x * x)
                return g * (cdf + x * pdf)
            }]
        }
    }

    public func sigmoid() -> Tensor {
        let result = mapped { 1 / (1 + Foundation.exp(-$0)) }
        let saved = result.detached()
        return Tensor.record(result, op: "sigmoid", inputs: [self]) { g, _ in [g.zipped(saved) { $0 * $1 * (1 - $1) }] }
    }

    public func tanh() -> Tensor {
        let result = mapped { Foundation.tanh($0) }
        let saved = result.detached()
        return Tensor.record(result, op: "tanh", inputs: [self]) { g, _ in [g.zipped(saved) { $0 * (1 - $1 * $1) }] }
    }
}
