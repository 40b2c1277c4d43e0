/// LARS (You, Gitman & Ginsburg 2017, "Large Batch Training of Convolutional
/// Networks"), as optax.lars composes it (optax/_src/alias.py: decayed
/// weights, the trust ratio, the rate, then momentum): each tensor's step
/// scaled to trust_coefficient times the weights' norm.
/// ```
/// u = dx + λ·x;  r = trust_coefficient·‖x‖/(‖u‖ + eps)   (1 when either norm is 0)
/// b = μ·b − lr·r·u;  x += b   (nesterov: x += μ·b − lr·r·u)
/// ```
public struct LARSRule: WholeTensorRule {
    public let momentum: Double, nesterov: Bool, trust: Double, eps: Double
    public var name: String { "LARS" }
    public var hyperparameters: [String: Double] {
        ["momentum": momentum, "nesterov": nesterov ? 1 : 0, "trust_coefficient": trust, "eps": eps]
    }
    public var stateNames: [String] { ["momentum_buffer"] }
    public var decaysWeightsItself: Bool { true }
    public func validate() throws {
        try require(momentum, "momentum", in: 0..<1)
        try require(trust, "trust_coefficient", in: 0..<Double.infinity, openBelow: true)
        try require(eps, "eps", in: 0..<Double.infinity)
    }
    public func withMomentum(_ mu: Double) -> (any UpdateRule)? { LARSRule(momentum: mu, nesterov: nesterov, trust: trust, eps: eps) }

    public func update(_ x: Tensor, _ g: Tensor, _ state: [Tensor], lr: Double, t: Int, weightDecay: Double) throws -> Double {
        let u = weightDecay != 0 ? try g.add(x.mul(weightDecay)) : g
        let (wn, un) = (try x.norm().item(), try u.norm().item())
        let ratio = wn == 0 || un == 0 ? 1 : trust * wn / (un + eps)
        let scaled = try u.mul(-lr * ratio)
        let buffer = state[0]
        try buffer.copy(from: buffer.mul(momentum).add(scaled))
        let step = nesterov ? try buffer.mul(momentum).add(scaled) : buffer
        try x.copy(from: x.add(step))
        let s = try step.norm().item()
        return s * s
    }

    public static let kind = UpdateRuleKind("LARS", signature: "optim.LARS(params, {lr=..., momentum=0.9, nesterov=false, trust_coefficient=1e-3, eps=0, weight_decay=0})", help: """
        LARS (You et al. 2017; as optax.lars): each tensor's gradient plus λ·x, u, scaled by the
        trust ratio trust_coefficient·‖x‖/(‖u‖ + eps), then momentum: b = μ·b − lr·r·u, x += b.
        For large-batch convnets; the weight decay is part of the step.
          local opt = optim.LARS(model, {lr = 1, weight_decay = 1e-4})
        """, options: [.init("momentum", .number, default: 0.9, range: .halfOpen(0, 1)), .init("nesterov", .flag, default: 0),
                       .init("trust_coefficient", .number, default: 1e-3, range: .positive), .init("eps", .number, default: 0, range: .nonNegative)]) { a in
        LARSRule(momentum: a.number("momentum", default: 0.9), nesterov: a.flag("nesterov", default: false),
                 trust: a.number("trust_coefficient", default: 1e-3), eps: a.number("eps", default: 0))
    }
}
