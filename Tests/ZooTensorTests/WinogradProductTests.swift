import CZooKernels
import XCTest

/// The Winograd convolution's own matrix products against sums in double precision, over the
/// shapes where their blocking has edges: rows not a multiple of the 6- or 4-row blocks, columns
/// not a multiple of 16 (or 8), inner dimensions down to 1, and A read transposed.
final class WinogradProductTests: XCTestCase {
    /// Multiples of 1/8 in [−1.375, 1.375], deterministic, so that every partial sum below is exact
    /// in float (multiples of 1/64 under 2¹⁰) and any summation order gives the same result; then
    /// `slack` NaNs after the end: the kernels may read them, and nothing read there may reach a result.
    func values(_ count: Int, seed: Int, slack: Int = 16) -> [Float] {
        (0..<count).map { Float((($0 + seed) * 7919) % 23) / 8 - 1.375 } + [Float](repeating: .nan, count: slack)
    }

    func testSmallProductMatchesTheDefinition() {
        for (rows, inner, columns) in [(1, 1, 1), (5, 3, 17), (6, 16, 16), (16, 16, 256), (13, 7, 40), (24, 5, 77), (64, 64, 33)] {
            for transposed in [false, true] {
                let a = values(rows * inner, seed: rows), v = values(inner * columns, seed: columns)
                // Element (r, i) of A at r·inner + i, or, read transposed, stored as [inner, rows].
                let (rowStride, innerStride) = transposed ? (1, rows) : (inner, 1)
                var out = [Float](repeating: 0, count: rows * columns)
                zoo_multiply_small(a, rowStride, innerStride, Int32(rows), Int32(inner), v, columns, &out)
                for r in 0..<rows {
                    for t in 0..<columns {
                        var sum = 0.0
                        for i in 0..<inner { sum += Double(a[r * rowStride + i * innerStride]) * Double(v[i * columns + t]) }
                        XCTAssertEqual(Double(out[r * columns + t]), sum, "\(rows)×\(inner)×\(columns), transposed \(transposed), (\(r), \(t))")
                    }
                }
            }
        }
    }

    func testReductionAddsTheProductWithTheTranspose() {
        for (rows, cols, length) in [(1, 1, 1), (4, 2, 8), (5, 7, 77), (16, 16, 256), (3, 9, 13), (17, 3, 100)] {
            let a = values(rows * length, seed: 3), b = values(cols * length, seed: 5)
            var out = (0..<(rows * cols)).map { Float($0 % 5) }
            let before = out
            zoo_multiply_reduce(a, Int32(rows), b, Int32(cols), length, &out)
            for r in 0..<rows {
                for c in 0..<cols {
                    var sum = Double(before[r * cols + c])
                    for t in 0..<length { sum += Double(a[r * length + t]) * Double(b[c * length + t]) }
                    XCTAssertEqual(Double(out[r * cols + c]), sum, "\(rows)×\(cols)×\(length), (\(r), \(c))")
                }
            }
        }
    }
}
