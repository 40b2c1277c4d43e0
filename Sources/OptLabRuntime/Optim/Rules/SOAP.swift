import Foundation

/// SOAP (Vyas et al. 2024, "SOAP: Improving and Stabilizing Shampoo using
/// Adam", arXiv:2409.11321; the authors' github.com/nikhilvyas/SOAP soap.py):
/// Adam run in the eigenbasis of Shampoo's preconditioner. Each dimension k
/// of a parameter (up to `max_precond_dim` long) keeps L_k, a moving average
/// of the gradient's mode-k Gram matrix, and Q_k, its eigenvectors:
/// ```
/// G' = G ×_k Q_kᵀ (every k);  m = β1·m + (1−β1)·G';  v = β2·v + (1−β2)·G'²
/// x −= lr·√(1−β2^t)/(1−β1^t) · (m/(√v + eps)) ×_k Q_k;  x −= lr·λ·x
/// L_k = lerp(L_k, G_(k)·G_(k)ᵀ, 1 − shampoo_beta)
/// every precondition_frequency steps: Q_k = QR(L_k·Q_k) (one power step; v's
/// entries follow their eigenvalues' new order), m carried into the new basis
/// ```
/// As the reference: the first call only starts L and Q (Q from L's
/// eigendecomposition, eigenvalues descending) and takes no step, so t
/// counts from the second; m lives in the current basis between steps;
/// `merge_dims` merges adjacent dimensions while their product stays within
/// `max_precond_dim`; 1-d parameters are plain Adam unless `precondition_1d`;
/// `normalize_grads` scales each step to RMS 1. Weight decay is decoupled,
/// after the step.
public struct SOAPRule: WholeTensorRule {
    public let beta1: Double, beta2: Double, shampooBeta: Double?, eps: Double
    public let frequency: Int, maxDimension: Int
    public let mergeDimensions: Bool, precondition1D: Bool, normalizeGradients: Bool, correctBias: Bool
    public var name: String { "SOAP" }
    public var hyperparameters: [String: Double] {
        var h = ["beta1": beta1, "beta2": beta2, "eps": eps, "precondition_frequency": Double(frequency),
                 "max_precond_dim": Double(maxDimension), "merge_dims": mergeDimensions ? 1 : 0,
                 "precondition_1d": precondition1D ? 1 : 0, "normalize_grads": normalizeGradients ? 1 : 0,
                 "correct_bias": correctBias ? 1 : 0]
        if let shampooBeta { h["shampoo_beta"] = shampooBeta }
        return h
    }
    /// `preconditioner` and `basis` pack each preconditioned dimension's d×d
    /// matrix one after another; `calls` counts the updates (the first starts them).
    public var stateNames: [String] { ["exp_avg", "exp_avg_sq", "preconditioner", "basis", "calls"] }
    public var decaysWeightsItself: Bool { true }

    public func validate() throws {
        try requireMoments(beta1: beta1, beta2: beta2, eps: eps)
        if let shampooBeta { try require(shampooBeta, "shampoo_beta", in: 0..<1) }
        try require(Double(frequency), "precondition_frequency", in: 1..<1e9)
        try require(Double(maxDimension), "max_precond_dim", in: 1..<1e9)
    }

    /// The dimensions the statistics see: the parameter's, or merged.
    func workingShape(_ shape: [Int]) -> [Int] {
        guard mergeDimensions, shape.count > 1 else { return shape }
        var merged: [Int] = [], current = 1
        for d in shape {
            if current * d > maxDimension {
                if current > 1 { merged.append(current); current = d } else { merged.append(d); current = 1 }
            } else {
                current *= d
            }
        }
        if current > 1 || merged.isEmpty { merged.append(current) }
        return merged
    }

    /// Each preconditioned dimension of the working shape and where its
    /// matrices start in the packed state.
    func blocks(_ shape: [Int]) -> [(dim: Int, size: Int, offset: Int)] {
        let work = workingShape(shape)
        var out: [(dim: Int, size: Int, offset: Int)] = [], offset = 0
        for (k, d) in work.enumerated() where d <= maxDimension && (shape.count != 1 || precondition1D) {
            out.append((k, d, offset))
            offset += d * d
        }
        return out
    }

    public func stateShapes(for shape: [Int]) -> [[Int]] {
        let packed = blocks(shape).reduce(0) { $0 + $1.size * $1.size }
        return [shape, shape, [packed], [packed], [1]]
    }

    /// The block's d×d matrix, sharing the packed tensor's storage.
    private func matrix(_ packed: Tensor, _ b: (dim: Int, size: Int, offset: Int)) -> Tensor {
        Tensor(shape: [b.size, b.size], dtype: packed.dtype, storage: packed.storage, offset: packed.offset + b.offset)
    }

    /// t ×_k M along dimension k: Σ_i t[…i…]·M[i, j] (`back`: M[j, i]).
    private func modeProduct(_ t: Tensor, _ m: Tensor, dim k: Int, back: Bool) throws -> Tensor {
        let rank = t.rank, d = t.shape[k]
        let order = (0..<rank).filter { $0 != k } + [k]
        let moved = try t.permute(order)
        let product = try moved.reshape([-1, d]).matmul(back ? m.t() : m).reshape(moved.shape)
        var inverse = [Int](repeating: 0, count: rank)
        for (i, o) in order.enumerated() { inverse[o] = i }
        return try product.permute(inverse)
    }

    /// Into the eigenbases (G ×_k Q_k over the preconditioned k), or back.
    private func project(_ t: Tensor, _ basis: Tensor, _ blocks: [(dim: Int, size: Int, offset: Int)], back: Bool = false) throws -> Tensor {
        var out = t
        for b in blocks { out = try modeProduct(out, matrix(basis, b), dim: b.dim, back: back) }
        return out
    }

    /// L_k = lerp(L_k, G_(k)·G_(k)ᵀ, 1 − shampoo_beta) for each block.
    private func accumulate(_ g: Tensor, _ preconditioner: Tensor, _ blocks: [(dim: Int, size: Int, offset: Int)]) throws {
        let w = 1 - (shampooBeta ?? beta2)
        for b in blocks {
            let order = [b.dim] + (0..<g.rank).filter { $0 != b.dim }
            let unfolded = try g.permute(order).reshape([b.size, -1])
            let outer = try unfolded.matmul(unfolded.t())
            let l = matrix(preconditioner, b)
            try l.copy(from: MuonRule.lerp(l, outer, w))
        }
    }

    /// Q_k from L_k's eigenvectors, eigenvalues descending (the first call's basis).
    private func eigenbases(_ preconditioner: Tensor, _ basis: Tensor, _ blocks: [(dim: Int, size: Int, offset: Int)]) throws {
        for b in blocks {
            let l = matrix(preconditioner, b)
            let (_, vectors) = try l.add(Tensor.eye(b.size, dtype: l.dtype).mul(1e-30)).symmetricEigen()
            let descending = try Tensor(int32: (0..<b.size).reversed().map { Int32($0) })
            try matrix(basis, b).copy(from: vectors.indexSelect(dim: 1, descending))
        }
    }

    /// One power-iteration step per basis, Q_k = QR(L_k·Q_k), with Q_k's
    /// columns (and v's entries along k) first put in the order of their
    /// estimated eigenvalues diag(Q_kᵀ·L_k·Q_k), largest first.
    private func refresh(_ preconditioner: Tensor, _ basis: Tensor, _ v: Tensor, _ blocks: [(dim: Int, size: Int, offset: Int)]) throws {
        var second = v
        for b in blocks {
            let (l, q) = (matrix(preconditioner, b), matrix(basis, b))
            let lq = try l.matmul(q)
            let estimate = try q.mul(lq).sum(dim: 0).toDoubles()
            let order = estimate.indices.sorted { estimate[$0] > estimate[$1] }
            let index = try Tensor(int32: order.map { Int32($0) })
            second = try second.indexSelect(dim: b.dim, index)
            let sorted = try q.indexSelect(dim: 1, index)
            try q.copy(from: l.matmul(sorted).qr().q)
        }
        try v.copy(from: second)
    }

    public func update(_ x: Tensor, _ g: Tensor, _ state: [Tensor], lr: Double, t: Int, weightDecay: Double) throws -> Double {
        let (preconditioner, basis, counter) = (state[2], state[3], state[4])
        let work = workingShape(x.shape), blocks = blocks(x.shape)
        let gw = try g.reshape(work)
        let m = try state[0].reshape(work), v = try state[1].reshape(work)
        let calls = Int(counter.element(0)) + 1
        counter.setElement(0, Double(calls))
        if calls == 1 {
            try accumulate(gw, preconditioner, blocks)
            try eigenbases(preconditioner, basis, blocks)
            return 0
        }
        let step = calls - 1
        let projected = try project(gw, basis, blocks)
        try m.copy(from: m.mul(beta1).add(projected.mul(1 - beta1)))
        try v.copy(from: v.mul(beta2).add(projected.mul(projected).mul(1 - beta2)))
        var size = lr
        if correctBias {
            size *= (1 - Foundation.pow(beta2, Double(step))).squareRoot() / (1 - Foundation.pow(beta1, Double(step)))
        }
        var direction = try project(m.div(v.sqrt().add(eps)), basis, blocks, back: true)
        if normalizeGradients {
            direction = try direction.div(direction.mul(direction).mean().item().squareRoot() + 1e-30)
        }
        let u = try direction.mul(size).reshape(x.shape)
        try x.copy(from: x.sub(u))
        if weightDecay > 0 { try x.copy(from: x.add(x.mul(-lr * weightDecay))) }
        // the statistics take this gradient after the step; m follows the basis
        try m.copy(from: project(m, basis, blocks, back: true))
        try accumulate(gw, preconditioner, blocks)
        if step % frequency == 0 { try refresh(preconditioner, basis, v, blocks) }
        try m.copy(from: project(m, basis, blocks))
        let s = try u.norm().item()
        return s * s
    }

    public static let kind = UpdateRuleKind("SOAP", signature: "optim.SOAP(params, {lr=3e-3, beta1=0.95, beta2=0.95, shampoo_beta=beta2, eps=1e-8, precondition_frequency=10, max_precond_dim=10000, merge_dims=false, precondition_1d=false, normalize_grads=false, correct_bias=true, weight_decay=0.01})", help: """
        SOAP (Vyas et al. 2024, arXiv:2409.11321; reference github.com/nikhilvyas/SOAP soap.py):
        Adam in the eigenbasis of Shampoo's preconditioner. Per dimension k (≤ max_precond_dim)
        L_k averages the gradient's mode-k Gram matrix (rate 1 − shampoo_beta) and Q_k is its
        eigenbasis, refreshed every precondition_frequency steps by one power step and a QR;
        m, v are Adam's moments of G ×_k Q_kᵀ and the step is projected back. The first step
        only starts L and Q. 1-d parameters are plain Adam unless precondition_1d; merge_dims
        merges dimensions (conv weights) up to max_precond_dim. Weight decay is decoupled.
          local opt = optim.SOAP(model, {lr = 3e-3, weight_decay = 0.01})
        """, options: [.init("beta1", .number, default: 0.95, range: .halfOpen(0, 1)), .init("beta2", .number, default: 0.95, range: .halfOpen(0, 1)),
                       .init("shampoo_beta", .number, range: .halfOpen(0, 1)), .init("eps", .number, default: 1e-8, range: .nonNegative),
                       .init("precondition_frequency", .size, default: 10), .init("max_precond_dim", .size, default: 10000),
                       .init("merge_dims", .flag, default: 0), .init("precondition_1d", .flag, default: 0),
                       .init("normalize_grads", .flag, default: 0), .init("correct_bias", .flag, default: 1)],
        defaultLearningRate: 3e-3, decoupledWeightDecay: true, defaultWeightDecay: 0.01) { a in
        // the reference's shampoo_beta = −1 means "beta2"
        let shampoo = a.numbers["shampoo_beta"].flatMap { $0 < 0 ? nil : $0 }
        return SOAPRule(beta1: a.number("beta1", default: 0.95), beta2: a.number("beta2", default: 0.95), shampooBeta: shampoo,
                        eps: a.number("eps", default: 1e-8), frequency: try a.size("precondition_frequency", default: 10),
                        maxDimension: try a.size("max_precond_dim", default: 10000), mergeDimensions: a.flag("merge_dims", default: false),
                        precondition1D: a.flag("precondition_1d", default: false), normalizeGradients: a.flag("normalize_grads", default: false),
                        correctBias: a.flag("correct_bias", default: true))
    }
}
