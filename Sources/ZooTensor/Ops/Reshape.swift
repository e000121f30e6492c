/// Reshaping and axis permutation.
extension Tensor {
    /// The same elements under another shape (a view: no copy). One extent may be -1.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var resolved = newShape
        if let inferred = newShape.firstIndex(of: -1) {
            let known = newShape.enumerated().filter { $0.offset != inferred }.reduce(1) { $0 * $1.element }
            precondition(known > 0 && count % known == 0, "[reshape] cannot reshape \(shape) to \(newShape)")
            resolved[inferred] = count / known
        }
        precondition(resolved.elementCount == count, "[reshape] cannot reshape \(shape) (\(count) elements) to \(newShape)")
        if resolved == shape { return self }
        let result = Tensor(shape: resolved, storage: storage)
        let inputShape = shape
        return Tensor.record(result, op: "reshape", inputs: [self]) { g, _ in [g.reshaped(inputShape)] }
    }

    /// Reorders the axes: output axis `i` is input axis `axes[i]` (a copy).
    ///
    /// Shape: `[2, 3, 4]` permuted by `[2, 0, 1]` is `[4, 2, 3]`.
    public func permuted(_ axes: [Int]) -> Tensor {
        precondition(axes.count == rank && Set(axes) == Set(0..<rank),
                     "[permute] \(axes) is not a permutation of the axes of \(shape)")
        if axes == Array(0..<rank) { return self }
        let newShape = axes.map { shape[$0] }
        let result = Tensor.uninitialized(newShape)
        let strides = shape.rowMajorStrides
        Tensor.gatherStrided(from: storage.pointer, shape: newShape, strides: axes.map { strides[$0] },
                             into: result.storage.pointer)
        var inverse = [Int](repeating: 0, count: rank)
        for (index, axis) in axes.enumerated() { inverse[axis] = index }
        return Tensor.record(result, op: "permute", inputs: [self]) { g, _ in [g.permuted(inverse)] }
    }

    /// Swaps two axes (a copy).
    public func transposed(_ first: Int = -2, _ second: Int = -1) -> Tensor {
        var axes = Array(0..<rank)
        axes.swapAt(Shapes.axis(first, rank: rank, op: "transpose"), Shapes.axis(second, rank: rank, op: "transpose"))
        return permuted(axes)
    }

    /// Inserts an axis of extent 1.
    public func unsqueezed(_ axis: Int) -> Tensor {
        var newShape = shape
        newShape.insert(1, at: axis < 0 ? axis + rank + 1 : axis)
        return reshaped(newShape)
    }

    /// Copies the elements of a strided view (`shape`, element `strides`) into contiguous `target`.
    static func gatherStrided(from source: UnsafePointer<Float>, shape: [Int], strides: [Int],
                              into target: UnsafeMutablePointer<Float>) {
        let inner = shape.last ?? 1, innerStride = strides.last ?? 1
        OpTimer.measure(.elementwise) {
            forEachStridedRow(shape: shape, strides: strides) { row, offset in
                let out = target + row * inner
                if innerStride == 1 {
                    out.update(from: source + offset, count: inner)
                } else {
                    for k in 0..<inner { out[k] = source[offset + k * innerStride] }
                }
            }
        }
    }

    /// Writes contiguous `source` of `shape` into a strided view of `target`.
    static func scatterStrided(from source: UnsafePointer<Float>, shape: [Int], strides: [Int],
                               into target: UnsafeMutablePointer<Float>) {
        let inner = shape.last ?? 1, innerStride = strides.last ?? 1
        OpTimer.measure(.elementwise) {
            forEachStridedRow(shape: shape, strides: strides) { row, offset in
                for k in 0..<inner { target[offset + k * innerStride] = source[row * inner + k] }
            }
        }
    }

    /// Calls `body(row, offset)` for each innermost row of a strided view, in row-major order, with
    /// the element offset at which that row starts (a rank-0 view is one row of one element).
    @inline(__always)
    static func forEachStridedRow(shape: [Int], strides: [Int], _ body: (_ row: Int, _ offset: Int) -> Void) {
        let rank = shape.count
        guard rank > 0 else { body(0, 0); return }
        let inner = shape[rank - 1]
        let rows = inner == 0 ? 0 : shape.elementCount / inner
        var index = [Int](repeating: 0, count: rank)
        var offset = 0
        for row in 0..<rows {
            body(row, offset)
            var axis = rank - 2
            while axis >= 0 {
                index[axis] += 1
                offset += strides[axis]
                if index[axis] < shape[axis] { break }
                offset -= strides[axis] * shape[axis]
                index[axis] = 0
                axis -= 1
            }
        }
    }
}
