import CBLAS
import CKernels
import Foundation

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
    /// `pieces` (for tests) cuts it into that many pieces whatever the thread count.
    /// `alpha` and `beta` are BLAS's: C = alpha·op(A)·op(B) + beta·C (beta
    /// given overrides `accumulate`; it needs C whole and contiguous when k is 0).
    static func gemm(_ a: Tensor, _ transA: Bool, _ b: Tensor, _ transB: Bool, into c: Tensor,
                     m: Int, n: Int, k: Int, offsets: (Int, Int, Int) = (0, 0, 0),
                     lda: Int? = nil, ldb: Int? = nil, ldc: Int? = nil, accumulate: Bool = false, pieces: Int? = nil,
                     alpha: Double = 1, beta betaGiven: Double? = nil, splitting: Bool = true) throws {
        let lda = lda ?? (transA ? m : k)
        let ldb = ldb ?? (transB ? k : n)
        let ldc = ldc ?? n
        let ta = transA ? CblasTrans : CblasNoTrans
        let tb = transB ? CblasTrans : CblasNoTrans
        if m == 0 || n == 0 { return }
        try MemoryLimit.prepareBLAS(op: "matmul")
        _ = Parallel.threads  // BLAS's thread count is the runtime's (OPTLAB_NUM_THREADS)
        let beta = betaGiven ?? (accumulate ? 1.0 : 0.0)
        if k == 0 {  // (only reached with whole, contiguous outputs)
            if beta == 0 { c.fill(0) } else if beta != 1 { c.scaleInPlace(beta) }
            return
        }
        // one BLAS call on rows (or columns) lo..<hi of C, its offsets in elements
        func product(_ pm: Int, _ pn: Int, _ aAt: Int, _ bAt: Int, _ cAt: Int) {
            if c.dtype == .f32 {
                cblas_sgemm(CblasRowMajor, ta, tb, Int32(pm), Int32(pn), Int32(k), Float(alpha), a.ptr(Float.self) + aAt, Int32(lda),
                            b.ptr(Float.self) + bAt, Int32(ldb), Float(beta), c.ptr(Float.self) + cAt, Int32(ldc))
            } else {
                cblas_dgemm(CblasRowMajor, ta, tb, Int32(pm), Int32(pn), Int32(k), alpha, a.ptr(Double.self) + aAt, Int32(lda),
                            b.ptr(Double.self) + bAt, Int32(ldb), beta, c.ptr(Double.self) + cAt, Int32(ldc))
            }
        }
        guard let pieces = pieces ?? (splitting ? splitPieces(m: m, n: n, k: k, threads: Parallel.threads) : nil) else {
            product(m, n, offsets.0, offsets.1, offsets.2)
            return
        }
        // rows cut A and C, columns cut B and C, at multiples of 16
        let rows = m >= n, whole = rows ? m : n
        BLASThreads.single {
            Parallel.forRanges(pieces, grain: 2) { r in
                for piece in r {
                    let lo = whole * piece / pieces / 16 * 16
                    let hi = piece == pieces - 1 ? whole : whole * (piece + 1) / pieces / 16 * 16
                    guard hi > lo else { continue }
                    if rows {
                        product(hi - lo, n, offsets.0 + (transA ? lo : lo * lda), offsets.1, offsets.2 + lo * ldc)
                    } else {
                        product(m, hi - lo, offsets.0, offsets.1 + (transB ? lo * ldb : lo), offsets.2 + lo)
                    }
                }
            }
        }
    }

    /// C[n,n] = alpha·A·Aᵀ + beta·C for a contiguous A [n,k] and C [n,n]:
    /// BLAS's SYRK computes one triangle, half a general product's work (a
    /// Gram matrix is symmetric); the other triangle is mirrored from it.
    /// On two or more threads it is cut as `upperTriangle` cuts (OpenBLAS's
    /// own threads ran a 256×256 SYRK slower than one): the top rows as a
    /// product of A's first rows with all of A, the corner as a SYRK.
    /// `split` (for tests) cuts it or not whatever the thread count.
    static func syrk(_ a: Tensor, into c: Tensor, n: Int, k: Int, alpha: Double = 1, beta: Double = 0, split: Bool? = nil) throws {
        guard n > 0 else { return }
        try MemoryLimit.prepareBLAS(op: "matmul")
        _ = Parallel.threads  // BLAS's thread count is the runtime's
        let lda = Int32(Swift.max(k, 1))
        func triangle(_ rows: Int, from first: Int) {
            if c.dtype == .f32 {
                cblas_ssyrk(CblasRowMajor, CblasUpper, CblasNoTrans, Int32(rows), Int32(k), Float(alpha), a.ptr(Float.self) + first * k, lda,
                            Float(beta), c.ptr(Float.self) + first * n + first, Int32(n))
            } else {
                cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, Int32(rows), Int32(k), alpha, a.ptr(Double.self) + first * k, lda,
                            beta, c.ptr(Double.self) + first * n + first, Int32(n))
            }
        }
        // h·n = (n−h)²/2: the top block's product and the corner's SYRK equal work
        try upperTriangle(c, n: n, k: k / 2, split: split, h: Int((Double(n) * (2 - 3.0.squareRoot())).rounded()),
                          top: { h in try gemm(a, false, a, true, into: c, m: h, n: n, k: k, ldb: k, alpha: alpha, beta: beta, splitting: false) },
                          corner: { h in triangle(n - h, from: h) },
                          whole: { triangle(n, from: 0) })
    }

    /// C[n,n] = alpha·A·B + beta·C for A, B [n,n] whose product is symmetric
    /// (both symmetric and commuting, as polynomials in one matrix are:
    /// Newton–Schulz's iterates in Gram space): only the upper triangle is
    /// computed, in row panels each from the diagonal on, and mirrored, which
    /// on two threads is half a product's work, as SYRK's. Rounding leaves a
    /// computed A·B a little off symmetric; this makes it exactly so.
    static func symmetricProduct(_ a: Tensor, _ b: Tensor, into c: Tensor, n: Int, alpha: Double = 1, beta: Double = 0, split: Bool? = nil) throws {
        guard n > 0 else { return }
        // rows lo..<hi of C from column `from` on
        func panel(_ lo: Int, _ hi: Int, from: Int) throws {
            try gemm(a, false, b, false, into: c, m: hi - lo, n: n - from, k: n, offsets: (lo * n, from, lo * n + from),
                     lda: n, ldb: n, ldc: n, alpha: alpha, beta: beta, splitting: false)
        }
        // the corner as three panels, 2/3 of its square: h·n = ⅔(n−h)² at h = n(7 − √33)/4 ≈ 0.314·n
        try upperTriangle(c, n: n, k: n, split: split, h: Int((Double(n) * (7 - 33.0.squareRoot()) / 4).rounded()),
                          top: { h in try panel(0, h, from: 0) },
                          corner: { h in
                              let (m1, m2) = (h + (n - h) / 3, h + 2 * (n - h) / 3)
                              try panel(h, m1, from: h)
                              try panel(m1, m2, from: m1)
                              try panel(m2, n, from: m2)
                          },
                          whole: {
                              // panels of 64 rows: 5/8 of a product at n = 256
                              for lo in stride(from: 0, to: n, by: 64) { try panel(lo, Swift.min(lo + 64, n), from: lo) }
                          })
    }

    /// A symmetric C [n,n] from its upper triangle, then mirrored below. On
    /// two or more threads (products of n·n·k large enough to cut, or
    /// `split`) it is two pieces on a thread each: `top(h)` fills rows 0..<h
    /// whole (the top block's product) and `corner(h)` the upper triangle of
    /// rows h..<n from column h, h chosen by the caller so the two are equal
    /// work; each mirrors what it computed, so no thread waits for a serial
    /// mirror. On one thread `whole()` fills the upper triangle.
    private static func upperTriangle(_ c: Tensor, n: Int, k: Int, split: Bool?, h: Int,
                                      top: (Int) throws -> Void, corner: (Int) throws -> Void, whole: () throws -> Void) throws {
        func mirror(rows: Range<Int>, columns: Range<Int>) { mirrorBelow(c, n, rows, columns) }
        guard split ?? (splitPieces(m: n, n: n, k: k, threads: Parallel.threads) != nil), n > 1 else {
            try whole()
            mirror(rows: 0..<n, columns: 0..<n)
            return
        }
        // whole 16-row tiles for the mirror where the matrix is large enough
        let h = Swift.min(Swift.max(1, n >= 128 ? (h + 8) / 16 * 16 : h), n - 1)
        var failure: Error?
        BLASThreads.single {
            Parallel.forRanges(2, grain: 1) { r in
                for piece in r {
                    do {
                        if piece == 0 {
                            // (its rows are whole: its own block's lower part is mirrored too, so C is exactly symmetric)
                            try top(h)
                            mirror(rows: 0..<n, columns: 0..<h)
                        } else {
                            try corner(h)
                            mirror(rows: h..<n, columns: h..<n)
                        }
                    } catch { failure = error }
                }
            }
        }
        if let failure { throw failure }
    }

    /// C[i][j] = C[j][i] for i in `rows`, j in `columns`, j < i: f32 by
    /// CKernels' tiles transposed in registers (element by element a row
    /// below reads a column above, ~4 cycles an element).
    private static func mirrorBelow(_ c: Tensor, _ n: Int, _ rows: Range<Int>, _ columns: Range<Int>) {
        if c.dtype == .f32 {
            optlab_mirror_below_f32(c.ptr(Float.self), n, rows.lowerBound, rows.upperBound, columns.lowerBound, columns.upperBound)
            return
        }
        let p = c.ptr(Double.self)
        for i in rows where i > columns.lowerBound {
            for j in columns.lowerBound..<Swift.min(columns.upperBound, i) { p[i * n + j] = p[j * n + i] }
        }
    }

    /// OPTLAB_GEMM_SPLIT=0 leaves every product's threading to OpenBLAS (for comparisons).
    static let splitting = ProcessInfo.processInfo.environment["OPTLAB_GEMM_SPLIT"] != "0"

    /// How many pieces to cut a product into, one single-threaded BLAS call
    /// per thread, or nil to leave the threading to OpenBLAS. A training
    /// step's products are medium-sized ([768, 512]·[512, 128]: a language
    /// model's batch of tokens by its widths), where OpenBLAS's own threads
    /// share the packing of B and wait on each other: two threads ran such a
    /// product only 1.2× faster than one, and whole row blocks, each packing
    /// its own B, 1.5× (the transformer's step went from 1.17× PyTorch's
    /// speed to 1.40–1.47× at 2 threads). Below OpenBLAS's own threshold for
    /// threading (2¹⁸ multiply-adds) a product stays on one thread; above
    /// 2²⁸ it is left to OpenBLAS, whose blocking of large products was not
    /// measured against this.
    static func splitPieces(m: Int, n: Int, k: Int, threads: Int) -> Int? {
        guard threads > 1, splitting else { return nil }
        let work = m * n * k
        guard work >= 1 << 18, work <= 1 << 28, Swift.max(m, n) >= 32 * threads else { return nil }
        return threads
    }
}
