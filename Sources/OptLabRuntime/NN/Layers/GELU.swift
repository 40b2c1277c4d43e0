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
    public func gelu() throws -> Tensor {
        try requireFloat("gelu")
        let out = try Tensor(uninitialized: shape, dtype: dtype)
        if dtype == .f32 {
            mapUnary(ptr(Float.self), out.ptr(Float.self), count) { x in 0.5 * x * Float.erfc(-x * 0.70710678118654752) }
        } else {
            mapUnary(ptr(Double.self), out.ptr(Double.self), count) { x in 0.5 * x * Double.erfc(-x * 0.70710678118654752) }
        }
        guard Tensor.recording(self) else { return out }
        let x = self.detach()
        return Tensor.record("gelu", out, [self]) { g, _ in
            let d = try Tensor(uninitialized: x.shape, dtype: x.dtype)
            func derivative<T: FloatElement & Real>(_: T.Type) {
                let invSqrt2 = T(0.70710678118654752), invSqrt2Pi = T(0.39894228040143268)
                mapUnary(x.ptr(T.self), d.ptr(T.self), x.count) { v in
                    T(0.5) * T.erfc(-v * invSqrt2) + v * invSqrt2Pi * T.exp(-v * v / 2)
                }
            }
            if x.dtype == .f32 { derivative(Float.self) } else { derivative(Double.self) }
            return [try g.mul(d)]
        }
    }
}
