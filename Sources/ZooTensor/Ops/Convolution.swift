import Foundation

/// 2-D convolution (cross-correlation, as PyTorch's `F.conv2d`) by im2col and GEMM.
///
/// The batch is split across the workers, and each works one sample at a time: the sample's
/// columns `[C/g·kh·kw, Ho·Wo]` (a few hundred KiB at most for CIFAR widths) stay in cache from
/// im2col to a single-threaded GEMM per group, whose product is already in `[O, Ho·Wo]` layout.
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
            let gradInput = needs[0] ? Tensor.uninitialized(x.shape) : nil
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

/// How convolutions are computed: Winograd F(2×2, 3×3) for 3×3 stride-1 kernels and im2col + GEMM
/// for the rest, unless `ZOO_CONVOLUTION=im2col` asks for im2col everywhere (to compare the two).
enum ConvolutionAlgorithm: Sendable {
    case automatic, im2col

    static let preferred: ConvolutionAlgorithm =
        ProcessInfo.processInfo.environment["ZOO_CONVOLUTION"] == "im2col" ? .im2col : .automatic
}

/// The sizes of one convolution and its kernels.
struct ConvolutionPlan: Sendable {
    let batch, channels, height, width: Int
    let outputChannels, kernelHeight, kernelWidth: Int
    let outputHeight, outputWidth: Int
    let geometry: Convolution2DGeometry
    var algorithm = ConvolutionAlgorithm.preferred
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

    /// Floats of one sample's column matrix: `[groups · patch, Ho·Wo]`.
    var columnCount: Int { patch * geometry.groups * plane }
    /// Whether the column matrix is the image itself (1×1, stride 1, no padding): no im2col then.
    var isPointwise: Bool {
        kernelHeight == 1 && kernelWidth == 1 && geometry.stride == (1, 1) && geometry.padding == (0, 0)
    }

    /// Splits the batch over the workers; `body(part, samples)` runs once per part.
    func forEachPart(_ body: (_ part: Int, _ samples: Range<Int>) -> Void) -> Int {
        let parts = Swift.min(Threading.threadCount, batch)
        Threading.parallelParts(parts) { part in body(part, (batch * part / parts)..<(batch * (part + 1) / parts)) }
        return parts
    }

    /// One sample at a time on each worker: its columns stay in cache between im2col and the GEMM,
    /// and the GEMM writes straight into the sample's `[O, Ho·Wo]` output.
    func forward(_ x: UnsafePointer<Float>, _ weight: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?,
                 into out: UnsafeMutablePointer<Float>, epilogue: ConvolutionEpilogue? = nil) {
        if isWinograd { return winogradForward(x, weight, bias, into: out, epilogue: epilogue) }
        let groups = geometry.groups, groupOut = outputChannels / groups
        let scratch = TensorStorage(count: isPointwise ? 0 : Swift.min(Threading.threadCount, batch) * columnCount)
        _ = forEachPart { part, samples in
            let columns = scratch.pointer + part * columnCount
            for s in samples {
                let image = x + s * channels * height * width_
                let source = isPointwise ? image : UnsafePointer(columns)
                if !isPointwise { im2col(image, into: columns) }
                let target = out + s * outputChannels * plane
                for group in 0..<groups {
                    Tensor.serialGEMM(weight + group * groupOut * patch, rows: groupOut, columns: patch, transposed: false,
                                      source + group * patch * plane, rows: patch, columns: plane, transposed: false,
                                      into: target + group * groupOut * plane, beta: 0)
                }
                if let bias {
                    for o in 0..<outputChannels {
                        let line = target + o * plane, b = bias[o]
                        for p in 0..<plane { line[p] += b }
                    }
                }
                epilogue?.apply(sample: s, plane: plane, to: target)
            }
        }
    }

    /// The convolution whose forward is this one's input gradient, when there is one: for stride 1,
    /// no dilation, one group and "same" padding, the input gradient is the output gradient convolved
    /// with the weight transposed `[C, O, kh, kw]` and flipped in both spatial axes. That GEMM has
    /// the forward's shape (inner dimension O·kh·kw rather than O), and im2col replaces col2im.
    var adjoint: ConvolutionPlan? {
        guard geometry.groups == 1, geometry.stride == (1, 1), geometry.dilation == (1, 1), !isPointwise,
              kernelHeight % 2 == 1, kernelWidth % 2 == 1,
              geometry.padding == ((kernelHeight - 1) / 2, (kernelWidth - 1) / 2) else { return nil }
        return ConvolutionPlan(input: [batch, outputChannels, outputHeight, outputWidth],
                               weight: [channels, outputChannels, kernelHeight, kernelWidth],
                               geometry: Convolution2DGeometry(padding: geometry.padding))
    }

    /// `weight [O, C, kh, kw]` as the adjoint's weight: `flipped[c][o][i][j] = weight[o][c][kh−1−i][kw−1−j]`.
    func adjointWeight(_ weight: UnsafePointer<Float>) -> TensorStorage {
        let (kh, kw) = (kernelHeight, kernelWidth)
        let flipped = TensorStorage(count: outputChannels * channels * kh * kw)
        for o in 0..<outputChannels {
            for c in 0..<channels {
                let source = weight + (o * channels + c) * kh * kw
                let target = flipped.pointer + (c * outputChannels + o) * kh * kw
                for k in 0..<(kh * kw) { target[kh * kw - 1 - k] = source[k] }
            }
        }
        return flipped
    }

    /// Per worker: the weight gradient summed over its samples into its own accumulator (added up
    /// at the end), and each sample's input gradient. With an adjoint, one im2col of the output
    /// gradient feeds both GEMMs; otherwise the weight's from im2col of the input, and the input's
    /// by a GEMM into columns and col2im.
    func backward(_ g: UnsafePointer<Float>, input x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                  gradInput: UnsafeMutablePointer<Float>?, gradWeight: UnsafeMutablePointer<Float>?) {
        if isWinograd { return winogradBackward(g, input: x, weight: weight, gradInput: gradInput, gradWeight: gradWeight) }
        let groups = geometry.groups, groupOut = outputChannels / groups
        let weightCount = outputChannels * patch
        let workers = Swift.min(Threading.threadCount, batch)
        let adjoint = adjoint
        let flipped = gradInput == nil ? nil : adjoint.map { _ in adjointWeight(weight) }
        let scratchCount = Swift.max(columnCount, adjoint?.columnCount ?? 0)
        let scratch = TensorStorage(count: workers * scratchCount)
        let accumulators = TensorStorage(count: gradWeight == nil ? 0 : workers * weightCount, zeroed: true)
        let parts = forEachPart { part, samples in
            let columns = scratch.pointer + part * scratchCount
            let accumulator = accumulators.pointer + part * weightCount
            for s in samples {
                let image = x + s * channels * height * width_
                let gradient = g + s * outputChannels * plane
                if let adjoint {
                    // The output gradient's columns serve both products: the weight's gradient
                    // (flipped, as [O·kh·kw, C]: columns · xᵀ, the faster way round for few channels)
                    // and the input's.
                    adjoint.im2col(gradient, into: columns)
                    if gradWeight != nil {
                        Tensor.serialGEMM(columns, rows: adjoint.patch, columns: plane, transposed: false,
                                          image, rows: channels, columns: plane, transposed: true,
                                          into: accumulator, beta: 1)
                    }
                    if let gradInput, let flipped {
                        Tensor.serialGEMM(flipped.pointer, rows: channels, columns: adjoint.patch, transposed: false,
                                          columns, rows: adjoint.patch, columns: plane, transposed: false,
                                          into: gradInput + s * channels * height * width_, beta: 0)
                    }
                    continue
                }
                if gradWeight != nil {
                    let source = isPointwise ? image : UnsafePointer(columns)
                    if !isPointwise { im2col(image, into: columns) }
                    for group in 0..<groups {
                        Tensor.serialGEMM(gradient + group * groupOut * plane, rows: groupOut, columns: plane, transposed: false,
                                          source + group * patch * plane, rows: patch, columns: plane, transposed: true,
                                          into: accumulator + group * groupOut * patch, beta: 1)
                    }
                }
                if let gradInput {
                    let target = gradInput + s * channels * height * width_
                    let destination = isPointwise ? target : columns
                    for group in 0..<groups {
                        Tensor.serialGEMM(weight + group * groupOut * patch, rows: groupOut, columns: patch, transposed: true,
                                          gradient + group * groupOut * plane, rows: groupOut, columns: plane, transposed: false,
                                          into: destination + group * patch * plane, beta: 0)
                    }
                    if !isPointwise { col2im(columns, into: target) }
                }
            }
        }
        guard let gradWeight else { return }
        let kk = kernelHeight * kernelWidth
        for part in 0..<parts {
            let accumulator = accumulators.pointer + part * weightCount
            if adjoint == nil {
                for index in 0..<weightCount { gradWeight[index] += accumulator[index] }
                continue
            }
            // accumulator[o][kh−1−i][kw−1−j][c] is gradWeight[o][c][i][j].
            for o in 0..<outputChannels {
                for c in 0..<channels {
                    let target = gradWeight + (o * channels + c) * kk, source = accumulator + o * kk * channels + c
                    for k in 0..<kk { target[k] += source[(kk - 1 - k) * channels] }
                }
            }
        }
    }

    var width_: Int { width }
}
