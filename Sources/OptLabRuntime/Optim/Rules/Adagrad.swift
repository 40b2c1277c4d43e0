import CKernels
/// Adagrad: a per-parameter rate that shrinks with the gradients seen:
/// ```
/// cache += dx²
/// x += -lr * dx / (sqrt(cache) + eps)
/// ```
public struct AdagradRule: UpdateRule {
    public let eps: Double
    public init(eps: Double = 1e-8) { self.eps = eps }
    public var name: String { "Adagrad" }
    public var hyperparameters: [String: Double] { ["eps": eps] }
    public var stateNames: [String] { ["cache"] }
    public func validate() throws {
        guard eps > 0 else { throw RuntimeError(.argument, name, "eps must be positive, got \(eps)") }
    }

    public func update<T: FloatElement>(_ x: UnsafeMutablePointer<T>, _ dx: UnsafePointer<T>, _ s: [UnsafeMutablePointer<T>],
                                        count n: Int, lr: Double, t: Int) -> Double {
        let lrT = T(lr), e = T(eps), c = s[0]
        return updateLoop(n) { i in c[i] += dx[i] * dx[i]; let u = -lrT * dx[i] / (c[i].squareRoot() + e); x[i] += u; return u }
    }

    /// f32 runs CKernels' vector loop (the same formula and bits).
    public func apply(_ x: UnsafeMutablePointer<Float>, _ dx: UnsafePointer<Float>, _ s: [UnsafeMutablePointer<Float>],
                      count n: Int, lr: Double, t: Int) -> Double {
        elementwiseKernel(0, x, dx, s[0], s[0], n, (Float(lr), Float(eps), 0, 0, 0, 0, 0, 0))
    }

    public func effectiveRate(_ state: [Tensor], lr: Double, t: Int) throws -> [String: Double] {
        try adaptiveRate(state[0], lr: lr, correction: 1, eps: eps, normKey: stateNames[0] + "_norm")
    }

    public static let kind = UpdateRuleKind("Adagrad", signature: "optim.Adagrad(params, {lr=..., eps=1e-8})",
        help: "cache += dx²; x += −lr·dx/(√cache + eps).", options: [.init("eps", .number, default: 1e-8)]) { a in
        AdagradRule(eps: a.number("eps", default: 1e-8))
    }
}

extension UpdateRule where Self == AdagradRule {
    public static func adagrad(eps: Double) -> AdagradRule { AdagradRule(eps: eps) }
}
