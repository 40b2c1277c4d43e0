/// Muon's quintic Newton–Schulz iteration on one matrix, torch's
/// `_zeropower_via_newtonschulz`: X = G/max(‖G‖_F, eps) taken wide (r ≤ s),
/// then `steps` times A = X·Xᵀ, X = a·X + (b·A + c·A·A)·X.
///
/// Every iterate is X_k = P_k·X_0 with P_k a polynomial in A_0 = X_0·X_0ᵀ, so
/// the iteration can also run on r×r matrices alone ("Gram space"):
/// H_k = a·I + b·A_k + c·A_k², P_{k+1} = H_k·P_k, A_{k+1} = H_k²·A_k, and
/// X = P·X_0 once at the end. That is the same polynomial (equal in exact
/// arithmetic: in f64 the two ways agree to 1e-12). Every matrix in it is a
/// polynomial in A_0, so all are symmetric and commute, and each product is
/// symmetric: only its upper triangle is computed (SYRK for the squares,
/// `Tensor.symmetricProduct` for H·P and H²·A), at about half a product's
/// work. A wide matrix (256×784) then takes 220M multiply-adds instead of
/// the direct way's 430M; square ones take the direct way. The price is in
/// f32: A holds the squares of the singular values, so the small ones keep
/// fewer bits, and a low-rank gradient's update is off by ~2e-4 (entries
/// ~0.1) against the direct way's ~4e-6 — still far inside torch's, which
/// runs the iteration in bfloat16 (off by 0.12 on the same test matrix).
/// Either way the products are BLAS calls into buffers and the sums are
/// BLAS's beta rather than passes of their own.
enum NewtonSchulz {
    typealias Coefficients = (a: Double, b: Double, c: Double)

    /// `reusing`: g is the caller's scratch, free to become the iteration's X
    /// (a wide matrix is then not copied first).
    static func orthogonalise(_ g: Tensor, steps: Int, eps: Double, coefficients: Coefficients, reusing: Bool = false) throws -> Tensor {
        guard g.rank == 2 else { throw RuntimeError(.shape, "Muon", "the orthogonalisation takes a matrix, got shape \(describe(g.shape))") }
        let tall = g.shape[0] > g.shape[1]
        let x = tall ? try g.t() : reusing ? g : try g.clone()
        let (r, s) = (x.shape[0], x.shape[1])
        divide(x, by: Swift.max(try x.norm().item(), eps))
        let out = gramIsCheaper(r, s, steps: steps)
            ? try inGramSpace(x, r, s, steps: steps, coefficients)
            : try direct(x, r, s, steps: steps, coefficients)
        return tall ? try out.t() : out
    }

    /// Multiply-adds of each way (SYRK and a symmetric product counted at half a product).
    static func gramIsCheaper(_ r: Int, _ s: Int, steps: Int) -> Bool {
        let (r3, r2s) = (Double(r * r * r), Double(r * r * s))
        let direct = Double(steps) * (1.5 * r2s + 0.5 * r3)
        // X·Xᵀ and P·X; the first step's A², H², H²·A; each middle step's four; the last's A² and H·P
        let gram = 1.5 * r2s + 1.5 * r3 + Double(Swift.max(steps - 2, 0)) * 2 * r3 + r3
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
        var a = try matrix(), next = try matrix(), p = try matrix(), pNext = try matrix()
        let h = try matrix(), h2 = try matrix()
        try Tensor.syrk(x0, into: a, n: r, k: s)
        for step in 0..<steps {
            // H = a·I + b·A + c·A² (the direct way's B = b·A + c·A², plus a·I); P₁ = H₀
            let hk = step == 0 ? p : h
            try hk.copy(from: a)
            try Tensor.syrk(a, into: hk, n: r, k: r, alpha: k.c, beta: k.b)
            addToDiagonal(hk, k.a, r)
            if step > 0 {
                try Tensor.symmetricProduct(hk, p, into: pNext, n: r)
                swap(&p, &pNext)
            }
            guard step < steps - 1 else { break }
            try Tensor.syrk(hk, into: h2, n: r, k: r)
            try Tensor.symmetricProduct(h2, a, into: next, n: r)
            swap(&a, &next)
        }
        let out = try Tensor(uninitialized: [r, s], dtype: dtype)
        try Tensor.gemm(p, false, x0, false, into: out, m: r, n: s, k: r)
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
        func divide<T: FloatElement>(_ p: UnsafeMutablePointer<T>, _ d: T) {
            Parallel.forRanges(x.count, grain: Optimizer.grain) { r in for i in r { p[i] /= d } }
        }
        if x.dtype == .f32 { divide(x.ptr(Float.self), Float(d)) } else { divide(x.ptr(Double.self), d) }
    }
}
