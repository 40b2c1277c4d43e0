import CKernels
import RealModule

/// The Gaussian error linear unit (Hendrycks & Gimpel, 2016) in PyTorch's
/// default, exact form:
///
/// ```
/// gelu(x)  = x·Φ(x) = ½·x·(1 + erf(x/√2)) = ½·x·erfc(−x/√2)
/// gelu'(x) = Φ(x) + x·φ(x),   φ(x) = e^(−x²/2)/√(2π)
/// ```
/// Computed with erfc, which keeps its precision for negative x where
/// 1 + erf(x/√2) cancels. Smooth, so it records no kinks.
public final class GELU: Module {
    override public func forward(_ x: Tensor) throws -> Tensor { try x.gelu() }
    override public var summary: String { "GELU" }
}

extension GELU {
    public static let kind = LayerKind("GELU", signature: "nn.GELU()",
        help: "x·Φ(x) = ½·x·(1 + erf(x/√2)), PyTorch's exact GELU.") { _ in GELU() }
}

extension Tensor {
    /// The forward pass keeps Φ(x), so the backward pass costs one exponential
    /// an element rather than another erfc; both are spread over the threads.
    /// In f32 the forward pass is a branch-free loop the compiler vectorises (a
    /// rational erf, with libm's erfc for the x < −1 that need it) and the
    /// backward one takes its exponentials from CKernels' vector exp.
    public func gelu() throws -> Tensor {
        try requireFloat("gelu")
        let out = try Tensor(uninitialized: shape, dtype: dtype)
        let keep = Tensor.recording(self)
        // Φ(x) goes into its own buffer only when the backward pass needs it; else into the output, scaled in place
        let cdf = keep ? try Tensor(uninitialized: shape, dtype: dtype) : out
        if dtype == .f32 {
            let (x, y, c) = (ptr(Float.self), out.ptr(Float.self), cdf.ptr(Float.self))
            Parallel.forRanges(count, grain: 1 << 14) { r in
                for i in r { c[i] = 0.5 + 0.5 * fastErf(x[i] * 0.70710678118654752) }
                // where 1 + erf cancels, the exact tail
                for i in r where x[i] < -1 { c[i] = 0.5 * Float.erfc(-x[i] * 0.70710678118654752) }
                for i in r { y[i] = x[i] * c[i] }
            }
        } else {
            let (x, y, c) = (ptr(Double.self), out.ptr(Double.self), cdf.ptr(Double.self))
            Parallel.forRanges(count, grain: 1 << 14) { r in
                for i in r { c[i] = 0.5 * Double.erfc(-x[i] * 0.70710678118654752); y[i] = x[i] * c[i] }
            }
        }
        guard keep else { return out }
        let x = self.detach()
        return Tensor.record("gelu", out, [self]) { g, _ in
            let grad = try g.to(x.dtype).clone()
            let invSqrt2Pi = 0.39894228040143268
            if x.dtype == .f32 {
                let (v, c, d) = (x.ptr(Float.self), cdf.ptr(Float.self), grad.ptr(Float.self))
                Parallel.forRanges(x.count, grain: 1 << 14) { r in
                    // e^(−x²/2) for the range by CKernels' vector exp, then one fused pass
                    withUnsafeTemporaryAllocation(of: Float.self, capacity: r.count) { buffer in
                        let e = buffer.baseAddress!
                        for k in 0..<r.count { let xv = v[r.lowerBound + k]; e[k] = -xv * xv * 0.5 }
                        optlab_exp_f32(e, e, r.count)
                        for k in 0..<r.count { let i = r.lowerBound + k; d[i] *= c[i] + v[i] * Float(invSqrt2Pi) * e[k] }
                    }
                }
            } else {
                let (v, c, d) = (x.ptr(Double.self), cdf.ptr(Double.self), grad.ptr(Double.self))
                Parallel.forRanges(x.count, grain: 1 << 14) { r in
                    for i in r { d[i] *= c[i] + v[i] * invSqrt2Pi * Double.exp(-v[i] * v[i] / 2) }
                }
            }
            return [grad]
        }
    }
}

/// erf in f32 by a rational approximation on [−4, 4] (the one Eigen and XLA
/// use; at most 4.2e-7 from erf, measured on a 200,001-point grid), for
/// GELU's x ≥ −1, where 1 + erf(x/√2) ≥ 0.31 keeps its relative error
/// below 1.4e-6; below −1 the cancellation would grow it, and libm's erfc
/// replaces it.
@inline(__always)
func fastErf(_ v: Float) -> Float {
    let x = Swift.min(Swift.max(v, -4), 4), x2 = x * x
    var p: Float = -2.72614225801306e-10
    p = p * x2 + 2.77068142495902e-08
    p = p * x2 - 2.10102402082508e-06
    p = p * x2 - 5.69250639462346e-05
    p = p * x2 - 7.34990630326855e-04
    p = p * x2 - 2.95459980854025e-03
    p = p * x2 - 1.60960333262415e-02
    var q: Float = -1.45660718464996e-05
    q = q * x2 - 2.13374055278905e-04
    q = q * x2 - 1.68282697438203e-03
    q = q * x2 - 7.37332916720468e-03
    q = q * x2 - 1.42647390514189e-02
    return x * p / q
}
