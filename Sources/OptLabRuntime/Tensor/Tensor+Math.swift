/// The rest of PyTorch's elementwise math (kernels and derivatives are
/// `UnaryOp`'s): sin, cos, log1p, expm1, erf, rsqrt, reciprocal, square, and
/// the rounding functions (floor, ceil, round half to even, trunc), whose
/// gradient is zero everywhere, as PyTorch defines it. An i32 tensor is
/// promoted to f32, as PyTorch promotes it; rounding keeps its values.
extension Tensor {
    public func sin() throws -> Tensor { try unary(.sin) }
    public func cos() throws -> Tensor { try unary(.cos) }
    public func floor() throws -> Tensor { try unary(.floor) }
    public func ceil() throws -> Tensor { try unary(.ceil) }
    /// To the nearest integer, a half to the even one (PyTorch's and numpy's rule).
    public func round() throws -> Tensor { try unary(.round) }
    public func trunc() throws -> Tensor { try unary(.trunc) }
    /// log(1 + x), exact for small x.
    public func log1p() throws -> Tensor { try unary(.log1p) }
    /// e^x − 1, exact for small x.
    public func expm1() throws -> Tensor { try unary(.expm1) }
    /// The error function.
    public func erf() throws -> Tensor { try unary(.erf) }
    /// 1/√x.
    public func rsqrt() throws -> Tensor { try unary(.rsqrt) }
    /// 1/x.
    public func reciprocal() throws -> Tensor { try unary(.reciprocal) }
    /// x².
    public func square() throws -> Tensor { try unary(.square) }
}
