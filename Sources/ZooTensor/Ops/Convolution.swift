/// 2-D convolution (cross-correlation, as PyTorch's `F.conv2d`) by im2col and GEMM.
///
/// Samples are processed in chunks: the chunk's columns `[C/g·kh·kw, S·Ho·Wo]` feed one GEMM per
/// group, so small images still make large GEMMs.
public struct Convolution2DGeometry: Sendable, Equatable {
    public var stride: (Int, Int)
    public var padding: (Int, Int)
    public var dilation: (Int, Int)
    public var groups: Int

    public init(stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1), groups: Int = 1) {
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.stride == b.stride && a.padding == b.padding && a.dilation == b.dilation && a.groups == b.groups
    }
}

extension Tensor {
    /// Shape: x `[N, C, H, W]`, weight `[O, C/groups, kh, kw]`, bias `[O]` → `[N, O, Ho, Wo]`.
    public static func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor? = nil,
                              geometry: Convolution2DGeometry = .init()) -> Tensor {
        let plan = ConvolutionPlan(input: x.shape, weight: weight.shape, geometry: geometry)
        let result = Tensor.uninitialized([plan.batch, plan.outputChannels, plan.outputHeight, plan.outputWidth])
        OpTimer.measure(.convolution) {
            plan.forward(x.storage.pointer, weight.storage.pointer, bias?.storage.pointer, into: result.storage.pointer)
        }
        var inputs = [x, weight]
        if let bias {
            precondition(bias.shape == [plan.outputChannels], "[conv2d] bias \(bias.shape) for weight \(weight.shape)")
            inputs.append(bias)
        }
        return record(result, op: "conv2d", inputs: inputs) { g, needs in
            let gradInput = needs[0] ? Tensor.zeros(x.shape) : nil
            let gradWeight = needs[1] ? Tensor.zeros(weight.shape) : nil
            OpTimer.measure(.convolution) {
                plan.backward(g.storage.pointer, input: x.storage.pointer, weight: weight.storage.pointer,
                              gradInput: gradInput?.storage.pointer, gradWeight: gradWeight?.storage.pointer)
            }
            let gradBias = needs.count > 2 && needs[2] ? g.sum(alongAxes: [0, 2, 3]) : nil
            return [gradInput, gradWeight, gradBias]
        }
    }
}

/// The sizes of one convolution and its im2col kernels.
struct ConvolutionPlan: Sendable {
    let batch, channels, height, width: Int
    let outputChannels, kernelHeight, kernelWidth: Int
    let outputHeight, outputWidth: Int
    let geometry: Convolution2DGeometry
    /// Rows of the column matrix per group: C/g · kh · kw.
    var patch: Int { channels / geometry.groups * kernelHeight * kernelWidth }
    var plane: Int { outputHeight * outputWidth }

    init(input: [Int], weight: [Int], geometry: Convolution2DGeometry) {
        precondition(input.count == 4 && weight.count == 4,
                     "[conv2d] expects input [N, C, H, W] and weight [O, C/groups, kh, kw], got \(input) and \(weight)")
        let groups = geometry.groups
        precondition(groups > 0 && input[1] % groups == 0 && weight[0] % groups == 0 && weight[1] * groups == input[1],
                     "[conv2d] input \(input) does not fit weight \(weight) with \(groups) groups")
        (batch, channels, height, width) = (input[0], input[1], input[2], input[3])
        (outputChannels, kernelHeight, kernelWidth) = (weight[0], weight[2], weight[3])
        self.geometry = geometry
        let effectiveHeight = geometry.dilation.0 * (kernelHeight - 1) + 1
        let effectiveWidth = geometry.dilation.1 * (kernelWidth - 1) + 1
        outputHeight = (height + 2 * geometry.padding.0 - effectiveHeight) / geometry.stride.0 + 1
        outputWidth = (width + 2 * geometry.padding.1 - effectiveWidth) / geometry.stride.1 + 1
        precondition(outputHeight > 0 && outputWidth > 0,
                     "[conv2d] kernel \(kernelHeight)×\(kernelWidth) does not fit input \(input) with padding \(geometry.padding)")
    }

    /// Samples per chunk so that the column buffer stays near 4 M floats.
    var chunk: Int { Swift.max(1, Swift.min(batch, (1 << 22) / Swift.max(1, patch * geometry.groups * plane))) }

    func forward(_ x: UnsafePointer<Float>, _ weight: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?,
                 into out: UnsafeMutablePointer<Float>) {
        let groups = geometry.groups, groupOut = outputChannels / groups
        let columns = TensorStorage(count: patch * groups * chunk * plane)
        let product = TensorStorage(count: outputChannels * chunk * plane)
        for start in stride(from: 0, to: batch, by: chunk) {
            let samples = Swift.min(chunk, batch - start)
            let width = samples * plane
            im2col(x, samples: start..<(start + samples), into: columns.pointer)
            for group in 0..<groups {
                Tensor.gemm(weight + group * groupOut * patch, rows: groupOut, columns: patch, transposed: false,
                            columns.pointer + group * patch * width, rows: patch, columns: width, transposed: false,
                            into: product.pointer + group * groupOut * width, beta: 0)
            }
            // product [O, S, Ho·Wo] → out [S, O, Ho·Wo], adding the bias.
            for s in 0..<samples {
                for o in 0..<outputChannels {
                    let source = product.pointer + (o * samples + s) * plane
                    let target = out + ((start + s) * outputChannels + o) * plane
                    let b = bias?[o] ?? 0
                    for p in 0..<plane { target[p] = source[p] + b }
                }
            }
        }
    }

    func backward(_ g: UnsafePointer<Float>, input x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                  gradInput: UnsafeMutablePointer<Float>?, gradWeight: UnsafeMutablePointer<Float>?) {
        let groups = geometry.groups, groupOut = outputChannels / groups
        let columns = TensorStorage(count: patch * groups * chunk * plane)
        let gradient = TensorStorage(count: outputChannels * chunk * plane)
        for start in stride(from: 0, to: batch, by: chunk) {
            let samples = Swift.min(chunk, batch - start)
            let width = samples * plane
            // g [S, O, Ho·Wo] → gradient [O, S, Ho·Wo]
            for s in 0..<samples {
                for o in 0..<outputChannels {
                    (gradient.pointer + (o * samples + s) * plane).update(
                        from: g + ((start + s) * outputChannels + o) * plane, count: plane)
                }
            }
            if let gradWeight {
                im2col(x, samples: start..<(start + samples), into: columns.pointer)
                for group in 0..<groups {
                    Tensor.gemm(gradient.pointer + group * groupOut * width, rows: groupOut, columns: width, transposed: false,
                                columns.pointer + group * patch * width, rows: patch, columns: width, transposed: true,
                                into: gradWeight + group * groupOut * patch, beta: 1)
                }
            }
            if let gradInput {
                for group in 0..<groups {
                    Tensor.gemm(weight + group * groupOut * patch, rows: groupOut, columns: patch, transposed: true,
                                gradient.pointer + group * groupOut * width, rows: groupOut, columns: width, transposed: false,
                                into: columns.pointer + group * patch * width, beta: 0)
                }
                col2im(columns.pointer, samples: start..<(start + samples), into: gradInput)
            }
        }
    }

    /// Fills `columns[group][(c·kh + i)·kw + j][s·Ho·Wo + p]` for the samples of one chunk.
    func im2col(_ x: UnsafePointer<Float>, samples: Range<Int>, into columns: UnsafeMutablePointer<Float>) {
        let width = samples.count * plane
        let (sh, sw) = geometry.stride, (ph, pw) = geometry.padding, (dh, dw) = geometry.dilation
        let source = UncheckedSendable(x), target = UncheckedSendable(columns)
        let (kh, kw, h, w, ho, wo) = (kernelHeight, kernelWidth, height, width_, outputHeight, outputWidth)
        let plane = plane
        Threading.parallelFor(channels * kh * kw, grain: 1) { rows in
            for row in rows {
                let c = row / (kh * kw), i = (row / kw) % kh, j = row % kw
                for (local, s) in samples.enumerated() {
                    let image = source.value + (s * channels + c) * h * w
                    let out = target.value + row * width + local * plane
                    let (lo, hi) = ConvolutionPlan.validColumns(j: j, width: w, outputWidth: wo, stride: sw, padding: pw, dilation: dw)
                    let shift = j * dw - pw
                    for oh in 0..<ho {
                        let ih = oh * sh - ph + i * dh
                        let line = out + oh * wo
                        if ih < 0 || ih >= h || lo >= hi {
                            line.initialize(repeating: 0, count: wo)
                            continue
                        }
                        let base = image + ih * w + shift
                        if lo > 0 { line.initialize(repeating: 0, count: lo) }
                        if sw == 1 {
                            (line + lo).update(from: base + lo, count: hi - lo)
                        } else {
                            for ow in lo..<hi { line[ow] = base[ow * sw] }
                        }
                        if hi < wo { (line + hi).initialize(repeating: 0, count: wo - hi) }
                    }
                }
            }
        }
    }

    /// The adjoint of `im2col`: adds the columns back onto the image gradient.
    func col2im(_ columns: UnsafePointer<Float>, samples: Range<Int>, into gradInput: UnsafeMutablePointer<Float>) {
        let width = samples.count * plane
        let (sh, sw) = geometry.stride, (ph, pw) = geometry.padding, (dh, dw) = geometry.dilation
        let source = UncheckedSendable(columns), target = UncheckedSendable(gradInput)
        let (kh, kw, h, w, ho, wo) = (kernelHeight, kernelWidth, height, width_, outputHeight, outputWidth)
        let plane = plane
        // Parallel over channels: each channel's rows write only that channel's image.
        Threading.parallelFor(channels, grain: 1) { channelRange in
            for c in channelRange {
                for i in 0..<kh {
                    for j in 0..<kw {
                        let row = (c * kh + i) * kw + j
                        let (lo, hi) = ConvolutionPlan.validColumns(j: j, width: w, outputWidth: wo, stride: sw, padding: pw, dilation: dw)
                        let shift = j * dw - pw
                        for (local, s) in samples.enumerated() {
                            let image = target.value + (s * channels + c) * h * w
                            let column = source.value + row * width + local * plane
                            for oh in 0..<ho {
                                let ih = oh * sh - ph + i * dh
                                if ih < 0 || ih >= h { continue }
                                let base = image + ih * w + shift, line = column + oh * wo
                                if sw == 1 {
                                    for ow in lo..<hi { base[ow] += line[ow] }
                                } else {
                                    for ow in lo..<hi { base[ow * sw] += line[ow] }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The output columns `lo..<hi` whose input column for kernel column `j` lies inside the image.
    @inline(__always)
    static func validColumns(j: Int, width: Int, outputWidth: Int, stride: Int, padding: Int, dilation: Int)
        -> (Int, Int) {
        func ceilDivide(_ a: Int, _ b: Int) -> Int { a >= 0 ? (a + b - 1) / b : -((-a) / b) }
        let offset = padding - j * dilation
        return (Swift.max(0, ceilDivide(offset, stride)), Swift.min(outputWidth, ceilDivide(width + offset, stride)))
    }

    private var width_: Int { width }
}
