import Foundation

/// torch's CyclicLR (Smith 2017): the rate climbs from `base` to `max` over
/// `up` steps and back over `down`, a triangle per cycle; "triangular2"
/// halves the amplitude each cycle, "exp_range" scales it by gamma^t. It
/// sets the rate itself (lr0 is not used), starting at `base`. Momentum (or
/// beta1) moves the other way between max_momentum and base_momentum, as
/// torch's `cycle_momentum` (on by default when the optimizer has one):
/// momentum = max_momentum − (max_momentum − base_momentum)·s·scale.
/// ```
/// cycle = ⌊1 + t/(up + down)⌋;  x = 1 + t/(up + down) − cycle
/// s = x ≤ r ? x/r : (x − 1)/(r − 1),  r = up/(up + down)
/// lr = base + (max − base)·s·scale,  scale = 1 | 1/2^(cycle−1) | gamma^t
/// ```
public struct Cyclic: ScheduleRule {
    public enum Mode: String, Sendable, CaseIterable { case triangular, triangular2, expRange = "exp_range" }
    public let base: Double, maximum: Double, up: Int, down: Int, mode: Mode, gamma: Double
    public var cycle = MomentumCycle(base: 0.8, max: 0.9)
    public var name: String { "cyclic" }
    public var config: [String: Double] {
        ["base": base, "max": maximum, "up": Double(up), "down": Double(down), "gamma": gamma].merging(cycle.config) { a, _ in a }
    }
    public var cyclesMomentum: Bool { cycle.on }
    public var momentumAskedFor: Bool { cycle.askedFor }
    public func validate() throws {
        guard base > 0, maximum >= base else {
            throw RuntimeError(.argument, name, "needs 0 < base ≤ max, got base \(base.shortDescription), max \(maximum.shortDescription)")
        }
        guard up > 0, down >= 0 else { throw RuntimeError(.argument, name, "up must be positive and down non-negative, got up \(up), down \(down)") }
        guard gamma > 0, gamma <= 1 else { throw RuntimeError(.argument, name, "gamma must be in (0, 1], got \(gamma.shortDescription)") }
        try cycle.validate(name)
    }
    public func rate(at t: Int, initial lr0: Double) -> Double? {
        let (s, scale) = position(t)
        return base + (maximum - base) * s * scale
    }
    public func momentum(at t: Int) -> Double? {
        guard cycle.on else { return nil }
        let (s, scale) = position(t)
        return cycle.max - (cycle.max - cycle.base) * s * scale
    }

    /// Where t is in its triangle (0 at the foot, 1 at the top) and the height's scale.
    private func position(_ t: Int) -> (Double, Double) {
        let size = Double(up + down), ratio = Double(up) / size
        let cycle = Foundation.floor(1 + Double(t) / size)
        let x = 1 + Double(t) / size - cycle
        let s = x <= ratio ? x / ratio : (x - 1) / (ratio - 1)
        switch mode {
        case .triangular: return (s, 1)
        case .triangular2: return (s, 1 / Foundation.pow(2, cycle - 1))
        case .expRange: return (s, Foundation.pow(gamma, Double(t)))
        }
    }

    public static let kind = ScheduleKind("cyclic", signature: "optim.cyclic(opt, {base=..., max=..., up=2000, down=up, mode=\"triangular\", gamma=1, cycle_momentum=true, base_momentum=0.8, max_momentum=0.9, unit=\"iteration\"})",
        help: """
        torch's CyclicLR (Smith 2017): a triangle from base up to max over `up` steps and back
        over `down`; mode "triangular2" halves the height each cycle, "exp_range" scales it by gamma^t.
        Starts at base (the optimizer's rate is not used). Momentum (or Adam's beta1) cycles the
        other way between max_momentum and base_momentum when the optimizer has one
        (cycle_momentum = false: left alone).
          local sched = optim.cyclic(opt, {base = 1e-3, max = 1e-2, up = 200})
        """, options: [.init("base", .number), .init("max", .number), .init("up", .size, default: 2000), .init("down", .size),
                       .init("mode", .choice(Mode.allCases.map(\.rawValue))), .init("gamma", .number, default: 1)]
                       + MomentumCycle.options(0.8, 0.9),
        defaultUnit: .iteration) { a in
        let word = a.choice("mode", default: "triangular")
        guard let mode = Mode(rawValue: word) else {
            throw RuntimeError(.argument, "optim.cyclic", "mode must be triangular, triangular2 or exp_range, got '\(word)'")
        }
        guard let base = a.numbers["base"], let maximum = a.numbers["max"] else {
            throw RuntimeError(.argument, "optim.cyclic", "base and max (the rates of the cycle) are required")
        }
        let up = try a.size("up", default: 2000)
        var r = Cyclic(base: base, maximum: maximum, up: up, down: try a.size("down", default: up), mode: mode, gamma: a.number("gamma", default: 1))
        r.cycle = MomentumCycle(a, base: 0.8, max: 0.9)
        return r
    }
}
