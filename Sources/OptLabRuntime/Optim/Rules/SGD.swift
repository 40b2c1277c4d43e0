/// Vanilla stochastic gradient descent:
/// ```
/// x += -lr * dx
/// ```
public struct SGDRule: UpdateRule {
    public init() {}
    public var name: String { "SGD" }
    public var hyperparameters: [String: Double] { ["momentum": 0, "nesterov": 0] }

    public func update<T: FloatElement>(_ x: UnsafeMutablePointer<T>, _ dx: UnsafePointer<T>, _ s: [UnsafeMutablePointer<T>],
                                        count n: Int, lr: Double, t: Int) -> Double {
        let lrT = T(lr)
        return updateLoop(n) { i in let u = -lrT * dx[i]; x[i] += u; return u }
    }

    /// `optim.SGD`: plain, with momentum, or Nesterov's.
    public static let kind = UpdateRuleKind("SGD", signature: "optim.SGD(params, {lr=..., momentum=0, nesterov=false, weight_decay=0})", help: """
        Stochastic gradient descent: x += -lr·dx; with momentum mu, v = mu·v − lr·dx, x += v;
        with nesterov=true, the notes' form x += −mu·v_prev + (1+mu)·v. params: a
        model or a table of tensors.
          local opt = optim.SGD(model, {lr = 1e-2, momentum = 0.9, nesterov = true})
        """, options: [.init("momentum", .number, default: 0), .init("nesterov", .flag, default: 0)]) { a in
        let mu = a.number("momentum", default: 0)
        if a.flag("nesterov", default: false) {
            guard mu > 0 else { throw RuntimeError(.argument, "optim.SGD", "nesterov needs a momentum in (0, 1)") }
            return NesterovRule(mu: mu)
        }
        return mu == 0 ? SGDRule() : MomentumRule(mu: mu)
    }
}

extension UpdateRule where Self == SGDRule {
    public static var sgd: SGDRule { SGDRule() }
}
