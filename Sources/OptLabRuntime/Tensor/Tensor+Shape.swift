/// Changing shape: reshape (shares storage), permute/transpose, narrow,
/// concatenate (copies, so every tensor stays contiguous).
extension Tensor {
    /// The same elements in a new shape; one size may be −1 (inferred).
    /// Shares storage with `self`, as PyTorch's `view`.
    public func reshape(_ newShape: [Int]) throws -> Tensor {
        var s = newShape
        let unknown = s.indices.filter { s[$0] == -1 }
        guard unknown.count <= 1 else {
            throw RuntimeError(.shape, "reshape", "only one dimension may be -1, got \(describe(newShape))")
        }
        if let u = unknown.first {
            s[u] = 1
            let known = try Tensor.validate(s, op: "reshape")
            guard known > 0, count % known == 0 else {
                throw RuntimeError(.shape, "reshape", "cannot reshape \(describe(shape)) (\(count) elements) to \(describe(newShape))")
            }
            s[u] = count / known
        }
        let n = try Tensor.validate(s, op: "reshape")
        guard n == count else {
            throw RuntimeError(.shape, "reshape", "cannot reshape \(describe(shape)) (\(count) elements) to \(describe(newShape)) (\(n) elements)")
        }
        if s == shape && !requiresGrad { return self }
        let out = Tensor(shape: s, dtype: dtype, storage: storage, offset: offset)
        let inShape = shape
        return Tensor.record("reshape", out, [self], saving: []) { g, _ in [try g.reshape(inShape)] }
    }

    /// Entry `index` (0-based) of the first dimension, one rank lower, as a
    /// view: it shares storage, so writing into it writes into `self`
    /// (Torch7's `select(1, i)`, what `x[i]` is in Lua).
    public func select(_ index: Int) throws -> Tensor {
        guard rank >= 1 else {
            throw RuntimeError(.shape, "select", "cannot index a 0-d tensor")
        }
        guard index >= 0, index < shape[0] else {
            throw RuntimeError(.argument, "select", "index \(index) is out of range for dimension 0 of size \(shape[0])")
        }
        let rowShape = Array(shape.dropFirst())
        let rowCount = rowShape.reduce(1, *)
        let out = Tensor(shape: rowShape, dtype: dtype, storage: storage, offset: offset + index * rowCount)
        let inShape = shape, dt = dtype
        return Tensor.record("select", out, [self], saving: []) { g, _ in
            let grad = try Tensor.zeros(inShape, dtype: dt)
            try grad.select(index).copy(from: g)
            return [grad]
        }
    }

    /// Inserts a dimension of size 1 at `dim`.
    public func unsqueeze(_ dim: Int) throws -> Tensor {
        let d = dim < 0 ? dim + rank + 1 : dim
        guard d >= 0, d <= rank else {
            throw RuntimeError(.argument, "unsqueeze", "dimension \(dim) is out of range for rank \(rank)")
        }
        var s = shape
        s.insert(1, at: d)
        return try reshape(s)
    }

    /// Removes dimensions of size 1 (all of them, or only `dim`).
    public func squeeze(_ dim: Int? = nil) throws -> Tensor {
        if let dim {
            let d = try normalizedDim(dim, op: "squeeze")
            guard shape[d] == 1 else { return self }
            var s = shape
            s.remove(at: d)
            return try reshape(s)
        }
        return try reshape(shape.filter { $0 != 1 })
    }

    /// Reorders dimensions: result dimension i is this tensor's `dims[i]`.
    public func permute(_ dims: [Int]) throws -> Tensor {
        guard dims.count == rank else {
            throw RuntimeError(.shape, "permute", "expected \(rank) dimensions, got \(dims.count)")
        }
        let norm = try dims.map { try normalizedDim($0, op: "permute") }
        guard Set(norm).count == rank else {
            throw RuntimeError(.argument, "permute", "dimensions \(dims) repeat one")
        }
        if norm == Array(0..<rank) { return self }
        let outShape = norm.map { shape[$0] }
        var inStrides = [Int](repeating: 1, count: rank)
        for d in stride(from: rank - 2, through: 0, by: -1) { inStrides[d] = inStrides[d + 1] * shape[d + 1] }
        let srcStrides = norm.map { inStrides[$0] }
        let out = try Tensor(uninitialized: outShape, dtype: dtype)
        let esize = dtype.byteSize
        switch esize {
        case 8: permuteCopy(ptr(UInt64.self), out.ptr(UInt64.self), outShape, srcStrides)
        default: permuteCopy(ptr(UInt32.self), out.ptr(UInt32.self), outShape, srcStrides)
        }
        var inverse = [Int](repeating: 0, count: rank)
        for (i, d) in norm.enumerated() { inverse[d] = i }
        return Tensor.record("permute", out, [self]) { g, _ in [try g.permute(inverse)] }
    }

    /// Swaps two dimensions.
    public func transpose(_ d0: Int, _ d1: Int) throws -> Tensor {
        let a = try normalizedDim(d0, op: "transpose"), b = try normalizedDim(d1, op: "transpose")
        var dims = Array(0..<rank)
        dims.swapAt(a, b)
        return try permute(dims)
    }

    /// The transpose of a matrix (a 1-d or 0-d tensor is returned as is).
    public func t() throws -> Tensor {
        guard rank <= 2 else {
            throw RuntimeError(.shape, "t", "expected a matrix, got shape \(describe(shape)); use transpose(d0, d1)")
        }
        return rank == 2 ? try transpose(0, 1) : self
    }

    /// `length` entries of dimension `dim` starting at `start` (0-based). A copy.
    public func narrow(dim: Int, start: Int, length: Int) throws -> Tensor {
        let d = try normalizedDim(dim, op: "narrow")
        guard start >= 0, length >= 0, start <= shape[d], length <= shape[d] - start else {
            throw RuntimeError(.argument, "narrow", "range \(start)..<\(start + length) is out of bounds for dimension \(d) of size \(shape[d])")
        }
        let L = ReductionLayout(shape, dim: d, keepDim: true)
        var outShape = shape
        outShape[d] = length
        let out = try Tensor(uninitialized: outShape, dtype: dtype)
        let e = dtype.byteSize
        let rowBytes = length * L.inner * e
        for o in 0..<L.outer {
            let src = raw + (o * L.n + start) * L.inner * e
            (out.raw + o * rowBytes).copyMemory(from: src, byteCount: rowBytes)
        }
        let inShape = shape, dt = dtype
        return Tensor.record("narrow", out, [self], saving: []) { g, _ in
            let grad = try Tensor.zeros(inShape, dtype: dt)
            let gp = try g.to(dt)
            for o in 0..<L.outer {
                (grad.raw + (o * L.n + start) * L.inner * e).copyMemory(from: gp.raw + o * rowBytes, byteCount: rowBytes)
            }
            return [grad]
        }
    }

    /// Joins tensors along `dim`; all other sizes must agree. Dtypes promote.
    public static func concatenate(_ tensors: [Tensor], dim: Int = 0) throws -> Tensor {
        guard let first = tensors.first else {
            throw RuntimeError(.argument, "cat", "expected at least one tensor")
        }
        let d = try first.normalizedDim(dim, op: "cat")
        let dt = tensors.map(\.dtype).reduce(first.dtype, DType.promoted)
        var total = 0
        for t in tensors {
            guard t.rank == first.rank, t.shape.enumerated().allSatisfy({ $0.offset == d || $0.element == first.shape[$0.offset] }) else {
                throw RuntimeError(.shape, "cat", "shapes \(describe(first.shape)) and \(describe(t.shape)) differ outside dimension \(d)")
            }
            total += t.shape[d]
        }
        var outShape = first.shape
        outShape[d] = total
        let out = try Tensor(uninitialized: outShape, dtype: dt)
        let outer = first.shape[..<d].reduce(1, *), inner = first.shape[(d + 1)...].reduce(1, *)
        let e = dt.byteSize
        let parts = try tensors.map { try $0.to(dt) }
        var offset = 0
        for t in parts {
            let rowBytes = t.shape[d] * inner * e
            for o in 0..<outer {
                (out.raw + (o * total + offset) * inner * e).copyMemory(from: t.raw + o * rowBytes, byteCount: rowBytes)
            }
            offset += t.shape[d]
        }
        let sizes = parts.map { $0.shape[d] }
        return record("cat", out, parts) { g, needs in
            var start = 0
            return try zip(sizes, needs).map { size, need in
                defer { start += size }
                return need ? try g.narrow(dim: d, start: start, length: size) : nil
            }
        }
    }
}

private func permuteCopy<E>(_ src: UnsafeMutablePointer<E>, _ dst: UnsafeMutablePointer<E>, _ outShape: [Int], _ srcStrides: [Int]) {
    let rank = outShape.count
    let inner = outShape[rank - 1], innerStride = srcStrides[rank - 1]
    var o = 0
    forEachRow(outShape, srcStrides, srcStrides) { _, so, _ in
        for j in 0..<inner { dst[o + j] = src[so + j * innerStride] }
        o += inner
    }
}
