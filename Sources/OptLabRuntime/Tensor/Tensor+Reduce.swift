/// Reductions over everything or along one dimension.
extension Tensor {
    /// Σ of all elements (a 0-d tensor), or along `dim`.
    public func sum(dim: Int? = nil, keepDim: Bool = false) throws -> Tensor {
        guard let dim else { return try sumAll() }
        let d = try normalizedDim(dim, op: "sum")
        let L = ReductionLayout(shape, dim: d, keepDim: keepDim)
        let out = try Tensor(uninitialized: L.outShape, dtype: dtype)
        switch dtype {
        case .f32: sumKernel(L, ptr(Float.self), out.ptr(Float.self))
        case .f64: sumKernel(L, ptr(Double.self), out.ptr(Double.self))
        case .i32: sumKernelInt(L, ptr(Int32.self), out.ptr(Int32.self))
        }
        let inShape = shape
        return Tensor.record("sum", out, [self], saving: []) { g, _ in
            var kept = inShape
            kept[d] = 1
            return [try g.reshape(kept).expand(inShape)]
        }
    }

    private func sumAll() throws -> Tensor {
        let out = try Tensor(uninitialized: [], dtype: dtype)
        switch dtype {
        case .f32: out.setElement(0, contiguousSum(ptr(Float.self), count))
        case .f64: out.setElement(0, contiguousSum(ptr(Double.self), count))
        case .i32:
            var s: Int32 = 0
            let p = ptr(Int32.self)
            for i in 0..<count { s &+= p[i] }
            out.ptr(Int32.self)[0] = s
        }
        let inShape = shape
        return Tensor.record("sum", out, [self], saving: []) { g, _ in [try g.expand(inShape)] }
    }

    /// The arithmetic mean, of everything or along `dim`; of an i32 tensor,
    /// in f32 (numpy's is a float too; PyTorch refuses).
    public func mean(dim: Int? = nil, keepDim: Bool = false) throws -> Tensor {
        if dtype == .i32 { return try to(.f32).mean(dim: dim, keepDim: keepDim) }
        let n = try dim.map { shape[try normalizedDim($0, op: "mean")] } ?? count
        guard n > 0 else { throw RuntimeError(.shape, "mean", "mean of an empty tensor") }
        return try sum(dim: dim, keepDim: keepDim).div(Double(n))
    }

    /// Σ (x − mean)² / (n − correction); `correction` 1 (the default, as in
    /// PyTorch) is the unbiased estimate, 0 numpy's population variance.
    public func variance(dim: Int? = nil, keepDim: Bool = false, correction: Int = 1) throws -> Tensor {
        try requireFloat("var")
        let n = try dim.map { shape[try normalizedDim($0, op: "var")] } ?? count
        guard n - correction > 0 else {
            throw RuntimeError(.shape, "var", "needs more than \(correction) element(s) along the reduced dimension, got \(n)")
        }
        let centered = try sub(mean(dim: dim, keepDim: true))
        return try centered.mul(centered).sum(dim: dim, keepDim: keepDim).div(Double(n - correction))
    }

    public func std(dim: Int? = nil, keepDim: Bool = false, correction: Int = 1) throws -> Tensor {
        try variance(dim: dim, keepDim: keepDim, correction: correction).sqrt()
    }

    /// The Euclidean (Frobenius) norm of all elements. Its gradient at 0 is 0.
    public func norm() throws -> Tensor {
        try requireFloat("norm")
        let value: Double
        switch dtype {
        case .f32: value = sumOfSquares(ptr(Float.self), count).squareRoot()
        default: value = sumOfSquares(ptr(Double.self), count).squareRoot()
        }
        let out = Tensor.scalar(value, dtype: dtype)
        let x = self
        return Tensor.record("norm", out, [x]) { g, _ in
            value == 0 ? [try Tensor.zeros(like: x)] : [try x.mul(g).div(value)]
        }
    }

    /// Largest value: of all (0-d), or along `dim` (with `argmax` for the index).
    public func max(dim: Int? = nil, keepDim: Bool = false) throws -> Tensor {
        try extremum(dim: dim, keepDim: keepDim, largest: true).values
    }

    public func min(dim: Int? = nil, keepDim: Bool = false) throws -> Tensor {
        try extremum(dim: dim, keepDim: keepDim, largest: false).values
    }

    /// The 0-based index of the largest value along `dim` (the first, on ties), as i32.
    public func argmax(dim: Int, keepDim: Bool = false) throws -> Tensor {
        try extremum(dim: dim, keepDim: keepDim, largest: true).indices
    }

    public func argmin(dim: Int, keepDim: Bool = false) throws -> Tensor {
        try extremum(dim: dim, keepDim: keepDim, largest: false).indices
    }

    /// Values and (i32) indices of the largest or smallest entry; NaN wins,
    /// so a NaN is never hidden by a reduction. Along a dimension the
    /// gradient goes to the winning entry (the index); over all elements it
    /// is split evenly between tied entries, as PyTorch's `max()` does.
    func extremum(dim: Int?, keepDim: Bool, largest: Bool) throws -> (values: Tensor, indices: Tensor) {
        let op = largest ? "max" : "min"
        guard count > 0 else { throw RuntimeError(.shape, op, "reduction of an empty tensor") }
        let src = dim == nil ? try reshape([count]) : self
        let d = try dim.map { try normalizedDim($0, op: op) } ?? 0
        let L = ReductionLayout(src.shape, dim: d, keepDim: dim != nil && keepDim)
        let values = try Tensor(uninitialized: L.outShape, dtype: dtype)
        let indices = try Tensor(uninitialized: L.outShape, dtype: .i32)
        do {
        let idx = indices.ptr(Int32.self)
        for o in 0..<L.outer {
            for i in 0..<L.inner {
                let base = o * L.n * L.inner + i
                var best = element(base), bestK = 0
                if !best.isNaN {
                    for k in 1..<Swift.max(L.n, 1) {
                        let v = element(base + k * L.inner)
                        if v.isNaN { best = v; bestK = k; break }
                        if largest ? v > best : v < best { best = v; bestK = k }
                    }
                }
                values.setElement(o * L.inner + i, best)
                idx[o * L.inner + i] = Int32(bestK)
            }
        }
        }
        KinkRecorder.current?.record(op, choices: indices.toInt32s().map(Int.init), onPath: requiresGrad)
        let inShape = shape, dt = dtype
        let overall = dim == nil ? values.element(0) : 0  // (the closure must not hold `values`, its own output)
        let out = Tensor.record(op, values, [self]) { g, _ in
            let idx = indices.ptr(Int32.self)  // capture the tensor, not a pointer into it
            let grad = try Tensor.zeros(inShape, dtype: dt)
            let gp = try g.to(dt)
            if dim == nil {
                let ties = (0..<src.count).filter { overall.isNaN ? src.element($0).isNaN : src.element($0) == overall }
                for k in ties { grad.setElement(k, gp.element(0) / Double(ties.count)) }
                return [grad]
            }
            for o in 0..<L.outer {
                for i in 0..<L.inner {
                    let k = Int(idx[o * L.inner + i])
                    grad.setElement(o * L.n * L.inner + k * L.inner + i, gp.element(o * L.inner + i))
                }
            }
            return [grad]
        }
        return (out, indices)
    }
}

@inline(__always)
private func sumKernel<T: FloatElement>(_ L: ReductionLayout, _ a: UnsafePointer<T>, _ o: UnsafeMutablePointer<T>) {
    if L.inner == 1 {
        for r in 0..<L.outer { o[r] = T(contiguousSum(a + r * L.n, L.n)) }
        return
    }
    for r in 0..<L.outer {
        let out = o + r * L.inner
        out.update(repeating: 0, count: L.inner)
        for k in 0..<L.n {
            let row = a + (r * L.n + k) * L.inner
            for i in 0..<L.inner { out[i] += row[i] }
        }
    }
}

private func sumKernelInt(_ L: ReductionLayout, _ a: UnsafePointer<Int32>, _ o: UnsafeMutablePointer<Int32>) {
    for r in 0..<L.outer {
        for i in 0..<L.inner {
            var s: Int32 = 0
            for k in 0..<L.n { s &+= a[(r * L.n + k) * L.inner + i] }
            o[r * L.inner + i] = s
        }
    }
}
