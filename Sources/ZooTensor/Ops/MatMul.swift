import COpenBLAS
import Dispatch

/// Matrix products through OpenBLAS `cblas_sgemm`; transposes are passed to BLAS, never copied.
extension Tensor {
    /// `op(a) · op(b)` for rank-2 operands, or batch by batch for rank-3 operands with equal batch.
    ///
    /// Shape: `[M, K] · [K, N] → [M, N]`; `[B, M, K] · [B, K, N] → [B, M, N]`; with `transposeA` the
    /// first operand is `[K, M]` (`[B, K, M]`), with `transposeB` the second is `[N, K]` (`[B, N, K]`).
    public static func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
        precondition((a.rank == 2 && b.rank == 2) || (a.rank == 3 && b.rank == 3 && a.shape[0] == b.shape[0]),
                     "[matmul] expects two rank-2 or two rank-3 operands with equal batch, got \(a.shape) and \(b.shape)")
        let batched = a.rank == 3
        let batch = batched ? a.shape[0] : 1
        let (ar, ac) = (a.shape[a.rank - 2], a.shape[a.rank - 1])
        let (br, bc) = (b.shape[b.rank - 2], b.shape[b.rank - 1])
        let (m, k) = transposeA ? (ac, ar) : (ar, ac)
        let (k2, n) = transposeB ? (bc, br) : (br, bc)
        precondition(k == k2, "[matmul] inner dimensions differ: \(a.shape)\(transposeA ? "ᵀ" : "") · \(b.shape)\(transposeB ? "ᵀ" : "")")
        let result = Tensor.uninitialized(batched ? [batch, m, n] : [m, n])
        for index in 0..<batch {
            gemm(a.storage.pointer + index * ar * ac, rows: ar, columns: ac, transposed: transposeA,
                 b.storage.pointer + index * br * bc, rows: br, columns: bc, transposed: transposeB,
                 into: result.storage.pointer + index * m * n, beta: 0)
        }
        return record(result, op: "matmul", inputs: [a, b]) { g, needs in
            let (ad, bd) = (a.detached(), b.detached())
            func gradA() -> Tensor {
                switch (transposeA, transposeB) {
                case (false, false): matmul(g, bd, transposeB: true)
                case (false, true): matmul(g, bd)
                case (true, false): matmul(bd, g, transposeB: true)
                case (true, true): matmul(bd, g, transposeA: true, transposeB: true)
                }
            }
            func gradB() -> Tensor {
                switch (transposeA, transposeB) {
                case (false, false): matmul(ad, g, transposeA: true)
                case (false, true): matmul(g, ad, transposeA: true)
                case (true, false): matmul(ad, g)
                case (true, true): matmul(g, ad, transposeA: true, transposeB: true)
                }
            }
            return [needs[0] ? gradA() : nil, needs[1] ? gradB() : nil]
        }
    }

    /// `x · weightᵀ + bias`, as PyTorch's `F.linear`, in one GEMM.
    ///
    /// Shape: x `[N, in]`, weight `[out, in]`, bias `[out]` → `[N, out]`.
    public static func linear(_ x: Tensor, weight: Tensor, bias: Tensor?) -> Tensor {
        precondition(x.rank == 2 && weight.rank == 2 && x.shape[1] == weight.shape[1],
                     "[linear] input \(x.shape) does not fit weight \(weight.shape)")
        let (rows, inputs, outputs) = (x.shape[0], x.shape[1], weight.shape[0])
        let result = Tensor.uninitialized([rows, outputs])
        var beta: Float = 0
        if let bias {
            precondition(bias.shape == [outputs], "[linear] bias \(bias.shape) for weight \(weight.shape)")
            for row in 0..<rows { (result.storage.pointer + row * outputs).update(from: bias.storage.pointer, count: outputs) }
            beta = 1
        }
        gemm(x.storage.pointer, rows: rows, columns: inputs, transposed: false,
             weight.storage.pointer, rows: outputs, columns: inputs, transposed: true,
             into: result.storage.pointer, beta: beta)
        let inputs_: [Tensor] = bias.map { [x, weight, $0] } ?? [x, weight]
        return record(result, op: "linear", inputs: inputs_) { g, needs in
            [needs[0] ? matmul(g, weight.detached()) : nil,
             needs[1] ? matmul(g, x.detached(), transposeA: true) : nil,
             needs.count > 2 && needs[2] ? g.sum(alongAxis: 0) : nil]
        }
    }

    /// `c = op(a)·op(b) + beta·c` on raw row-major matrices (a is rows×columns as stored).
    ///
    /// Large products are split into blocks of rows of `c` (or of columns, when it has few rows),
    /// one single-threaded `cblas_sgemm` per worker.
    @inline(__always)
    static func gemm(_ a: UnsafePointer<Float>, rows ar: Int, columns ac: Int, transposed ta: Bool,
                     _ b: UnsafePointer<Float>, rows br: Int, columns bc: Int, transposed tb: Bool,
                     into c: UnsafeMutablePointer<Float>, beta: Float) {
        OpTimer.measure(.gemm) {
            splitGEMM(a, rows: ar, columns: ac, transposed: ta, b, rows: br, columns: bc, transposed: tb, into: c, beta: beta)
        }
    }

    private static func splitGEMM(_ a: UnsafePointer<Float>, rows ar: Int, columns ac: Int, transposed ta: Bool,
                                  _ b: UnsafePointer<Float>, rows br: Int, columns bc: Int, transposed tb: Bool,
                                  into c: UnsafeMutablePointer<Float>, beta: Float) {
        Threading.configure()
        let m = ta ? ac : ar, k = ta ? ar : ac, n = tb ? br : bc
        guard m > 0, n > 0 else { return }
        if k == 0 {
            if beta == 0 { c.initialize(repeating: 0, count: m * n) } else if beta != 1 { for i in 0..<(m * n) { c[i] *= beta } }
            return
        }
        let start = GEMMStatistics.isEnabled ? DispatchTime.now().uptimeNanoseconds : 0
        let (sa, sb, sc) = (UncheckedSendable(a), UncheckedSendable(b), UncheckedSendable(c))
        let threads = Threading.threadCount
        let work = m * n * k
        if threads == 1 || work < 1 << 18 {
            blockGEMM(sa.value, ta, sb.value, tb, sc.value, rows: 0..<m, columns: 0..<n, k: k, lda: ac, ldb: bc, ldc: n, beta: beta)
        } else if m >= n || m >= 8 * threads {
            let parts = Swift.min(threads, Swift.max(1, m / 4))
            Threading.parallelParts(parts) { part in
                let rows = (m * part / parts)..<(m * (part + 1) / parts)
                blockGEMM(sa.value, ta, sb.value, tb, sc.value, rows: rows, columns: 0..<n, k: k, lda: ac, ldb: bc, ldc: n, beta: beta)
            }
        } else {
            let parts = Swift.min(threads, Swift.max(1, n / 16))
            Threading.parallelParts(parts) { part in
                let columns = (n * part / parts)..<(n * (part + 1) / parts)
                blockGEMM(sa.value, ta, sb.value, tb, sc.value, rows: 0..<m, columns: columns, k: k, lda: ac, ldb: bc, ldc: n, beta: beta)
            }
        }
        if GEMMStatistics.isEnabled { GEMMStatistics.record(m: m, n: n, k: k, since: start, threads: threads) }
    }

    /// `c = op(a)·op(b) + beta·c` on the calling thread alone: for kernels that already split their
    /// work across the workers (one product per sample, say).
    static func serialGEMM(_ a: UnsafePointer<Float>, rows ar: Int, columns ac: Int, transposed ta: Bool,
                           _ b: UnsafePointer<Float>, rows br: Int, columns bc: Int, transposed tb: Bool,
                           into c: UnsafeMutablePointer<Float>, beta: Float) {
        let m = ta ? ac : ar, k = ta ? ar : ac, n = tb ? br : bc
        precondition(k > 0, "[gemm] empty inner dimension")
        guard m > 0, n > 0 else { return }
        GEMMStatistics.measureSerial(m: m, n: n, k: k) {
            blockGEMM(a, ta, b, tb, c, rows: 0..<m, columns: 0..<n, k: k, lda: ac, ldb: bc, ldc: n, beta: beta)
        }
    }

    /// One block `c[rows, columns]` of the product, by a single-threaded `cblas_sgemm`.
    @inline(__always)
    private static func blockGEMM(_ a: UnsafePointer<Float>, _ ta: Bool, _ b: UnsafePointer<Float>, _ tb: Bool,
                                  _ c: UnsafeMutablePointer<Float>, rows: Range<Int>, columns: Range<Int>, k: Int,
                                  lda: Int, ldb: Int, ldc: Int, beta: Float) {
        guard !rows.isEmpty, !columns.isEmpty else { return }
        // Row r of op(a) starts at a + r·lda (stored rows) or a + r (stored columns); likewise columns of op(b).
        let aBlock = a + rows.lowerBound * (ta ? 1 : lda)
        let bBlock = b + columns.lowerBound * (tb ? ldb : 1)
        cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                    Int32(rows.count), Int32(columns.count), Int32(k), 1, aBlock, Int32(lda), bBlock, Int32(ldb),
                    beta, c + rows.lowerBound * ldc + columns.lowerBound, Int32(ldc))
    }
}
