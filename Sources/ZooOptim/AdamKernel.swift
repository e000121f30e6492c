#if canImport(_Builtin_intrinsics.intel)
import _Builtin_intrinsics.intel
#endif

/// The element-wise arithmetic of one Adam(W) step, in single precision and in PyTorch's order
/// of operations (so that results match `torch.optim.AdamW` bit for bit where the rounding of
/// the scalar factors agrees).
///
/// On Linux `Float.squareRoot()` is a C library call that the compiler does not vectorise; on
/// x86-64 the last pass therefore uses SSE's `sqrtps`, which rounds exactly like the scalar
/// square root.
enum AdamKernel {
    /// The step's scalar factors, computed in double precision and rounded once.
    struct Factors {
        /// `1 − lr·wd`, or `nil` without weight decay.
        var shrink: Float?
        /// The lerp weight `1 − β₁`.
        var firstMomentWeight: Float
        var beta2: Float
        /// `1 − β₂`.
        var secondMomentWeight: Float
        /// `sqrt(1 − β₂ᵗ)`.
        var biasCorrection2Root: Float
        var epsilon: Float
        /// `−lr / (1 − β₁ᵗ)`.
        var negativeStepSize: Float
    }

    static func step(
        parameter p: UnsafeMutablePointer<Float>, gradient g: UnsafePointer<Float>,
        firstMoment m: UnsafeMutablePointer<Float>, secondMoment v: UnsafeMutablePointer<Float>,
        maxSecondMoment vMax: UnsafeMutablePointer<Float>?, count n: Int, factors: Factors
    ) {
        if let shrink = factors.shrink {
            for i in 0..<n { p[i] = p[i] * shrink }
        }
        // exp_avg.lerp_(grad, w): start + w·(end − start) for |w| < 0.5, else
        // end − (end − start)·(1 − w).
        let w = factors.firstMomentWeight
        if abs(w) < 0.5 {
            for i in 0..<n { m[i] = m[i] + w * (g[i] - m[i]) }
        } else {
            let complement = 1 - w
            for i in 0..<n { m[i] = g[i] - (g[i] - m[i]) * complement }
        }
        // exp_avg_sq.mul_(β₂).addcmul_(grad, grad, value: 1 − β₂)
        let beta2 = factors.beta2
        let weight2 = factors.secondMomentWeight
        for i in 0..<n { v[i] = v[i] * beta2 + weight2 * g[i] * g[i] }
        var normaliser = UnsafePointer(v)
        if let vMax {
            for i in 0..<n { vMax[i] = Swift.max(vMax[i], v[i]) }
            normaliser = UnsafePointer(vMax)
        }
        update(parameter: p, firstMoment: m, normaliser: normaliser, count: n, factors: factors)
    }

    /// `p.addcdiv_(m, sqrt(v̂)/root + ε, value: −step)`, which PyTorch evaluates as
    /// `p + (−step·m) / denom`.
    private static func update(
        parameter p: UnsafeMutablePointer<Float>, firstMoment m: UnsafePointer<Float>,
        normaliser v: UnsafePointer<Float>, count n: Int, factors: Factors
    ) {
        let root = factors.biasCorrection2Root
        let eps = factors.epsilon
        let scale = factors.negativeStepSize
        var start = 0
        #if canImport(_Builtin_intrinsics.intel)
        let root4 = SIMD4<Float>(repeating: root)
        let eps4 = SIMD4<Float>(repeating: eps)
        let scale4 = SIMD4<Float>(repeating: scale)
        while start + 4 <= n {
            let vs = UnsafeRawPointer(v + start).loadUnaligned(as: SIMD4<Float>.self)
            let ms = UnsafeRawPointer(m + start).loadUnaligned(as: SIMD4<Float>.self)
            let ps = UnsafeRawPointer(p + start).loadUnaligned(as: SIMD4<Float>.self)
            let denominator = _mm_sqrt_ps(vs) / root4 + eps4
            UnsafeMutableRawPointer(p + start).storeBytes(
                of: ps + scale4 * ms / denominator, as: SIMD4<Float>.self)
            start += 4
        }
        #endif
        for i in start..<n {
            let denominator = v[i].squareRoot() / root + eps
            p[i] = p[i] + scale * m[i] / denominator
        }
    }
}
