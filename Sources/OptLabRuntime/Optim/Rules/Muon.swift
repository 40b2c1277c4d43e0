/// Muon (Jordan et al. 2024, github.com/KellerJordan/Muon), as torch.optim.Muon:
/// SGD momentum on a matrix whose update is orthogonalised, its singular
/// values pushed towards 1 by five steps of a quintic Newton–Schulz iteration:
/// ```
/// B = μ·B + (1−μ)·dx;  G = nesterov ? (1−μ)·dx + μ·B : B
/// X = G/max(‖G‖_F, eps) (transposed when taller than wide)
/// repeat ns_steps:  A = X·Xᵀ;  X = a·X + (b·A + c·A·A)·X     (a, b, c = 3.4445, −4.7750, 2.0315)
/// x −= lr·ratio·X,  ratio = √max(1, rows/cols) ("original"), 0.2·√max(rows, cols)
///      ("match_rms_adamw") or √(rows/cols) ("spectral_unclamped")
/// ```
/// The iteration runs in the parameter's dtype; torch's runs in bfloat16 (a
/// GPU speed choice). Weight decay is decoupled (x −= lr·λ·x, λ = 0.1 by
/// default). `flatten = true` takes a conv weight [o, c, kh, kw] as the
/// matrix [o, c·kh·kw], which torch's refuses.
public struct MuonRule: WholeTensorRule {
    public enum Adjustment: String, Sendable, CaseIterable { case original, matchRMSAdamW = "match_rms_adamw", spectralUnclamped = "spectral_unclamped" }
    public static let coefficients = (a: 3.4445, b: -4.7750, c: 2.0315)
    public let momentum: Double, nesterov: Bool, steps: Int, eps: Double, adjustment: Adjustment, flatten: Bool
    public var name: String { "Muon" }
    public var hyperparameters: [String: Double] {
        ["momentum": momentum, "nesterov": nesterov ? 1 : 0, "ns_steps": Double(steps), "eps": eps, "flatten": flatten ? 1 : 0]
    }
    public var stateNames: [String] { ["momentum_buffer"] }
    public func validate() throws {
        try require(momentum, "momentum", in: 0..<1)
        try require(Double(steps), "ns_steps", in: 1..<100)
        try require(eps, "eps", in: 0..<Double.infinity)
    }
    public func withMomentum(_ mu: Double) -> (any UpdateRule)? {
        MuonRule(momentum: mu, nesterov: nesterov, steps: steps, eps: eps, adjustment: adjustment, flatten: flatten)
    }

    public func accept(_ parameter: Tensor, name: String) throws {
        if parameter.rank == 2 || (flatten && parameter.rank > 2) { return }
        let hint = parameter.rank > 2
            ? "flatten = true takes it as a [\(parameter.shape[0]), \(parameter.count / Swift.max(parameter.shape[0], 1))] matrix"
            : "give Muon the 2-d weights (optim.Muon({model[1].weight, ...})) and the biases, norms and embeddings to a second optimizer such as AdamW"
        throw RuntimeError(.argument, self.name, "Muon orthogonalises matrices; parameter \(name) has shape \(describe(parameter.shape)): \(hint)")
    }

    /// The matrix's learning-rate ratio for its shape [rows, cols].
    func ratio(_ rows: Int, _ cols: Int) -> Double {
        let (a, b) = (Double(rows), Double(cols))
        switch adjustment {
        case .original: return Swift.max(1, a / b).squareRoot()
        case .matchRMSAdamW: return 0.2 * Swift.max(a, b).squareRoot()
        case .spectralUnclamped: return (a / b).squareRoot()
        }
    }

    /// torch's lerp of whole tensors: from the nearer end.
    static func lerp(_ a: Tensor, _ b: Tensor, _ w: Double) throws -> Tensor {
        Swift.abs(w) < 0.5 ? try a.add(b.sub(a).mul(w)) : try b.sub(b.sub(a).mul(1 - w))
    }

    /// The Newton–Schulz orthogonalisation of a matrix.
    func orthogonalise(_ g: Tensor) throws -> Tensor {
        try NewtonSchulz.orthogonalise(g, steps: steps, eps: eps, coefficients: MuonRule.coefficients)
    }

    public func update(_ x: Tensor, _ g: Tensor, _ state: [Tensor], lr: Double, t: Int, weightDecay: Double) throws -> Double {
        let rows = x.shape[0], cols = x.count / Swift.max(rows, 1)
        let buffer = state[0]
        // B = lerp(B, dx, 1−μ), then Nesterov's lerp(dx, B, μ), both as torch's lerp rounds
        let direction = try Tensor(uninitialized: [rows, cols], dtype: x.dtype)
        if x.dtype == .f32 {
            Self.momentumStep(buffer.ptr(Float.self), g.ptr(Float.self), direction.ptr(Float.self), x.count, Float(1 - momentum), Float(momentum), nesterov)
        } else {
            Self.momentumStep(buffer.ptr(Double.self), g.ptr(Double.self), direction.ptr(Double.self), x.count, 1 - momentum, momentum, nesterov)
        }
        let o = try NewtonSchulz.orthogonalise(direction, steps: steps, eps: eps, coefficients: MuonRule.coefficients, reusing: true)
        let scale = lr * ratio(rows, cols)
        // (Σx² is left to the optimizer's one pass over the updated weights)
        func descend<T: FloatElement>(_ p: UnsafeMutablePointer<T>, _ u: UnsafePointer<T>) -> Double {
            let s = T(scale)
            return Parallel.sum(x.count, grain: Optimizer.grain) { r in
                var sum = 0.0
                for i in r { let step = u[i] * s; p[i] = p[i] - step; sum += Double(step) * Double(step) }
                return sum
            }
        }
        return x.dtype == .f32 ? descend(x.ptr(Float.self), o.ptr(Float.self)) : descend(x.ptr(Double.self), o.ptr(Double.self))
    }

    /// B = lerp(B, g, w = 1−μ) in place, and the step's direction: B, or
    /// lerp(g, B, μ) for Nesterov's (the weights rounded from f64 as torch's),
    /// across the threads (each lerp's end, the nearer, chosen once for all).
    static func momentumStep<T: FloatElement>(_ b: UnsafeMutablePointer<T>, _ g: UnsafePointer<T>, _ d: UnsafeMutablePointer<T>,
                                             _ n: Int, _ w: T, _ mu: T, _ nesterov: Bool) {
        let (nearW, nearMu) = (Swift.abs(w) < 0.5, Swift.abs(mu) < 0.5)
        let (w1, mu1) = (1 - w, 1 - mu)
        Parallel.forRanges(n, grain: Optimizer.grain) { r in
            for i in r {
                let (bi, gi) = (b[i], g[i])
                let nb = nearW ? bi + (gi - bi) * w : gi - (gi - bi) * w1
                b[i] = nb
                d[i] = !nesterov ? nb : (nearMu ? gi + (nb - gi) * mu : nb - (nb - gi) * mu1)
            }
        }
    }

    /// How far the step's matrix is from orthogonal: ‖O·Oᵀ − I‖_F/√k over the
    /// shorter side k, for O the Newton–Schulz output of the last step's
    /// direction (its momentum buffer, mixed with the gradient when Nesterov's
    /// and the gradient is still there). The quintic iteration is built to
    /// leave singular values near 1, not at 1: 0.1–0.3 is its usual range.
    public func probes(_ x: Tensor, grad: Tensor?, state: [Tensor], lr: Double, t: Int) throws -> [String: Double] {
        let rows = x.shape[0], cols = x.count / Swift.max(rows, 1)
        let direction = nesterov && grad != nil ? try Self.lerp(try grad!.to(x.dtype), state[0], momentum) : state[0]
        var o = try orthogonalise(direction.reshape([rows, cols]))
        if rows > cols { o = try o.t() }
        let k = Swift.min(rows, cols)
        let residual = try o.matmul(o.t()).sub(Tensor.eye(k, dtype: x.dtype)).norm().item()
        return ["orthogonality_residual": residual / Double(k).squareRoot()]
    }

    public static let kind = UpdateRuleKind("Muon", signature: "optim.Muon(params, {lr=1e-3, momentum=0.95, nesterov=true, ns_steps=5, eps=1e-7, adjust_lr=\"original\", flatten=false, weight_decay=0.1})", help: """
        Muon (Jordan et al. 2024; github.com/KellerJordan/Muon), torch.optim.Muon: momentum
        SGD whose update matrix is orthogonalised by ns_steps of a quintic Newton–Schulz
        iteration (a, b, c = 3.4445, −4.7750, 2.0315), scaled by adjust_lr: "original"
        √max(1, rows/cols), "match_rms_adamw" 0.2·√max(rows, cols), "spectral_unclamped"
        √(rows/cols). For 2-d weights only (flatten = true takes conv weights as
        [out, in·kh·kw]); give biases, norms and embeddings to AdamW. Runs in the weights'
        dtype (torch: bfloat16). Weight decay is decoupled.
          local opt = optim.Muon({model[1].weight, model[3].weight}, {lr = 0.02})
        """, options: [.init("momentum", .number, default: 0.95, range: .halfOpen(0, 1)), .init("nesterov", .flag, default: 1),
                       .init("ns_steps", .size, default: 5), .init("eps", .number, default: 1e-7, range: .nonNegative),
                       .init("adjust_lr", .choice(Adjustment.allCases.map(\.rawValue))), .init("flatten", .flag, default: 0)],
        defaultLearningRate: 1e-3, decoupledWeightDecay: true, defaultWeightDecay: 0.1) { a in
        let name = a.choice("adjust_lr", default: "original")
        guard let adjustment = Adjustment(rawValue: name) else {
            throw RuntimeError(.argument, "optim.Muon", "adjust_lr must be original, match_rms_adamw or spectral_unclamped, got '\(name)'")
        }
        return MuonRule(momentum: a.number("momentum", default: 0.95), nesterov: a.flag("nesterov", default: true),
                        steps: try a.size("ns_steps", default: 5), eps: a.number("eps", default: 1e-7), adjustment: adjustment,
                        flatten: a.flag("flatten", default: false))
    }
}
