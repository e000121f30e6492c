import Foundation
import XCTest
import ZooTensor
import ZooTestSupport

/// The autodiff engine itself (not the derivative rules, which `GradientTests` checks): accumulation,
/// gradient mode, detaching, shared inputs, explicit seeds, ownership of leaf gradients, graph
/// shapes and depth.
final class AutodiffTests: XCTestCase {
    func assertScalars(_ tensor: Tensor?, _ expected: [Float], accuracy: Float = 1e-5, _ label: String = "",
                       file: StaticString = #filePath, line: UInt = #line) {
        guard let tensor else { return XCTFail("\(label): no tensor", file: file, line: line) }
        XCTAssertEqual(tensor.count, expected.count, "\(label): element count", file: file, line: line)
        for (index, (actual, wanted)) in zip(tensor.scalars, expected).enumerated() {
            XCTAssertEqual(actual, wanted, accuracy: accuracy * max(1, abs(wanted)), "\(label)[\(index)]",
                           file: file, line: line)
        }
    }

    func testGradientsAccumulateAcrossBackwardCalls() {
        let x = Tensor(shape: [3], scalars: [1, -2, 0.5], requiresGrad: true)
        (x * x).sum().backward()
        assertScalars(x.grad, [2, -4, 1], "after one backward")
        (x * x).sum().backward()
        assertScalars(x.grad, [4, -8, 2], "after two backwards")
        // The same graph again: it is not consumed by a backward pass.
        let y = (x * 3).sum()
        y.backward()
        y.backward()
        assertScalars(x.grad, [10, -2, 8], "after two more backwards of 3·x")
        x.grad = nil
        (x * 3).sum().backward()
        assertScalars(x.grad, [3, 3, 3], "after clearing")
    }

    func testWithoutGradientsRecordsNothing() {
        let x = Tensor(shape: [2, 2], scalars: [1, 2, 3, 4], requiresGrad: true)
        XCTAssertTrue(GradientMode.isEnabled)
        let y = withoutGradients { () -> Tensor in
            XCTAssertFalse(GradientMode.isEnabled)
            return (x * x + 1).sum(alongAxis: 0).exp()
        }
        XCTAssertTrue(GradientMode.isEnabled, "gradient mode restored after the block")
        XCTAssertFalse(y.requiresGrad)
        XCTAssertNil(y.gradientNode)
        XCTAssertEqual(y.shape, [2])
        // Recording resumes after the block.
        let z = x * 2
        XCTAssertTrue(z.requiresGrad)
        XCTAssertNotNil(z.gradientNode)
        XCTAssertNil(x.grad)
    }

    func testDetachedStopsGradientFlow() {
        let x = Tensor(shape: [3], scalars: [1, 2, 3], requiresGrad: true)
        let d = x.detached()
        XCTAssertFalse(d.requiresGrad)
        XCTAssertNil(d.gradientNode)
        XCTAssertTrue(d.storage === x.storage, "detached shares storage")
        // y = x·stop(x) + x: the gradient is stop(x) + 1, not 2x + 1.
        (x * d + x).sum().backward()
        assertScalars(x.grad, [2, 3, 4])
        // Detaching an intermediate cuts everything before it.
        let w = Tensor(shape: [3], scalars: [1, 1, 1], requiresGrad: true)
        let h = (w * 5).detached()
        XCTAssertFalse(h.requiresGrad)
        (h * x).sum().backward()
        XCTAssertNil(w.grad)
        assertScalars(x.grad, [7, 8, 9])
    }

    func testTensorUsedTwiceGetsTheSummedGradient() {
        let x = Tensor(shape: [4], scalars: [1, -1, 2, 0.25], requiresGrad: true)
        (x * x + x).sum().backward()
        assertScalars(x.grad, [3, -1, 5, 1.5])   // 2x + 1
    }

    func testBackwardWithAnExplicitSeedOnANonScalar() {
        let x = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6], requiresGrad: true)
        let w = Tensor(shape: [3], scalars: [0.5, -1, 2], requiresGrad: true)
        let seed = Tensor(shape: [2, 3], scalars: [1, 0, -1, 2, 3, 0.5])
        (x * w).backward(seed: seed)
        assertScalars(x.grad, [0.5, 0, -2, 1, -3, 1], "x.grad = seed · w")
        assertScalars(w.grad, [1 + 8, 0 + 15, -3 + 3], "w.grad = Σ_rows seed · x")
        XCTAssertEqual(seed.scalars, [1, 0, -1, 2, 3, 0.5], "the seed is not modified")

        // On a leaf the seed itself is the gradient, as an owned copy.
        let leaf = Tensor(shape: [3], scalars: [0, 0, 0], requiresGrad: true)
        let leafSeed = Tensor(shape: [3], scalars: [4, 5, 6])
        leaf.backward(seed: leafSeed)
        assertScalars(leaf.grad, [4, 5, 6])
        leaf.grad!.withMutableScalars { $0[0] = 99 }
        XCTAssertEqual(leafSeed.scalars, [4, 5, 6])
    }

    func testLeafGradientsAreOwnedCopies() {
        let a = Tensor(shape: [3], scalars: [1, 2, 3], requiresGrad: true)
        let b = Tensor(shape: [3], scalars: [4, 5, 6], requiresGrad: true)
        let seed = Tensor(shape: [3], scalars: [1, 2, 3])
        (a + b).backward(seed: seed)   // both gradients are the seed itself
        guard let ga = a.grad, let gb = b.grad else { return XCTFail("missing gradients") }
        XCTAssertFalse(ga.storage === gb.storage)
        XCTAssertFalse(ga.storage === seed.storage)
        ga.withMutableScalars { $0.update(repeating: 0) }   // as zeroing or clipping in place would
        XCTAssertEqual(gb.scalars, [1, 2, 3])
        XCTAssertEqual(seed.scalars, [1, 2, 3])

        // The same through a sum: y = (a + b).sum().
        a.grad = nil
        b.grad = nil
        (a + b).sum().backward()
        a.grad!.withMutableScalars { $0[1] = -7 }
        XCTAssertEqual(b.grad!.scalars, [1, 1, 1])
        XCTAssertFalse(a.grad!.storage === b.grad!.storage)
    }

    func testDiamondShapedGraphs() {
        // x → a = 3x, b = x²; y = Σ a·b = Σ 3x³; dy/dx = 9x².
        let x = Tensor(shape: [3], scalars: [1, -2, 0.5], requiresGrad: true)
        ((x * 3) * (x * x)).sum().backward()
        assertScalars(x.grad, [9, 36, 2.25], "two branches from a leaf")

        // An intermediate with two consumers must collect both before propagating:
        // h = 2x, u = h², v = h + 1, y = Σ u·v = Σ 8x³ + 4x²; dy/dx = 24x² + 8x.
        let z = Tensor(shape: [3], scalars: [1, -2, 0.5], requiresGrad: true)
        let h = z * 2
        let y = ((h * h) * (h + 1)).sum()
        y.backward()
        assertScalars(z.grad, [32, 80, 10], "two branches from an intermediate")

        // Nested diamonds: p = z + z, q = p * p + p, r = q * q; dr/dz = 2q·(2p + 1)·2.
        z.grad = nil
        let p = z + z
        let q = p * p + p
        (q * q).sum().backward()
        let expected = z.scalars.map { value -> Float in
            let p = 2 * value, q = p * p + p
            return 2 * q * (2 * p + 1) * 2
        }
        assertScalars(z.grad, expected, "nested diamonds")
    }

    func testLongChainBackpropagatesWithoutStackOverflow() {
        let x = Tensor(shape: [4], scalars: [1, 2, -1, 0.5], requiresGrad: true)
        var y = x
        for step in 0..<5_000 {
            y = step.isMultiple(of: 2) ? y * 1.0001 : y + 0.001
        }
        y.sum().backward()
        let slope = Float(pow(Double(Float(1.0001)), 2_500))
        assertScalars(x.grad, [Float](repeating: slope, count: 4), accuracy: 1e-3, "5,000-op chain")
        // The same depth through a shared intermediate at every step (a ladder of diamonds).
        let w = Tensor(shape: [2], scalars: [0.3, -0.2], requiresGrad: true)
        var chain = w
        for _ in 0..<2_500 { chain = chain * 0.5 + chain * 0.5 }
        chain.sum().backward()
        assertScalars(w.grad, [1, 1], accuracy: 1e-4, "ladder")
    }
}
