/// Reductions: sum, mean, max and argmax over axes.
extension Tensor {
    /// Sum of all elements, as a rank-0 tensor.
    public func sum() -> Tensor {
        var total: Float = 0
        withScalars { for value in $0 { total += value } }
        let inputShape = shape
        return Tensor.record(Tensor(total), op: "sum", inputs: [self]) { g, _ in
            [Tensor(repeating: g.item, shape: inputShape)]
        }
    }

    /// Mean of all elements, as a rank-0 tensor.
    public func mean() -> Tensor { sum() * (1 / Float(Swift.max(count, 1))) }

    /// Sums over `axes` (negative axes count from the end).
    ///
    /// Shape: `[2, 3, 4]` summed along `[1]` is `[2, 4]`, or `[2, 1, 4]` when keeping dimensions.
    public func sum(alongAxes axes: [Int], keepingDimensions: Bool = false) -> Tensor {
        let resolved = Set(axes.map { Shapes.axis($0, rank: rank, op: "sum") })
        var result = self.detached()
        for axis in resolved.sorted(by: >) { result = result.summedKeepingAxis(axis) }
        let kept = shape.enumerated().map { resolved.contains($0.offset) ? 1 : $0.element }
        let finalShape = keepingDimensions ? kept : shape.enumerated().filter { !resolved.contains($0.offset) }.map(\.element)
        result = Tensor(shape: finalShape, storage: result.storage)
        let inputShape = shape
        return Tensor.record(result, op: "sum along axes", inputs: [self]) { g, _ in
            [g.reshaped(kept).broadcast(to: inputShape)]
        }
    }

    public func sum(alongAxis axis: Int, keepingDimensions: Bool = false) -> Tensor {
        sum(alongAxes: [axis], keepingDimensions: keepingDimensions)
    }

    /// Means over `axes`.
    public func mean(alongAxes axes: [Int], keepingDimensions: Bool = false) -> Tensor {
        let reduced = Set(axes.map { Shapes.axis($0, rank: rank, op: "mean") }).reduce(1) { $0 * shape[$1] }
        return sum(alongAxes: axes, keepingDimensions: keepingDimensions) * (1 / Float(Swift.max(reduced, 1)))
    }

    public func mean(alongAxis axis: Int, keepingDimensions: Bool = false) -> Tensor {
        mean(alongAxes: [axis], keepingDimensions: keepingDimensions)
    }

    /// Maximum along one axis; the gradient flows to the first maximal element, as PyTorch's `max(dim)`.
    public func max(alongAxis axis: Int, keepingDimensions: Bool = false) -> Tensor {
        let axis = Shapes.axis(axis, rank: rank, op: "max")
        let (outer, length, inner) = splitAround(axis)
        precondition(length > 0, "[max] axis \(axis) of shape \(shape) is empty")
        var keptShape = shape
        keptShape[axis] = 1
        let result = Tensor.uninitialized(keptShape)
        var winners = [Int](repeating: 0, count: outer * inner)
        let x = storage.pointer, out = result.storage.pointer
        for o in 0..<outer {
            for i in 0..<inner {
                var best = x[o * length * inner + i], bestIndex = 0
                for k in 1..<Swift.max(length, 1) where x[(o * length + k) * inner + i] > best {
                    best = x[(o * length + k) * inner + i]
                    bestIndex = k
                }
                out[o * inner + i] = best
                winners[o * inner + i] = (o * length + bestIndex) * inner + i
            }
        }
        var finalShape = shape
        if keepingDimensions { finalShape[axis] = 1 } else { finalShape.remove(at: axis) }
        let inputShape = shape
        return Tensor.record(result.reshaped(finalShape), op: "max", inputs: [self]) { g, _ in
            let grad = Tensor.zeros(inputShape)
            for (slot, source) in winners.enumerated() { grad.storage.pointer[source] += g.storage.pointer[slot] }
            return [grad]
        }
    }

    /// Index of the first maximum along `axis`, row-major over the remaining axes (no gradient).
    public func argmax(alongAxis axis: Int) -> [Int] {
        let axis = Shapes.axis(axis, rank: rank, op: "argmax")
        let (outer, length, inner) = splitAround(axis)
        let x = storage.pointer
        var result = [Int](repeating: 0, count: outer * inner)
        for o in 0..<outer {
            for i in 0..<inner {
                var best = -Float.infinity, bestIndex = 0
                for k in 0..<length where x[(o * length + k) * inner + i] > best || (k == 0) {
                    best = x[(o * length + k) * inner + i]
                    bestIndex = k
                }
                result[o * inner + i] = bestIndex
            }
        }
        return result
    }

    /// Views the shape as `[outer, shape[axis], inner]`.
    func splitAround(_ axis: Int) -> (outer: Int, length: Int, inner: Int) {
        (shape[..<axis].reduce(1, *), shape[axis], shape[(axis + 1)...].reduce(1, *))
    }

    /// Sums one axis, leaving it with extent 1 (no gradient).
    private func summedKeepingAxis(_ axis: Int) -> Tensor {
        let (outer, length, inner) = splitAround(axis)
        var keptShape = shape
        keptShape[axis] = 1
        let result = Tensor.zeros(keptShape)
        let x = storage.pointer, out = result.storage.pointer
        OpTimer.measure(.elementwise) {
            for o in 0..<outer {
                let target = out + o * inner
                for k in 0..<length {
                    let source = x + (o * length + k) * inner
                    for i in 0..<inner { target[i] += source[i] }
                }
            }
        }
        return result
    }

    /// Repeats this tensor along broadcast axes to `target` (the adjoint of `summed(toShape:)`).
    public func broadcast(to target: [Int]) -> Tensor {
        if shape == target { return self }
        precondition(Shapes.broadcast(shape, target, op: "broadcast") == target, "[broadcast] \(shape) does not broadcast to \(target)")
        // A strided read with stride 0 on the broadcast axes.
        let result = Tensor.uninitialized(target)
        Tensor.gatherStrided(from: storage.pointer, shape: target, strides: BroadcastKernel.strides(of: shape, against: target),
                             into: result.storage.pointer)
        let inputShape = shape
        return Tensor.record(result, op: "broadcast", inputs: [self]) { g, _ in [g.summed(toShape: inputShape)] }
    }
}
