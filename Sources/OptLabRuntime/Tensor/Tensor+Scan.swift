/// Running sums and products, sorting and the k largest along a dimension,
/// as PyTorch defines them (indices 0-based here; the Lua bindings add one).
extension Tensor {
    /// The running sum along `dim`; its gradient is the reversed running sum of the gradient.
    public func cumsum(dim: Int) throws -> Tensor {
        try requireFloat("cumsum")
        let d = try normalizedDim(dim, op: "cumsum")
        let out = try scan(d, +)
        return Tensor.record("cumsum", out, [self]) { g, _ in
            [try g.flip(dims: [d]).cumsum(dim: d).flip(dims: [d])]
        }
    }

    /// The running product along `dim`. Its gradient holds where entries are
    /// zero: dx_i = Π_{k<i} x_k · T_i with T_i = g_i + x_{i+1}·T_{i+1}, no division.
    public func cumprod(dim: Int) throws -> Tensor {
        try requireFloat("cumprod")
        let d = try normalizedDim(dim, op: "cumprod")
        let out = try scan(d, *)
        let x = self
        return Tensor.record("cumprod", out, [x]) { g, _ in
            let L = ReductionLayout(x.shape, dim: d, keepDim: true)
            let gp = try g.to(x.dtype), dx = try Tensor.zeros(x.shape, dtype: x.dtype)
            for o in 0..<L.outer {
                for i in 0..<L.inner {
                    func at(_ j: Int) -> Int { (o * L.n + j) * L.inner + i }
                    var t = [Double](repeating: 0, count: L.n)
                    var later = 0.0
                    for j in stride(from: L.n - 1, through: 0, by: -1) {
                        later = gp.element(at(j)) + (j + 1 < L.n ? x.element(at(j + 1)) * later : 0)
                        t[j] = later
                    }
                    var before = 1.0
                    for j in 0..<L.n {
                        dx.setElement(at(j), before * t[j])
                        before *= x.element(at(j))
                    }
                }
            }
            return [dx]
        }
    }

    /// out_0 = x_0, out_j = step(out_{j−1}, x_j) along `d`.
    private func scan(_ d: Int, _ step: (Double, Double) -> Double) throws -> Tensor {
        let L = ReductionLayout(shape, dim: d, keepDim: true)
        let out = try Tensor(uninitialized: shape, dtype: dtype)
        for o in 0..<L.outer {
            for i in 0..<L.inner {
                var running = 0.0
                for j in 0..<L.n {
                    let at = (o * L.n + j) * L.inner + i
                    running = j == 0 ? element(at) : step(running, element(at))
                    out.setElement(at, running)
                }
            }
        }
        return out
    }

    /// The entries along `dim` in order (stable: equal entries keep their
    /// order; NaN last ascending, first descending, as PyTorch), with the
    /// i32 indices they came from. The values' gradient goes back to where each came from.
    public func sort(dim: Int = -1, descending: Bool = false) throws -> (values: Tensor, indices: Tensor) {
        let d = try normalizedDim(dim, op: "sort")
        return try ordered(d, keep: shape[d], largest: descending, op: "sort")
    }

    /// The k largest (or smallest) entries along `dim`, in order, with their i32 indices.
    public func topk(_ k: Int, dim: Int = -1, largest: Bool = true) throws -> (values: Tensor, indices: Tensor) {
        let d = try normalizedDim(dim, op: "topk")
        guard k >= 0, k <= shape[d] else { throw RuntimeError(.argument, "topk", "k = \(k) is out of range 0...\(shape[d]) for dimension \(d + 1)") }
        return try ordered(d, keep: k, largest: largest, op: "topk")
    }

    private func ordered(_ d: Int, keep k: Int, largest: Bool, op: String) throws -> (values: Tensor, indices: Tensor) {
        let L = ReductionLayout(shape, dim: d, keepDim: true)
        var outShape = shape
        outShape[d] = k
        let values = try Tensor(uninitialized: outShape, dtype: dtype), indices = try Tensor(uninitialized: outShape, dtype: .i32)
        var sources = [Int](repeating: 0, count: values.count)
        for o in 0..<L.outer {
            for i in 0..<L.inner {
                let line = (0..<L.n).map { element((o * L.n + $0) * L.inner + i) }
                // NaN counts as larger than everything, as in PyTorch; ties keep their order
                let keys = line.map { ($0.isNaN ? 1 : 0, $0.isNaN ? 0 : $0) }
                let order = (0..<L.n).sorted { a, b in
                    keys[a] == keys[b] ? a < b : (largest ? keys[a] > keys[b] : keys[a] < keys[b])
                }
                for j in 0..<k {
                    let at = (o * k + j) * L.inner + i
                    values.setElement(at, line[order[j]])
                    indices.setElement(at, Double(order[j]))
                    sources[at] = (o * L.n + order[j]) * L.inner + i
                }
            }
        }
        let inShape = shape, dt = dtype
        let recorded = Tensor.record(op, values, [self]) { g, _ in
            let grad = try Tensor.zeros(inShape, dtype: dt)
            let gp = try g.to(dt)
            for (at, src) in sources.enumerated() { grad.setElement(src, grad.element(src) + gp.element(at)) }
            return [grad]
        }
        return (recorded, indices)
    }

    /// self + weight·(end − self).
    public func lerp(_ end: Tensor, weight: Tensor) throws -> Tensor {
        try requireFloat("lerp")
        return try add(end.sub(self).mul(weight))
    }

    /// out = self, plus src's entries added at `index` along `dim` (torch.scatter_add):
    /// out[index[i][j]][j] += src[i][j] for dim 0.
    public func scatterAdd(dim: Int, _ index: Tensor, _ src: Tensor) throws -> Tensor {
        try requireFloat("scatter_add")
        let d = try normalizedDim(dim, op: "scatter_add")
        guard index.rank == rank, src.shape == index.shape,
              index.shape.enumerated().allSatisfy({ $0.offset == d || $0.element <= shape[$0.offset] }) else {
            throw RuntimeError(.shape, "scatter_add", "index \(describe(index.shape)) and src \(describe(src.shape)) must have one shape, within \(describe(shape)) outside dimension \(d + 1)")
        }
        let idx = try index.checkedIndices(bound: shape[d], op: "scatter_add")
        let out = try clone().detach()
        let srcValues = try src.to(dtype)
        var targets = [Int](repeating: 0, count: idx.count)
        let strides = Tensor.contiguousStrides(shape), istrides = Tensor.contiguousStrides(index.shape)
        for at in 0..<idx.count {
            var rest = at, target = 0
            for k in 0..<rank {
                let c = rest / istrides[k]; rest %= istrides[k]
                target += (k == d ? idx[at] : c) * strides[k]
            }
            targets[at] = target
            out.setElement(target, out.element(target) + srcValues.element(at))
        }
        let srcShape = src.shape
        return Tensor.record("scatter_add", out, [self, src]) { g, needs in
            var gsrc: Tensor?
            if needs.count > 1 && needs[1] {
                gsrc = try Tensor(uninitialized: srcShape, dtype: g.dtype)
                for (at, t) in targets.enumerated() { gsrc!.setElement(at, g.element(t)) }
            }
            return [g, gsrc]
        }
    }

    /// out = self, plus alpha·source's slices added at `index` along `dim` (torch.index_add).
    public func indexAdd(dim: Int, _ index: Tensor, _ source: Tensor, alpha: Double = 1) throws -> Tensor {
        try requireFloat("index_add")
        let d = try normalizedDim(dim, op: "index_add")
        let idx = try index.checkedIndices(bound: shape[d], op: "index_add")
        var expected = shape
        expected[d] = idx.count
        guard index.rank == 1, source.shape == expected else {
            throw RuntimeError(.shape, "index_add", "source of shape \(describe(source.shape)) for \(idx.count) indices into \(describe(shape)) (expected \(describe(expected)))")
        }
        let L = ReductionLayout(shape, dim: d, keepDim: true)
        let out = try clone().detach()
        let s = try source.to(dtype)
        for o in 0..<L.outer {
            for (j, row) in idx.enumerated() {
                for i in 0..<L.inner {
                    let to = (o * L.n + row) * L.inner + i, from = (o * idx.count + j) * L.inner + i
                    out.setElement(to, out.element(to) + alpha * s.element(from))
                }
            }
        }
        let indexCopy = try index.clone()
        return Tensor.record("index_add", out, [self, source]) { g, needs in
            let gs = needs.count > 1 && needs[1] ? try g.indexSelect(dim: d, indexCopy).mul(alpha) : nil
            return [g, gs]
        }
    }
}

extension Tensor {
    /// Row-major strides of a shape, in elements.
    static func contiguousStrides(_ shape: [Int]) -> [Int] {
        var s = [Int](repeating: 1, count: shape.count)
        var running = 1
        for k in stride(from: shape.count - 1, through: 0, by: -1) { s[k] = running; running *= shape[k] }
        return s
    }
}
