extension Array where Element == Int {
    /// The number of elements a tensor of this shape holds.
    /// A shape whose count overflows ends the process with `TensorLimits.refuse` (no tensor of it
    /// could be allocated).
    @inlinable public var elementCount: Int {
        var count = 1
        for extent in self {
            let (product, overflow) = count.multipliedReportingOverflow(by: extent)
            if overflow { TensorLimits.refuse(shape: self) }
            count = product
        }
        return count
    }

    /// Row-major strides in elements.
    public var rowMajorStrides: [Int] {
        var strides = [Int](repeating: 1, count: count)
        var running = 1
        for axis in stride(from: count - 1, through: 0, by: -1) {
            strides[axis] = running
            running *= self[axis]
        }
        return strides
    }
}

/// Shape rules shared by the ops.
public enum Shapes {
    /// NumPy/PyTorch broadcasting of two shapes; traps naming `op` when they do not broadcast.
    public static func broadcast(_ a: [Int], _ b: [Int], op: String) -> [Int] {
        let rank = Swift.max(a.count, b.count)
        var result = [Int](repeating: 1, count: rank)
        for index in 0..<rank {
            let da = index < rank - a.count ? 1 : a[index - (rank - a.count)]
            let db = index < rank - b.count ? 1 : b[index - (rank - b.count)]
            precondition(da == db || da == 1 || db == 1,
                         "[\(op)] shapes \(a) and \(b) do not broadcast")
            result[index] = da == 1 ? db : da
        }
        return result
    }

    /// Resolves a possibly negative axis against `rank`; traps naming `op` when out of range.
    public static func axis(_ axis: Int, rank: Int, op: String) -> Int {
        let resolved = axis < 0 ? axis + rank : axis
        precondition(resolved >= 0 && resolved < Swift.max(rank, 1),
                     "[\(op)] axis \(axis) out of range for rank \(rank)")
        return resolved
    }
}
