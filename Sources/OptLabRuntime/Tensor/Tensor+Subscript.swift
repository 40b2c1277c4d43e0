/// Indexing as Torch7 and PyTorch users write it: per dimension a single
/// index (the dimension goes), an inclusive range (it stays) or all of it;
/// and masks. Reads copy (and are differentiable: the gradient is scattered
/// back); writes go into the tensor's own elements.
public enum TensorIndex: Sendable, Equatable {
    /// One position (0-based); the dimension is dropped.
    case at(Int)
    /// Positions lo...hi (0-based, inclusive); the dimension stays.
    case range(Int, Int)
    case all
}

extension Tensor {
    /// The region `indices` select (one entry per leading dimension; the
    /// others whole): its shape and the flat offsets of its elements, in order.
    func region(_ indices: [TensorIndex], op: String) throws -> (shape: [Int], offsets: [Int]) {
        guard indices.count <= rank else {
            throw RuntimeError(.shape, op, "\(indices.count) indices for a \(rank)-d tensor")
        }
        var kept: [Int] = []
        var axes: [[Int]] = []   // positions taken along each dimension
        for d in 0..<rank {
            let n = shape[d]
            let spec = d < indices.count ? indices[d] : .all
            switch spec {
            case .at(let i):
                guard i >= 0 && i < n else { throw RuntimeError(.argument, op, "index \(i + 1) is out of range 1..\(n) for dimension \(d + 1)") }
                axes.append([i])
            case .range(let lo, let hi):
                guard lo >= 0, hi < n, lo <= hi + 1 else {
                    throw RuntimeError(.argument, op, "range \(lo + 1)..\(hi + 1) is out of range 1..\(n) for dimension \(d + 1)")
                }
                axes.append(Array(lo...Swift.max(lo, hi)).filter { $0 <= hi })
                kept.append(hi - lo + 1)
            case .all:
                axes.append(Array(0..<n))
                kept.append(n)
            }
        }
        var strides = [Int](repeating: 1, count: rank)
        for d in stride(from: rank - 2, through: 0, by: -1) { strides[d] = strides[d + 1] * shape[d + 1] }
        var offsets = [0]
        for d in 0..<rank {
            var next: [Int] = []
            next.reserveCapacity(offsets.count * axes[d].count)
            for o in offsets { for i in axes[d] { next.append(o + i * strides[d]) } }
            offsets = next
        }
        return (kept, offsets)
    }

    /// `x[{2, {3, 5}}]`: a copy of the selected region.
    public func subscripted(_ indices: [TensorIndex]) throws -> Tensor {
        let (shape, offsets) = try region(indices, op: "index")
        return try gathered(offsets, shape: shape, op: "index")
    }

    /// `x[mask]`: the elements where `mask` (of x's shape) is non-zero, as a 1-d tensor.
    public func masked(_ mask: Tensor) throws -> Tensor {
        let offsets = try maskOffsets(mask, op: "index")
        return try gathered(offsets, shape: [offsets.count], op: "index")
    }

    /// `x[{...}] = v`: `value` broadcast to the region, written into x.
    public func assign(_ indices: [TensorIndex], _ value: Tensor) throws {
        let (shape, offsets) = try region(indices, op: "index assignment")
        try scatter(offsets, shape: shape, value, op: "index assignment")
    }

    /// `x[mask] = v`: a number, or one value per selected element.
    public func assign(mask: Tensor, _ value: Tensor) throws {
        let offsets = try maskOffsets(mask, op: "index assignment")
        try scatter(offsets, shape: [offsets.count], value, op: "index assignment")
    }

    /// x where `mask` (broadcast to x's shape) is non-zero set to `value`, in place.
    public func maskedFill_(_ mask: Tensor, _ value: Double) throws -> Tensor {
        let m = mask.shape == shape ? mask : try mask.expand(shape)
        try scatter(try maskOffsets(m, op: "masked_fill_"), shape: [], .scalar(value, dtype: dtype), op: "masked_fill_")
        return self
    }

    /// The slices at `positions` (0-based) along `dim` set to `value`, in place.
    public func indexFill_(dim: Int, _ positions: [Int], _ value: Double) throws -> Tensor {
        guard dim >= 0 && dim < rank else { throw RuntimeError(.argument, "index_fill_", "dimension \(dim + 1) is out of range for a \(rank)-d tensor") }
        var offsets: [Int] = []
        for p in positions {
            var spec = [TensorIndex](repeating: .all, count: dim)
            guard p >= 0 && p < shape[dim] else {
                throw RuntimeError(.argument, "index_fill_", "index \(p + 1) is out of range 1..\(shape[dim]) for dimension \(dim + 1)")
            }
            spec.append(.at(p))
            offsets += try region(spec, op: "index_fill_").offsets
        }
        try scatter(offsets, shape: [], .scalar(value, dtype: dtype), op: "index_fill_")
        return self
    }

    // MARK: the two loops

    private func maskOffsets(_ mask: Tensor, op: String) throws -> [Int] {
        guard mask.shape == shape else {
            throw RuntimeError(.shape, op, "a mask of shape \(describe(mask.shape)) for a tensor of shape \(describe(shape))")
        }
        return (0..<count).filter { mask.element($0) != 0 }
    }

    private func gathered(_ offsets: [Int], shape out: [Int], op: String) throws -> Tensor {
        let result = try Tensor(uninitialized: out, dtype: dtype)
        switch dtype {
        case .f32: let s = ptr(Float.self), d = result.ptr(Float.self); for (k, o) in offsets.enumerated() { d[k] = s[o] }
        case .f64: let s = ptr(Double.self), d = result.ptr(Double.self); for (k, o) in offsets.enumerated() { d[k] = s[o] }
        case .i32: let s = ptr(Int32.self), d = result.ptr(Int32.self); for (k, o) in offsets.enumerated() { d[k] = s[o] }
        }
        guard Tensor.recording(self) else { return result }
        let inShape = shape, dt = dtype
        return Tensor.record(op, result, [self], saving: []) { g, _ in
            let dx = try Tensor.zeros(inShape, dtype: dt)
            let gp = try g.to(dt)
            for (k, o) in offsets.enumerated() { dx.setElement(o, dx.element(o) + gp.element(k)) }
            return [dx]
        }
    }

    private func scatter(_ offsets: [Int], shape region: [Int], _ value: Tensor, op: String) throws {
        if try mustRecord(op, [value]) {
            throw RuntimeError(.autograd, op, "writing into a tensor that is part of a graph is not supported; write into a clone(), or inside tensor.no_grad")
        }
        let v: Tensor
        if value.count == 1 {
            v = try Tensor.withNoGrad { try value.to(dtype) }
        } else {
            let fits = value.shape == region || (try? Broadcast.shape(region, value.shape, op: op)) == region
            guard fits else {
                throw RuntimeError(.shape, op, "a value of shape \(describe(value.shape)) does not fit the region of shape \(describe(region))")
            }
            v = try Tensor.withNoGrad { try value.to(dtype).expand(region) }
        }
        let src = v.sharesStorage(with: self) ? try v.clone() : v
        let one = src.count == 1
        for (k, o) in offsets.enumerated() { setElement(o, src.element(one ? 0 : k)) }
        bumpVersion()
    }
}
