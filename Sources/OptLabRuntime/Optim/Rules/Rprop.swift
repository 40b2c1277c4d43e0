/// Resilient backpropagation (Riedmiller & Braun 1993), as torch.optim.Rprop:
/// each weight's step size grows by eta+ while its gradient keeps its sign
/// and shrinks by eta− when it flips (and that step is skipped); only the
/// gradient's sign moves the weight. Step sizes start at lr.
/// ```
/// f = eta+ if dx·prev > 0, eta− if < 0, else 1;  step = clamp(step·f, min, max)
/// dx = 0 where f = eta−;  x −= sign(dx)·step;  prev = dx
/// ```
public struct RpropRule: UpdateRule {
    public let etaMinus: Double, etaPlus: Double, minStep: Double, maxStep: Double
    public var name: String { "Rprop" }
    public var hyperparameters: [String: Double] { ["etas_1": etaMinus, "etas_2": etaPlus, "step_sizes_1": minStep, "step_sizes_2": maxStep] }
    public var stateNames: [String] { ["prev", "step_size"] }
    public func validate() throws {
        guard etaMinus > 0, etaMinus < 1, etaPlus > 1 else {
            throw RuntimeError(.argument, name, "etas must be {eta−, eta+} with 0 < eta− < 1 < eta+, got {\(etaMinus.shortDescription), \(etaPlus.shortDescription)}")
        }
        guard minStep >= 0, maxStep >= minStep else {
            throw RuntimeError(.argument, name, "step_sizes must be {min, max} with 0 ≤ min ≤ max, got {\(minStep.shortDescription), \(maxStep.shortDescription)}")
        }
    }

    public func update<T: FloatElement>(_ x: UnsafeMutablePointer<T>, _ dx: UnsafePointer<T>, _ s: [UnsafeMutablePointer<T>],
                                        count n: Int, lr: Double, t: Int) -> Double {
        let (prev, step) = (s[0], s[1])
        let (minus, plus, lo, hi) = (T(etaMinus), T(etaPlus), T(minStep), T(maxStep))
        if t == 1 { for i in 0..<n { step[i] = T(lr) } }
        return updateLoop(n) { i in
            var g = dx[i]
            let product = g * prev[i]
            let f: T = product > 0 ? plus : product < 0 ? minus : 1
            step[i] = Swift.min(Swift.max(step[i] * f, lo), hi)
            if f == minus { g = 0 }
            let d: T = g > 0 ? -step[i] : g < 0 ? step[i] : 0
            x[i] += d
            prev[i] = g
            return d
        }
    }

    public static let kind = UpdateRuleKind("Rprop", signature: "optim.Rprop(params, {lr=1e-2, etas={0.5, 1.2}, step_sizes={1e-6, 50}})", help: """
        Resilient backpropagation (Riedmiller & Braun 1993), torch.optim.Rprop: each
        weight's step (starting at lr) grows by eta+ while its gradient keeps its sign
        and shrinks by eta− when it flips (that step skipped); x −= sign(dx)·step,
        the step kept in step_sizes = {min, max}. For full-batch training.
          local opt = optim.Rprop(model, {etas = {0.5, 1.2}})
        """, options: [.init("etas", .numberPair), .init("step_sizes", .numberPair)], defaultLearningRate: 1e-2) { a in
        let (minus, plus) = a.numberPair("etas", default: (0.5, 1.2)), (lo, hi) = a.numberPair("step_sizes", default: (1e-6, 50))
        return RpropRule(etaMinus: minus, etaPlus: plus, minStep: lo, maxStep: hi)
    }
}
