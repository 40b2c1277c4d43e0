import Foundation

/// Adafactor (Shazeer & Stern 2018), as torch.optim.Adafactor: for a matrix
/// (or a stack of them, the last two dims) the second moment is the outer
/// product of its row and column means, so the state is R + C numbers, not
/// R·C; a vector keeps the full one. No first moment. The step size is
/// relative to the weights' RMS:
/// ```
/// β̂2_t = 1 − t^beta2_decay;  r = β̂2·r + (1−β̂2)·mean_cols(dx²);  c likewise over rows
/// V̂ = r·cᵀ / max(mean(r), eps1);  U = dx/√max(V̂, eps1²)
/// α = max(eps2, RMS(x))·min(lr, 1/√t);  x −= α/max(1, RMS(U)/d) · U
/// ```
/// Weight decay is decoupled (x −= lr·λ·x) after α is taken, as torch's.
public struct AdafactorRule: WholeTensorRule {
    public let beta2Decay: Double, eps1: Double?, eps2: Double, d: Double
    public var name: String { "Adafactor" }
    public var hyperparameters: [String: Double] {
        var h = ["beta2_decay": beta2Decay, "eps2": eps2, "d": d]
        if let eps1 { h["eps1"] = eps1 }
        return h
    }
    public var stateNames: [String] { ["row_var", "col_var", "variance"] }
    public var decaysWeightsItself: Bool { true }
    public func validate() throws {
        try require(-beta2Decay, "−beta2_decay (beta2_decay ≤ 0)", in: 0..<Double.infinity)
        if let eps1 { try require(eps1, "eps1", in: 0..<Double.infinity) }
        try require(eps2, "eps2", in: 0..<Double.infinity)
        try require(d, "d", in: 1..<Double.infinity)
    }

    /// Rows and columns of a ≥ 2-d parameter (the leading dims a batch): row_var [..., R, 1], col_var [..., 1, C].
    public func stateShapes(for shape: [Int]) -> [[Int]] {
        guard shape.count >= 2 else { return [[0], [0], shape] }
        let lead = Array(shape.dropLast(2)), (r, c) = (shape[shape.count - 2], shape[shape.count - 1])
        return [lead + [r, 1], lead + [1, c], [0]]
    }

    public func update(_ x: Tensor, _ g: Tensor, _ state: [Tensor], lr: Double, t: Int, weightDecay: Double) throws -> Double {
        let n = x.count
        guard n > 0 else { return 0 }
        let e1 = eps1 ?? (x.dtype == .f32 ? Double(Float.ulpOfOne) : Double.ulpOfOne)
        let weight = Foundation.pow(Double(t), beta2Decay)
        let rho = Swift.min(lr, 1 / Double(t).squareRoot())
        let rms = try x.norm().item() / Double(n).squareRoot()
        let alpha = Swift.max(eps2, rms) * rho
        if weightDecay > 0 { x.scaleInPlace(1 - lr * weightDecay) }
        // U in a scratch buffer, then the step clipped by its RMS
        let u = try Tensor(uninitialized: x.shape, dtype: .f64)
        let up = u.ptr(Double.self)
        func read(_ p: Tensor) -> (Int) -> Double {
            p.dtype == .f32 ? { [q = p.ptr(Float.self)] in Double(q[$0]) } : { [q = p.ptr(Double.self)] in q[$0] }
        }
        func write(_ p: Tensor) -> (Int, Double) -> Void {
            p.dtype == .f32 ? { [q = p.ptr(Float.self)] in q[$0] = Float($1) } : { [q = p.ptr(Double.self)] in q[$0] = $1 }
        }
        let grad = read(g)
        if x.rank >= 2 {
            let (rows, cols) = (x.shape[x.rank - 2], x.shape[x.rank - 1])
            let batches = n / (rows * cols)
            let (rGet, rSet, cGet, cSet) = (read(state[0]), write(state[0]), read(state[1]), write(state[1]))
            for b in 0..<batches {
                let base = b * rows * cols
                for r in 0..<rows {
                    var s = 0.0
                    for c in 0..<cols { let v = grad(base + r * cols + c); s += v * v }
                    let k = b * rows + r, norm = s.squareRoot()
                    rSet(k, lerp(rGet(k), norm * norm / Double(cols), weight))
                }
                for c in 0..<cols {
                    var s = 0.0
                    for r in 0..<rows { let v = grad(base + r * cols + c); s += v * v }
                    let k = b * cols + c, norm = s.squareRoot()
                    cSet(k, lerp(cGet(k), norm * norm / Double(rows), weight))
                }
                var rowMean = 0.0
                for r in 0..<rows { rowMean += rGet(b * rows + r) }
                rowMean = Swift.max(rowMean / Double(rows), e1)
                for r in 0..<rows {
                    for c in 0..<cols {
                        let i = base + r * cols + c
                        let estimate = Swift.max(rGet(b * rows + r) * cGet(b * cols + c) / rowMean, e1 * e1)
                        up[i] = 1 / estimate.squareRoot() * grad(i)
                    }
                }
            }
        } else {
            let (vGet, vSet) = (read(state[2]), write(state[2]))
            for i in 0..<n {
                let gi = grad(i)
                vSet(i, lerp(vGet(i), gi * gi, weight))
                up[i] = 1 / Swift.max(vGet(i), e1 * e1).squareRoot() * gi
            }
        }
        var sq = 0.0
        for i in 0..<n { sq += up[i] * up[i] }
        let scale = alpha / Swift.max(1, sq.squareRoot() / (Double(n).squareRoot() * d))
        let (xGet, xSet) = (read(x), write(x))
        for i in 0..<n { xSet(i, xGet(i) + -scale * up[i]) }
        return sq * scale * scale
    }

    public static let kind = UpdateRuleKind("Adafactor", signature: "optim.Adafactor(params, {lr=1e-2, beta2_decay=-0.8, eps1=<dtype eps>, eps2=1e-3, d=1, weight_decay=0})", help: """
        Adafactor (Shazeer & Stern 2018), torch.optim.Adafactor: a matrix's second moment
        factored into row and column means (R + C numbers of state), no first moment,
        β̂2 = 1 − t^beta2_decay, U = dx/√V̂ clipped to RMS d, step α = max(eps2, RMS(x))·min(lr, 1/√t).
        eps1 defaults to the dtype's machine epsilon. Weight decay is decoupled.
          local opt = optim.Adafactor(model, {lr = 1e-2})
        """, options: [.init("beta2_decay", .number, default: -0.8, range: AllowedRange(-.infinity, 0)),
                       .init("eps1", .number, range: .nonNegative), .init("eps2", .number, default: 1e-3, range: .nonNegative),
                       .init("d", .number, default: 1, range: AllowedRange(1, .infinity))],
        defaultLearningRate: 1e-2, decoupledWeightDecay: true) { a in
        AdafactorRule(beta2Decay: a.number("beta2_decay", default: -0.8), eps1: a.numbers["eps1"], eps2: a.number("eps2", default: 1e-3),
                      d: a.number("d", default: 1))
    }
}
