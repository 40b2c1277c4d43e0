import CKernels
import Foundation

/// Adam with bias correction (t counts from 1):
/// ```
/// m = b1*m + (1-b1)*dx
/// v = b2*v + (1-b2)*dx²
/// x += -lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
/// ```
public struct AdamRule: UpdateRule {
    public let beta1: Double, beta2: Double, eps: Double
    public init(beta1: Double = 0.9, beta2: Double = 0.999, eps: Double = 1e-8) { (self.beta1, self.beta2, self.eps) = (beta1, beta2, eps) }
    public var name: String { "Adam" }
    public var hyperparameters: [String: Double] { ["beta1": beta1, "beta2": beta2, "eps": eps] }
    public var stateNames: [String] { ["m", "v"] }
    public func validate() throws {
        guard beta1 >= 0, beta1 < 1, beta2 >= 0, beta2 < 1 else {
            throw RuntimeError(.argument, name, "beta1 and beta2 must be in [0, 1), got \(beta1), \(beta2)")
        }
        guard eps > 0 else { throw RuntimeError(.argument, name, "eps must be positive, got \(eps)") }
    }

    public func update<T: FloatElement>(_ x: UnsafeMutablePointer<T>, _ dx: UnsafePointer<T>, _ s: [UnsafeMutablePointer<T>],
                                        count n: Int, lr: Double, t: Int) -> Double {
        let m = s[0], v = s[1], lrT = T(lr)
        let c1 = T(1 - Foundation.pow(beta1, Double(t))), c2 = T(1 - Foundation.pow(beta2, Double(t)))
        let B1 = T(beta1), B2 = T(beta2), e = T(eps)
        let (X, G, M, V) = (Lanes(x), Lanes(dx), Lanes(m), Lanes(v))
        return updateLoop(n, lanes: { i in
            let g = G[i]
            let mi = B1 * M[i] + (1 - B1) * g, vi = B2 * V[i] + (1 - B2) * g * g
            M[i] = mi
            V[i] = vi
            let u = -lrT * (mi / c1) / ((vi / c2).squareRoot() + e)
            X[i] = X[i] + u
            return u
        }) { i in
            m[i] = B1 * m[i] + (1 - B1) * dx[i]
            v[i] = B2 * v[i] + (1 - B2) * dx[i] * dx[i]
            let u = -lrT * (m[i] / c1) / ((v[i] / c2).squareRoot() + e)
            x[i] += u
            return u
        }
    }

    /// f32 runs the vector kernel of CKernels (the same formula and bits,
    /// sixteen lanes wide where the CPU has AVX-512).
    public func apply(_ x: UnsafeMutablePointer<Float>, _ dx: UnsafePointer<Float>, _ s: [UnsafeMutablePointer<Float>],
                      count n: Int, lr: Double, t: Int) -> Double {
        var k = optlab_adam(beta1: Float(beta1), beta2: Float(beta2), eps: Float(eps), lr: Float(lr),
                            correction1: Float(1 - Foundation.pow(beta1, Double(t))), correction2: Float(1 - Foundation.pow(beta2, Double(t))))
        return optlab_adam_f32(x, dx, s[0], s[1], n, &k)
    }

    /// D = 1/(√v̂ + eps), stable while λ_max(D·H) < (2 + 2β₁)/((1 − β₁)η).
    public func preconditioner(_ state: [Tensor], t: Int) throws -> Preconditioner? {
        guard t > 0, state.count == 2 else { return nil }
        let correction = 1 - Foundation.pow(beta2, Double(t))
        let d = try state[1].to(.f64).div(correction).sqrt().add(eps).reciprocal()
        return Preconditioner(diagonal: d, stabilityFactor: (2 + 2 * beta1) / (1 - beta1))
    }

    /// lr/(√v̂ + eps), v̂ = v/(1 − b2^t).
    public func effectiveRate(_ state: [Tensor], lr: Double, t: Int) throws -> [String: Double] {
        try adaptiveRate(state[1], lr: lr, correction: 1 - Foundation.pow(beta2, Double(t)), eps: eps, normKey: stateNames[1] + "_norm")
    }

    static let options: [ConstructorParameter] = [.init("beta1", .number, default: 0.9), .init("beta2", .number, default: 0.999),
                                                  .init("eps", .number, default: 1e-8)]
    static func make(_ a: ConstructorArguments) -> any UpdateRule {
        AdamRule(beta1: a.number("beta1", default: 0.9), beta2: a.number("beta2", default: 0.999), eps: a.number("eps", default: 1e-8))
    }

    public static let kind = UpdateRuleKind("Adam", signature: "optim.Adam(params, {lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0})", help: """
        Adam with bias correction (t from 1): m = b1·m + (1−b1)·dx, v = b2·v + (1−b2)·dx²,
        x += −lr·(m/(1−b1^t))/(√(v/(1−b2^t)) + eps).
          local opt = optim.Adam(model, {lr = 1e-3})
        """, options: options, defaultLearningRate: 1e-3, make: make)

    /// AdamW: Adam with decoupled weight decay (x −= lr·λ·x before each update).
    public static let adamWKind = UpdateRuleKind("AdamW", signature: "optim.AdamW(params, {lr=1e-3, weight_decay=1e-2, ...})",
        help: "Adam with decoupled weight decay: x −= lr·λ·x before each update.", options: options, defaultLearningRate: 1e-3,
        decoupledWeightDecay: true, defaultWeightDecay: 1e-2, make: make)
}

extension UpdateRule where Self == AdamRule {
    public static func adam(beta1: Double, beta2: Double, eps: Double) -> AdamRule { AdamRule(beta1: beta1, beta2: beta2, eps: eps) }
}
