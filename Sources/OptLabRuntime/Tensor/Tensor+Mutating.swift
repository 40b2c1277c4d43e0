/// The in-place operations users write (PyTorch's names, trailing `_`):
/// `x.add_(y)` changes x's elements and returns x. The argument broadcasts to
/// x's shape (x itself never grows), and its dtype joins x's.
///
/// With gradients: changing a leaf that requires grad (a parameter) outside
/// `withNoGrad` is an error, as in PyTorch. On any other tensor whose change
/// involves a tensor that needs grad, the op is recorded like its out-of-place
/// twin, on a copy of the old values, and x takes the new node. Every change
/// bumps the storage's version, so a backward pass that needs values changed
/// since it recorded them says so instead of returning a wrong gradient.
extension Tensor {
    public func add_(_ other: Tensor, alpha: Double = 1) throws -> Tensor {
        try inPlace(.add, alpha == 1 ? other : try other.mul(alpha), "add_")
    }
    public func sub_(_ other: Tensor, alpha: Double = 1) throws -> Tensor {
        try inPlace(.sub, alpha == 1 ? other : try other.mul(alpha), "sub_")
    }
    public func mul_(_ other: Tensor) throws -> Tensor { try inPlace(.mul, other, "mul_") }
    public func div_(_ other: Tensor) throws -> Tensor { try inPlace(.div, other, "div_") }
    public func add_(_ s: Double) throws -> Tensor { try inPlace(.add, .scalar(s, dtype: scalarType(s)), "add_") }
    public func sub_(_ s: Double) throws -> Tensor { try inPlace(.sub, .scalar(s, dtype: scalarType(s)), "sub_") }
    public func mul_(_ s: Double) throws -> Tensor { try inPlace(.mul, .scalar(s, dtype: scalarType(s)), "mul_") }
    public func div_(_ s: Double) throws -> Tensor { try inPlace(.div, .scalar(s, dtype: dtype), "div_") }

    /// self += value · t1 · t2
    public func addcmul_(_ t1: Tensor, _ t2: Tensor, value: Double = 1) throws -> Tensor {
        var p = try t1.mul(t2)
        if value != 1 { p = try p.mul(value) }
        return try inPlace(.add, p, "addcmul_")
    }

    /// self += value · t1 / t2
    public func addcdiv_(_ t1: Tensor, _ t2: Tensor, value: Double = 1) throws -> Tensor {
        var q = try t1.div(t2)
        if value != 1 { q = try q.mul(value) }
        return try inPlace(.add, q, "addcdiv_")
    }

    public func sqrt_() throws -> Tensor {
        try requireFloat("sqrt_")
        if try mustRecord("sqrt_", []) { return try become("sqrt_") { try $0.sqrt() } }
        if dtype == .f32 { unaryKernel(.sqrt, self, self, Float.self) } else { unaryKernel(.sqrt, self, self, Double.self) }
        bumpVersion()
        return self
    }

    public func clamp_(min lo: Double? = nil, max hi: Double? = nil) throws -> Tensor {
        try requireFloat("clamp_")
        if let lo, let hi, lo > hi { throw RuntimeError(.argument, "clamp_", "min \(lo) is greater than max \(hi)") }
        if try mustRecord("clamp_", []) { return try become("clamp_") { try $0.clamp(min: lo, max: hi) } }
        let low = lo ?? -.infinity, high = hi ?? .infinity
        if dtype == .f32 {
            let (l, h) = (Float(low), Float(high))
            mapUnary(ptr(Float.self), ptr(Float.self), count) { Swift.min(Swift.max($0, l), h) }
        } else {
            mapUnary(ptr(Double.self), ptr(Double.self), count) { Swift.min(Swift.max($0, low), high) }
        }
        bumpVersion()
        return self
    }

    /// Every element set to `value` (a constant from here on: no gradient
    /// flows to what the tensor was before).
    public func fill_(_ value: Double) throws -> Tensor {
        if try mustRecord("fill_", []) { return try become("fill_") { try $0.mul(0).add(value) } }
        switch dtype {
        case .f32: let v = Float(value); mapUnary(ptr(Float.self), ptr(Float.self), count) { _ in v }
        case .f64: mapUnary(ptr(Double.self), ptr(Double.self), count) { _ in value }
        case .i32: let v = Tensor.int32(value); mapUnary(ptr(Int32.self), ptr(Int32.self), count) { _ in v }
        }
        bumpVersion()
        return self
    }

    public func zero_() throws -> Tensor { try fill_(0) }

    /// The elements of `src`, broadcast to this shape and converted to this dtype.
    public func copy_(_ src: Tensor) throws -> Tensor {
        let shape2 = try Broadcast.shape(shape, src.shape, op: "copy_")
        guard shape2 == shape else {
            throw RuntimeError(.shape, "copy_", "a source of shape \(describe(src.shape)) does not fit a tensor of shape \(describe(shape))")
        }
        if try mustRecord("copy_", [src]) { return try become("copy_") { try $0.mul(0).add(src.to(dtype)) } }
        if src.shape == shape && !(sharesStorage(with: src) && src !== self) {
            try copy(from: src)
            return self
        }
        let s = sharesStorage(with: src) ? try src.clone() : src
        // src broadcast over self, written straight into it
        let values = try Tensor.withNoGrad { try s.to(dtype) }
        switch dtype {
        case .f32: mapBinary(UnsafePointer(ptr(Float.self)), shape, UnsafePointer(values.ptr(Float.self)), values.shape, ptr(Float.self), shape) { _, b in b }
        case .f64: mapBinary(UnsafePointer(ptr(Double.self)), shape, UnsafePointer(values.ptr(Double.self)), values.shape, ptr(Double.self), shape) { _, b in b }
        case .i32: mapBinary(UnsafePointer(ptr(Int32.self)), shape, UnsafePointer(values.ptr(Int32.self)), values.shape, ptr(Int32.self), shape) { _, b in b }
        }
        bumpVersion()
        return self
    }

    // MARK: the shared path

    /// self = self ∘ other, written into self's own elements.
    func inPlace(_ op: BinaryOp, _ other: Tensor, _ name: String) throws -> Tensor {
        guard dtype.isFloatingPoint || op != .div else {
            throw RuntimeError(.dtype, name, "an i32 tensor cannot hold a true division's result (convert it first with to(\"f32\"))")
        }
        let result = DType.promoted(dtype, other.dtype)
        guard result == dtype || dtype.isFloatingPoint else {
            throw RuntimeError(.dtype, name, "an i32 tensor cannot hold the \(result.rawValue) result (convert it first with to(\"\(result.rawValue)\"))")
        }
        let shape2 = try Broadcast.shape(shape, other.shape, op: name)
        guard shape2 == shape else {
            throw RuntimeError(.shape, name, "the result of shape \(describe(shape2)) does not fit this tensor of shape \(describe(shape))")
        }
        if try mustRecord(name, [other]) { return try become(name) { try $0.binary(op, other) } }
        var b = other.dtype == dtype ? other : try Tensor.withNoGrad { try other.to(dtype) }
        // an operand that reads these elements elsewhere would see them half changed
        if b.sharesStorage(with: self) && !(b.offset == offset && b.shape == shape) { b = try b.clone() }
        switch dtype {
        case .f32: floatBinary(op, self, b, self, Float.self)
        case .f64: floatBinary(op, self, b, self, Double.self)
        case .i32: intBinary(op, self, b, self)
        }
        bumpVersion()
        return self
    }

    /// Whether this change must be recorded in the graph; an error for a leaf that requires grad.
    func mustRecord(_ name: String, _ others: [Tensor]) throws -> Bool {
        guard GradMode.enabled, requiresGrad || others.contains(where: { $0.requiresGrad }) else { return false }
        guard !(requiresGrad && isLeaf) else {
            throw RuntimeError(.autograd, name, "cannot change a leaf that requires grad in place (\(self.name.map { "parameter " + $0 } ?? "a parameter")); "
                               + "do it inside tensor.no_grad, or on a clone()")
        }
        return true
    }

    /// The recorded path: `compute` runs on a copy of the old values that keeps
    /// the old node (what backward closures read), its result's values are
    /// written into self, and self takes the result's node.
    func become(_ name: String, _ compute: (Tensor) throws -> Tensor) throws -> Tensor {
        let before = try Tensor.withNoGrad { try clone() }
        before.requiresGrad = requiresGrad
        before.node = node
        before.name = self.name
        let result = try compute(before)
        guard result.shape == shape else {
            throw RuntimeError(.shape, name, "the result of shape \(describe(result.shape)) does not fit this tensor of shape \(describe(shape))")
        }
        try Tensor.withNoGrad { try copy(from: result) }   // bumps the version
        node = result.node
        requiresGrad = result.requiresGrad
        return self
    }
}
