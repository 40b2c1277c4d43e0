/// Layer normalisation over the last dimension as one operation: a pass per
/// row forward (mean, variance, then the normalised and scaled values) and
/// one back, instead of the seven recorded operations its formula takes.
///
/// ```
/// x̂ = (x − μ)·r,  r = 1/√(σ² + ε),  y = x̂·w + b
/// dw = Σ_rows dy·x̂,  db = Σ_rows dy,  g = dy·w
/// dx = r·(g − mean(g) − x̂·mean(g·x̂))
/// ```
extension Tensor {
    public func layerNorm(weight: Tensor?, bias: Tensor?, eps: Double) throws -> Tensor {
        let op = "layer_norm"
        try requireFloat(op)
        let d = shape.last ?? 0
        for p in [weight, bias].compactMap({ $0 }) where p.shape != [d] || p.dtype != dtype {
            throw RuntimeError(.shape, op, "expected weight and bias of shape [\(d)] and dtype \(dtype), got \(describe(p.shape)) \(p.dtype)")
        }
        let rows = d == 0 ? 0 : count / d
        let out = try Tensor(uninitialized: shape, dtype: dtype)
        let normalised = try Tensor(uninitialized: shape, dtype: dtype)
        let rstd = try Tensor(uninitialized: [rows], dtype: dtype)
        // (absent parameters as ones and zeros: the loops stay branch-free and vectorise)
        let scale = try weight?.detach() ?? Tensor.ones([d], dtype: dtype), shift = try bias?.detach() ?? Tensor.zeros([d], dtype: dtype)
        func forward<T: FloatElement>(_: T.Type) {
            let (x, y, xh, r) = (ptr(T.self), out.ptr(T.self), normalised.ptr(T.self), rstd.ptr(T.self))
            let (w, b) = (scale.ptr(T.self), shift.ptr(T.self))
            let e = T(eps), n = T(d)
            Parallel.forRanges(rows, grain: Swift.max(1, (1 << 14) / Swift.max(d, 1))) { range in
                for i in range {
                    let (xr, yr, hr) = (x + i * d, y + i * d, xh + i * d)
                    let mean = T(contiguousSum(xr, d)) / n
                    let variance = rowSquaredDeviations(xr, mean, d)
                    let ri = 1 / (variance / n + e).squareRoot()
                    r[i] = ri
                    for j in 0..<d {
                        let h = (xr[j] - mean) * ri
                        hr[j] = h
                        yr[j] = h * w[j] + b[j]
                    }
                }
            }
        }
        if dtype == .f32 { forward(Float.self) } else { forward(Double.self) }
        let inputs = [self] + [weight, bias].compactMap { $0 }
        guard inputs.contains(where: \.requiresGrad), GradMode.enabled else { return out }
        let (hasWeight, hasBias) = (weight != nil, bias != nil)
        return Tensor.record(op, out, inputs, saving: inputs + [normalised, rstd]) { g, _ in
            let dy = try g.to(normalised.dtype)
            let dx = try Tensor(uninitialized: normalised.shape, dtype: normalised.dtype)
            let dw = try Tensor.zeros([d], dtype: normalised.dtype), db = try Tensor.zeros([d], dtype: normalised.dtype)
            func backward<T: FloatElement>(_: T.Type) {
                let (gy, xh, r, gx) = (dy.ptr(T.self), normalised.ptr(T.self), rstd.ptr(T.self), dx.ptr(T.self))
                let wp = scale.ptr(T.self), n = T(d)
                Parallel.forRanges(rows, grain: Swift.max(1, (1 << 14) / Swift.max(d, 1))) { range in
                    for i in range {
                        let (gr, hr, xr) = (gy + i * d, xh + i * d, gx + i * d)
                        let (sumG, sumGH) = rowScaledSums(gr, wp, hr, d)
                        let (meanG, meanGH) = (sumG / n, sumGH / n)
                        let ri = r[i]
                        for j in 0..<d { xr[j] = ri * (gr[j] * wp[j] - meanG - hr[j] * meanGH) }
                    }
                }
                // the parameters' sums over rows, on one thread: the same bits at any thread count
                let (pw, pb) = (dw.ptr(T.self), db.ptr(T.self))
                for i in 0..<rows {
                    let (gr, hr) = (gy + i * d, xh + i * d)
                    for j in 0..<d { pw[j] += gr[j] * hr[j]; pb[j] += gr[j] }
                }
            }
            if dx.dtype == .f32 { backward(Float.self) } else { backward(Double.self) }
            return [dx] + (hasWeight ? [dw] : []) + (hasBias ? [db] : [])
        }
    }
}

// Row reductions in eight independent lanes, as `contiguousSum` (which
// gives the mean) does: a sequential sum would not vectorise, the compiler
// may not reorder floating-point additions. The lanes are added at the end.

@inline(__always)
func rowSquaredDeviations<T: FloatElement>(_ x: UnsafeMutablePointer<T>, _ mean: T, _ n: Int) -> T {
    var lanes = SIMD8<T>(repeating: 0)
    let m = SIMD8<T>(repeating: mean)
    var j = 0
    while j + 8 <= n { let c = UnsafeRawPointer(x + j).loadUnaligned(as: SIMD8<T>.self) - m; lanes += c * c; j += 8 }
    var total = lanes.sum()
    while j < n { let c = x[j] - mean; total += c * c; j += 1 }
    return total
}

/// Σ g·w and Σ g·w·h over a row.
@inline(__always)
func rowScaledSums<T: FloatElement>(_ g: UnsafeMutablePointer<T>, _ w: UnsafeMutablePointer<T>, _ h: UnsafeMutablePointer<T>, _ n: Int) -> (T, T) {
    var a = SIMD8<T>(repeating: 0), b = SIMD8<T>(repeating: 0)
    var j = 0
    while j + 8 <= n {
        let gw = UnsafeRawPointer(g + j).loadUnaligned(as: SIMD8<T>.self) * UnsafeRawPointer(w + j).loadUnaligned(as: SIMD8<T>.self)
        a += gw
        b += gw * UnsafeRawPointer(h + j).loadUnaligned(as: SIMD8<T>.self)
        j += 8
    }
    var (sa, sb) = (a.sum(), b.sum())
    while j < n { let gw = g[j] * w[j]; sa += gw; sb += gw * h[j]; j += 1 }
    return (sa, sb)
}
