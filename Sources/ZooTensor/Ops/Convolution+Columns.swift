/// im2col and its adjoint col2im, one sample at a time.
///
/// For stride 1 with output as wide as the input (3×3 with padding 1, say), each column row is the
/// image shifted by a constant flat offset: one vectorised copy (or add) over the whole plane, then
/// the few elements that fall in the padding are set to zero. Other geometries go line by line.
extension ConvolutionPlan {
    /// Whether each column row is a flat shift of the image plane.
    var isFlatShift: Bool { geometry.stride == (1, 1) && outputWidth == width_ }

    /// Fills one sample's `columns[(c·kh + i)·kw + j][oh·Wo + ow]` from its image `[C, H, W]`.
    func im2col(_ image: UnsafePointer<Float>, into columns: UnsafeMutablePointer<Float>) {
        if isFlatShift { return shiftedIm2col(image, into: columns) }
        let (sh, sw) = geometry.stride, (ph, pw) = geometry.padding, (dh, dw) = geometry.dilation
        let (kh, kw, h, w, ho, wo) = (kernelHeight, kernelWidth, height, width_, outputHeight, outputWidth)
        for row in 0..<(channels * kh * kw) {
            let c = row / (kh * kw), i = (row / kw) % kh, j = row % kw
            let plane = image + c * h * w
            let out = columns + row * ho * wo
            let (lo, hi) = ConvolutionPlan.validColumns(j: j, width: w, outputWidth: wo, stride: sw, padding: pw, dilation: dw)
            let shift = j * dw - pw
            for oh in 0..<ho {
                let ih = oh * sh - ph + i * dh
                let line = out + oh * wo
                if ih < 0 || ih >= h || lo >= hi {
                    line.initialize(repeating: 0, count: wo)
                    continue
                }
                let base = plane + ih * w + shift
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

    /// The adjoint of `im2col` for one sample: writes the image gradient `[C, H, W]` from its columns
    /// (which it may overwrite).
    func col2im(_ columns: UnsafeMutablePointer<Float>, into image: UnsafeMutablePointer<Float>) {
        if isFlatShift { return shiftedCol2im(columns, into: image) }
        let (sh, sw) = geometry.stride, (ph, pw) = geometry.padding, (dh, dw) = geometry.dilation
        let (kh, kw, h, w, ho, wo) = (kernelHeight, kernelWidth, height, width_, outputHeight, outputWidth)
        image.initialize(repeating: 0, count: channels * h * w)
        for row in 0..<(channels * kh * kw) {
            let c = row / (kh * kw), i = (row / kw) % kh, j = row % kw
            let plane = image + c * h * w
            let column = columns + row * ho * wo
            let (lo, hi) = ConvolutionPlan.validColumns(j: j, width: w, outputWidth: wo, stride: sw, padding: pw, dilation: dw)
            let shift = j * dw - pw
            for oh in 0..<ho {
                let ih = oh * sh - ph + i * dh
                if ih < 0 || ih >= h { continue }
                let base = plane + ih * w + shift, line = column + oh * wo
                if sw == 1 {
                    for ow in lo..<hi { base[ow] += line[ow] }
                } else {
                    for ow in lo..<hi { base[ow * sw] += line[ow] }
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

    /// For column row (i, j): the output lines `oh` whose input line is inside the image, the valid
    /// output columns `lo..<hi`, and the flat offset from output index to image index.
    struct Shift {
        var lines: Range<Int>
        var lo, hi, offset: Int
    }

    /// Calls `body` with the shifts of the kh·kw kernel positions, computed once per call (the
    /// divisions they need would otherwise cost as much as a small plane's copy, row after row).
    @inline(__always)
    private func withShifts<R>(_ body: (UnsafeBufferPointer<Shift>) -> R) -> R {
        let (ph, pw) = geometry.padding, (dh, dw) = geometry.dilation
        return withUnsafeTemporaryAllocation(of: Shift.self, capacity: kernelHeight * kernelWidth) { shifts in
            for i in 0..<kernelHeight {
                let rowShift = i * dh - ph   // ih = oh + rowShift
                let lines = Swift.max(0, -rowShift)..<Swift.max(Swift.max(0, -rowShift), Swift.min(outputHeight, height - rowShift))
                for j in 0..<kernelWidth {
                    let (lo, hi) = ConvolutionPlan.validColumns(j: j, width: width_, outputWidth: outputWidth, stride: 1,
                                                                padding: pw, dilation: dw)
                    shifts.initializeElement(at: i * kernelWidth + j,
                                             to: Shift(lines: lines, lo: lo, hi: hi, offset: rowShift * width_ + j * dw - pw))
                }
            }
            return body(UnsafeBufferPointer(shifts))
        }
    }

    /// Sets `line[ow] = 0` for `ow` outside `lo..<hi` on every output line in `lines`.
    ///
    /// Column by column down the lines: the edges are a float or two wide, and a loop along each
    /// line becomes a `memset` call per line, which cost more than the plane's copy.
    @inline(__always)
    private static func clearEdges(_ rows: UnsafeMutablePointer<Float>, _ shift: Shift, width wo: Int) {
        guard !shift.lines.isEmpty else { return }
        let first = rows + shift.lines.lowerBound * wo, count = shift.lines.count
        for ow in 0..<shift.lo {
            for line in 0..<count { first[line * wo + ow] = 0 }
        }
        for ow in shift.hi..<wo {
            for line in 0..<count { first[line * wo + ow] = 0 }
        }
    }

    private func shiftedIm2col(_ image: UnsafePointer<Float>, into columns: UnsafeMutablePointer<Float>) {
        let (kk, h, w, ho, wo) = (kernelHeight * kernelWidth, height, width_, outputHeight, outputWidth)
        withShifts { shifts in
            for c in 0..<channels {
                let plane = image + c * h * w
                for (k, shift) in shifts.enumerated() {
                    let out = columns + (c * kk + k) * ho * wo
                    let lines = shift.lines
                    guard !lines.isEmpty, shift.lo < shift.hi else {
                        out.initialize(repeating: 0, count: ho * wo)
                        continue
                    }
                    out.initialize(repeating: 0, count: lines.lowerBound * wo)
                    (out + lines.upperBound * wo).initialize(repeating: 0, count: (ho - lines.upperBound) * wo)
                    // Output indices first..<last read image indices first+offset..<last+offset, inside the plane.
                    let first = Swift.max(lines.lowerBound * wo, -shift.offset)
                    let last = Swift.min(lines.upperBound * wo, h * w - shift.offset)
                    (out + first).update(from: plane + first + shift.offset, count: last - first)
                    ConvolutionPlan.clearEdges(out, shift, width: wo)
                }
            }
        }
    }

    private func shiftedCol2im(_ columns: UnsafeMutablePointer<Float>, into image: UnsafeMutablePointer<Float>) {
        let (kk, h, w, ho, wo) = (kernelHeight * kernelWidth, height, width_, outputHeight, outputWidth)
        image.initialize(repeating: 0, count: channels * h * w)
        withShifts { shifts in
            for c in 0..<channels {
                let plane = image + c * h * w
                for (k, shift) in shifts.enumerated() {
                    let column = columns + (c * kk + k) * ho * wo
                    guard !shift.lines.isEmpty, shift.lo < shift.hi else { continue }
                    // Entries that im2col read from the padding carry no gradient: zero them, then add flat.
                    ConvolutionPlan.clearEdges(column, shift, width: wo)
                    let first = Swift.max(shift.lines.lowerBound * wo, -shift.offset)
                    let last = Swift.min(shift.lines.upperBound * wo, h * w - shift.offset)
                    VectorKernels.add(plane + first + shift.offset, column + first, last - first,
                                      into: plane + first + shift.offset)
                }
            }
        }
    }
}
