/// Max, average and adaptive average pooling over `[N, C, H, W]`.
extension Tensor {
    /// Max pooling as `F.max_pool2d` (padding counts as −∞); the gradient goes to the first maximum.
    public func maxPool2d(kernel: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0)) -> Tensor {
        let window = PoolWindow(shape, kernel: kernel, stride: stride ?? kernel, padding: padding, op: "max pool")
        let result = Tensor.uninitialized(window.outputShape)
        var winners = [Int](repeating: -1, count: result.count)
        let x = storage.pointer, out = result.storage.pointer
        for plane in 0..<window.planes {
            for oh in 0..<window.outputHeight {
                for ow in 0..<window.outputWidth {
                    var best = -Float.infinity, bestIndex = -1
                    window.forEachInput(plane: plane, oh: oh, ow: ow) { index in
                        if bestIndex < 0 || x[index] > best { best = x[index]; bestIndex = index }
                    }
                    let slot = (plane * window.outputHeight + oh) * window.outputWidth + ow
                    out[slot] = best
                    winners[slot] = bestIndex
                }
            }
        }
        let inputShape = shape
        return Tensor.record(result, op: "max pool", inputs: [self]) { g, _ in
            let grad = Tensor.zeros(inputShape)
            for (slot, index) in winners.enumerated() where index >= 0 {
                grad.storage.pointer[index] += g.storage.pointer[slot]
            }
            return [grad]
        }
    }

    /// Average pooling as `F.avg_pool2d` with `count_include_pad=True` (PyTorch's default).
    public func averagePool2d(kernel: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0)) -> Tensor {
        let window = PoolWindow(shape, kernel: kernel, stride: stride ?? kernel, padding: padding, op: "average pool")
        let divisor = Float(kernel.0 * kernel.1)
        let result = Tensor.uninitialized(window.outputShape)
        let x = storage.pointer, out = result.storage.pointer
        for plane in 0..<window.planes {
            for oh in 0..<window.outputHeight {
                for ow in 0..<window.outputWidth {
                    var total: Float = 0
                    window.forEachInput(plane: plane, oh: oh, ow: ow) { total += x[$0] }
                    out[(plane * window.outputHeight + oh) * window.outputWidth + ow] = total / divisor
                }
            }
        }
        let inputShape = shape
        return Tensor.record(result, op: "average pool", inputs: [self]) { g, _ in
            let grad = Tensor.zeros(inputShape)
            for plane in 0..<window.planes {
                for oh in 0..<window.outputHeight {
                    for ow in 0..<window.outputWidth {
                        let share = g.storage.pointer[(plane * window.outputHeight + oh) * window.outputWidth + ow] / divisor
                        window.forEachInput(plane: plane, oh: oh, ow: ow) { grad.storage.pointer[$0] += share }
                    }
                }
            }
            return [grad]
        }
    }

    /// Adaptive average pooling as `F.adaptive_avg_pool2d`: bin `i` of `n` covers
    /// `floor(i·H/n) ..< ceil((i+1)·H/n)`.
    public func adaptiveAveragePool2d(outputSize: (Int, Int)) -> Tensor {
        precondition(rank == 4, "[adaptive average pool] expects [N, C, H, W], got \(shape)")
        let (h, w) = (shape[2], shape[3]), (oh, ow) = outputSize
        precondition(oh > 0 && ow > 0, "[adaptive average pool] output size \(outputSize) must be positive")
        func bins(_ length: Int, _ count: Int) -> [Range<Int>] {
            (0..<count).map { i in (i * length / count)..<(((i + 1) * length + count - 1) / count) }
        }
        let rowBins = bins(h, oh), columnBins = bins(w, ow), planes = shape[0] * shape[1]
        let result = Tensor.uninitialized([shape[0], shape[1], oh, ow])
        let x = storage.pointer, out = result.storage.pointer
        OpTimer.measure(.elementwise) {
            for plane in 0..<planes {
                for (i, rows) in rowBins.enumerated() {
                    for (j, columns) in columnBins.enumerated() {
                        var total: Float = 0
                        for r in rows { for c in columns { total += x[(plane * h + r) * w + c] } }
                        out[(plane * oh + i) * ow + j] = total / Float(rows.count * columns.count)
                    }
                }
            }
        }
        let inputShape = shape
        return Tensor.record(result, op: "adaptive average pool", inputs: [self]) { g, _ in
            let grad = Tensor.zeros(inputShape)
            OpTimer.measure(.elementwise) {
                for plane in 0..<planes {
                    for (i, rows) in rowBins.enumerated() {
                        for (j, columns) in columnBins.enumerated() {
                            let share = g.storage.pointer[(plane * oh + i) * ow + j] / Float(rows.count * columns.count)
                            for r in rows { for c in columns { grad.storage.pointer[(plane * h + r) * w + c] += share } }
                        }
                    }
                }
            }
            return [grad]
        }
    }
}

/// The windows of a 2-D pooling op.
struct PoolWindow {
    let planes, height, width, outputHeight, outputWidth: Int
    let kernel, stride, padding: (Int, Int)
    let outputShape: [Int]

    init(_ shape: [Int], kernel: (Int, Int), stride: (Int, Int), padding: (Int, Int), op: String) {
        precondition(shape.count == 4, "[\(op)] expects [N, C, H, W], got \(shape)")
        precondition(padding.0 * 2 <= kernel.0 && padding.1 * 2 <= kernel.1,
                     "[\(op)] padding \(padding) must be at most half the kernel \(kernel)")
        (planes, height, width) = (shape[0] * shape[1], shape[2], shape[3])
        (self.kernel, self.stride, self.padding) = (kernel, stride, padding)
        outputHeight = (height + 2 * padding.0 - kernel.0) / stride.0 + 1
        outputWidth = (width + 2 * padding.1 - kernel.1) / stride.1 + 1
        precondition(outputHeight > 0 && outputWidth > 0, "[\(op)] kernel \(kernel) larger than input \(shape)")
        outputShape = [shape[0], shape[1], outputHeight, outputWidth]
    }

    /// Calls `body` with the flat index of every in-bounds input element under window (oh, ow).
    @inline(__always)
    func forEachInput(plane: Int, oh: Int, ow: Int, _ body: (Int) -> Void) {
        let top = oh * stride.0 - padding.0, left = ow * stride.1 - padding.1
        for r in Swift.max(top, 0)..<Swift.min(top + kernel.0, height) {
            for c in Swift.max(left, 0)..<Swift.min(left + kernel.1, width) {
                body((plane * height + r) * width + c)
            }
        }
    }
}
