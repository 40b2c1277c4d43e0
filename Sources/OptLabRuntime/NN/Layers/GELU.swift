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
    /// In f32 both run in CKernels' vector loops (gelu.c: a rational erf, with
    /// libm's erfc for the x < −1 that need it; the vector exp backward).
    public func gelu() throws -> Tensor {
        try requireFloat("gelu")
        let out = try Tensor(uninitialized: shape, dtype: dtype)
        let keep = Tensor.recording(self)
        // Φ(x) goes into its own buffer only when the backward pass needs it; else into the output, scaled in place
        let cdf = keep ? try Tensor(uninitialized: shape, dtype: dtype) : out
        if dtype == .f32 {
            let (x, y, c) = (ptr(Float.self), out.ptr(Float.self), cdf.ptr(Float.self))
            Parallel.forRanges(count, grain: 1 << 14) { r in
                optlab_gelu_f32(x + r.lowerBound, y + r.lowerBound, c + r.lowerBound, r.count)
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
                    optlab_gelu_backward_f32(v + r.lowerBound, c + r.lowerBound, d + r.lowerBound, r.count)
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

