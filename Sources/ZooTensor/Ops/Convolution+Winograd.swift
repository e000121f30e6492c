import CZooKernels

/// 3×3 stride-1 convolutions by Winograd F(2×2, 3×3): each 4×4 input tile meets the 3×3 kernel in
/// 16 multiplies per channel pair for a 2×2 output tile, where im2col + GEMM spends 36. Summed over
/// channels, the products are 16 GEMMs (one per tile position), and training runs in the same
/// domain: the weight gradient is 16 GEMMs between the output gradient's and the input's
/// transforms, the input gradient 16 GEMMs back through the transformed weight.
///
/// Each worker takes a few samples at a time: enough tiles for the GEMMs to run near full speed,
/// few enough that the transformed tiles stay in cache between transform, GEMMs and inverse.
extension ConvolutionPlan {
    /// Whether this convolution runs as Winograd F(2×2, 3×3).
    var isWinograd: Bool {
        algorithm == .automatic && kernelHeight == 3 && kernelWidth == 3 && geometry.stride == (1, 1)
            && geometry.dilation == (1, 1) && geometry.groups == 1
    }

    /// Tile rows and columns per sample (2×2 outputs each; a last half tile where the output is odd).
    var tileRows: Int { (outputHeight + 1) / 2 }
    var tileColumns: Int { (outputWidth + 1) / 2 }

    /// Samples transformed together by one worker: the GEMMs want a few hundred tiles, the cache
    /// wants the group's transformed input and output (16·(C + O) floats per tile) under 512 KiB.
    var winogradGroup: Int {
        let tiles = tileRows * tileColumns
        let byCache = (1 << 17) / (16 * (channels + outputChannels) * tiles)
        let byGEMM = (256 + tiles - 1) / tiles
        let perWorker = (batch + Threading.threadCount - 1) / Threading.threadCount
        return Swift.max(1, Swift.min(byGEMM, byCache, perWorker))
    }

    /// One group's buffers in a worker's scratch: the transformed input `[16, C, tiles]` and output
    /// `[16, O, tiles]`, each position `inputPosition` / `outputPosition` floats from the next, and
    /// the transforms' own lines.
    struct WinogradBuffers {
        var tiles: Int
        var input, output, lines: UnsafeMutablePointer<Float>
        var inputPosition, outputPosition: Int
    }

    /// Calls `body` for groups of samples, the groups split across the workers.
    private func forEachGroup(_ body: (_ part: Int, _ samples: Range<Int>, _ buffers: WinogradBuffers) -> Void) -> Int {
        let group = winogradGroup, largest = group * tileRows * tileColumns
        let slack = Int(ZOO_WINOGRAD_SLACK)
        let inputCount = 16 * zoo_winograd_position(Int32(channels), largest) + slack
        let outputCount = 16 * zoo_winograd_position(Int32(outputChannels), largest) + slack
        let scratchCount = inputCount + outputCount + zoo_winograd_scratch(Int32(tileRows), Int32(tileColumns))
        let groups = (batch + group - 1) / group
        let parts = Swift.min(Threading.threadCount, groups)
        let scratch = TensorStorage(count: parts * scratchCount)
        Threading.parallelParts(parts) { part in
            let memory = scratch.pointer + part * scratchCount
            for index in (groups * part / parts)..<(groups * (part + 1) / parts) {
                let samples = (index * group)..<Swift.min(batch, (index + 1) * group)
                let tiles = samples.count * tileRows * tileColumns
                body(part, samples, WinogradBuffers(tiles: tiles, input: memory, output: memory + inputCount,
                                                    lines: memory + inputCount + outputCount,
                                                    inputPosition: zoo_winograd_position(Int32(channels), tiles),
                                                    outputPosition: zoo_winograd_position(Int32(outputChannels), tiles)))
            }
        }
        return parts
    }

    /// `out = A·V` for one tile position: A `rows × inner` (element (r, i) at `r·rowStride + i·innerStride`,
    /// so a stored matrix or its transpose), V `inner × columns`. Counted as GEMM time and rate.
    private static func multiply(_ a: UnsafePointer<Float>, rowStride: Int, innerStride: Int, rows: Int, inner: Int,
                                 _ v: UnsafePointer<Float>, columns: Int, into out: UnsafeMutablePointer<Float>) {
        GEMMStatistics.measureSerial(m: rows, n: columns, k: inner) {
            zoo_multiply_small(a, rowStride, innerStride, Int32(rows), Int32(inner), v, columns, out)
        }
    }

    /// `out += A·Bᵀ` for one tile position: A `rows × length`, B `columns × length`, out `rows × columns`.
    /// Below 64×64 outputs a dot-product kernel (`zoo_multiply_reduce`); from there on OpenBLAS,
    /// whose blocking wins once the operands outgrow the first-level cache (measured single-threaded:
    /// 111 against 72 GFLOP/s at 16×16×256, 102 against 112 at 64×64×128).
    private static func reduce(_ a: UnsafePointer<Float>, rows: Int, _ b: UnsafePointer<Float>, columns: Int, length: Int,
                               into out: UnsafeMutablePointer<Float>) {
        guard rows * columns < 64 * 64 else {
            return Tensor.serialGEMM(a, rows: rows, columns: length, transposed: false, b, rows: columns, columns: length,
                                     transposed: true, into: out, beta: 1)
        }
        GEMMStatistics.measureSerial(m: rows, n: columns, k: length) {
            zoo_multiply_reduce(a, Int32(rows), b, Int32(columns), length, out)
        }
    }

    /// The weight `[O, C, 3, 3]` as `U [16, O, C]`.
    private func transformedWeight(_ weight: UnsafePointer<Float>) -> TensorStorage {
        let u = TensorStorage(count: 16 * outputChannels * channels)
        zoo_winograd_weight(weight, Int32(outputChannels), Int32(channels), u.pointer)
        return u
    }

    func winogradForward(_ x: UnsafePointer<Float>, _ weight: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?,
                         into out: UnsafeMutablePointer<Float>, epilogue: ConvolutionEpilogue?) {
        guard batch > 0 else { return }
        let u = transformedWeight(weight)
        _ = forEachGroup { _, samples, b in
            let (tiles, v, m) = (b.tiles, b.input, b.output)
            zoo_winograd_input(x + samples.lowerBound * channels * height * width_, Int32(samples.count), Int32(channels),
                               Int32(height), Int32(width_), Int32(geometry.padding.0), Int32(geometry.padding.1),
                               Int32(tileRows), Int32(tileColumns), tiles, b.inputPosition, v, b.lines)
            for position in 0..<16 {
                ConvolutionPlan.multiply(u.pointer + position * outputChannels * channels, rowStride: channels, innerStride: 1,
                                         rows: outputChannels, inner: channels,
                                         v + position * b.inputPosition, columns: tiles, into: m + position * b.outputPosition)
            }
            let target = out + samples.lowerBound * outputChannels * plane
            zoo_winograd_output(m, Int32(samples.count), Int32(outputChannels), Int32(outputHeight), Int32(outputWidth),
                                Int32(tileRows), Int32(tileColumns), tiles, b.outputPosition, bias, target, b.lines)
            if let epilogue {
                for s in samples { epilogue.apply(sample: s, plane: plane, to: out + s * outputChannels * plane) }
            }
        }
    }

    /// The weight gradient is summed per worker (in `[16, O, C]`, added up and transformed back at
    /// the end); the input gradient is written group by group.
    func winogradBackward(_ g: UnsafePointer<Float>, input x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                          gradInput: UnsafeMutablePointer<Float>?, gradWeight: UnsafeMutablePointer<Float>?) {
        guard batch > 0 else { return }
        let u = gradInput == nil ? nil : transformedWeight(weight)
        let weightCount = 16 * outputChannels * channels
        let workers = Swift.min(Threading.threadCount, (batch + winogradGroup - 1) / winogradGroup)
        let accumulators = TensorStorage(count: gradWeight == nil ? 0 : workers * weightCount, zeroed: true)
        let parts = forEachGroup { part, samples, b in
            let (tiles, v, m) = (b.tiles, b.input, b.output)
            let (padH, padW) = (Int32(geometry.padding.0), Int32(geometry.padding.1))
            zoo_winograd_output_adjoint(g + samples.lowerBound * outputChannels * plane, Int32(samples.count),
                                        Int32(outputChannels), Int32(outputHeight), Int32(outputWidth),
                                        Int32(tileRows), Int32(tileColumns), tiles, b.outputPosition, m, b.lines)
            let image = x + samples.lowerBound * channels * height * width_
            if gradWeight != nil {
                zoo_winograd_input(image, Int32(samples.count), Int32(channels), Int32(height), Int32(width_), padH, padW,
                                   Int32(tileRows), Int32(tileColumns), tiles, b.inputPosition, v, b.lines)
                let accumulator = accumulators.pointer + part * weightCount
                for position in 0..<16 {
                    ConvolutionPlan.reduce(m + position * b.outputPosition, rows: outputChannels,
                                           v + position * b.inputPosition, columns: channels, length: tiles,
                                           into: accumulator + position * outputChannels * channels)
                }
            }
            if let gradInput, let u {
                for position in 0..<16 {
                    ConvolutionPlan.multiply(u.pointer + position * outputChannels * channels, rowStride: 1, innerStride: channels,
                                             rows: channels, inner: outputChannels,
                                             m + position * b.outputPosition, columns: tiles, into: v + position * b.inputPosition)
                }
                zoo_winograd_input_adjoint(v, Int32(samples.count), Int32(channels), Int32(height), Int32(width_), padH, padW,
                                           Int32(tileRows), Int32(tileColumns), tiles, b.inputPosition,
                                           gradInput + samples.lowerBound * channels * height * width_, b.lines)
            }
        }
        guard let gradWeight else { return }
        for part in 1..<parts {
            VectorKernels.add(accumulators.pointer, accumulators.pointer + part * weightCount, weightCount,
                              into: accumulators.pointer)
        }
        zoo_winograd_weight_adjoint(accumulators.pointer, Int32(outputChannels), Int32(channels), gradWeight)
    }
}
