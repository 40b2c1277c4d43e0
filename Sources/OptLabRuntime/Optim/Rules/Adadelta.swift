import CKernels
/// Adadelta (Zeiler 2012), as torch.optim.Adadelta (lr scales the step, 1 by default):
/// ```
/// s = ρ·s + (1−ρ)·dx²;  δ = √(a + eps)/√(s + eps) · dx;  a = ρ·a + (1−ρ)·δ²
/// x −= lr·δ
/// ```
public struct AdadeltaRule: UpdateRule {
    public let rho: Double, eps: Double
    public var name: String { "Adadelta" }
    public var hyperparameters: [String: Double] { ["rho": rho, "eps": eps] }
    public var stateNames: [String] { ["square_avg", "acc_delta"] }
    public func validate() throws {
        try require(rho, "rho", in: 0..<1.0000001)
        try require(eps, "eps", in: 0..<Double.infinity)
    }

    public func update<T: FloatElement>(_ x: UnsafeMutablePointer<T>, _ dx: UnsafePointer<T>, _ s: [UnsafeMutablePointer<T>],
                                        count n: Int, lr: Double, t: Int) -> Double {
        let (sq, acc) = (s[0], s[1])
        let (r, e, lrT) = (T(rho), T(eps), T(lr))
        return updateLoop(n) { i in
            let g = dx[i]
            sq[i] = r * sq[i] + (1 - r) * g * g
            let delta = (acc[i] + e).squareRoot() / (sq[i] + e).squareRoot() * g
            acc[i] = r * acc[i] + (1 - r) * delta * delta
            let d = -lrT * delta
            x[i] += d
            return d
        }
    }

    /// f32 runs CKernels' vector loop (the same formula and bits).
    public func apply(_ x: UnsafeMutablePointer<Float>, _ dx: UnsafePointer<Float>, _ s: [UnsafeMutablePointer<Float>],
                      count n: Int, lr: Double, t: Int) -> Double {
        elementwiseKernel(3, x, dx, s[0], s[1], n, (Float(lr), Float(eps), Float(rho), 0, 0, 0, 0, 0))
    }

    public static let kind = UpdateRuleKind("Adadelta", signature: "optim.Adadelta(params, {lr=1, rho=0.9, eps=1e-6, weight_decay=0})", help: """
        Adadelta (Zeiler 2012), torch.optim.Adadelta: s = ρ·s + (1−ρ)·dx²,
        δ = √(a + eps)/√(s + eps)·dx, a = ρ·a + (1−ρ)·δ², x −= lr·δ.
          local opt = optim.Adadelta(model, {rho = 0.9})
        """, options: [.init("rho", .number, default: 0.9, range: AllowedRange(0, 1)), .init("eps", .number, default: 1e-6, range: .nonNegative)],
        defaultLearningRate: 1) { a in
        AdadeltaRule(rho: a.number("rho", default: 0.9), eps: a.number("eps", default: 1e-6))
    }
}
