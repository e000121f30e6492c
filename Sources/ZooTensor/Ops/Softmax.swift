import Foundation

/// Numerically stable softmax and log-softmax (max subtracted), with fused derivative rules:
/// one pass each way instead of the five ops of the composite form.
extension Tensor {
    /// Softmax along `axis` (default: the last).
    public func softmax(alongAxis axis: Int = -1) -> Tensor {
        let axis = Shapes.axis(axis, rank: rank, op: "softmax")
        let result = softmaxKernel(axis: axis, logarithmic: false)
        let saved = result.detached()
        return Tensor.record(result, op: "softmax", inputs: [self]) { g, _ in
            // dx = y · (g − Σ g·y)
            [Tensor.alongLanes(of: g, saved, axis: axis) { g, y, out, n, stride in
                var dot: Float = 0
                for k in 0..<n { dot += g[k * stride] * y[k * stride] }
                for k in 0..<n { out[k * stride] = y[k * stride] * (g[k * stride] - dot) }
            }]
        }
    }

    /// Log-softmax along `axis` (default: the last).
    public func logSoftmax(alongAxis axis: Int = -1) -> Tensor {
        let axis = Shapes.axis(axis, rank: rank, op: "log softmax")
        let result = softmaxKernel(axis: axis, logarithmic: true)
        let saved = result.detached()
        return Tensor.record(result, op: "log softmax", inputs: [self]) { g, _ in
            // dx = g − softmax · Σ g
            [Tensor.alongLanes(of: g, saved, axis: axis) { g, y, out, n, stride in
                var total: Float = 0
                for k in 0..<n { total += g[k * stride] }
                for k in 0..<n { out[k * stride] = g[k * stride] - Foundation.exp(y[k * stride]) * total }
            }]
        }
    }

    private func softmaxKernel(axis: Int, logarithmic: Bool) -> Tensor {
        Tensor.alongLanes(of: self, self, axis: axis) { x, _, out, n, stride in
            guard n > 0 else { return }
            var peak = -Float.infinity
            for k in 0..<n { peak = Swift.max(peak, x[k * stride]) }
            var total: Float = 0
            for k in 0..<n {
                let e = Foundation.exp(x[k * stride] - peak)
                out[k * stride] = e
                total += e
            }
            if logarithmic {
                // (x − peak) is exact for nearby values; subtracting the small log-sum after keeps precision.
                let logTotal = Foundation.log(total)
                for k in 0..<n { out[k * stride] = (x[k * stride] - peak) - logTotal }
            } else {
                let scale = 1 / total
                for k in 0..<n { out[k * stride] *= scale }
            }
        }
    }

    /// Runs `body(a, b, out, length, stride)` once per lane along `axis` of two same-shaped tensors.
    @inline(__always)
    static func alongLanes(
        of a: Tensor, _ b: Tensor, axis: Int,
        _ body: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int, Int) -> Void
    ) -> Tensor {
        let (outer, length, inner) = a.splitAround(axis)
        let result = Tensor.uninitialized(a.shape)
        let pa = UncheckedSendable(a.storage.pointer), pb = UncheckedSendable(b.storage.pointer)
        let out = UncheckedSendable(result.storage.pointer)
        Threading.parallelFor(outer * inner, grain: Swift.max(1, 16384 / Swift.max(length, 1))) { lanes in
            for lane in lanes {
                let base = (lane / inner) * length * inner + lane % inner
                body(pa.value + base, pb.value + base, out.value + base, length, inner)
            }
        }
        return result
    }
}
