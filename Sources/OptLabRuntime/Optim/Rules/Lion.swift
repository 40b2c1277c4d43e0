/// Lion (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms",
/// Algorithm 2; google/automl lion_pytorch.py): the sign of an interpolation
/// of momentum and gradient, the same size for every weight.
/// ```
/// c = b1·m + (1−b1)·dx;  x −= lr·sign(c);  m = b2·m + (1−b2)·dx
/// ```
/// Weight decay is decoupled (x −= lr·λ·x), as the paper's.
public struct LionRule: UpdateRule {
    public let beta1: Double, beta2: Double
    public var name: String { "Lion" }
    public var hyperparameters: [String: Double] { ["beta1": beta1, "beta2": beta2] }
    public var stateNames: [String] { ["exp_avg"] }
    public func validate() throws {
        try require(beta1, "beta1", in: 0..<1.0000001)
        try require(beta2, "beta2", in: 0..<1.0000001)
    }

    public func update<T: FloatElement>(_ x: UnsafeMutablePointer<T>, _ dx: UnsafePointer<T>, _ s: [UnsafeMutablePointer<T>],
                                        count n: Int, lr: Double, t: Int) -> Double {
        let m = s[0]
        let (b1, b2, lrT) = (T(beta1), T(beta2), T(lr))
        return updateLoop(n) { i in
            let g = dx[i]
            let c = b1 * m[i] + (1 - b1) * g
            let d: T = c > 0 ? -lrT : c < 0 ? lrT : 0
            x[i] += d
            m[i] = b2 * m[i] + (1 - b2) * g
            return d
        }
    }

    public static let kind = UpdateRuleKind("Lion", signature: "optim.Lion(params, {lr=1e-4, beta1=0.9, beta2=0.99, weight_decay=0})", help: """
        Lion (Chen et al. 2023, Algorithm 2): c = b1·m + (1−b1)·dx, x −= lr·sign(c),
        m = b2·m + (1−b2)·dx; weight decay decoupled (x −= lr·λ·x). Its steps are
        ±lr for every weight, so it wants a rate 3–10× below AdamW's and a decay as
        many times larger. Reference: google/automl, lion/lion_pytorch.py.
          local opt = optim.Lion(model, {lr = 1e-4, weight_decay = 1})
        """, options: [.init("beta1", .number, default: 0.9, range: AllowedRange(0, 1)), .init("beta2", .number, default: 0.99, range: AllowedRange(0, 1))],
        defaultLearningRate: 1e-4, decoupledWeightDecay: true) { a in
        LionRule(beta1: a.number("beta1", default: 0.9), beta2: a.number("beta2", default: 0.99))
    }
}
