import CKernels
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
        // U in a scratch buffer of the weights' dtype (torch's arithmetic), then the step clipped by its RMS
        let u = try Tensor(uninitialized: x.shape, dtype: x.dtype)
        func run<T: FloatElement>(_: T.Type) -> Double {
            let (gp, xp, up) = (g.ptr(T.self), x.ptr(T.self), u.ptr(T.self))
            var squares = 0.0
            if x.rank >= 2 {
                let (rows, cols) = (x.shape[x.rank - 2], x.shape[x.rank - 1])
                let (rv, cv) = (state[0].ptr(T.self), state[1].ptr(T.self))
                for b in 0..<(n / (rows * cols)) {
                    let base = gp + b * rows * cols, r0 = rv + b * rows, c0 = cv + b * cols
                    // row means of g² per row, and per range of rows its column sums (added in range order)
                    let pieces = Swift.max(1, Swift.min(Parallel.threads, rows * cols / (Optimizer.grain / 2)))
                    let colSums = UnsafeMutablePointer<Double>.allocate(capacity: cols * pieces)
                    defer { colSums.deallocate() }
                    colSums.initialize(repeating: 0, count: cols * pieces)
                    Parallel.forRanges(pieces, grain: 2) { pr in
                        for piece in pr {
                            let sums = colSums + piece * cols
                            for r in (rows * piece / pieces)..<(rows * (piece + 1) / pieces) {
                                var sum = 0.0
                                let row = base + r * cols
                                for c in 0..<cols { let v = Double(row[c]); sum += v * v; sums[c] += v * v }
                                let norm = sum.squareRoot()
                                r0[r] = T(lerp(Double(r0[r]), norm * norm / Double(cols), weight))
                            }
                        }
                    }
                    for c in 0..<cols {
                        var total = 0.0
                        for piece in 0..<pieces { total += colSums[piece * cols + c] }
                        let norm = total.squareRoot()
                        c0[c] = T(lerp(Double(c0[c]), norm * norm / Double(rows), weight))
                    }
                    var rowMean = 0.0
                    for r in 0..<rows { rowMean += Double(r0[r]) }
                    rowMean = Swift.max(rowMean / Double(rows), e1)
                    let (floor, mean) = (T(e1 * e1), T(rowMean))
                    squares += Parallel.sum(rows, grain: Swift.max(2, Optimizer.grain / Swift.max(cols, 1))) { rr in
                        var sum = 0.0
                        for r in rr {
                            let out = up + b * rows * cols + r * cols, row = base + r * cols
                            let rowVar = r0[r]
                            if T.self == Float.self {
                                // the same formula as a vector loop (bits equal, AdafactorKernelTests)
                                sum += optlab_adafactor_row_f32(UnsafeRawPointer(row).assumingMemoryBound(to: Float.self),
                                                                UnsafeRawPointer(c0).assumingMemoryBound(to: Float.self),
                                                                UnsafeMutableRawPointer(out).assumingMemoryBound(to: Float.self),
                                                                cols, Float(rowVar), Float(mean), Float(floor))
                                continue
                            }
                            for c in 0..<cols {
                                // (r·c)/mean, as torch's (row_var @ col_var).div_(mean)
                                let estimate = Swift.max(rowVar * c0[c] / mean, floor)
                                out[c] = 1 / estimate.squareRoot() * row[c]
                                sum += Double(out[c]) * Double(out[c])
                            }
                        }
                        return sum
                    }
                }
            } else {
                let vp = state[2].ptr(T.self)
                for i in 0..<n {
                    let gi = Double(gp[i])
                    vp[i] = T(lerp(Double(vp[i]), gi * gi, weight))
                    up[i] = 1 / Swift.max(vp[i], T(e1 * e1)).squareRoot() * gp[i]
                }
            }
            let sq = x.rank >= 2 ? squares : Parallel.sum(n, grain: Optimizer.grain) { r in sumOfSquares(UnsafePointer(up + r.lowerBound), r.count) }
            let scale = alpha / Swift.max(1, sq.squareRoot() / (Double(n).squareRoot() * d))
            let step = T(-scale)
            Parallel.forRanges(n, grain: Optimizer.grain) { r in for i in r { xp[i] = xp[i] + step * up[i] } }
            return sq * scale * scale
        }
        return x.dtype == .f32 ? run(Float.self) : run(Double.self)
    }

    /// Its relative step ρ_t = min(lr, 1/√t) (the step is ρ_t·max(eps2, RMS(x))).
    public func probes(_ x: Tensor, grad: Tensor?, state: [Tensor], lr: Double, t: Int) throws -> [String: Double] {
        ["relative_step": Swift.min(lr, 1 / Double(Swift.max(t, 1)).squareRoot())]
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
