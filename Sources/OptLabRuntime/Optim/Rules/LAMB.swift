import Foundation

/// LAMB (You et al. 2020, "Large Batch Optimization for Deep Learning",
/// Algorithm 2), as optax.lamb composes it (optax/_src/alias.py: Adam's
/// scaling, then the decayed weights, then the trust ratio): each tensor's
/// Adam step, plus λ·x, rescaled so its norm is the weights' norm times lr.
/// ```
/// m = b1·m + (1−b1)·dx;  v = b2·v + (1−b2)·dx²
/// u = (m/(1−b1^t)) / (√(v/(1−b2^t)) + eps) + λ·x
/// x −= lr·(‖x‖/‖u‖)·u      (the ratio 1 when either norm is 0)
/// ```
public struct LAMBRule: WholeTensorRule {
    public let beta1: Double, beta2: Double, eps: Double
    public var name: String { "LAMB" }
    public var hyperparameters: [String: Double] { ["beta1": beta1, "beta2": beta2, "eps": eps] }
    public var stateNames: [String] { ["exp_avg", "exp_avg_sq"] }
    public var decaysWeightsItself: Bool { true }
    public func validate() throws {
        try requireMoments(beta1: beta1, beta2: beta2, eps: eps)
    }

    public func update(_ x: Tensor, _ g: Tensor, _ state: [Tensor], lr: Double, t: Int, weightDecay: Double) throws -> Double {
        let (m, v) = (state[0], state[1])
        try m.copy(from: m.mul(beta1).add(g.mul(1 - beta1)))
        try v.copy(from: v.mul(beta2).add(g.mul(g).mul(1 - beta2)))
        let c1 = 1 - Foundation.pow(beta1, Double(t)), c2 = 1 - Foundation.pow(beta2, Double(t))
        var u = try m.div(c1).div(v.div(c2).sqrt().add(eps))
        if weightDecay != 0 { u = try u.add(x.mul(weightDecay)) }
        let (wn, un) = (try x.norm().item(), try u.norm().item())
        let ratio = wn == 0 || un == 0 ? 1 : wn / un
        let step = try u.mul(-lr * ratio)
        try x.copy(from: x.add(step))
        let s = try step.norm().item()
        return s * s
    }

    public static let kind = UpdateRuleKind("LAMB", signature: "optim.LAMB(params, {lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-6, weight_decay=0})", help: """
        LAMB (You et al. 2020, Algorithm 2; as optax.lamb): each tensor's bias-corrected Adam
        step plus λ·x, u, scaled by the trust ratio ‖x‖/‖u‖: x −= lr·(‖x‖/‖u‖)·u. For large
        batches; the weight decay is part of the step.
          local opt = optim.LAMB(model, {lr = 1e-3, weight_decay = 0.01})
        """, options: UpdateRules.momentOptions(eps: 1e-6), defaultLearningRate: 1e-3) { a in
        LAMBRule(beta1: a.number("beta1", default: 0.9), beta2: a.number("beta2", default: 0.999), eps: a.number("eps", default: 1e-6))
    }
}
