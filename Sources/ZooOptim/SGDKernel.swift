import ZooTensor

/// The element-wise arithmetic of one SGD step, in PyTorch's order of operations.
enum SGDKernel {
    /// The step's scalar factors.
    struct Factors {
        var learningRate: Float
        var weightDecay: Float
        var momentum: Float
        /// `1 − dampening`.
        var keep: Float
        var nesterov: Bool
    }

    /// Updates `p` in place; `buffer` is the momentum buffer (`nil` without momentum), which
    /// `firstStep` initialises to the decayed gradient. Large parameters are split across the
    /// workers (each element's update is independent of the others').
    static func step(
        parameter p: UnsafeMutablePointer<Float>, gradient g: UnsafePointer<Float>,
        buffer: UnsafeMutablePointer<Float>?, firstStep: Bool, count n: Int, factors: Factors
    ) {
        Threading.parallelFor(n, grain: Threading.elementwiseGrain) { range in
            let (p, g, buffer, n) = (p + range.lowerBound, g + range.lowerBound, buffer.map { $0 + range.lowerBound }, range.count)
            // One specialised copy per case, so that every loop is branch-free and vectorises.
            if factors.weightDecay == 0 {
                run(p, g, buffer, firstStep, n, factors, decays: false)
            } else {
                run(p, g, buffer, firstStep, n, factors, decays: true)
            }
        }
    }

    @inline(__always)
    private static func run(
        _ p: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, _ buffer: UnsafeMutablePointer<Float>?,
        _ firstStep: Bool, _ n: Int, _ factors: Factors, decays: Bool
    ) {
        let lr = factors.learningRate
        let decay = factors.weightDecay
        let m = factors.momentum
        let keep = factors.keep
        // g + wd·p (grad.add(param, alpha: wd)); PyTorch skips it when wd is 0.
        @inline(__always) func decayed(_ i: Int) -> Float { decays ? g[i] + decay * p[i] : g[i] }

        guard let b = buffer else {
            for i in 0..<n { p[i] = p[i] - lr * decayed(i) }
            return
        }
        switch (firstStep, factors.nesterov) {
        case (true, false):
            for i in 0..<n {
                let d = decayed(i)
                b[i] = d
                p[i] = p[i] - lr * d
            }
        case (true, true):
            for i in 0..<n {
                let d = decayed(i)
                b[i] = d
                p[i] = p[i] - lr * (d + m * d)
            }
        case (false, false):
            for i in 0..<n {
                let d = decayed(i)
                let v = b[i] * m + keep * d  // buf.mul_(momentum).add_(g, alpha: 1 − dampening)
                b[i] = v
                p[i] = p[i] - lr * v
            }
        case (false, true):
            for i in 0..<n {
                let d = decayed(i)
                let v = b[i] * m + keep * d
                b[i] = v
                p[i] = p[i] - lr * (d + m * v)
            }
        }
    }
}
