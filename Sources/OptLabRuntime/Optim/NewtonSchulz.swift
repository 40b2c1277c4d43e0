/// Muon's quintic Newton–Schulz iteration on one matrix, torch's
/// `_zeropower_via_newtonschulz`: X = G/max(‖G‖_F, eps) taken wide (r ≤ s),
/// then `steps` times A = X·Xᵀ, X = a·X + (b·A + c·A·A)·X.
///
/// Every iterate is X_k = P_k·X_0 with P_k a polynomial in A_0 = X_0·X_0ᵀ, so
/// the iteration can also run on r×r matrices alone ("Gram space"):
/// H_k = a·I + b·A_k + c·A_k², P_{k+1} = H_k·P_k, A_{k+1} = H_k²·A_k (H_k
/// and A_k commute), and X = P·X_0 once at the end. That is the same
/// polynomial (equal in exact arithmetic: in f64 the two ways agree to
/// 1e-12) for about a third fewer multiply-adds when the matrix is wide
/// (256×784: 290M instead of 430M); square ones take the direct way. The
/// price is in f32: A holds the squares of the singular values, so the
/// small ones keep fewer bits, and a low-rank gradient's update is off by
/// ~2e-4 (entries ~0.1) against the direct way's ~4e-6 — still far inside
/// torch's, which runs the iteration in bfloat16 (off by 0.12 on the
/// same test matrix). Either way the products are BLAS calls into buffers, the symmetric
/// ones (A·Aᵀ, A², H²) by SYRK at half a product's work, and the sums are
/// BLAS's beta rather than passes of their own.
enum NewtonSchulz {
    typealias Coefficients = (a: Double, b: Double, c: Double)

    static func orthogonalise(_ g: Tensor, steps: Int, eps: Double, coefficients: Coefficients) throws -> Tensor {
        guard g.rank == 2 else { throw RuntimeError(.shape, "Muon", "the orthogonalisation takes a matrix, got shape \(describe(g.shape))") }
        let tall = g.shape[0] > g.shape[1]
        let x = tall ? try g.t() : try g.clone()
        let (r, s) = (x.shape[0], x.shape[1])
        divide(x, by: Swift.max(try x.norm().item(), eps))
        let out = gramIsCheaper(r, s, steps: steps)
            ? try inGramSpace(x, r, s, steps: steps, coefficients)
            : try direct(x, r, s, steps: steps, coefficients)
        return tall ? try out.t() : out
    }

    /// Multiply-adds of each way (SYRK counted at half a product).
    static func gramIsCheaper(_ r: Int, _ s: Int, steps: Int) -> Bool {
        let (r3, r2s) = (Double(r * r * r), Double(r * r * s))
        let direct = Double(steps) * (1.5 * r2s + 0.5 * r3)
        let gram = 1.5 * r2s + 2 * r3 + Double(Swift.max(steps - 2, 0)) * 3 * r3 + 1.5 * r3
        return steps >= 2 && gram < 0.9 * direct
    }

    static func direct(_ x0: Tensor, _ r: Int, _ s: Int, steps: Int, _ k: Coefficients) throws -> Tensor {
        var x = x0
        let gram = try Tensor(uninitialized: [r, r], dtype: x.dtype)
        let poly = try Tensor(uninitialized: [r, r], dtype: x.dtype)
        var next = try Tensor(uninitialized: [r, s], dtype: x.dtype)
        for _ in 0..<steps {
            try Tensor.syrk(x, into: gram, n: r, k: s)
            try poly.copy(from: gram)
            try Tensor.syrk(gram, into: poly, n: r, k: r, alpha: k.c, beta: k.b)
            try next.copy(from: x)
            try Tensor.gemm(poly, false, x, false, into: next, m: r, n: s, k: r, beta: k.a)
            swap(&x, &next)
        }
        return x
    }

    static func inGramSpace(_ x0: Tensor, _ r: Int, _ s: Int, steps: Int, _ k: Coefficients) throws -> Tensor {
        let dtype = x0.dtype
        func matrix() throws -> Tensor { try Tensor(uninitialized: [r, r], dtype: dtype) }
        var a = try matrix(), next = try matrix()
        let poly = try matrix(), h2 = try matrix()
        try Tensor.syrk(x0, into: a, n: r, k: s)
        var p: Tensor? = nil
        for step in 0..<steps {
            // B = b·A + c·A², as the direct way's; H = a·I + B
            try poly.copy(from: a)
            try Tensor.syrk(a, into: poly, n: r, k: r, alpha: k.c, beta: k.b)
            if let q = p {
                let product = try q.clone()
                try Tensor.gemm(poly, false, q, false, into: product, m: r, n: r, k: r, beta: k.a)
                p = product
            } else {
                let h = try poly.clone()
                addToDiagonal(h, k.a, r)
                p = h
            }
            guard step < steps - 1 else { break }
            let h = try poly.clone()
            addToDiagonal(h, k.a, r)
            try Tensor.syrk(h, into: h2, n: r, k: r)
            try Tensor.gemm(h2, false, a, false, into: next, m: r, n: r, k: r)
            swap(&a, &next)
        }
        let out = try Tensor(uninitialized: [r, s], dtype: dtype)
        try Tensor.gemm(p!, false, x0, false, into: out, m: r, n: s, k: r)
        return out
    }

    private static func addToDiagonal(_ m: Tensor, _ v: Double, _ n: Int) {
        if m.dtype == .f32 {
            let p = m.ptr(Float.self), f = Float(v)
            for i in 0..<n { p[i * n + i] += f }
        } else {
            let p = m.ptr(Double.self)
            for i in 0..<n { p[i * n + i] += v }
        }
    }

    /// x / d element by element (torch divides; a multiply by 1/d rounds otherwise).
    private static func divide(_ x: Tensor, by d: Double) {
        if x.dtype == .f32 {
            let p = x.ptr(Float.self), f = Float(d)
            for i in 0..<x.count { p[i] /= f }
        } else {
            let p = x.ptr(Double.self)
            for i in 0..<x.count { p[i] /= d }
        }
    }
}
