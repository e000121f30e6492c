/// Broadcasting element-wise arithmetic. Shapes follow NumPy/PyTorch broadcasting.
extension Tensor {
    public static func + (a: Tensor, b: Tensor) -> Tensor {
        let result = a.shape == b.shape ? a.added(b) : BroadcastKernel.apply(a, b, op: "add", +)
        return record(result, op: "add", inputs: [a, b]) { g, _ in
            [g.summed(toShape: a.shape), g.summed(toShape: b.shape)]
        }
    }

    public static func - (a: Tensor, b: Tensor) -> Tensor {
        let result = BroadcastKernel.apply(a, b, op: "subtract", -)
        return record(result, op: "subtract", inputs: [a, b]) { g, needs in
            [g.summed(toShape: a.shape), needs[1] ? (-g).summed(toShape: b.shape) : nil]
        }
    }

    public static func * (a: Tensor, b: Tensor) -> Tensor {
        let result = BroadcastKernel.apply(a, b, op: "multiply", *)
        return record(result, op: "multiply", inputs: [a, b]) { g, needs in
            [needs[0] ? (g * b.detached()).summed(toShape: a.shape) : nil,
             needs[1] ? (g * a.detached()).summed(toShape: b.shape) : nil]
        }
    }

    public static func / (a: Tensor, b: Tensor) -> Tensor {
        let result = BroadcastKernel.apply(a, b, op: "divide", /)
        return record(result, op: "divide", inputs: [a, b]) { g, needs in
            let bd = b.detached()
            return [needs[0] ? (g / bd).summed(toShape: a.shape) : nil,
                    needs[1] ? (-(g * a.detached()) / (bd * bd)).summed(toShape: b.shape) : nil]
        }
    }

    public static prefix func - (x: Tensor) -> Tensor {
        let result = x.mapped { -$0 }
        return record(result, op: "negate", inputs: [x]) { g, _ in [-g] }
    }

    public static func + (a: Tensor, b: Float) -> Tensor {
        let result = a.mapped { $0 + b }
        return record(result, op: "add scalar", inputs: [a]) { g, _ in [g] }
    }

    public static func - (a: Tensor, b: Float) -> Tensor { a + (-b) }
    public static func + (a: Float, b: Tensor) -> Tensor { b + a }
    public static func - (a: Float, b: Tensor) -> Tensor { -b + a }

    public static func * (a: Tensor, b: Float) -> Tensor {
        let result = a.mapped { $0 * b }
        return record(result, op: "multiply scalar", inputs: [a]) { g, _ in [g * b] }
    }

    public static func * (a: Float, b: Tensor) -> Tensor { b * a }
    public static func / (a: Tensor, b: Float) -> Tensor { a * (1 / b) }

    /// The sum of two same-shaped tensors, vectorised (no gradient; `+` builds on it).
    func added(_ other: Tensor) -> Tensor {
        let result = Tensor.uninitialized(shape)
        let (a, b) = (UncheckedSendable(storage.pointer), UncheckedSendable(other.storage.pointer))
        let out = UncheckedSendable(result.storage.pointer)
        OpTimer.measure(.elementwise) {
            Threading.parallelFor(count, grain: Threading.elementwiseGrain) { range in
                let start = range.lowerBound
                VectorKernels.add(a.value + start, b.value + start, range.count, into: out.value + start)
            }
        }
        return result
    }

    /// Applies `f` to every element (no gradient; ops build on it).
    @inline(__always)
    func mapped(_ f: (Float) -> Float) -> Tensor {
        let result = Tensor.uninitialized(shape)
        let source = UncheckedSendable(storage.pointer), target = UncheckedSendable(result.storage.pointer)
        OpTimer.measure(.elementwise) {
            Threading.parallelFor(count, grain: Threading.elementwiseGrain) { range in
                for index in range { target.value[index] = f(source.value[index]) }
            }
        }
        return result
    }

    /// Combines two same-shaped tensors element by element (no gradient; rules build on it).
    @inline(__always)
    func zipped(_ other: Tensor, _ f: (Float, Float) -> Float) -> Tensor {
        precondition(other.count == count, "[zip] shapes \(shape) and \(other.shape) differ")
        let result = Tensor.uninitialized(shape)
        let a = UncheckedSendable(storage.pointer), b = UncheckedSendable(other.storage.pointer)
        let target = UncheckedSendable(result.storage.pointer)
        OpTimer.measure(.elementwise) {
            Threading.parallelFor(count, grain: Threading.elementwiseGrain) { range in
                for index in range { target.value[index] = f(a.value[index], b.value[index]) }
            }
        }
        return result
    }
}
