/// In-place updates, for gradient accumulation and optimizer steps. They
/// bypass autograd: using them on a tensor inside a live graph would change
/// values that a backward pass still needs.
extension Tensor {
    /// self += alpha · other (BLAS's axpy shape); shapes must match exactly.
    public func addInPlace(_ other: Tensor, alpha: Double = 1) throws {
        guard other.shape == shape else {
            throw RuntimeError(.shape, "add_", "shape \(describe(other.shape)) does not match \(describe(shape))")
        }
        let o = try other.to(dtype)
        switch dtype {
        case .f32:
            let a = Float(alpha), p = ptr(Float.self), q = o.ptr(Float.self)
            if alpha == 1 { for i in 0..<count { p[i] += q[i] } } else { for i in 0..<count { p[i] += a * q[i] } }
        case .f64:
            let p = ptr(Double.self), q = o.ptr(Double.self)
            for i in 0..<count { p[i] += alpha * q[i] }
        case .i32:
            let p = ptr(Int32.self), q = o.ptr(Int32.self), a = Tensor.int32(alpha)
            for i in 0..<count { p[i] &+= a &* q[i] }
        }
        bumpVersion()
    }

    /// self *= s, in place.
    public func scaleInPlace(_ s: Double) {
        switch dtype {
        // (across the threads when large: decoupled weight decay scales every weight each step)
        case .f32: let f = Float(s), p = ptr(Float.self); Parallel.forRanges(count) { r in for i in r { p[i] *= f } }
        case .f64: let p = ptr(Double.self); Parallel.forRanges(count) { r in for i in r { p[i] *= s } }
        case .i32: let p = ptr(Int32.self), f = Tensor.int32(s); for i in 0..<count { p[i] &*= f }
        }
        bumpVersion()
    }
}
