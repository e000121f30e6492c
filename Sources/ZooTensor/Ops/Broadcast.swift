/// Broadcasting element-wise kernels shared by the binary ops.
enum BroadcastKernel {
    /// Strides of `shape` laid out against `outputShape`, with 0 on broadcast axes.
    static func strides(of shape: [Int], against outputShape: [Int]) -> [Int] {
        let offset = outputShape.count - shape.count
        let own = shape.rowMajorStrides
        return (0..<outputShape.count).map { axis in
            axis < offset || shape[axis - offset] == 1 ? 0 : own[axis - offset]
        }
    }

    /// `out[i] = f(a[ia], b[ib])` over the broadcast of `a` and `b`.
    @inline(__always)
    static func apply(_ a: Tensor, _ b: Tensor, op: String, _ f: (Float, Float) -> Float) -> Tensor {
        let shape = a.shape == b.shape ? a.shape : Shapes.broadcast(a.shape, b.shape, op: op)
        let result = Tensor.uninitialized(shape)
        let pa = a.storage.pointer, pb = b.storage.pointer, out = result.storage.pointer
        let count = result.count
        let (sa, sb, so) = (UncheckedSendable(pa), UncheckedSendable(pb), UncheckedSendable(out))
        OpTimer.measure(.elementwise) {
            if a.shape == b.shape {
                Threading.parallelFor(count, grain: Threading.elementwiseGrain) { range in
                    for index in range { so.value[index] = f(sa.value[index], sb.value[index]) }
                }
            } else if b.count == 1 {
                let scalar = pb[0]
                Threading.parallelFor(count, grain: Threading.elementwiseGrain) { range in
                    for index in range { so.value[index] = f(sa.value[index], scalar) }
                }
            } else if a.count == 1 {
                let scalar = pa[0]
                Threading.parallelFor(count, grain: Threading.elementwiseGrain) { range in
                    for index in range { so.value[index] = f(scalar, sb.value[index]) }
                }
            } else {
                general(shape: shape, sa: strides(of: a.shape, against: shape),
                        sb: strides(of: b.shape, against: shape), pa: pa, pb: pb, out: out, f)
            }
        }
        return result
    }

    @inline(__always)
    private static func general(
        shape: [Int], sa: [Int], sb: [Int], pa: UnsafeMutablePointer<Float>,
        pb: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>, _ f: (Float, Float) -> Float
    ) {
        let rank = shape.count
        let inner = shape[rank - 1], ia = sa[rank - 1], ib = sb[rank - 1]
        let rows = shape.elementCount / Swift.max(inner, 1)
        var index = [Int](repeating: 0, count: rank)
        var offsetA = 0, offsetB = 0
        for row in 0..<rows {
            let base = row * inner
            if ia == 1 && ib == 0 {
                let scalar = pb[offsetB]
                for k in 0..<inner { out[base + k] = f(pa[offsetA + k], scalar) }
            } else if ia == 0 && ib == 1 {
                let scalar = pa[offsetA]
                for k in 0..<inner { out[base + k] = f(scalar, pb[offsetB + k]) }
            } else {
                for k in 0..<inner { out[base + k] = f(pa[offsetA + k * ia], pb[offsetB + k * ib]) }
            }
            // Advance the odometer over all axes but the last.
            var axis = rank - 2
            while axis >= 0 {
                index[axis] += 1
                offsetA += sa[axis]
                offsetB += sb[axis]
                if index[axis] < shape[axis] { break }
                offsetA -= sa[axis] * shape[axis]
                offsetB -= sb[axis] * shape[axis]
                index[axis] = 0
                axis -= 1
            }
        }
    }
}

extension Tensor {
    /// Sums a broadcast gradient back down to `shape` (the inverse of broadcasting).
    public func summed(toShape target: [Int]) -> Tensor {
        if shape == target { return self }
        let offset = rank - target.count
        precondition(offset >= 0, "[sum to shape] cannot reduce \(shape) to \(target)")
        var axes: [Int] = Array(0..<offset)
        for axis in 0..<target.count where target[axis] == 1 && shape[axis + offset] != 1 {
            axes.append(axis + offset)
        }
        return sum(alongAxes: axes, keepingDimensions: false).reshaped(target)
    }
}
