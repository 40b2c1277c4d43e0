import CBLAS

/// Matrix products through BLAS (`cblas_sgemm`, `cblas_dgemm`).
extension Tensor {
    /// The matrix product, with numpy's rules for the common cases:
    /// [m,k]·[k,n] → [m,n]; [b,m,k]·[b,k,n] → [b,m,n]; [b,m,k]·[k,n] → [b,m,n]
    /// (one GEMM over all b·m rows); a 1-d operand is a vector ([k]·[k,n] → [n]).
    ///
    /// The backward pass reuses GEMM with BLAS's transpose flags:
    /// dA = dC·Bᵀ, dB = Aᵀ·dC; nothing is transposed in memory.
    public func matmul(_ other: Tensor) throws -> Tensor {
        try requireFloat("matmul")
        try other.requireFloat("matmul")
        let dt = DType.promoted(dtype, other.dtype)
        let a = try to(dt), b = try other.to(dt)
        switch (a.rank, b.rank) {
        case (1, 1):
            return try a.reshape([1, a.count]).matmul(b.reshape([b.count, 1])).reshape([])
        case (1, 2):
            return try a.reshape([1, a.count]).matmul(b).reshape([b.shape[1]])
        case (2, 1):
            return try a.matmul(b.reshape([b.count, 1])).reshape([a.shape[0]])
        case (2, 2):
            return try Tensor.gemm2d(a, b)
        case (3, 2):
            let (bs, m, k) = (a.shape[0], a.shape[1], a.shape[2])
            return try Tensor.gemm2d(a.reshape([bs * m, k]), b).reshape([bs, m, b.shape[1]])
        case (3, 3):
            return try Tensor.batchedGemm(a, b)
        default:
            throw RuntimeError(.shape, "matmul", "expected 1-, 2- or 3-d operands, got shapes \(describe(a.shape)) and \(describe(b.shape))")
        }
    }

    private static func gemm2d(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        let (m, k) = (a.shape[0], a.shape[1])
        let (k2, n) = (b.shape[0], b.shape[1])
        guard k == k2 else {
            throw RuntimeError(.shape, "matmul", "shapes \(describe(a.shape)) and \(describe(b.shape)) do not align (inner \(k) vs \(k2))")
        }
        let out = try Tensor(uninitialized: [m, n], dtype: a.dtype)
        try gemm(a, false, b, false, into: out, m: m, n: n, k: k)
        return record("matmul", out, [a, b]) { g, needs in
            var ga: Tensor?, gb: Tensor?
            if needs[0] {  // dA[m,k] = dC[m,n] · Bᵀ
                let r = try Tensor(uninitialized: [m, k], dtype: a.dtype)
                try gemm(g, false, b, true, into: r, m: m, n: k, k: n)
                ga = r
            }
            if needs[1] {  // dB[k,n] = Aᵀ · dC[m,n]
                let r = try Tensor(uninitialized: [k, n], dtype: a.dtype)
                try gemm(a, true, g, false, into: r, m: k, n: n, k: m)
                gb = r
            }
            return [ga, gb]
        }
    }

    private static func batchedGemm(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        let (bs, m, k) = (a.shape[0], a.shape[1], a.shape[2])
        let (bs2, k2, n) = (b.shape[0], b.shape[1], b.shape[2])
        guard bs == bs2, k == k2 else {
            throw RuntimeError(.shape, "matmul", "batched shapes \(describe(a.shape)) and \(describe(b.shape)) do not align (batch \(bs) vs \(bs2), inner \(k) vs \(k2))")
        }
        let out = try Tensor(uninitialized: [bs, m, n], dtype: a.dtype)
        for i in 0..<bs {
            try gemm(a, false, b, false, into: out, m: m, n: n, k: k, offsets: (i * m * k, i * k * n, i * m * n))
        }
        return record("bmm", out, [a, b]) { g, needs in
            var ga: Tensor?, gb: Tensor?
            if needs[0] {
                let r = try Tensor(uninitialized: [bs, m, k], dtype: a.dtype)
                for i in 0..<bs { try gemm(g, false, b, true, into: r, m: m, n: k, k: n, offsets: (i * m * n, i * k * n, i * m * k)) }
                ga = r
            }
            if needs[1] {
                let r = try Tensor(uninitialized: [bs, k, n], dtype: a.dtype)
                for i in 0..<bs { try gemm(a, true, g, false, into: r, m: k, n: n, k: m, offsets: (i * m * k, i * m * n, i * k * n)) }
                gb = r
            }
            return [ga, gb]
        }
    }

    /// C[m,n] = op(A)·op(B) (+ C when `accumulate`), where op transposes when
    /// asked; A is stored as [m,k] (or [k,m] when transposed), B as [k,n] (or [n,k]).
    static func gemm(_ a: Tensor, _ transA: Bool, _ b: Tensor, _ transB: Bool, into c: Tensor,
                     m: Int, n: Int, k: Int, offsets: (Int, Int, Int) = (0, 0, 0),
                     lda: Int? = nil, ldb: Int? = nil, ldc: Int? = nil, accumulate: Bool = false) throws {
        let lda = lda ?? (transA ? m : k)
        let ldb = ldb ?? (transB ? k : n)
        let ldc = ldc ?? n
        let ta = transA ? CblasTrans : CblasNoTrans
        let tb = transB ? CblasTrans : CblasNoTrans
        if m == 0 || n == 0 { return }
        try MemoryLimit.prepareBLAS(op: "matmul")
        _ = Parallel.threads  // BLAS's thread count is the runtime's (OPTLAB_NUM_THREADS)
        if k == 0 { if !accumulate { c.fill(0) }; return }  // (only reached with whole, contiguous outputs)
        let beta = accumulate ? 1.0 : 0.0
        switch c.dtype {
        case .f32:
            cblas_sgemm(CblasRowMajor, ta, tb, Int32(m), Int32(n), Int32(k), 1,
                        a.ptr(Float.self) + offsets.0, Int32(lda), b.ptr(Float.self) + offsets.1, Int32(ldb),
                        Float(beta), c.ptr(Float.self) + offsets.2, Int32(ldc))
        default:
            cblas_dgemm(CblasRowMajor, ta, tb, Int32(m), Int32(n), Int32(k), 1,
                        a.ptr(Double.self) + offsets.0, Int32(lda), b.ptr(Double.self) + offsets.1, Int32(ldb),
                        beta, c.ptr(Double.self) + offsets.2, Int32(ldc))
        }
    }
}
