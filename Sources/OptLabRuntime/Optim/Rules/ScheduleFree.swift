import Foundation

/// A rule whose weights for training differ from the weights to evaluate
/// (Schedule-Free trains at y and evaluates at the average x): the optimizer
/// moves the parameters between the two (`opt:eval_params()`,
/// `opt:train_params()`), and `train.fit` does it around every evaluation.
public protocol ParameterSwitchingRule: WholeTensorRule {
    /// The training weights y in `x` become the weights to evaluate.
    func toEvaluation(_ x: Tensor, _ state: [Tensor]) throws
    /// And back.
    func toTraining(_ x: Tensor, _ state: [Tensor]) throws
}

/// Schedule-Free SGD and AdamW (Defazio et al. 2024, "The Road Less
/// Scheduled"), as the authors' reference (facebookresearch/schedule_free,
/// sgd_schedulefree.py and adamw_schedulefree.py): no decay schedule; the
/// gradient is taken at y, an interpolation of the base iterate z and its
/// weighted average x, and x is what to evaluate.
/// ```
/// lr_t = lr·min(1, t/warmup);  c = w_t/Σw,  w_t = t^r·max_{s≤t}(lr_s)^weight_lr_power
/// d = dx (SGD) or dx/(√(v/(1−b2^t)) + eps), v = b2·v + (1−b2)·dx² (AdamW);  d += λ·y
/// y = lerp(y, z, c) + lr_t·(β(1−c) − 1)·d;  z −= lr_t·d
/// evaluate at x = lerp(y, z, 1 − 1/β); train again at y = lerp(x, z, 1 − β)
/// ```
public struct ScheduleFreeRule: ParameterSwitchingRule {
    public let adaptive: Bool
    /// β: the SGD form's momentum, the AdamW form's beta1.
    public let beta: Double, beta2: Double, eps: Double, warmup: Int, r: Double, weightPower: Double
    public var name: String { adaptive ? "ScheduleFreeAdamW" : "ScheduleFreeSGD" }
    public var hyperparameters: [String: Double] {
        var h = ["warmup": Double(warmup), "r": r, "weight_lr_power": weightPower]
        if adaptive { (h["beta1"], h["beta2"], h["eps"]) = (beta, beta2, eps) } else { h["momentum"] = beta }
        return h
    }
    public var stateNames: [String] { adaptive ? ["z", "exp_avg_sq", "lr_max", "weight_sum"] : ["z", "lr_max", "weight_sum"] }
    public var decaysWeightsItself: Bool { true }
    public func stateShapes(for shape: [Int]) -> [[Int]] { adaptive ? [shape, shape, [1], [1]] : [shape, [1], [1]] }
    public func validate() throws {
        guard beta > 0, beta < 1 else {
            throw RuntimeError(.argument, name, "\(adaptive ? "beta1" : "momentum") must be in (0, 1), got \(beta.shortDescription)")
        }
        try require(beta2, "beta2", in: 0..<1)
        try require(eps, "eps", in: 0..<Double.infinity)
        try require(weightPower, "weight_lr_power", in: 0..<Double.infinity)
    }

    public func update(_ x: Tensor, _ g: Tensor, _ state: [Tensor], lr: Double, t: Int, weightDecay: Double) throws -> Double {
        let (z, lrMaxState, sumState) = (state[0], state[state.count - 2], state[state.count - 1])
        let started = try sumState.item() > 0
        if !started { try z.copy(from: x) }
        let rate = lr * (t <= warmup ? Double(t) / Double(Swift.max(warmup, 1)) : 1)
        let lrMax = Swift.max(rate, try lrMaxState.item())
        lrMaxState.setElement(0, lrMax)
        let weight = Foundation.pow(Double(t), r) * Foundation.pow(lrMax, weightPower)
        let weightSum = try sumState.item() + weight
        sumState.setElement(0, weightSum)
        let c = weightSum == 0 ? 0 : weight / weightSum
        let c2 = 1 - Foundation.pow(beta2, Double(t))
        let (adaptive, b2, eps, beta) = (self.adaptive, self.beta2, self.eps, self.beta)
        func pass<T: FloatElement>(_ y: UnsafeMutablePointer<T>, _ dx: UnsafePointer<T>, _ s: [UnsafeMutablePointer<T>], _ n: Int) -> Double {
            let zp = s[0], v: UnsafeMutablePointer<T>? = adaptive ? s[1] : nil
            let (B2, E, BC2, C, L, D) = (T(b2), T(eps), T(c2), T(c), T(rate), T(weightDecay))
            let move = T(rate * (beta * (1 - c) - 1))
            return updateLoop(n) { i in
                var d = dx[i]
                if let v {
                    v[i] = v[i] * B2 + (1 - B2) * d * d
                    d = d / ((v[i] / BC2).squareRoot() + E)
                }
                if weightDecay != 0 { d = d + D * y[i] }
                let before = y[i]
                y[i] = lerp(y[i], zp[i], C) + move * d
                zp[i] = zp[i] - L * d
                return y[i] - before
            }
        }
        return elementwisePass(x, g, adaptive ? [z, state[1]] : [z], f32: pass, f64: pass).update
    }

    func interpolate(_ x: Tensor, _ state: [Tensor], weight w: Double) throws {
        guard try state[state.count - 1].item() > 0 else { return }   // no step yet: y = x = z
        let z = state[0]
        func pass<T: FloatElement>(_ y: UnsafeMutablePointer<T>, _ zp: UnsafePointer<T>, _: [UnsafeMutablePointer<T>], _ n: Int) -> Double {
            let W = T(w)
            for i in 0..<n { y[i] = lerp(y[i], zp[i], W) }
            return 0
        }
        _ = elementwisePass(x, z, [], f32: pass, f64: pass)
        x.bumpVersion()
    }
    public func toEvaluation(_ x: Tensor, _ state: [Tensor]) throws { try interpolate(x, state, weight: 1 - 1 / beta) }
    public func toTraining(_ x: Tensor, _ state: [Tensor]) throws { try interpolate(x, state, weight: 1 - beta) }

    /// The weight c_t of the last step's iterate in the average x.
    public func probes(_ x: Tensor, grad: Tensor?, state: [Tensor], lr: Double, t: Int) throws -> [String: Double] {
        let (lrMax, weightSum) = (try state[state.count - 2].item(), try state[state.count - 1].item())
        let weight = Foundation.pow(Double(t), r) * Foundation.pow(lrMax, weightPower)
        return ["average_weight": weightSum == 0 ? 0 : weight / weightSum]
    }

    public func effectiveRate(_ state: [Tensor], lr: Double, t: Int) throws -> [String: Double] {
        let rate = lr * (t <= warmup ? Double(t) / Double(Swift.max(warmup, 1)) : 1)
        guard adaptive else { return ["effective_lr": rate] }
        return try adaptiveRate(state[1], lr: rate, correction: 1 - Foundation.pow(beta2, Double(t)), eps: eps, normKey: stateNames[1] + "_norm")
    }

    static let shared: [ConstructorParameter] = [.init("warmup", .size, default: 0), .init("r", .number, default: 0),
                                                 .init("weight_lr_power", .number, default: 2, range: .nonNegative)]

    public static let sgdKind = UpdateRuleKind("ScheduleFreeSGD", signature: "optim.ScheduleFreeSGD(params, {lr=1, momentum=0.9, warmup=0, r=0, weight_lr_power=2, weight_decay=0})", help: """
        Schedule-Free SGD (Defazio et al. 2024; facebookresearch/schedule_free, sgd_schedulefree.py):
        no decay schedule; gradients at y = an interpolation of the iterate z and its average x,
        which is what to evaluate. train.fit evaluates at x and trains at y by itself; by hand,
        opt:eval_params() before evaluating and opt:train_params() before the next step.
        warmup: steps of linear warm-up, as the reference's warmup_steps.
          local opt = optim.ScheduleFreeSGD(model, {lr = 1, warmup = 100})
        """, options: [.init("momentum", .number, default: 0.9, range: .open(0, 1))] + shared, defaultLearningRate: 1) { a in
        ScheduleFreeRule(adaptive: false, beta: a.number("momentum", default: 0.9), beta2: 0, eps: 0, warmup: try a.size("warmup", default: 0),
                         r: a.number("r", default: 0), weightPower: a.number("weight_lr_power", default: 2))
    }

    public static let adamWKind = UpdateRuleKind("ScheduleFreeAdamW", signature: "optim.ScheduleFreeAdamW(params, {lr=2.5e-3, beta1=0.9, beta2=0.999, eps=1e-8, warmup=0, r=0, weight_lr_power=2, weight_decay=0})", help: """
        Schedule-Free AdamW (Defazio et al. 2024; facebookresearch/schedule_free, adamw_schedulefree.py):
        Adam's normalised step (no first moment: beta1 is the interpolation weight), no decay
        schedule, gradients at y, evaluation at the average x. train.fit switches between them
        by itself; by hand, opt:eval_params() before evaluating, opt:train_params() after.
          local opt = optim.ScheduleFreeAdamW(model, {lr = 2.5e-3, warmup = 100})
        """, options: [.init("beta1", .number, default: 0.9, range: .open(0, 1)), .init("beta2", .number, default: 0.999, range: .halfOpen(0, 1)),
                       .init("eps", .number, default: 1e-8, range: .nonNegative)] + shared, defaultLearningRate: 2.5e-3) { a in
        ScheduleFreeRule(adaptive: true, beta: a.number("beta1", default: 0.9), beta2: a.number("beta2", default: 0.999), eps: a.number("eps", default: 1e-8),
                         warmup: try a.size("warmup", default: 0), r: a.number("r", default: 0), weightPower: a.number("weight_lr_power", default: 2))
    }
}
