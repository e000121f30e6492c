/// Slicing, concatenation, splitting, index selection and padding.
extension Tensor {
    /// Elements `range` (stepping by `step`) along `axis`; PyTorch's `x[..., start:end:step, ...]`.
    public func sliced(alongAxis axis: Int, _ range: Range<Int>, step: Int = 1) -> Tensor {
        let axis = Shapes.axis(axis, rank: rank, op: "slice")
        precondition(step > 0, "[slice] step must be positive, got \(step)")
        precondition(range.lowerBound >= 0 && range.upperBound <= shape[axis],
                     "[slice] range \(range) out of bounds for axis \(axis) of shape \(shape)")
        let length = (range.count + step - 1) / step
        var newShape = shape
        newShape[axis] = length
        let (outer, extent, inner) = splitAround(axis)
        let result = Tensor.uninitialized(newShape)
        let x = storage.pointer, out = result.storage.pointer
        OpTimer.measure(.elementwise) {
            for o in 0..<outer {
                for k in 0..<length {
                    (out + (o * length + k) * inner).update(
                        from: x + (o * extent + range.lowerBound + k * step) * inner, count: inner)
                }
            }
        }
        let inputShape = shape
        return Tensor.record(result, op: "slice", inputs: [self]) { g, _ in
            let grad = Tensor.zeros(inputShape)
            let gp = g.storage.pointer, target = grad.storage.pointer
            OpTimer.measure(.elementwise) {
                for o in 0..<outer {
                    for k in 0..<length {
                        (target + (o * extent + range.lowerBound + k * step) * inner).update(
                            from: gp + (o * length + k) * inner, count: inner)
                    }
                }
            }
            return [grad]
        }
    }

    /// Joins tensors along `axis`; all other extents must agree.
    public static func concatenate(_ tensors: [Tensor], alongAxis axis: Int = 0) -> Tensor {
        precondition(!tensors.isEmpty, "[concatenate] no tensors")
        let first = tensors[0]
        let axis = Shapes.axis(axis, rank: first.rank, op: "concatenate")
        for tensor in tensors {
            precondition(tensor.rank == first.rank && (0..<first.rank).allSatisfy { $0 == axis || tensor.shape[$0] == first.shape[$0] },
                         "[concatenate] shapes \(tensors.map(\.shape)) differ off axis \(axis)")
        }
        let extents = tensors.map { $0.shape[axis] }
        var newShape = first.shape
        newShape[axis] = extents.reduce(0, +)
        let outer = first.shape[..<axis].reduce(1, *)
        let inner = first.shape[(axis + 1)...].reduce(1, *)
        let total = newShape[axis]
        let result = Tensor.uninitialized(newShape)
        var start = 0
        for (tensor, extent) in zip(tensors, extents) {
            for o in 0..<outer {
                (result.storage.pointer + (o * total + start) * inner).update(
                    from: tensor.storage.pointer + o * extent * inner, count: extent * inner)
            }
            start += extent
        }
        return record(result, op: "concatenate", inputs: tensors) { g, needs in
            var offset = 0
            return extents.enumerated().map { index, extent in
                defer { offset += extent }
                return needs[index] ? g.sliced(alongAxis: axis, offset..<(offset + extent)) : nil
            }
        }
    }

    /// Splits along `axis` into pieces of the given extents.
    public func split(sizes: [Int], alongAxis axis: Int = 0) -> [Tensor] {
        let axis = Shapes.axis(axis, rank: rank, op: "split")
        precondition(sizes.reduce(0, +) == shape[axis], "[split] sizes \(sizes) do not add up to \(shape[axis]) (axis \(axis) of \(shape))")
        var start = 0
        return sizes.map { size in
            defer { start += size }
            return sliced(alongAxis: axis, start..<(start + size))
        }
    }

    /// Picks entries `indices` along `axis` (PyTorch's `index_select`); indices may repeat.
    public func indexSelect(alongAxis axis: Int, indices: [Int]) -> Tensor {
        let axis = Shapes.axis(axis, rank: rank, op: "index select")
        let (outer, extent, inner) = splitAround(axis)
        for index in indices {
            precondition(index >= 0 && index < extent, "[index select] index \(index) out of range 0..<\(extent) on axis \(axis) of \(shape)")
        }
        var newShape = shape
        newShape[axis] = indices.count
        let result = Tensor.uninitialized(newShape)
        let x = storage.pointer, out = result.storage.pointer
        for o in 0..<outer {
            for (k, index) in indices.enumerated() {
                (out + (o * indices.count + k) * inner).update(from: x + (o * extent + index) * inner, count: inner)
            }
        }
        let inputShape = shape
        return Tensor.record(result, op: "index select", inputs: [self]) { g, _ in
            let grad = Tensor.zeros(inputShape)
            let gp = g.storage.pointer, target = grad.storage.pointer
            for o in 0..<outer {
                for (k, index) in indices.enumerated() {
                    let to = target + (o * extent + index) * inner, from = gp + (o * indices.count + k) * inner
                    for i in 0..<inner { to[i] += from[i] }
                }
            }
            return [grad]
        }
    }

    /// Picks one element per row: `result[i] = self[i, indices[i]]` for a `[N, C]` tensor.
    public func gather(columns indices: [Int]) -> Tensor {
        precondition(rank == 2 && indices.count == shape[0],
                     "[gather] expects [N, C] and N indices, got shape \(shape) and \(indices.count) indices")
        let columns = shape[1]
        let result = Tensor.uninitialized([indices.count])
        for (row, column) in indices.enumerated() {
            precondition(column >= 0 && column < columns, "[gather] index \(column) out of range 0..<\(columns) in row \(row)")
            result.storage.pointer[row] = storage.pointer[row * columns + column]
        }
        let inputShape = shape
        return Tensor.record(result, op: "gather", inputs: [self]) { g, _ in
            let grad = Tensor.zeros(inputShape)
            for (row, column) in indices.enumerated() { grad.storage.pointer[row * columns + column] = g.storage.pointer[row] }
            return [grad]
        }
    }

    /// Pads with a constant: `padding[i] = (before, after)` for axis `i` (missing leading axes are unpadded).
    ///
    /// Shape: `[N, C, H, W]` padded with `[(0,0), (2,2), (0,0), (0,0)]` is `[N, C+4, H, W]`.
    public func padded(_ padding: [(before: Int, after: Int)], value: Float = 0) -> Tensor {
        precondition(padding.count <= rank, "[pad] \(padding.count) paddings for shape \(shape)")
        let full = Array(repeating: (before: 0, after: 0), count: rank - padding.count) + padding
        precondition(full.allSatisfy { $0.before >= 0 && $0.after >= 0 }, "[pad] negative padding \(padding)")
        let newShape = zip(shape, full).map { $0 + $1.before + $1.after }
        let result = Tensor(repeating: value, shape: newShape)
        let newStrides = newShape.rowMajorStrides
        let origin = zip(full, newStrides).reduce(0) { $0 + $1.0.before * $1.1 }
        Tensor.scatterStrided(from: storage.pointer, shape: shape, strides: newStrides,
                              into: result.storage.pointer + origin)
        let inputShape = shape
        return Tensor.record(result, op: "pad", inputs: [self]) { g, _ in
            let grad = Tensor.uninitialized(inputShape)
            Tensor.gatherStrided(from: g.storage.pointer + origin, shape: inputShape, strides: newStrides,
                                 into: grad.storage.pointer)
            return [grad]
        }
    }
}
