import CKernels
import Foundation

/// Rectified Adam (Liu et al. 2020), as torch.optim.RAdam: Adam's step
/// once the variance of its adaptive rate is tractable (ρ_t > 5), plain
/// momentum SGD on the bias-corrected mean before that.
/// ```
/// m = b1·m + (1−b1)·dx;  v = b2·v + (1−b2)·dx²;  m̂ = m/(1−b1^t)
/// ρ∞ = 2/(1−b2) − 1;  ρ_t = ρ∞ − 2t·b2^t/(1−b2^t)
/// ρ_t > 5:  x −= lr·m̂·r_t·√(1−b2^t)/(√v + eps),  r_t = √((ρ_t−4)(ρ_t−2)ρ∞ / ((ρ∞−4)(ρ∞−2)ρ_t))
/// else:     x −= lr·m̂
/// ```
public struct RAdamRule: UpdateRule {
    public let beta1: Double, beta2: Double, eps: Double
    public var name: String { "RAdam" }
    public var hyperparameters: [String: Double] { ["beta1": beta1, "beta2": beta2, "eps": eps] }
    public var stateNames: [String] { ["exp_avg", "exp_avg_sq"] }
    public func validate() throws {
        try requireMoments(beta1: beta1, beta2: beta2, eps: eps)
    }

    public func update<T: FloatElement>(_ x: UnsafeMutablePointer<T>, _ dx: UnsafePointer<T>, _ s: [UnsafeMutablePointer<T>],
                                        count n: Int, lr: Double, t: Int) -> Double {
        let (m, v) = (s[0], s[1])
        let (b1, b2, e, lrT) = (T(beta1), T(beta2), T(eps), T(lr))
        let (c1, c2, rect, rectified) = constants(t)
        let (bc1, rootC2, r) = (T(c1), T(c2.squareRoot()), T(rect))
        let (X, G, M, V) = (Lanes(x), Lanes(dx), Lanes(m), Lanes(v))
        let w = 1 - b1
        return updateLoop(n, lanes: { i in
            let g = G[i]
            let mi = lerp(M[i], g, w)
            M[i] = mi
            let vi = b2 * V[i] + (1 - b2) * g * g
            V[i] = vi
            let mean = mi / bc1
            // x − q rather than x + (−q): the same number, and a NaN keeps the sign the C kernel gives it
            let q = rectified ? mean * lrT * (rootC2 / (vi.squareRoot() + e)) * r : mean * lrT
            X[i] = X[i] - q
            return -q
        }) { i in
            let g = dx[i]
            m[i] = lerp(m[i], g, 1 - b1)
            v[i] = b2 * v[i] + (1 - b2) * g * g
            let mean = m[i] / bc1
            let q = rectified ? mean * lrT * (rootC2 / (v[i].squareRoot() + e)) * r : mean * lrT
            x[i] -= q
            return -q
        }
    }

    /// Step t's bias corrections 1 − b1^t and 1 − b2^t, the rectification r_t, and whether it applies (ρ_t > 5).
    func constants(_ t: Int) -> (c1: Double, c2: Double, rect: Double, rectified: Bool) {
        let c1 = 1 - Foundation.pow(beta1, Double(t)), c2 = 1 - Foundation.pow(beta2, Double(t))
        let rhoInf = 2 / (1 - beta2) - 1
        let rho = rhoInf - 2 * Double(t) * Foundation.pow(beta2, Double(t)) / c2
        let rectified = rho > 5
        let rect = rectified ? ((rho - 4) * (rho - 2) * rhoInf / ((rhoInf - 4) * (rhoInf - 2) * rho)).squareRoot() : 0
        return (c1, c2, rect, rectified)
    }

    /// f32 runs CKernels' vector loop (the same formula and bits as `update`).
    public func apply(_ x: UnsafeMutablePointer<Float>, _ dx: UnsafePointer<Float>, _ s: [UnsafeMutablePointer<Float>],
                      count n: Int, lr: Double, t: Int) -> Double {
        let k = constants(t)
        return elementwiseKernel(8, x, dx, s[0], s[1], n, (Float(lr), Float(k.c1), 1 - Float(beta1), Float(beta2), Float(eps),
                                                           Float(k.c2.squareRoot()), Float(k.rect), k.rectified ? 1 : 0))
    }

    public func effectiveRate(_ state: [Tensor], lr: Double, t: Int) throws -> [String: Double] {
        try adaptiveRate(state[1], lr: lr, correction: 1 - Foundation.pow(beta2, Double(t)), eps: eps, normKey: stateNames[1] + "_norm")
    }

    public static let kind = UpdateRuleKind("RAdam", signature: "optim.RAdam(params, {lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0, decoupled_weight_decay=false})", help: """
        Rectified Adam (Liu et al. 2020), torch.optim.RAdam: Adam's step scaled by the
        rectification r_t once ρ_t = ρ∞ − 2t·b2^t/(1−b2^t) > 5 (ρ∞ = 2/(1−b2) − 1),
        x −= lr·m̂ before. decoupled_weight_decay = true takes the decay from the
        weights (x −= lr·λ·x) as AdamW does, instead of adding λ·x to the gradient.
          local opt = optim.RAdam(model, {lr = 1e-3})
        """, options: UpdateRules.momentOptions(eps: 1e-8) + [.init("decoupled_weight_decay", .flag, default: 0)],
        defaultLearningRate: 1e-3) { a in
        RAdamRule(beta1: a.number("beta1", default: 0.9), beta2: a.number("beta2", default: 0.999), eps: a.number("eps", default: 1e-8))
    }
}
