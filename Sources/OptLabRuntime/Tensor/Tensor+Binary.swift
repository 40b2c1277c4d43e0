/// Elementwise binary ops with broadcasting and dtype promotion.
enum BinaryOp: String {
    case add, sub, mul, div, pow, maximum, minimum
}

enum CompareOp: String {
    case eq, ne, lt, le, gt, ge
}

extension Tensor {
    public func add(_ other: Tensor) throws -> Tensor { try binary(.add, other) }
    public func sub(_ other: Tensor) throws -> Tensor { try binary(.sub, other) }
    public func mul(_ other: Tensor) throws -> Tensor { try binary(.mul, other) }
    public func div(_ other: Tensor) throws -> Tensor { try binary(.div, other) }
    /// Elementwise `self ^ other` (C's pow: negative bases with integral exponents work).
    public func pow(_ other: Tensor) throws -> Tensor { try binary(.pow, other) }
    /// Elementwise maximum; where equal, each side gets half the gradient (PyTorch's choice).
    public func maximum(_ other: Tensor) throws -> Tensor { try binary(.maximum, other) }
    /// Elementwise minimum; where equal, each side gets half the gradient.
    public func minimum(_ other: Tensor) throws -> Tensor { try binary(.minimum, other) }

    public func add(_ s: Double) throws -> Tensor { try binary(.add, .scalar(s, dtype: scalarType(s))) }
    public func sub(_ s: Double) throws -> Tensor { try binary(.sub, .scalar(s, dtype: scalarType(s))) }
    public func mul(_ s: Double) throws -> Tensor { try binary(.mul, .scalar(s, dtype: scalarType(s))) }
    public func div(_ s: Double) throws -> Tensor { try binary(.div, .scalar(s, dtype: scalarType(s))) }

    /// A number joins a tensor in the tensor's dtype; a fractional number
    /// lifts an i32 tensor to f32.
    func scalarType(_ s: Double) -> DType {
        dtype == .i32 && s.rounded() != s ? .f32 : dtype
    }

    func binary(_ op: BinaryOp, _ other: Tensor) throws -> Tensor {
        var dt = DType.promoted(dtype, other.dtype)
        if dt == .i32 && (op == .div || op == .pow) { dt = .f32 }  // true division, as numpy and PyTorch
        // Operands already of the result's dtype are passed on borrowed: a
        // conditional `let a = … ? self : …` would retain and release each
        // one, measured at a tenth of a 4-element add.
        if dtype == dt && other.dtype == dt { return try Tensor.binary(op, self, other, dt) }
        return try Tensor.binary(op, dtype == dt ? self : try to(dt), other.dtype == dt ? other : try other.to(dt), dt)
    }

    private static func binary(_ op: BinaryOp, _ a: Tensor, _ b: Tensor, _ dt: DType) throws -> Tensor {
        let out = try Tensor(uninitialized: a.shape == b.shape ? a.shape : try Broadcast.shape(a.shape, b.shape, op: op.rawValue), dtype: dt)
        switch dt {
        case .f32: floatBinary(op, a, b, out, Float.self)
        case .f64: floatBinary(op, a, b, out, Double.self)
        case .i32: intBinary(op, a, b, out)
        }
        if op == .maximum || op == .minimum, KinkRecorder.current != nil {
            KinkRecorder.current?.record(op.rawValue, a.compareBits(op == .maximum ? .ge : .le, b), onPath: a.requiresGrad || b.requiresGrad)
        }
        guard Tensor.recording(a, b) else { return out }
        let value = out.detach()  // the closure must not hold `out` itself
        // add and sub need no values for their gradients, mul its inputs; the others their output too
        let saved: [Tensor] = op == .add || op == .sub ? [] : op == .mul ? [a, b] : [a, b, value]
        return Tensor.record(op.rawValue, out, [a, b], saving: saved) { g, needs in
            let (ga, gb): (Tensor?, Tensor?)
            switch op {
            case .add:
                (ga, gb) = (g, g)
            case .sub:
                (ga, gb) = (g, needs[1] ? try g.neg() : nil)
            case .mul:
                (ga, gb) = (needs[0] ? try g.mul(b) : nil, needs[1] ? try g.mul(a) : nil)
            case .div:
                ga = needs[0] ? try g.div(b) : nil
                gb = needs[1] ? try g.mul(value).div(b).neg() : nil
            case .pow:
                ga = needs[0] ? try g.mul(b).mul(a.pow(b.sub(1))) : nil
                gb = needs[1] ? try g.mul(value).mul(a.log()) : nil
            case .maximum, .minimum:
                // PyTorch's: half the gradient to each side of a tie, none to the
                // side that lost, all of it to both where a NaN made the comparisons false
                let share = try a.compare(.eq, b).mul(-0.5).add(1)
                let aLost = try a.compare(op == .maximum ? .lt : .gt, b), bLost = try a.compare(op == .maximum ? .gt : .lt, b)
                ga = needs[0] ? try g.mul(share.mul(aLost.neg().add(1))) : nil
                gb = needs[1] ? try g.mul(share.mul(bLost.neg().add(1))) : nil
            }
            return [try ga?.sumTo(a.shape), try gb?.sumTo(b.shape)]
        }
    }

    /// 1 where the comparison holds, else 0, in the operands' promoted dtype
    /// (so a mask multiplies straight into a float tensor). Not differentiable.
    public func compare(_ op: String, _ other: Tensor) throws -> Tensor {
        guard let c = CompareOp(rawValue: op) else {
            throw RuntimeError(.argument, "compare", "unknown comparison '\(op)' (expected eq, ne, lt, le, gt or ge)")
        }
        return try compare(c, other)
    }

    func compare(_ op: CompareOp, _ other: Tensor) throws -> Tensor {
        let dt = DType.promoted(dtype, other.dtype)
        let a = dtype == dt ? self : try to(dt)
        let b = other.dtype == dt ? other : try other.to(dt)
        let out = try Tensor(uninitialized: try Broadcast.shape(a.shape, b.shape, op: op.rawValue), dtype: dt)
        switch dt {
        case .f32: compareKernel(op, a, b, out, Float.self)
        case .f64: compareKernel(op, a, b, out, Double.self)
        case .i32: compareKernel(op, a, b, out, Int32.self)
        }
        return out
    }

    /// Where `mask` is non-zero take `self`, else `other`; broadcasts all three.
    public func `where`(_ mask: Tensor, _ other: Tensor) throws -> Tensor {
        let shape = try Broadcast.shape(try Broadcast.shape(shape, other.shape, op: "where"), mask.shape, op: "where")
        let dt = DType.promoted(dtype, other.dtype)
        // 1 where the mask holds, else 0, in the result's dtype (the general path and the gradient)
        let chosen = { try mask.compare(.ne, .scalar(0, dtype: mask.dtype)).to(dt) }
        let out: Tensor
        if dt.isFloatingPoint, mask.shape == shape, count == 1 || self.shape == shape, other.count == 1 || other.shape == shape {
            // the common case (a mask of the result's shape, operands of it or single values): one pass, in parallel
            out = try Tensor(uninitialized: shape, dtype: dt)
            let a = dtype == dt ? self : try to(dt), b = other.dtype == dt ? other : try other.to(dt)
            if dt == .f32 { whereKernel(mask, a, b, out, Float.self) } else { whereKernel(mask, a, b, out, Double.self) }
        } else {
            let mm = try chosen().expand(shape)
            let av = try self.expand(shape).to(dt), bv = try other.expand(shape).to(dt)
            out = try Tensor(uninitialized: shape, dtype: dt)
            // mask*a + (1-mask)*b would turn inf*0 into NaN; select instead.
            for i in 0..<out.count { out.setElement(i, mm.element(i) != 0 ? av.element(i) : bv.element(i)) }
        }
        return Tensor.record("where", out, [self, other]) { g, needs in
            let mf = try chosen()
            return [needs[0] ? try g.mul(mf).sumTo(self.shape) : nil,
                    needs[1] ? try g.mul(mf.neg().add(1)).sumTo(other.shape) : nil]
        }
    }

    /// Sums a broadcast gradient back down to `target` (the inverse of broadcasting).
    func sumTo(_ target: [Int]) throws -> Tensor {
        if shape == target { return self }
        var t = self
        let extra = rank - target.count
        if extra > 0 {
            let lead = shape.prefix(extra).reduce(1, *)
            t = try t.reshape([lead] + Array(shape.dropFirst(extra))).sum(dim: 0)
        }
        for d in 0..<target.count where target[d] == 1 && t.shape[d] != 1 {
            t = try t.sum(dim: d, keepDim: true)
        }
        return try t.reshape(target)
    }

    /// The values repeated along size-1 (or missing leading) dimensions to `shape`. A copy.
    public func expand(_ target: [Int]) throws -> Tensor {
        if shape == target { return self }
        let s = try Broadcast.shape(shape, target, op: "expand")
        guard s == target else {
            throw RuntimeError(.shape, "expand", "cannot expand \(describe(shape)) to \(describe(target))")
        }
        return try add(Tensor.zeros(target, dtype: dtype))
    }

    // Bits of a comparison, for the kink recorder.
    func compareBits(_ op: CompareOp, _ other: Tensor) -> [Bool] {
        guard let m = try? compare(op, other) else { return [] }
        return (0..<m.count).map { m.element($0) != 0 }
    }
}

@inline(__always)
func floatBinary<T: FloatElement>(_ op: BinaryOp, _ a: Tensor, _ b: Tensor, _ out: Tensor, _: T.Type) {
    let pa = UnsafePointer(a.ptr(T.self)), pb = UnsafePointer(b.ptr(T.self)), po = out.ptr(T.self)
    let (sa, sb, so) = (a.shape, b.shape, out.shape)
    switch op {
    case .add: elementwise(Add<T>.self, pa, sa, pb, sb, po, so)
    case .sub: elementwise(Sub<T>.self, pa, sa, pb, sb, po, so)
    case .mul: elementwise(Mul<T>.self, pa, sa, pb, sb, po, so)
    case .div: elementwise(Div<T>.self, pa, sa, pb, sb, po, so)
    case .pow: mapBinary(pa, sa, pb, sb, po, so) { T.cpow($0, $1) }
    case .maximum: elementwise(Maximum<T>.self, pa, sa, pb, sb, po, so)
    case .minimum: elementwise(Minimum<T>.self, pa, sa, pb, sb, po, so)
    }
}

/// i32 arithmetic wraps on overflow, as in numpy, rather than trapping.
func intBinary(_ op: BinaryOp, _ a: Tensor, _ b: Tensor, _ out: Tensor) {
    let pa = UnsafePointer(a.ptr(Int32.self)), pb = UnsafePointer(b.ptr(Int32.self)), po = out.ptr(Int32.self)
    let (sa, sb, so) = (a.shape, b.shape, out.shape)
    switch op {
    case .add: mapBinary(pa, sa, pb, sb, po, so) { $0 &+ $1 }
    case .sub: mapBinary(pa, sa, pb, sb, po, so) { $0 &- $1 }
    case .mul: mapBinary(pa, sa, pb, sb, po, so) { $0 &* $1 }
    case .maximum: mapBinary(pa, sa, pb, sb, po, so) { Swift.max($0, $1) }
    case .minimum: mapBinary(pa, sa, pb, sb, po, so) { Swift.min($0, $1) }
    case .div, .pow: break  // promoted to f32 by the caller
    }
}

@inline(__always)
private func compareKernel<T: Comparable & Numeric>(_ op: CompareOp, _ a: Tensor, _ b: Tensor, _ out: Tensor, _: T.Type) {
    let pa = UnsafePointer(a.ptr(T.self)), pb = UnsafePointer(b.ptr(T.self)), po = out.ptr(T.self)
    let (sa, sb, so) = (a.shape, b.shape, out.shape)
    switch op {
    case .eq: mapBinary(pa, sa, pb, sb, po, so) { $0 == $1 ? 1 : 0 }
    case .ne: mapBinary(pa, sa, pb, sb, po, so) { $0 != $1 ? 1 : 0 }
    case .lt: mapBinary(pa, sa, pb, sb, po, so) { $0 < $1 ? 1 : 0 }
    case .le: mapBinary(pa, sa, pb, sb, po, so) { $0 <= $1 ? 1 : 0 }
    case .gt: mapBinary(pa, sa, pb, sb, po, so) { $0 > $1 ? 1 : 0 }
    case .ge: mapBinary(pa, sa, pb, sb, po, so) { $0 >= $1 ? 1 : 0 }
    }
}

// Swift operators for hosts: `try a + b`, `try x * 2`.
extension Tensor {
    public static func + (a: Tensor, b: Tensor) throws -> Tensor { try a.add(b) }
    public static func - (a: Tensor, b: Tensor) throws -> Tensor { try a.sub(b) }
    public static func * (a: Tensor, b: Tensor) throws -> Tensor { try a.mul(b) }
    public static func / (a: Tensor, b: Tensor) throws -> Tensor { try a.div(b) }
    public static func + (a: Tensor, s: Double) throws -> Tensor { try a.add(s) }
    public static func - (a: Tensor, s: Double) throws -> Tensor { try a.sub(s) }
    public static func * (a: Tensor, s: Double) throws -> Tensor { try a.mul(s) }
    public static func / (a: Tensor, s: Double) throws -> Tensor { try a.div(s) }
    public static func * (s: Double, a: Tensor) throws -> Tensor { try a.mul(s) }
    public static func + (s: Double, a: Tensor) throws -> Tensor { try a.add(s) }
    public static prefix func - (a: Tensor) throws -> Tensor { try a.neg() }
}

/// out = mask ≠ 0 ? a : b with the mask of out's shape and a, b of it or of
/// one element (`Tensor.where`'s common case). A NaN in a float mask is
/// non-zero, as in numpy.
private func whereKernel<T: FloatElement>(_ mask: Tensor, _ a: Tensor, _ b: Tensor, _ out: Tensor, _: T.Type) {
    switch mask.dtype {
    case .f32: whereKernel(mask.ptr(Float.self), a, b, out, T.self)
    case .f64: whereKernel(mask.ptr(Double.self), a, b, out, T.self)
    case .i32: whereKernel(mask.ptr(Int32.self), a, b, out, T.self)
    }
}

@inline(__always)
private func whereKernel<M: AdditiveArithmetic, T: FloatElement>(_ m: UnsafePointer<M>, _ a: Tensor, _ b: Tensor, _ out: Tensor, _: T.Type) {
    if T.self == Float.self {
        whereLoops(PickBits.self, m, UnsafePointer(a.ptr(UInt32.self)), a.count, UnsafePointer(b.ptr(UInt32.self)), b.count, out.ptr(UInt32.self), out.count)
    } else {
        whereLoops(PickValue<T>.self, m, UnsafePointer(a.ptr(T.self)), a.count, UnsafePointer(b.ptr(T.self)), b.count, out.ptr(T.self), out.count)
    }
}

/// How `where` picks an element, as a compile-time type (a closure handed to
/// the worker threads would be called per element).
private protocol WherePick {
    associatedtype Element
    static func pick(_ keep: Bool, _ u: Element, _ v: Element) -> Element
}
private enum PickValue<T>: WherePick {
    @inline(__always) static func pick(_ keep: Bool, _ u: T, _ v: T) -> T { keep ? u : v }
}
/// f32 by its bits, (u & k) | (v & ~k) with k all ones where the mask holds:
/// the compiler makes a select of two loads into a load from a selected
/// address, one element at a time (1M: 0.96 ms, against 0.52 for an add).
private enum PickBits: WherePick {
    @inline(__always) static func pick(_ keep: Bool, _ u: UInt32, _ v: UInt32) -> UInt32 {
        let k = 0 &- UInt32(keep ? 1 : 0)
        return (u & k) | (v & ~k)
    }
}

/// One loop per case (each operand full or one value), each a plain loop
/// the compiler vectorises.
@inline(__always)
private func whereLoops<P: WherePick, M: AdditiveArithmetic>(_: P.Type, _ m: UnsafePointer<M>, _ x: UnsafePointer<P.Element>, _ nx: Int,
                                                            _ y: UnsafePointer<P.Element>, _ ny: Int, _ o: UnsafeMutablePointer<P.Element>, _ n: Int) {
    switch (nx == n, ny == n) {
    case (true, true): Parallel.forRanges(n) { r in for i in r { o[i] = P.pick(m[i] != .zero, x[i], y[i]) } }
    case (true, false): let v = y[0]; Parallel.forRanges(n) { r in for i in r { o[i] = P.pick(m[i] != .zero, x[i], v) } }
    case (false, true): let u = x[0]; Parallel.forRanges(n) { r in for i in r { o[i] = P.pick(m[i] != .zero, u, y[i]) } }
    case (false, false): let u = x[0], v = y[0]; Parallel.forRanges(n) { r in for i in r { o[i] = P.pick(m[i] != .zero, u, v) } }
    }
}
