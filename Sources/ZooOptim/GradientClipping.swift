import ZooTensor

/// Scales the gradients of `parameters` in place so that their total 2-norm is at most
/// `maxNorm`, as `torch.nn.utils.clip_grad_norm_` does, and returns the total norm before
/// clipping.
///
/// The total norm is the 2-norm of all gradient elements together (parameters without a
/// gradient are ignored; with none it is 0). Every gradient is multiplied by
/// `maxNorm / (total + 1e-6)` when that is below 1 and left as it is otherwise. As in PyTorch, a
/// non-finite total norm is not an error: the factor is then 0 or NaN and is applied as well.
@discardableResult
public func clipGradientNorm(_ parameters: [Tensor], maxNorm: Float) -> Float {
    precondition(maxNorm >= 0, "[clipGradientNorm] invalid maximum norm \(maxNorm)")
    let grads = parameters.compactMap(\.grad)
    var sumOfSquares: Double = 0
    for grad in grads {
        grad.withScalars { g in
            guard let g = g.baseAddress else { return }
            sumOfSquares += sumOfSquaresInDouble(g, count: grad.count)
        }
    }
    let total = Float(sumOfSquares.squareRoot())
    let coefficient = maxNorm / (total + 1e-6)
    if !(coefficient >= 1) {
        for grad in grads {
            grad.withMutableScalars { g in
                guard let g = g.baseAddress else { return }
                for i in 0..<grad.count { g[i] = g[i] * coefficient }
            }
        }
    }
    return total
}

/// Σ x², accumulated in double precision in four independent sums (which keeps the additions
/// pipelined; the order differs from a left-to-right sum only by double-precision rounding).
private func sumOfSquaresInDouble(_ x: UnsafePointer<Float>, count n: Int) -> Double {
    var sums = (0.0, 0.0, 0.0, 0.0)
    var i = 0
    while i + 4 <= n {
        let a = Double(x[i]), b = Double(x[i + 1]), c = Double(x[i + 2]), d = Double(x[i + 3])
        sums.0 += a * a
        sums.1 += b * b
        sums.2 += c * c
        sums.3 += d * d
        i += 4
    }
    while i < n {
        let a = Double(x[i])
        sums.0 += a * a
        i += 1
    }
    return (sums.0 + sums.1) + (sums.2 + sums.3)
}
