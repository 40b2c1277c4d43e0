import CKernels
import Foundation

/// Averaged SGD (Polyak & Juditsky 1992; Bottou's schedule), as
/// torch.optim.ASGD: SGD with a decaying rate η_t and, from step t0 on, a
/// running average `ax` of the iterates (the averaged weights).
/// ```
/// x = x·(1 − λ·η) − η·dx;  ax += (x − ax)·μ   (ax = x while μ = 1)
/// η_t = lr/(1 + λ·lr·(t−1))^α,  μ_t = 1/max(1, t − 1 − t0)
/// ```
/// torch sets η and μ after each step from that step's rate; here they
/// come from t and the current rate, the same numbers under a constant rate.
public struct ASGDRule: UpdateRule {
    public let lambd: Double, alpha: Double, t0: Double
    public var name: String { "ASGD" }
    public var hyperparameters: [String: Double] { ["lambd": lambd, "alpha": alpha, "t0": t0] }
    public var stateNames: [String] { ["ax"] }
    public func validate() throws {
        try require(lambd, "lambd", in: 0..<Double.infinity)
        try require(alpha, "alpha", in: 0..<Double.infinity)
        try require(t0, "t0", in: 0..<Double.infinity)
    }

    public func update<T: FloatElement>(_ x: UnsafeMutablePointer<T>, _ dx: UnsafePointer<T>, _ s: [UnsafeMutablePointer<T>],
                                        count n: Int, lr: Double, t: Int) -> Double {
        let ax = s[0]
        let done = Double(t - 1)
        let eta = t == 1 ? lr : lr / Foundation.pow(1 + lambd * lr * done, alpha)
        let mu = t == 1 ? 1 : 1 / Swift.max(1, done - t0)
        let (decay, e, m) = (T(1 - lambd * eta), T(eta), T(mu))
        return updateLoop(n) { i in
            let before = x[i]
            x[i] = x[i] * decay - e * dx[i]
            if mu != 1 { ax[i] += (x[i] - ax[i]) * m } else { ax[i] = x[i] }
            return x[i] - before
        }
    }

    /// f32 runs CKernels' vector loop (the same formula and bits).
    public func apply(_ x: UnsafeMutablePointer<Float>, _ dx: UnsafePointer<Float>, _ s: [UnsafeMutablePointer<Float>],
                      count n: Int, lr: Double, t: Int) -> Double {
        let done = Double(t - 1)
        let eta = t == 1 ? lr : lr / Foundation.pow(1 + lambd * lr * done, alpha)
        let mu = t == 1 ? 1 : 1 / Swift.max(1, done - t0)
        return elementwiseKernel(4, x, dx, s[0], s[0], n, (Float(1 - lambd * eta), Float(eta), Float(mu), mu == 1 ? 1 : 0, 0, 0, 0, 0))
    }

    public static let kind = UpdateRuleKind("ASGD", signature: "optim.ASGD(params, {lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0})", help: """
        Averaged SGD, torch.optim.ASGD: x = x·(1 − λη) − η·dx with η_t = lr/(1 + λ·lr·(t−1))^α,
        and from step t0 on a running average of the iterates (state ax, what the
        method evaluates).
          local opt = optim.ASGD(model, {lr = 1e-2, t0 = 1000})
        """, options: [.init("lambd", .number, default: 1e-4, range: .nonNegative), .init("alpha", .number, default: 0.75, range: .nonNegative),
                       .init("t0", .number, default: 1e6, range: .nonNegative)], defaultLearningRate: 1e-2) { a in
        ASGDRule(lambd: a.number("lambd", default: 1e-4), alpha: a.number("alpha", default: 0.75), t0: a.number("t0", default: 1e6))
    }
}
