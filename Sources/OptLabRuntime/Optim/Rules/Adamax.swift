import CKernels
import Foundation

/// Adamax (Kingma & Ba 2015, §7.1): Adam with the infinity norm, as
/// torch.optim.Adamax:
/// ```
/// m = b1·m + (1−b1)·dx;  u = max(b2·u, |dx| + eps)
/// x −= lr/(1 − b1^t) · m/u
/// ```
public struct AdamaxRule: UpdateRule {
    public let beta1: Double, beta2: Double, eps: Double
    public var name: String { "Adamax" }
    public var hyperparameters: [String: Double] { ["beta1": beta1, "beta2": beta2, "eps": eps] }
    public var stateNames: [String] { ["exp_avg", "exp_inf"] }
    public func validate() throws {
        try requireMoments(beta1: beta1, beta2: beta2, eps: eps)
    }

    public func update<T: FloatElement>(_ x: UnsafeMutablePointer<T>, _ dx: UnsafePointer<T>, _ s: [UnsafeMutablePointer<T>],
                                        count n: Int, lr: Double, t: Int) -> Double {
        let (m, u) = (s[0], s[1])
        let (b1, b2, e) = (T(beta1), T(beta2), T(eps))
        let step = T(lr / (1 - Foundation.pow(beta1, Double(t))))
        return updateLoop(n) { i in
            let g = dx[i]
            m[i] = lerp(m[i], g, 1 - b1)
            u[i] = Swift.max(u[i] * b2, Swift.abs(g) + e)
            let d = -step * m[i] / u[i]
            x[i] += d
            return d
        }
    }

    /// lr/(1 − b1^t)/u, u = max(b2·u, |g| + eps) the infinity norm's running maximum.
    /// f32 runs CKernels' vector loop (the same formula and bits).
    public func apply(_ x: UnsafeMutablePointer<Float>, _ dx: UnsafePointer<Float>, _ s: [UnsafeMutablePointer<Float>],
                      count n: Int, lr: Double, t: Int) -> Double {
        elementwiseKernel(2, x, dx, s[0], s[1], n, (Float(lr / (1 - Foundation.pow(beta1, Double(t)))), Float(eps), 1 - Float(beta1), Float(beta2), 0, 0, 0, 0))
    }

    public func effectiveRate(_ state: [Tensor], lr: Double, t: Int) throws -> [String: Double] {
        try adaptiveRate(state[1], lr: lr / (1 - Foundation.pow(beta1, Double(t))), correction: 1, eps: 0, root: false, normKey: stateNames[1] + "_norm")  // (u holds eps already)
    }

    public static let kind = UpdateRuleKind("Adamax", signature: "optim.Adamax(params, {lr=2e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0})", help: """
        Adamax (Kingma & Ba 2015, §7.1), torch.optim.Adamax: m = b1·m + (1−b1)·dx,
        u = max(b2·u, |dx| + eps), x −= lr/(1−b1^t)·m/u.
          local opt = optim.Adamax(model, {lr = 2e-3})
        """, options: UpdateRules.momentOptions(eps: 1e-8), defaultLearningRate: 2e-3) { a in
        AdamaxRule(beta1: a.number("beta1", default: 0.9), beta2: a.number("beta2", default: 0.999), eps: a.number("eps", default: 1e-8))
    }
}
