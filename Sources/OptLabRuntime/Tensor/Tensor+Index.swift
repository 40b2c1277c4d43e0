/// Selecting by integer labels: index-select, gather, one-hot.
extension Tensor {
    /// Rows (entries along `dim`) picked by `indices` (0-based i32), in order.
    public func indexSelect(dim: Int, _ indices: Tensor) throws -> Tensor {
        let d = try normalizedDim(dim, op: "index_select")
        let idx = try indices.checkedIndices(bound: shape[d], op: "index_select")
        let L = ReductionLayout(shape, dim: d, keepDim: true)
        var outShape = shape
        outShape[d] = idx.count
        let out = try Tensor(uninitialized: outShape, dtype: dtype)
        let e = dtype.byteSize, chunk = L.inner * e
        for o in 0..<L.outer {
            for (j, k) in idx.enumerated() {
                (out.raw + (o * idx.count + j) * chunk).copyMemory(from: raw + (o * L.n + k) * chunk, byteCount: chunk)
            }
        }
        let inShape = shape, dt = dtype
        return Tensor.record("index_select", out, [self]) { g, _ in
            let grad = try Tensor.zeros(inShape, dtype: dt)
            let gp = try g.to(dt)
            // each picked slice's gradient added into its source slice, in order (repeats accumulate)
            func accumulate<T: FloatElement>(_: T.Type) {
                let (src, dst) = (gp.ptr(T.self), grad.ptr(T.self))
                for o in 0..<L.outer {
                    for (j, k) in idx.enumerated() {
                        let (from, to) = (src + (o * idx.count + j) * L.inner, dst + (o * L.n + k) * L.inner)
                        for i in 0..<L.inner { to[i] += from[i] }
                    }
                }
            }
            switch dt {
            case .f32: accumulate(Float.self)
            case .f64: accumulate(Double.self)
            default:
                for o in 0..<L.outer {
                    for (j, k) in idx.enumerated() {
                        for i in 0..<L.inner {
                            let dst = (o * L.n + k) * L.inner + i
                            grad.setElement(dst, grad.element(dst) + gp.element((o * idx.count + j) * L.inner + i))
                        }
                    }
                }
            }
            return [grad]
        }
    }

    /// out[i][j] = self[i][index[i][j]] for `dim` 1 (and likewise for any dim):
    /// `index` has this tensor's rank and sizes, but along `dim`.
    /// `scores.gather(dim: 1, labels.unsqueeze(1))` picks each row's correct-class score.
    public func gather(dim: Int, _ index: Tensor) throws -> Tensor {
        let d = try normalizedDim(dim, op: "gather")
        guard index.rank == rank, index.shape.enumerated().allSatisfy({ $0.offset == d || $0.element == shape[$0.offset] }) else {
            throw RuntimeError(.shape, "gather", "index shape \(describe(index.shape)) must match \(describe(shape)) outside dimension \(d)")
        }
        let idx = try index.checkedIndices(bound: shape[d], op: "gather")
        let L = ReductionLayout(shape, dim: d, keepDim: true)
        let m = index.shape[d]
        let out = try Tensor(uninitialized: index.shape, dtype: dtype)
        var sources = [Int](repeating: 0, count: idx.count)
        for o in 0..<L.outer {
            for j in 0..<m {
                for i in 0..<L.inner {
                    let at = (o * m + j) * L.inner + i
                    sources[at] = (o * L.n + idx[at]) * L.inner + i
                    out.setElement(at, element(sources[at]))
                }
            }
        }
        let inShape = shape, dt = dtype
        return Tensor.record("gather", out, [self]) { g, _ in
            let grad = try Tensor.zeros(inShape, dtype: dt)
            let gp = try g.to(dt)
            for (at, src) in sources.enumerated() { grad.setElement(src, grad.element(src) + gp.element(at)) }
            return [grad]
        }
    }

    /// Integer labels 0..<classes as rows of a one-hot matrix ([n] → [n, classes]).
    public func oneHot(classes: Int, dtype: DType = .f32) throws -> Tensor {
        guard classes > 0 else {
            throw RuntimeError(.argument, "one_hot", "classes must be positive, got \(classes)")
        }
        let idx = try checkedIndices(bound: classes, op: "one_hot")
        let out = try Tensor.zeros(shape + [classes], dtype: dtype)
        for (i, k) in idx.enumerated() { out.setElement(i * classes + k, 1) }
        return out
    }

    /// This tensor's values as indices in 0..<bound, or an error naming the first bad one.
    func checkedIndices(bound: Int, op: String) throws -> [Int] {
        var out = [Int]()
        out.reserveCapacity(count)
        for i in 0..<count {
            let v = element(i)
            guard v.rounded() == v, v >= 0, v < Double(bound) else {
                throw RuntimeError(.argument, op, "index \(v) at position \(i) is out of range 0..<\(bound)")
            }
            out.append(Int(v))
        }
        return out
    }
}
