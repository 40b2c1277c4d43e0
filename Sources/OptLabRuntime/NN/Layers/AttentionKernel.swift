import CBLAS

/// Scaled dot-product self-attention as one operation (FlashAttention's
/// arithmetic without its tiling: at a language model's context lengths the
/// [T, T] weights of one head fit in cache). Queries, keys and values are
/// read in place from the input projection's [N, T, 3d] output and the
/// result is written in place into [N, T, d], so no head is ever permuted
/// or copied; each (example, head) pair is two small products forward and
/// four back, spread over the threads. Causal attention never forms a mask:
/// row i's softmax runs over keys 0...i and the rest of the row stays zero.
///
/// ```
/// S = Q·Kᵀ/√dh,  P = softmax(S) (row-wise, causal: j ≤ i),  O = P·V
/// dV = Pᵀ·dO,  dP = dO·Vᵀ,  dS = P ⊙ (dP − rowsum(dP ⊙ P)),  dQ = dS·K/√dh,  dK = dSᵀ·Q/√dh
/// ```
extension Tensor {
    public func selfAttention(heads: Int, causal: Bool) throws -> Tensor {
        let op = "scaled_dot_product_attention"
        try requireFloat(op)
        // heads is checked before it divides: it comes from the caller.
        guard rank == 3, heads > 0, shape[2] % 3 == 0, (shape[2] / 3) % heads == 0 else {
            throw RuntimeError(.shape, op, "expected queries, keys and values [N, T, 3d] with d a multiple of \(heads) heads, got \(describe(shape))")
        }
        let (n, t, d) = (shape[0], shape[1], shape[2] / 3)
        let layout = AttentionLayout(n: n, t: t, d: d, heads: heads, causal: causal)
        let out = try Tensor(uninitialized: [n, t, d], dtype: dtype)
        let weights = try Tensor(uninitialized: [n * heads, t, t], dtype: dtype)
        if dtype == .f32 { layout.forward(ptr(Float.self), weights.ptr(Float.self), out.ptr(Float.self)) }
        else { layout.forward(ptr(Double.self), weights.ptr(Double.self), out.ptr(Double.self)) }
        guard Tensor.recording(self) else { return out }
        let qkv = detach()
        return Tensor.record(op, out, [self], saving: [self, weights]) { g, _ in
            let dOut = try g.to(qkv.dtype)
            let grad = try Tensor(uninitialized: qkv.shape, dtype: qkv.dtype)
            if qkv.dtype == .f32 {
                layout.backward(qkv.ptr(Float.self), weights.ptr(Float.self), dOut.ptr(Float.self), grad.ptr(Float.self))
            } else {
                layout.backward(qkv.ptr(Double.self), weights.ptr(Double.self), dOut.ptr(Double.self), grad.ptr(Double.self))
            }
            return [grad]
        }
    }
}

/// Where each (example, head)'s blocks lie in the packed tensors.
struct AttentionLayout {
    let n: Int, t: Int, d: Int, heads: Int, causal: Bool
    var dh: Int { d / heads }
    var scale: Double { 1 / Double(dh).squareRoot() }

    /// Offsets of pair p's query, key and value blocks in [N, T, 3d] (row stride 3d),
    /// of its output block in [N, T, d] (row stride d), and of its weights [T, T].
    func offsets(_ p: Int) -> (q: Int, k: Int, v: Int, o: Int, w: Int) {
        let (example, head) = (p / heads, p % heads)
        let q = example * t * 3 * d + head * dh
        return (q, q + d, q + 2 * d, example * t * d + head * dh, p * t * t)
    }

    /// Keys row i attends to.
    @inline(__always) func width(_ i: Int) -> Int { causal ? i + 1 : t }

    func forward<T: FloatElement>(_ qkv: UnsafeMutablePointer<T>, _ w: UnsafeMutablePointer<T>, _ out: UnsafeMutablePointer<T>) {
        let s = T(scale)
        Parallel.forEach(n * heads) { p in
            let o = offsets(p)
            // S = Q·Kᵀ·scale into the weights' block, then each row's softmax in place
            blasGemm(false, true, t, t, dh, s, qkv + o.q, 3 * d, qkv + o.k, 3 * d, 0, w + o.w, t)
            for i in 0..<t {
                let row = w + o.w + i * t, m = width(i)
                var top = -T.infinity
                for j in 0..<m where row[j] > top { top = row[j] }
                var total = T(0)
                for j in 0..<m { row[j] = T.exp(row[j] - top); total += row[j] }
                let inv = 1 / total
                for j in 0..<m { row[j] *= inv }
                for j in m..<t { row[j] = 0 }
            }
            blasGemm(false, false, t, dh, t, 1, w + o.w, t, qkv + o.v, 3 * d, 0, out + o.o, d)
        }
    }

    func backward<T: FloatElement>(_ qkv: UnsafeMutablePointer<T>, _ w: UnsafeMutablePointer<T>, _ dOut: UnsafeMutablePointer<T>,
                                   _ grad: UnsafeMutablePointer<T>) {
        let s = T(scale)
        Parallel.forEach(n * heads) { p in
            let o = offsets(p)
            withUnsafeTemporaryAllocation(of: T.self, capacity: t * t) { scratch in
                let dS = scratch.baseAddress!
                // dV = Pᵀ·dO;  dP = dO·Vᵀ
                blasGemm(true, false, t, dh, t, 1, w + o.w, t, dOut + o.o, d, 0, grad + o.v, 3 * d)
                blasGemm(false, true, t, t, dh, 1, dOut + o.o, d, qkv + o.v, 3 * d, 0, dS, t)
                // dS = P ⊙ (dP − Σ_j dP·P), zero where P is
                for i in 0..<t {
                    let (pRow, dRow) = (w + o.w + i * t, dS + i * t)
                    let m = width(i)
                    var dot = T(0)
                    for j in 0..<m { dot += dRow[j] * pRow[j] }
                    for j in 0..<m { dRow[j] = pRow[j] * (dRow[j] - dot) }
                    for j in m..<t { dRow[j] = 0 }
                }
                // dQ = dS·K·scale;  dK = dSᵀ·Q·scale
                blasGemm(false, false, t, dh, t, s, dS, t, qkv + o.k, 3 * d, 0, grad + o.q, 3 * d)
                blasGemm(true, false, t, dh, t, s, dS, t, qkv + o.q, 3 * d, 0, grad + o.k, 3 * d)
            }
        }
    }
}

/// C = α·op(A)·op(B) + β·C, row-major, in the element type's BLAS.
@inline(__always)
func blasGemm<T: FloatElement>(_ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: T,
                               _ a: UnsafePointer<T>, _ lda: Int, _ b: UnsafePointer<T>, _ ldb: Int,
                               _ beta: T, _ c: UnsafeMutablePointer<T>, _ ldc: Int) {
    let (ta, tb) = (transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans)
    if T.self == Float.self {
        a.withMemoryRebound(to: Float.self, capacity: 1) { a in
            b.withMemoryRebound(to: Float.self, capacity: 1) { b in
                c.withMemoryRebound(to: Float.self, capacity: 1) { c in
                    cblas_sgemm(CblasRowMajor, ta, tb, Int32(m), Int32(n), Int32(k), Float(alpha), a, Int32(lda), b, Int32(ldb), Float(beta), c, Int32(ldc))
                }
            }
        }
    } else {
        a.withMemoryRebound(to: Double.self, capacity: 1) { a in
            b.withMemoryRebound(to: Double.self, capacity: 1) { b in
                c.withMemoryRebound(to: Double.self, capacity: 1) { c in
                    cblas_dgemm(CblasRowMajor, ta, tb, Int32(m), Int32(n), Int32(k), Double(alpha), a, Int32(lda), b, Int32(ldb), Double(beta), c, Int32(ldc))
                }
            }
        }
    }
}
