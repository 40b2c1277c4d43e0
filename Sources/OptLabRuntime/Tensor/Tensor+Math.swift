import RealModule

/// The rest of PyTorch's elementwise math, each with PyTorch's derivative:
/// sin, cos, log1p, expm1, erf, rsqrt, reciprocal, square, and the rounding
/// functions (floor, ceil, round half to even, trunc), whose gradient is zero
/// everywhere, as PyTorch defines it.
enum MathOp: String, CaseIterable {
    case sin, cos, floor, ceil, round, trunc, log1p, expm1, erf, rsqrt, reciprocal, square
}

extension Tensor {
    public func sin() throws -> Tensor { try math(.sin) }
    public func cos() throws -> Tensor { try math(.cos) }
    public func floor() throws -> Tensor { try math(.floor) }
    public func ceil() throws -> Tensor { try math(.ceil) }
    /// To the nearest integer, a half to the even one (PyTorch's and numpy's rule).
    public func round() throws -> Tensor { try math(.round) }
    public func trunc() throws -> Tensor { try math(.trunc) }
    /// log(1 + x), exact for small x.
    public func log1p() throws -> Tensor { try math(.log1p) }
    /// e^x − 1, exact for small x.
    public func expm1() throws -> Tensor { try math(.expm1) }
    /// The error function.
    public func erf() throws -> Tensor { try math(.erf) }
    /// 1/√x.
    public func rsqrt() throws -> Tensor { try math(.rsqrt) }
    /// 1/x.
    public func reciprocal() throws -> Tensor { try math(.reciprocal) }
    /// x².
    public func square() throws -> Tensor { try math(.square) }

    func math(_ op: MathOp) throws -> Tensor {
        // (an integer tensor is converted, as PyTorch promotes it; rounding keeps its values)
        if dtype == .i32 {
            if [.floor, .ceil, .round, .trunc].contains(op) { return try clone() }
            if op == .square { return try to(.f32).square() }
            return try to(.f32).math(op)
        }
        let out = try Tensor(uninitialized: shape, dtype: dtype)
        if dtype == .f32 { mathKernel(op, self, out, Float.self) } else { mathKernel(op, self, out, Double.self) }
        guard Tensor.recording(self) else { return out }
        let x = self, y = out.detach()
        return Tensor.record(op.rawValue, out, [x]) { g, _ in
            let dx: Tensor
            switch op {
            case .sin: dx = try g.mul(x.cos())
            case .cos: dx = try g.mul(x.sin()).neg()
            case .floor, .ceil, .round, .trunc: dx = try Tensor.zeros(x.shape, dtype: g.dtype)
            case .log1p: dx = try g.div(x.add(1))
            case .expm1: dx = try g.mul(y.add(1))
            // 2/√π · e^(−x²)
            case .erf: dx = try g.mul(x.square().neg().exp().mul(2 / Double.pi.squareRoot()))
            // −½ · x^(−3/2) = −½ · y³
            case .rsqrt: dx = try g.mul(y.mul(y).mul(y).mul(-0.5))
            case .reciprocal: dx = try g.mul(y.mul(y)).neg()
            case .square: dx = try g.mul(x).mul(2)
            }
            return [dx]
        }
    }
}

@inline(__always)
private func mathKernel<T: FloatElement>(_ op: MathOp, _ x: Tensor, _ out: Tensor, _: T.Type) {
    let a = UnsafePointer(x.ptr(T.self)), o = out.ptr(T.self), n = x.count
    switch op {
    case .sin: mapUnary(a, o, n) { T.sin($0) }
    case .cos: mapUnary(a, o, n) { T.cos($0) }
    case .floor: mapUnary(a, o, n) { $0.rounded(.down) }
    case .ceil: mapUnary(a, o, n) { $0.rounded(.up) }
    case .round: mapUnary(a, o, n) { $0.rounded(.toNearestOrEven) }
    case .trunc: mapUnary(a, o, n) { $0.rounded(.towardZero) }
    case .log1p: mapUnary(a, o, n) { T.log(onePlus: $0) }
    case .expm1: mapUnary(a, o, n) { T.expMinusOne($0) }
    case .erf: mapUnary(a, o, n) { T.erf($0) }
    case .rsqrt: mapUnary(a, o, n) { 1 / $0.squareRoot() }
    case .reciprocal: mapUnary(a, o, n) { 1 / $0 }
    case .square: mapUnary(a, o, n) { $0 * $0 }
    }
}
