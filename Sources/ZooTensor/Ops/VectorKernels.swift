/// Inner loops over contiguous floats, eight lanes at a time (`SIMD8<Float>`), with a scalar tail.
///
/// The compiler does not vectorise floating-point sums by itself (it may not reorder additions);
/// these do, with eight partial sums. Callers split work across threads; these run on one.
enum VectorKernels {
    @inline(__always)
    static func load(_ p: UnsafePointer<Float>, _ i: Int) -> SIMD8<Float> {
        UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self)
    }

    @inline(__always)
    static func store(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>, _ i: Int) {
        UnsafeMutableRawPointer(p + i).storeBytes(of: v, as: SIMD8<Float>.self)
    }

    /// `max(v, 0)` per lane, as a select (`pointwiseMax` is several times slower here).
    @inline(__always)
    static func clamped(_ v: SIMD8<Float>) -> SIMD8<Float> {
        v.replacing(with: 0, where: v .< SIMD8<Float>())
    }

    /// `Σ x[i]`.
    @inline(__always)
    static func sum(_ x: UnsafePointer<Float>, _ count: Int) -> Float {
        var lanes = SIMD8<Float>(), i = 0
        while i + 8 <= count { lanes += load(x, i); i += 8 }
        var total = lanes.sum()
        while i < count { total += x[i]; i += 1 }
        return total
    }

    /// `Σ (x[i] − mean)²`.
    @inline(__always)
    static func squaredDeviations(_ x: UnsafePointer<Float>, _ count: Int, mean: Float) -> Float {
        var lanes = SIMD8<Float>(), i = 0
        let m = SIMD8<Float>(repeating: mean)
        while i + 8 <= count { let d = load(x, i) - m; lanes += d * d; i += 8 }
        var total = lanes.sum()
        while i < count { let d = x[i] - mean; total += d * d; i += 1 }
        return total
    }

    /// `(Σ g[i], Σ g[i]·(x[i] − mean))`.
    @inline(__always)
    static func sums(_ g: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ count: Int, mean: Float) -> (Float, Float) {
        var sg = SIMD8<Float>(), sgx = SIMD8<Float>(), i = 0
        let m = SIMD8<Float>(repeating: mean)
        while i + 8 <= count {
            let gv = load(g, i)
            sg += gv
            sgx += gv * (load(x, i) - m)
            i += 8
        }
        var (totalG, totalGX) = (sg.sum(), sgx.sum())
        while i < count { totalG += g[i]; totalGX += g[i] * (x[i] - mean); i += 1 }
        return (totalG, totalGX)
    }

    /// `out[i] = x[i]·a + b`, then clamped at 0 when `relu`.
    @inline(__always)
    static func affine(_ x: UnsafePointer<Float>, _ count: Int, a: Float, b: Float, relu: Bool,
                       into out: UnsafeMutablePointer<Float>) {
        let av = SIMD8<Float>(repeating: a), bv = SIMD8<Float>(repeating: b)
        var i = 0
        if relu {
            while i + 8 <= count { store(clamped(load(x, i) * av + bv), out, i); i += 8 }
            while i < count { out[i] = Swift.max(x[i] * a + b, 0); i += 1 }
        } else {
            while i + 8 <= count { store(load(x, i) * av + bv, out, i); i += 8 }
            while i < count { out[i] = x[i] * a + b; i += 1 }
        }
    }

    /// `out[i] = x[i]·a + b + r[i]`, then clamped at 0 when `relu`.
    @inline(__always)
    static func affine(_ x: UnsafePointer<Float>, _ count: Int, a: Float, b: Float, adding r: UnsafePointer<Float>,
                       relu: Bool, into out: UnsafeMutablePointer<Float>) {
        let av = SIMD8<Float>(repeating: a), bv = SIMD8<Float>(repeating: b)
        var i = 0
        if relu {
            while i + 8 <= count { store(clamped(load(x, i) * av + bv + load(r, i)), out, i); i += 8 }
            while i < count { out[i] = Swift.max(x[i] * a + b + r[i], 0); i += 1 }
        } else {
            while i + 8 <= count { store(load(x, i) * av + bv + load(r, i), out, i); i += 8 }
            while i < count { out[i] = x[i] * a + b + r[i]; i += 1 }
        }
    }

    /// `out[i] = a·g[i] + b·x[i] + c`.
    @inline(__always)
    static func combine(_ g: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ count: Int, a: Float, b: Float, c: Float,
                        into out: UnsafeMutablePointer<Float>) {
        let av = SIMD8<Float>(repeating: a), bv = SIMD8<Float>(repeating: b), cv = SIMD8<Float>(repeating: c)
        var i = 0
        while i + 8 <= count { store(load(g, i) * av + load(x, i) * bv + cv, out, i); i += 8 }
        while i < count { out[i] = a * g[i] + b * x[i] + c; i += 1 }
    }

    /// `out[i] = max(x[i], 0)`.
    @inline(__always)
    static func relu(_ x: UnsafePointer<Float>, _ count: Int, into out: UnsafeMutablePointer<Float>) {
        var i = 0
        while i + 8 <= count { store(clamped(load(x, i)), out, i); i += 8 }
        while i < count { out[i] = Swift.max(x[i], 0); i += 1 }
    }

    /// `out[i] = y[i] > 0 ? g[i] : 0` (the ReLU derivative rule, from the ReLU's output `y`).
    @inline(__always)
    static func reluGradient(_ g: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ count: Int,
                             into out: UnsafeMutablePointer<Float>) {
        let zero = SIMD8<Float>()
        var i = 0
        while i + 8 <= count {
            store(load(g, i).replacing(with: 0, where: load(y, i) .<= zero), out, i)
            i += 8
        }
        while i < count { out[i] = y[i] > 0 ? g[i] : 0; i += 1 }
    }

    /// `out[i] = a[i] + b[i]`.
    @inline(__always)
    static func add(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int, into out: UnsafeMutablePointer<Float>) {
        var i = 0
        while i + 8 <= count { store(load(a, i) + load(b, i), out, i); i += 8 }
        while i < count { out[i] = a[i] + b[i]; i += 1 }
    }
}
