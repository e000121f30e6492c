import XCTest
import ZooTensor
import ZooTestSupport

/// Every op's derivative rule against central finite differences, on several shapes (odd sizes included).
final class GradientTests: XCTestCase {
    /// Normal samples pushed at least 0.1 away from 0, so that ±step never crosses a kink.
    func awayFromZero(_ shape: [Int], seed: UInt64) -> Tensor {
        let x = randomTensor(shape, seed: seed)
        x.withMutableScalars { values in for i in values.indices { values[i] += values[i] < 0 ? -0.1 : 0.1 } }
        return x
    }

    /// Distinct values 0.05 apart in a random order, so that ±step never changes which element is largest.
    func distinctValues(_ shape: [Int], seed: UInt64) -> Tensor {
        var generator = RandomGenerator(seed: seed)
        let values = (0..<shape.elementCount).map { Float($0) * 0.05 - 1 }.shuffled(using: &generator)
        return Tensor(shape: shape, scalars: values)
    }

    func testArithmeticWithBroadcasting() {
        for (a, b) in [([3, 5], [3, 5]), ([2, 3, 4], [4]), ([2, 1, 4], [3, 1]), ([7], [1]), ([1], [2, 3])] {
            checkGradients([randomTensor(a, seed: 1), randomTensor(b, seed: 2)]) { $0[0] + $0[1] }
            checkGradients([randomTensor(a, seed: 3), randomTensor(b, seed: 4)]) { $0[0] - $0[1] }
            checkGradients([randomTensor(a, seed: 5), randomTensor(b, seed: 6)]) { $0[0] * $0[1] }
            checkGradients([randomTensor(a, seed: 7), awayFromZero(b, seed: 8) + 2]) { $0[0] / $0[1] }
        }
        checkGradients([randomTensor([4, 3], seed: 9)]) { -$0[0] * 3 + 2 }
    }

    func testUnaryMath() {
        for shape in [[5], [3, 7], [2, 3, 5]] {
            checkGradients([randomTensor(shape, seed: 10)]) { $0[0].exp() }
            checkGradients([awayFromZero(shape, seed: 11).abs() + 0.5]) { $0[0].log() }
            checkGradients([awayFromZero(shape, seed: 12).abs() + 0.5]) { $0[0].sqrt() }
            checkGradients([awayFromZero(shape, seed: 13).abs() + 0.5]) { $0[0].pow(2.5) }
            checkGradients([awayFromZero(shape, seed: 14)]) { $0[0].abs() }
            checkGradients([distinctValues(shape, seed: 15) * 1.3]) { $0[0].clamped(min: -0.4875, max: 0.2925) }
            checkGradients([awayFromZero(shape, seed: 16)]) { $0[0].relu() }
            checkGradients([randomTensor(shape, seed: 17)]) { $0[0].gelu() }
            checkGradients([randomTensor(shape, seed: 18)]) { $0[0].sigmoid() }
            checkGradients([randomTensor(shape, seed: 19)]) { $0[0].tanh() }
        }
    }

    func testReductions() {
        let x = randomTensor([3, 4, 5], seed: 20)
        checkGradients([x]) { $0[0].sum() }
        checkGradients([x]) { $0[0].mean() }
        checkGradients([x]) { $0[0].sum(alongAxes: [0, 2]) }
        checkGradients([x]) { $0[0].sum(alongAxis: 1, keepingDimensions: true) }
        checkGradients([x]) { $0[0].mean(alongAxis: -1) }
        let distinct = distinctValues([3, 4, 5], seed: 20)
        checkGradients([distinct]) { $0[0].max(alongAxis: 1) }
        checkGradients([distinct]) { $0[0].max(alongAxis: 2, keepingDimensions: true) }
        checkGradients([randomTensor([4, 1], seed: 21)]) { $0[0].broadcast(to: [3, 4, 5]) }
    }

    func testShapeOps() {
        let x = randomTensor([2, 3, 5], seed: 22)
        checkGradients([x]) { $0[0].reshaped([5, -1]) }
        checkGradients([x]) { $0[0].permuted([2, 0, 1]) }
        checkGradients([x]) { $0[0].transposed(0, 2) }
        checkGradients([x]) { $0[0].sliced(alongAxis: 2, 1..<5, step: 2) }
        checkGradients([x]) { $0[0].split(sizes: [2, 3], alongAxis: 2)[1] * 2 }
        checkGradients([x, randomTensor([2, 1, 5], seed: 23)]) { Tensor.concatenate([$0[0], $0[1], $0[0]], alongAxis: 1) }
        checkGradients([x]) { $0[0].indexSelect(alongAxis: 1, indices: [2, 0, 2]) }
        checkGradients([randomTensor([4, 6], seed: 24)]) { $0[0].gather(columns: [5, 0, 3, 3]) }
        checkGradients([x]) { $0[0].padded([(1, 2), (0, 1)]) }
        checkGradients([x]) { $0[0].unsqueezed(1).permuted([0, 2, 1, 3]) }
    }

    func testMatrixProducts() {
        for (m, k, n) in [(3, 4, 5), (1, 7, 2), (6, 1, 3)] {
            for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
                let a = randomTensor(ta ? [k, m] : [m, k], seed: 25), b = randomTensor(tb ? [n, k] : [k, n], seed: 26)
                checkGradients([a, b]) { Tensor.matmul($0[0], $0[1], transposeA: ta, transposeB: tb) }
                let ba = randomTensor(ta ? [2, k, m] : [2, m, k], seed: 27), bb = randomTensor(tb ? [2, n, k] : [2, k, n], seed: 28)
                checkGradients([ba, bb]) { Tensor.matmul($0[0], $0[1], transposeA: ta, transposeB: tb) }
            }
        }
        checkGradients([randomTensor([5, 3], seed: 29), randomTensor([4, 3], seed: 30), randomTensor([4], seed: 31)]) {
            Tensor.linear($0[0], weight: $0[1], bias: $0[2])
        }
        checkGradients([randomTensor([5, 3], seed: 32), randomTensor([4, 3], seed: 33)]) {
            Tensor.linear($0[0], weight: $0[1], bias: nil)
        }
    }

    func testSoftmaxFamily() {
        for (shape, axis) in [([4, 7], -1), ([3, 5, 2], 1), ([9], 0)] {
            checkGradients([randomTensor(shape, seed: 34) * 3]) { $0[0].softmax(alongAxis: axis) }
            checkGradients([randomTensor(shape, seed: 35) * 3]) { $0[0].logSoftmax(alongAxis: axis) }
        }
        let labels = [2, 0, 4, 4, 1]
        checkGradients([randomTensor([5, 5], seed: 36)]) { Tensor.crossEntropy(logits: $0[0], labels: labels) }
        checkGradients([randomTensor([5, 5], seed: 37)]) {
            Tensor.crossEntropy(logits: $0[0], labels: labels, labelSmoothing: 0.2)
        }
        let weights = Tensor(shape: [5], scalars: [0.5, 1, 2, 1, 3])
        checkGradients([randomTensor([5, 5], seed: 38)]) {
            Tensor.crossEntropy(logits: $0[0], labels: labels, classWeights: weights)
        }
    }

    func testConvolution() {
        let cases: [(input: [Int], weight: [Int], geometry: Convolution2DGeometry)] = [
            ([2, 3, 5, 5], [4, 3, 3, 3], .init(padding: (1, 1))),
            ([1, 2, 7, 6], [3, 2, 3, 2], .init(stride: (2, 1), padding: (1, 0))),
            ([2, 4, 5, 5], [4, 1, 3, 3], .init(padding: (1, 1), groups: 4)),          // depthwise
            ([1, 4, 6, 5], [6, 2, 2, 3], .init(stride: (1, 2), dilation: (2, 1), groups: 2)),
            ([3, 2, 4, 4], [5, 2, 1, 1], .init(stride: (2, 2))),
            ([2, 3, 9, 10], [4, 3, 3, 3], .init(padding: (1, 1))),                    // flat-shift im2col, adjoint
            ([1, 2, 8, 9], [3, 2, 5, 3], .init(padding: (2, 1))),
            ([2, 3, 6, 6], [2, 3, 1, 1], .init()),                                    // pointwise
            ([1, 2, 6, 7], [3, 2, 5, 5], .init(padding: (2, 2))),                    // flat shift, edges 2 wide, adjoint
            ([1, 2, 6, 9], [2, 2, 3, 3], .init(padding: (2, 2), dilation: (2, 2))),  // flat-shift col2im, dilated
            ([1, 2, 4, 3], [2, 2, 3, 7], .init(padding: (1, 3))),                    // kernel wider than the image
        ]
        for (input, weight, geometry) in cases {
            checkGradients([randomTensor(input, seed: 39), randomTensor(weight, seed: 40), randomTensor([weight[0]], seed: 41)]) {
                Tensor.conv2d($0[0], weight: $0[1], bias: $0[2], geometry: geometry)
            }
        }
    }

    func testPooling() {
        let x = randomTensor([2, 3, 7, 6], seed: 42), distinct = distinctValues([2, 3, 7, 6], seed: 42)
        checkGradients([distinct]) { $0[0].maxPool2d(kernel: (3, 3), stride: (2, 2), padding: (1, 1)) }
        checkGradients([distinct]) { $0[0].maxPool2d(kernel: (2, 2)) }
        checkGradients([x]) { $0[0].averagePool2d(kernel: (3, 2), stride: (2, 2), padding: (1, 1)) }
        checkGradients([x]) { $0[0].adaptiveAveragePool2d(outputSize: (1, 1)) }
        checkGradients([x]) { $0[0].adaptiveAveragePool2d(outputSize: (3, 4)) }
    }

    func testNormalization() {
        for shape in [[6, 4], [3, 2, 5], [2, 3, 4, 3]] {
            let channels = shape[1]
            let weight = randomTensor([channels], seed: 43), bias = randomTensor([channels], seed: 44)
            checkGradients([randomTensor(shape, seed: 45), weight, bias]) {
                Tensor.batchNorm($0[0], weight: $0[1], bias: $0[2], runningMean: nil, runningVariance: nil, training: true)
            }
            let mean = randomTensor([channels], seed: 46), variance = randomTensor([channels], seed: 47).abs() + 0.5
            checkGradients([randomTensor(shape, seed: 48), weight, bias]) {
                Tensor.batchNorm($0[0], weight: $0[1], bias: $0[2], runningMean: mean, runningVariance: variance, training: false)
            }
        }
        for (shape, dimensions) in [([5, 7], 1), ([2, 3, 4], 2), ([4, 1, 9], 1)] {
            let normalized = Array(shape.suffix(dimensions))
            checkGradients([randomTensor(shape, seed: 49), randomTensor(normalized, seed: 50), randomTensor(normalized, seed: 51)]) {
                Tensor.layerNorm($0[0], weight: $0[1], bias: $0[2], normalizedDimensions: dimensions)
            }
        }
    }

    /// The fused op gives the composite's values and gradients (finite differences would straddle the kink).
    func testBatchNormReLUMatchesBatchNormThenReLU() {
        for (shape, training) in [([4, 3, 5, 7], true), ([6, 5], true), ([3, 2, 9], false)] {
            let channels = shape[1]
            let mean = randomTensor([channels], seed: 61), variance = randomTensor([channels], seed: 62).abs() + 0.5
            let upstream = randomTensor(shape, seed: 63)
            func run(fused: Bool) -> [Tensor] {
                let x = randomTensor(shape, seed: 64), weight = randomTensor([channels], seed: 65)
                let bias = randomTensor([channels], seed: 66)
                for tensor in [x, weight, bias] { tensor.requiresGrad = true }
                let (m, v) = (mean.copied(), variance.copied())
                let y = fused
                    ? Tensor.batchNormReLU(x, weight: weight, bias: bias, runningMean: m, runningVariance: v, training: training)
                    : Tensor.batchNorm(x, weight: weight, bias: bias, runningMean: m, runningVariance: v, training: training).relu()
                (y * upstream).sum().backward()
                return [y.detached(), x.grad!, weight.grad!, bias.grad!, m, v]
            }
            for (fused, composite) in zip(run(fused: true), run(fused: false)) {
                assertClose(fused, composite, tolerance: 1e-5, "\(shape)")
            }
        }
    }

    func testDropoutUsesOneMaskForValueAndGradient() {
        let x = randomTensor([4, 9], seed: 52)
        x.requiresGrad = true
        var generator = RandomGenerator(seed: 3)
        let y = x.dropout(probability: 0.4, training: true, generator: &generator)
        y.sum().backward()
        for (value, (input, grad)) in zip(y.scalars, zip(x.scalars, x.grad!.scalars)) {
            if value == 0 { XCTAssertEqual(grad, 0) } else {
                XCTAssertEqual(grad, 1 / 0.6, accuracy: 1e-6)
                XCTAssertEqual(value, input / 0.6, accuracy: 1e-5)
            }
        }
    }
}
