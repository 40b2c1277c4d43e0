import CKernels
/// RMSprop: Adagrad with a leaky cache:
/// ```
/// cache = decay * cache + (1 - decay) * dx²
/// x += -lr * dx / (sqrt(cache) + eps)
/// ```
public struct RMSpropRule: UpdateRule {
    public let decay: Double, eps: Double
    public init(decay: Double = 0.99, eps: Double = 1e-8) { (self.decay, self.eps) = (decay, eps) }
    public var name: String { "RMSprop" }
    public var hyperparameters: [String: Double] { ["decay": decay, "eps": eps] }
    public var stateNames: [String] { ["cache"] }
    public func validate() throws {
        try require(decay, "decay", in: 0..<1)
        guard eps > 0 else { throw RuntimeError(.argument, name, "eps must be positive, got \(eps)") }
    }

    public func update<T: FloatElement>(_ x: UnsafeMutablePointer<T>, _ dx: UnsafePointer<T>, _ s: [UnsafeMutablePointer<T>],
                                        count n: Int, lr: Double, t: Int) -> Double {
        let lrT = T(lr), d = T(decay), e = T(eps), c = s[0]
        return updateLoop(n) { i in
            c[i] = d * c[i] + (1 - d) * dx[i] * dx[i]
            let u = -lrT * dx[i] / (c[i].squareRoot() + e)
            x[i] += u
            return u
        }
    }

    /// f32 runs CKernels' vector loop (the same formula and bits).
    public func apply(_ x: UnsafeMutablePointer<Float>, _ dx: UnsafePointer<Float>, _ s: [UnsafeMutablePointer<Float>],
                      count n: Int, lr: Double, t: Int) -> Double {
        elementwiseKernel(1, x, dx, s[0], s[0], n, (Float(lr), Float(eps), Float(decay), 0, 0, 0, 0, 0))
    }

    public func effectiveRate(_ state: [Tensor], lr: Double, t: Int) throws -> [String: Double] {
        try adaptiveRate(state[0], lr: lr, correction: 1, eps: eps, normKey: stateNames[0] + "_norm")
    }

    public static let kind = UpdateRuleKind("RMSprop", signature: "optim.RMSprop(params, {lr=..., decay=0.99, eps=1e-8})",
        help: "cache = decay·cache + (1−decay)·dx²; x += −lr·dx/(√cache + eps).",
        options: [.init("decay", .number, default: 0.99), .init("eps", .number, default: 1e-8)]) { a in
        RMSpropRule(decay: a.number("decay", default: 0.99), eps: a.number("eps", default: 1e-8))
    }
}

extension UpdateRule where Self == RMSpropRule {
    public static func rmsprop(decay: Double, eps: Double) -> RMSpropRule { RMSpropRule(decay: decay, eps: eps) }
}
