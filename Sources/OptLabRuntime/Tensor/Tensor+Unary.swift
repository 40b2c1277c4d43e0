import CKernels
import RealModule

/// Elementwise functions of one tensor, each with its derivative (PyTorch's:
/// zero for the rounding ones).
enum UnaryOp: String {
    case neg, exp, log, sqrt, abs, tanh, sigmoid, relu
    case sin, cos, floor, ceil, round, trunc, log1p, expm1, erf, rsqrt, reciprocal, square

    /// What an i32 tensor gives: itself (neg, abs, relu), its own values
    /// (rounding), a float result (the math PyTorch promotes), or a refusal (nil).
    var onIntegers: IntegerRule? {
        switch self {
        case .neg, .abs, .relu: return .integer
        case .floor, .ceil, .round, .trunc: return .unchanged
        case .sin, .cos, .log1p, .expm1, .erf, .rsqrt, .reciprocal, .square: return .promoted
        case .exp, .log, .sqrt, .tanh, .sigmoid: return nil
        }
    }

    enum IntegerRule { case integer, unchanged, promoted }
}

extension Tensor {
    public func neg() throws -> Tensor { try unary(.neg) }
    public func exp() throws -> Tensor { try unary(.exp) }
    public func log() throws -> Tensor { try unary(.log) }
    public func sqrt() throws -> Tensor { try unary(.sqrt) }
    public func abs() throws -> Tensor { try unary(.abs) }
    public func tanh() throws -> Tensor { try unary(.tanh) }
    /// 1 / (1 + e^−x), computed without overflow for large |x|.
    public func sigmoid() throws -> Tensor { try unary(.sigmoid) }
    /// max(0, x); the derivative at 0 is taken as 0.
    public func relu() throws -> Tensor { try unary(.relu) }

    func unary(_ op: UnaryOp) throws -> Tensor {
        if dtype == .i32 {
            switch op.onIntegers {
            case nil: throw RuntimeError(.dtype, op.rawValue, "expected f32 or f64, got i32 (convert with to(\"f32\"))")
            case .unchanged: return try clone()
            case .promoted: return try to(.f32).unary(op)
            case .integer: break
            }
            let out = try Tensor(uninitialized: shape, dtype: .i32)
            let a = UnsafePointer(ptr(Int32.self)), o = out.ptr(Int32.self)
            switch op {
            case .neg: mapUnary(a, o, count) { 0 &- $0 }
            case .abs: mapUnary(a, o, count) { $0 < 0 ? 0 &- $0 : $0 }
            default: mapUnary(a, o, count) { Swift.max($0, 0) }
            }
            return out
        }
        let out = try Tensor(uninitialized: shape, dtype: dtype)
        if dtype == .f32 { unaryKernel(op, self, out, Float.self) } else { unaryKernel(op, self, out, Double.self) }
        if op == .relu || op == .abs, let recorder = KinkRecorder.current {
            recorder.record(op.rawValue, signBits(), onPath: requiresGrad)
        }
        guard Tensor.recording(self) else { return out }
        let x = self, y = out.detach()
        return Tensor.record(op.rawValue, out, [x]) { g, _ in
            let dx: Tensor
            switch op {
            case .neg: dx = try g.neg()
            case .exp: dx = try g.mul(y)
            case .log: dx = try g.div(x)
            case .sqrt: dx = try g.div(y.mul(2))
            case .abs: dx = try g.mul(x.sign())
            // (the common ones in one pass over g and what they saved)
            case .tanh: dx = try Tensor.backwardPass(g, y, TanhGradient<Float>.self, TanhGradient<Double>.self) ?? g.mul(y.mul(y).neg().add(1))
            case .sigmoid: dx = try Tensor.backwardPass(g, y, SigmoidGradient<Float>.self, SigmoidGradient<Double>.self) ?? g.mul(y.mul(y.neg().add(1)))
            case .relu: dx = try Tensor.backwardPass(g, x, ReLUGradient<Float>.self, ReLUGradient<Double>.self) ?? g.mul(x.compare(.gt, .scalar(0, dtype: x.dtype)))
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

    /// K(g, s) elementwise in one pass, when the gradient and the saved
    /// tensor have one shape and dtype (nil otherwise: the caller composes ops).
    static func backwardPass<K32: BinaryElementwise, K64: BinaryElementwise>(_ g: Tensor, _ saved: Tensor, _: K32.Type, _: K64.Type) throws -> Tensor?
        where K32.Element == Float, K64.Element == Double {
        guard g.shape == saved.shape, g.dtype == saved.dtype, g.dtype.isFloatingPoint else { return nil }
        let out = try Tensor(uninitialized: g.shape, dtype: g.dtype)
        if g.dtype == .f32 {
            elementwise(K32.self, UnsafePointer(g.ptr(Float.self)), g.shape, UnsafePointer(saved.ptr(Float.self)), g.shape, out.ptr(Float.self), g.shape)
        } else {
            elementwise(K64.self, UnsafePointer(g.ptr(Double.self)), g.shape, UnsafePointer(saved.ptr(Double.self)), g.shape, out.ptr(Double.self), g.shape)
        }
        return out
    }

    /// −1, 0 or 1 by the sign of each element. Not differentiable.
    public func sign() throws -> Tensor {
        let zero = Tensor.scalar(0, dtype: dtype)
        return try compare(.gt, zero).sub(compare(.lt, zero))
    }

    /// x where x > 0, else slope·x.
    public func leakyRelu(_ slope: Double = 0.01) throws -> Tensor {
        try requireFloat("leaky_relu")
        let out = try Tensor(uninitialized: shape, dtype: dtype)
        if dtype == .f32 {
            let s = Float(slope)
            mapUnary(ptr(Float.self), out.ptr(Float.self), count) { $0 > 0 ? $0 : s * $0 }
        } else {
            mapUnary(ptr(Double.self), out.ptr(Double.self), count) { $0 > 0 ? $0 : slope * $0 }
        }
        KinkRecorder.current?.record("leaky_relu", signBits(), onPath: requiresGrad)
        let x = self
        return Tensor.record("leaky_relu", out, [x]) { g, _ in
            let positive = try x.compare(.gt, .scalar(0, dtype: x.dtype))
            // slope where x ≤ 0, 1 where x > 0
            return [try g.mul(positive.mul(1 - slope).add(slope))]
        }
    }

    /// Each element limited to [lo, hi]; either bound may be omitted. The
    /// gradient passes where the element was strictly inside: an element
    /// exactly at a bound gets none, as in PyTorch.
    public func clamp(min lo: Double? = nil, max hi: Double? = nil) throws -> Tensor {
        try requireFloat("clamp")
        if let lo, let hi, lo > hi {
            throw RuntimeError(.argument, "clamp", "min \(lo) is greater than max \(hi)")
        }
        var out = self
        if let lo { out = try out.maximumNoGrad(lo) }
        if let hi { out = try out.minimumNoGrad(hi) }
        if out === self { out = try clone() }
        let x = self
        if KinkRecorder.current != nil {
            KinkRecorder.current?.record("clamp", choices: (0..<count).map {
                let v = element($0)
                return v < (lo ?? -.infinity) ? -1 : (v > (hi ?? .infinity) ? 1 : 0)
            }, onPath: requiresGrad)
        }
        return Tensor.record("clamp", out, [x]) { g, _ in
            var inside = try Tensor.ones(x.shape, dtype: x.dtype)
            if let lo { inside = try inside.mul(x.compare(.gt, .scalar(lo, dtype: x.dtype))) }
            if let hi { inside = try inside.mul(x.compare(.lt, .scalar(hi, dtype: x.dtype))) }
            return [try g.mul(inside)]
        }
    }

    private func maximumNoGrad(_ v: Double) throws -> Tensor {
        try Tensor.withNoGrad { try maximum(.scalar(v, dtype: dtype)) }
    }

    private func minimumNoGrad(_ v: Double) throws -> Tensor {
        try Tensor.withNoGrad { try minimum(.scalar(v, dtype: dtype)) }
    }

    /// `self ^ e` for a number `e`; `^2` is computed as x·x. Of an i32
    /// tensor, a float operation (in f32), as i32 division is.
    public func pow(_ e: Double) throws -> Tensor {
        if dtype == .i32 { return try to(.f32).pow(e) }
        let out = try Tensor(uninitialized: shape, dtype: dtype)
        if dtype == .f32 {
            let ef = Float(e)
            if e == 2 { mapUnary(ptr(Float.self), out.ptr(Float.self), count) { $0 * $0 } }
            else { mapUnary(ptr(Float.self), out.ptr(Float.self), count) { Float.cpow($0, ef) } }
        } else {
            if e == 2 { mapUnary(ptr(Double.self), out.ptr(Double.self), count) { $0 * $0 } }
            else { mapUnary(ptr(Double.self), out.ptr(Double.self), count) { Double.cpow($0, e) } }
        }
        let x = self
        return Tensor.record("pow", out, [x]) { g, _ in
            [e == 2 ? try g.mul(x).mul(2) : try g.mul(x.pow(e - 1)).mul(e)]
        }
    }

    /// The same values in another dtype (f32 ↔ f64 ↔ i32). Differentiable
    /// between float types; the gradient comes back in this tensor's dtype.
    public func to(_ target: DType) throws -> Tensor {
        if target == dtype { return self }
        let out = try Tensor(uninitialized: shape, dtype: target)
        switch (dtype, target) {
        case (.f32, .f64): mapUnary(ptr(Float.self), out.ptr(Double.self), count) { Double($0) }
        case (.f64, .f32): mapUnary(ptr(Double.self), out.ptr(Float.self), count) { Float($0) }
        case (.i32, .f32): mapUnary(ptr(Int32.self), out.ptr(Float.self), count) { Float($0) }
        case (.i32, .f64): mapUnary(ptr(Int32.self), out.ptr(Double.self), count) { Double($0) }
        case (.f32, .i32): mapUnary(ptr(Float.self), out.ptr(Int32.self), count) { Tensor.int32(Double($0)) }
        default: mapUnary(ptr(Double.self), out.ptr(Int32.self), count) { Tensor.int32($0) }
        }
        guard target.isFloatingPoint else { return out }
        let source = dtype
        return Tensor.record("to", out, [self]) { g, _ in [try g.to(source)] }
    }

    func requireFloat(_ op: String) throws {
        guard dtype.isFloatingPoint else {
            throw RuntimeError(.dtype, op, "expected f32 or f64, got i32 (convert with to(\"f32\"))")
        }
    }

    private func signBits() -> [Bool] {
        (0..<count).map { element($0) > 0 }
    }
}

/// The CKernels f32 kernel of `op`, where there is one.
@inline(__always)
private func vectorKernel(_ op: UnaryOp) -> ((UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void)? {
    switch op {
    case .exp: return optlab_exp_f32
    case .tanh: return optlab_tanh_f32
    case .sigmoid: return optlab_sigmoid_f32
    case .log: return optlab_log_f32
    default: return nil
    }
}

@inline(__always)
func unaryKernel<T: FloatElement>(_ op: UnaryOp, _ x: Tensor, _ out: Tensor, _: T.Type) {
    let a = UnsafePointer(x.ptr(T.self)), o = out.ptr(T.self), n = x.count
    if T.self == Float.self, let kernel = vectorKernel(op) {
        // f32: the vector kernels of CKernels, for the CPU's instruction set
        let a32 = UnsafePointer(x.ptr(Float.self)), o32 = out.ptr(Float.self)
        Parallel.forRanges(n) { r in kernel(a32 + r.lowerBound, o32 + r.lowerBound, r.count) }
        return
    }
    switch op {
    case .neg: elementwise(Negate<T>.self, a, o, n)
    case .exp: mapUnary(a, o, n) { T.exp($0) }
    case .log: mapUnary(a, o, n) { T.log($0) }
    case .sqrt: elementwise(SquareRoot<T>.self, a, o, n)
    case .abs: elementwise(Absolute<T>.self, a, o, n)
    case .tanh: mapUnary(a, o, n) { T.tanh($0) }
    case .sigmoid:
        mapUnary(a, o, n) { v in
            if v >= 0 { return 1 / (1 + T.exp(-v)) }
            let e = T.exp(v)
            return e / (1 + e)
        }
    case .relu: elementwise(Rectify<T>.self, a, o, n)
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
