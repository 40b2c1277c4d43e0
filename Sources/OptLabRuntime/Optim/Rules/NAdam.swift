import CKernels
import Foundation

/// Adam with Nesterov momentum (Dozat 2016), as torch.optim.NAdam, with its
/// momentum schedule μ_t = b1·(1 − ½·0.96^(t·ψ)) (ψ = momentum_decay) and the
/// running product Π μ_i kept as state:
/// ```
/// m = b1·m + (1−b1)·dx;  v = b2·v + (1−b2)·dx²;  d = √(v/(1−b2^t)) + eps
/// x −= lr·(1−μ_t)/(1−Π_t)·dx/d + lr·μ_{t+1}/(1−Π_t·μ_{t+1})·m/d
/// ```
public struct NAdamRule: WholeTensorRule {
    public let beta1: Double, beta2: Double, eps: Double, momentumDecay: Double
    public var name: String { "NAdam" }
    public var hyperparameters: [String: Double] { ["beta1": beta1, "beta2": beta2, "eps": eps, "momentum_decay": momentumDecay] }
    public var stateNames: [String] { ["exp_avg", "exp_avg_sq", "mu_product"] }
    public func validate() throws {
        try requireMoments(beta1: beta1, beta2: beta2, eps: eps)
        try require(momentumDecay, "momentum_decay", in: 0..<Double.infinity)
    }

    public func stateShapes(for shape: [Int]) -> [[Int]] { [shape, shape, [1]] }
    public func initialState(for shape: [Int], dtype: DType) throws -> [Tensor] {
        [try Tensor.zeros(shape, dtype: dtype), try Tensor.zeros(shape, dtype: dtype), try Tensor.ones([1], dtype: dtype)]
    }

    func mu(_ t: Int) -> Double { beta1 * (1 - 0.5 * Foundation.pow(0.96, Double(t) * momentumDecay)) }

    public func update(_ x: Tensor, _ g: Tensor, _ state: [Tensor], lr: Double, t: Int, weightDecay: Double) throws -> Double {
        let (muNow, muNext) = (mu(t), mu(t + 1))
        // the product in the state's precision, as torch keeps it (a scalar tensor of the default dtype)
        let product = try state[2].item() * muNow
        state[2].setElement(0, product)
        let product1 = try state[2].item()
        let gradScale = lr * (1 - muNow) / (1 - product1), meanScale = lr * muNext / (1 - product1 * muNext)
        let c2 = 1 - Foundation.pow(beta2, Double(t))
        func pass<T: FloatElement>(_ x: UnsafeMutablePointer<T>, _ dx: UnsafePointer<T>, _ s: [UnsafeMutablePointer<T>], _ n: Int) -> Double {
            NAdamRule.pass(x, dx, s, n, beta1: beta1, beta2: beta2, eps: eps, c2: c2, gradScale: gradScale, meanScale: meanScale)
        }
        // f32: CKernels' vector loop, the same operations as `pass`
        let k = (Float(gradScale), Float(meanScale), 1 - Float(beta1), Float(beta2), Float(eps), Float(c2), Float(0), Float(0))
        return elementwisePass(x, g, state, f32: { x, dx, s, n in elementwiseKernel(5, x, dx, s[0], s[1], n, k) }, f64: pass).update
    }

    public func effectiveRate(_ state: [Tensor], lr: Double, t: Int) throws -> [String: Double] {
        try adaptiveRate(state[1], lr: lr, correction: 1 - Foundation.pow(beta2, Double(t)), eps: eps, normKey: stateNames[1] + "_norm")
    }

    /// The elementwise part of a step on n elements (m, v in s), with the
    /// step's scales; CKernels' f32 loop performs the same operations.
    static func pass<T: FloatElement>(_ x: UnsafeMutablePointer<T>, _ dx: UnsafePointer<T>, _ s: [UnsafeMutablePointer<T>], _ n: Int,
                                  beta1: Double, beta2: Double, eps: Double, c2: Double, gradScale: Double, meanScale: Double) -> Double {
        let (m, v) = (s[0], s[1])
        let (b1, b2, e, bc2, a, b) = (T(beta1), T(beta2), T(eps), T(c2), T(gradScale), T(meanScale))
        let (X, G, M, V) = (Lanes(x), Lanes(dx), Lanes(m), Lanes(v))
        let w = 1 - b1
        return updateLoop(n, lanes: { i in
            let gi = G[i]
            let mi = lerp(M[i], gi, w)
            M[i] = mi
            let vi = b2 * V[i] + (1 - b2) * gi * gi
            V[i] = vi
            let d = (vi / bc2).squareRoot() + e
            let x0 = X[i]
            let x1 = x0 + -a * gi / d
            let x2 = x1 + -b * mi / d
            X[i] = x2
            return x2 - x0
        }) { i in
            let gi = dx[i]
            m[i] = lerp(m[i], gi, 1 - b1)
            v[i] = b2 * v[i] + (1 - b2) * gi * gi
            let d = (v[i] / bc2).squareRoot() + e
            // two addcdivs, rounded as torch's: x + (value·t1)/t2
            let before = x[i]
            x[i] += -a * gi / d
            x[i] += -b * m[i] / d
            return x[i] - before
        }
    }

    public static let kind = UpdateRuleKind("NAdam", signature: "optim.NAdam(params, {lr=2e-3, beta1=0.9, beta2=0.999, eps=1e-8, momentum_decay=4e-3, weight_decay=0, decoupled_weight_decay=false})", help: """
        Adam with Nesterov momentum (Dozat 2016), torch.optim.NAdam: μ_t = b1·(1 − ½·0.96^(t·momentum_decay)),
        x −= lr·(1−μ_t)/(1−Πμ)·dx/d + lr·μ_{t+1}/(1−Πμ·μ_{t+1})·m/d with d = √(v/(1−b2^t)) + eps.
        decoupled_weight_decay = true decays the weights as AdamW (NAdamW).
          local opt = optim.NAdam(model, {lr = 2e-3})
        """, options: UpdateRules.momentOptions(eps: 1e-8) + [.init("momentum_decay", .number, default: 4e-3, range: .nonNegative),
                       .init("decoupled_weight_decay", .flag, default: 0)], defaultLearningRate: 2e-3) { a in
        NAdamRule(beta1: a.number("beta1", default: 0.9), beta2: a.number("beta2", default: 0.999), eps: a.number("eps", default: 1e-8),
                  momentumDecay: a.number("momentum_decay", default: 4e-3))
    }
}
