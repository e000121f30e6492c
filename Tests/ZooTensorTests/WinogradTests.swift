import XCTest
@testable import ZooTensor
import ZooTestSupport

/// The Winograd F(2×2, 3×3) convolution against the definition computed in double precision:
/// the forward, the input gradient and the weight gradient, over odd and even output sizes,
/// padding 0–2 (also unequal), rows of tiles shorter and longer than the kernels' blocks of 8, and
/// batches that make several samples share one tile group.
final class WinogradTests: XCTestCase {
    struct Case {
        var input: [Int]
        var outputs: Int
        var padding: (Int, Int)
    }

    let cases: [Case] = [
        Case(input: [1, 1, 3, 3], outputs: 1, padding: (1, 1)),
        Case(input: [2, 3, 9, 8], outputs: 5, padding: (1, 1)),     // odd output height
        Case(input: [3, 4, 7, 5], outputs: 6, padding: (0, 0)),     // 5×3 output: half tiles both ways
        Case(input: [2, 2, 6, 7], outputs: 3, padding: (2, 2)),     // output wider than the input
        Case(input: [2, 3, 5, 6], outputs: 2, padding: (0, 2)),
        Case(input: [5, 16, 8, 8], outputs: 16, padding: (1, 1)),   // several samples per group
        Case(input: [9, 8, 4, 4], outputs: 8, padding: (1, 1)),     // a last, smaller group
        Case(input: [2, 32, 16, 16], outputs: 24, padding: (1, 1)),
        Case(input: [2, 3, 12, 21], outputs: 4, padding: (1, 1)),    // a full block of 8 tiles and a part
        Case(input: [1, 2, 5, 35], outputs: 3, padding: (0, 0)),     // two full blocks and one tile
        Case(input: [3, 4, 7, 7], outputs: 5, padding: (1, 1)),      // 4 tiles a row, two rows a block
        Case(input: [1, 2, 3, 8], outputs: 3, padding: (0, 1)),      // 4 tiles a row, one lone row
        Case(input: [2, 64, 6, 6], outputs: 72, padding: (1, 1)),    // weight gradient through OpenBLAS (≥ 64×64)
        Case(input: [2, 3, 9, 32], outputs: 4, padding: (1, 1)),     // output rows read and written in place, odd height
    ]

    /// y, dL/dx and dL/dw of L = Σ y·upstream, by the definition in double precision.
    func reference(x: Tensor, w: Tensor, upstream: Tensor, padding: (Int, Int)) -> (y: [Float], dx: [Float], dw: [Float]) {
        let (n, c, h, width) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3]), o = w.shape[0]
        let ho = h + 2 * padding.0 - 2, wo = width + 2 * padding.1 - 2
        let (xs, ws, gs) = (x.scalars, w.scalars, upstream.scalars)
        var y = [Double](repeating: 0, count: n * o * ho * wo)
        var dx = [Double](repeating: 0, count: xs.count), dw = [Double](repeating: 0, count: ws.count)
        for s in 0..<n {
            for k in 0..<o {
                for r in 0..<ho {
                    for col in 0..<wo {
                        let out = ((s * o + k) * ho + r) * wo + col
                        for ic in 0..<c {
                            for i in 0..<3 {
                                for j in 0..<3 {
                                    let ih = r - padding.0 + i, iw = col - padding.1 + j
                                    guard ih >= 0, ih < h, iw >= 0, iw < width else { continue }
                                    let xi = ((s * c + ic) * h + ih) * width + iw, wi = ((k * c + ic) * 3 + i) * 3 + j
                                    y[out] += Double(xs[xi]) * Double(ws[wi])
                                    dx[xi] += Double(gs[out]) * Double(ws[wi])
                                    dw[wi] += Double(gs[out]) * Double(xs[xi])
                                }
                            }
                        }
                    }
                }
            }
        }
        return (y.map(Float.init), dx.map(Float.init), dw.map(Float.init))
    }

    func testForwardAndGradientsMatchTheDefinition() {
        for (index, test) in cases.enumerated() {
            let x = randomTensor(test.input, seed: 70), w = randomTensor([test.outputs, test.input[1], 3, 3], seed: 71)
            let geometry = Convolution2DGeometry(padding: test.padding)
            let plan = ConvolutionPlan(input: x.shape, weight: w.shape, geometry: geometry)
            XCTAssertTrue(plan.isWinograd, "case \(index)")
            x.requiresGrad = true
            w.requiresGrad = true
            let y = Tensor.conv2d(x, weight: w, geometry: geometry)
            let upstream = randomTensor(y.shape, seed: 72)
            (y * upstream).sum().backward()
            let expected = reference(x: x, w: w, upstream: upstream, padding: test.padding)
            assertClose(y.scalars, expected.y, tolerance: 2e-6, "case \(index) forward")
            assertClose(x.grad!.scalars, expected.dx, tolerance: 2e-6, "case \(index) input gradient")
            assertClose(w.grad!.scalars, expected.dw, tolerance: 2e-6, "case \(index) weight gradient")
        }
    }

    func testBiasAndFiniteDifferences() {
        checkGradients([randomTensor([2, 3, 5, 7], seed: 73), randomTensor([4, 3, 3, 3], seed: 74), randomTensor([4], seed: 75)]) {
            Tensor.conv2d($0[0], weight: $0[1], bias: $0[2], geometry: .init(padding: (1, 0)))
        }
    }

    /// With only one of the gradients asked for, the other is neither computed nor needed.
    func testEachGradientAlone() {
        let x = randomTensor([3, 4, 6, 6], seed: 76), w = randomTensor([5, 4, 3, 3], seed: 77)
        let upstream = randomTensor([3, 5, 6, 6], seed: 78)
        let expected = reference(x: x, w: w, upstream: upstream, padding: (1, 1))
        let geometry = Convolution2DGeometry(padding: (1, 1))
        x.requiresGrad = true
        (Tensor.conv2d(x, weight: w, geometry: geometry) * upstream).sum().backward()
        assertClose(x.grad!.scalars, expected.dx, tolerance: 2e-6, "input gradient alone")
        x.requiresGrad = false
        w.requiresGrad = true
        (Tensor.conv2d(x, weight: w, geometry: geometry) * upstream).sum().backward()
        assertClose(w.grad!.scalars, expected.dw, tolerance: 2e-6, "weight gradient alone")
    }

    /// The inference epilogue runs after the Winograd output transform as after im2col.
    func testEpilogueMatchesIm2col() {
        let x = randomTensor([4, 8, 10, 10], seed: 79), w = randomTensor([8, 8, 3, 3], seed: 80)
        let residual = randomTensor([4, 8, 10, 10], seed: 81)
        let epilogue = ConvolutionEpilogue(scale: (0..<8).map { 0.5 + Float($0) / 8 }, shift: (0..<8).map { Float($0) / 4 - 1 },
                                           residual: residual, relu: true)
        let geometry = Convolution2DGeometry(padding: (1, 1))
        let fused = withoutGradients { Tensor.conv2d(x, weight: w, geometry: geometry, epilogue: epilogue) }
        var plan = ConvolutionPlan(input: x.shape, weight: w.shape, geometry: geometry)
        plan.algorithm = .im2col
        XCTAssertFalse(plan.isWinograd)
        let expected = Tensor.uninitialized(fused.shape)
        plan.forward(x.storage.pointer, w.storage.pointer, nil, into: expected.storage.pointer, epilogue: epilogue)
        assertClose(fused.scalars, expected.scalars, tolerance: 2e-6, "epilogue")
    }

    func testOnlyThreeByThreeStrideOneUngroupedKernelsUseIt() {
        func plan(_ weight: [Int], _ geometry: Convolution2DGeometry) -> Bool {
            ConvolutionPlan(input: [1, 4, 9, 9], weight: weight, geometry: geometry).isWinograd
        }
        XCTAssertTrue(plan([4, 4, 3, 3], .init()))
        XCTAssertFalse(plan([4, 4, 3, 3], .init(stride: (2, 2), padding: (1, 1))))
        XCTAssertFalse(plan([4, 4, 3, 3], .init(padding: (2, 2), dilation: (2, 2))))
        XCTAssertFalse(plan([4, 1, 3, 3], .init(padding: (1, 1), groups: 4)))
        XCTAssertFalse(plan([4, 4, 5, 5], .init(padding: (2, 2))))
        XCTAssertFalse(plan([4, 4, 3, 1], .init(padding: (1, 0))))
    }
}
