import XCTest
import ZooTensor
import ZooTestSupport

/// Forward values of the kernels against direct, loop-by-loop definitions written here.
final class ForwardReferenceTests: XCTestCase {
    /// PyTorch's conv2d definition, one output element at a time.
    func directConvolution(_ x: Tensor, _ weight: Tensor, _ bias: Tensor, _ g: Convolution2DGeometry) -> [Float] {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (o, cg, kh, kw) = (weight.shape[0], weight.shape[1], weight.shape[2], weight.shape[3])
        let ho = (h + 2 * g.padding.0 - g.dilation.0 * (kh - 1) - 1) / g.stride.0 + 1
        let wo = (w + 2 * g.padding.1 - g.dilation.1 * (kw - 1) - 1) / g.stride.1 + 1
        let (xs, ws, bs) = (x.scalars, weight.scalars, bias.scalars)
        var out: [Float] = []
        for sample in 0..<n {
            for oc in 0..<o {
                let group = oc / (o / g.groups)
                for r in 0..<ho {
                    for col in 0..<wo {
                        var total = Double(bs[oc])
                        for ic in 0..<cg {
                            let channel = group * cg + ic
                            for i in 0..<kh {
                                for j in 0..<kw {
                                    let ih = r * g.stride.0 - g.padding.0 + i * g.dilation.0
                                    let iw = col * g.stride.1 - g.padding.1 + j * g.dilation.1
                                    guard ih >= 0, ih < h, iw >= 0, iw < w else { continue }
                                    total += Double(xs[((sample * c + channel) * h + ih) * w + iw])
                                        * Double(ws[((oc * cg + ic) * kh + i) * kw + j])
                                }
                            }
                        }
                        out.append(Float(total))
                    }
                }
            }
        }
        return out
    }

    func testConvolutionMatchesTheDefinition() {
        let cases: [(input: [Int], weight: [Int], geometry: Convolution2DGeometry)] = [
            ([2, 3, 9, 8], [5, 3, 3, 3], .init(padding: (1, 1))),
            ([1, 4, 7, 9], [6, 2, 3, 2], .init(stride: (2, 3), padding: (1, 2), dilation: (2, 1), groups: 2)),
            ([3, 6, 5, 5], [6, 1, 3, 3], .init(stride: (2, 2), padding: (1, 1), groups: 6)),
            ([2, 2, 4, 6], [3, 2, 1, 1], .init()),
            ([1, 1, 3, 3], [1, 1, 3, 3], .init(padding: (2, 2))),
            // Flat-shift im2col with edges wider than one column, dilated, and wider than the image.
            ([2, 3, 7, 8], [4, 3, 5, 5], .init(padding: (2, 2))),
            ([1, 2, 6, 9], [3, 2, 3, 3], .init(padding: (2, 2), dilation: (2, 2))),
            ([1, 2, 4, 3], [2, 2, 3, 7], .init(padding: (1, 3))),
        ]
        for (index, (input, weight, geometry)) in cases.enumerated() {
            let x = randomTensor(input, seed: 60), w = randomTensor(weight, seed: 61), b = randomTensor([weight[0]], seed: 62)
            let y = Tensor.conv2d(x, weight: w, bias: b, geometry: geometry)
            assertClose(y.scalars, directConvolution(x, w, b, geometry), tolerance: 1e-6, "case \(index)")
        }
    }

    func testPoolingMatchesTheDefinition() {
        let x = Tensor(shape: [1, 1, 4, 5], scalars: (0..<20).map { Float(($0 * 7) % 20) })
        // rows: [0 7 14 1 8] [15 2 9 16 3] [10 17 4 11 18] [5 12 19 6 13]
        XCTAssertEqual(x.maxPool2d(kernel: (2, 2)).scalars, [15, 16, 17, 19])
        XCTAssertEqual(x.maxPool2d(kernel: (3, 3), stride: (2, 2), padding: (1, 1)).scalars, [15, 16, 16, 17, 19, 18])
        XCTAssertEqual(x.averagePool2d(kernel: (2, 2)).scalars, [6, 10, 11, 10])
        // Padding counts in the divisor (count_include_pad=True): top-left window sees 0, 7, 15, 2 of 9 cells.
        XCTAssertEqual(x.averagePool2d(kernel: (3, 3), stride: (2, 2), padding: (1, 1)).scalars[0], 24 / 9, accuracy: 1e-6)
        // Adaptive bins over 4 rows into 3: 0..<2, 1..<3, 2..<4; over 5 columns into 2: 0..<3, 2..<5.
        let adaptive = x.adaptiveAveragePool2d(outputSize: (3, 2)).scalars
        XCTAssertEqual(adaptive[0], (0 + 7 + 14 + 15 + 2 + 9) / 6, accuracy: 1e-6)
        XCTAssertEqual(adaptive[5], (4 + 11 + 18 + 19 + 6 + 13) / 6, accuracy: 1e-6)
    }

    func testSoftmaxIsStableForLargeLogits() {
        let x = Tensor(shape: [2, 3], scalars: [1000, 1001, 1002, -1000, -1000, -1000])
        let y = x.softmax()
        assertClose(y.scalars, [0.09003057, 0.24472847, 0.66524096, 1 / 3, 1 / 3, 1 / 3], tolerance: 1e-6)
        let logY = x.logSoftmax()
        assertClose(logY.scalars, [-2.40760596, -1.40760596, -0.40760596, -1.09861229, -1.09861229, -1.09861229], tolerance: 1e-6)
    }

    func testBatchNormUpdatesRunningStatisticsAsPyTorch() {
        // Channel 0 values 1, 2, 3, 6: mean 3, biased variance 3.5, unbiased 14/3.
        let x = Tensor(shape: [4, 1], scalars: [1, 2, 3, 6])
        let mean = Tensor.zeros([1]), variance = Tensor.ones([1])
        let y = Tensor.batchNorm(x, weight: nil, bias: nil, runningMean: mean, runningVariance: variance, training: true)
        XCTAssertEqual(mean.item, 0.3, accuracy: 1e-6)
        XCTAssertEqual(variance.item, 0.9 + 0.1 * 14 / 3, accuracy: 1e-6)
        XCTAssertEqual(y.scalars[3], 3 / (3.5 + 1e-5).squareRoot(), accuracy: 1e-5)
    }

    func testMatmulAndBroadcastValues() {
        let a = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6]), b = Tensor(shape: [3, 2], scalars: [7, 8, 9, 10, 11, 12])
        XCTAssertEqual(Tensor.matmul(a, b).scalars, [58, 64, 139, 154])
        XCTAssertEqual(Tensor.matmul(a, a, transposeB: true).scalars, [14, 32, 32, 77])
        XCTAssertEqual(Tensor.matmul(a, a, transposeA: true).shape, [3, 3])
        XCTAssertEqual((a + Tensor(shape: [3], scalars: [10, 20, 30])).scalars, [11, 22, 33, 14, 25, 36])
        XCTAssertEqual((a * Tensor(shape: [2, 1], scalars: [2, 3])).scalars, [2, 4, 6, 12, 15, 18])
        XCTAssertEqual(a.sum(alongAxis: 0).scalars, [5, 7, 9])
        XCTAssertEqual(a.max(alongAxis: 1).scalars, [3, 6])
        XCTAssertEqual(a.argmax(alongAxis: 0), [1, 1, 1])
        XCTAssertEqual(a.permuted([1, 0]).scalars, [1, 4, 2, 5, 3, 6])
        XCTAssertEqual(a.padded([(1, 0)]).scalars, [0, 1, 2, 3, 0, 4, 5, 6])   // the last axis
    }
}
