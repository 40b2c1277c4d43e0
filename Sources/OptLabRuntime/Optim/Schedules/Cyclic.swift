import Foundation

/// torch's CyclicLR (Smith 2017): the rate climbs from `base` to `max` over
/// `up` steps and back over `down`, a triangle per cycle; "triangular2"
/// halves the amplitude each cycle, "exp_range" scales it by gamma^t. It
/// sets the rate itself (lr0 is not used), starting at `base`.
/// ```
/// cycle = ⌊1 + t/(up + down)⌋;  x = 1 + t/(up + down) − cycle
/// s = x ≤ r ? x/r : (x − 1)/(r − 1),  r = up/(up + down)
/// lr = base + (max − base)·s·scale,  scale = 1 | 1/2^(cycle−1) | gamma^t
/// ```
public struct Cyclic: ScheduleRule {
    public enum Mode: String, Sendable, CaseIterable { case triangular, triangular2, expRange = "exp_range" }
    public let base: Double, maximum: Double, up: Int, down: Int, mode: Mode, gamma: Double
    public var name: String { "cyclic" }
    public var config: [String: Double] {
        ["base": base, "max": maximum, "up": Double(up), "down": Double(down), "gamma": gamma]
    }
    public func validate() throws {
        guard base > 0, maximum >= base else {
            throw RuntimeError(.argument, name, "needs 0 < base ≤ max, got base \(base.shortDescription), max \(maximum.shortDescription)")
        }
        guard up > 0, down >= 0 else { throw RuntimeError(.argument, name, "up must be positive and down non-negative, got up \(up), down \(down)") }
        guard gamma > 0, gamma <= 1 else { throw RuntimeError(.argument, name, "gamma must be in (0, 1], got \(gamma.shortDescription)") }
    }
    public func rate(at t: Int, initial lr0: Double) -> Double? {
        let size = Double(up + down), ratio = Double(up) / size
        let cycle = Foundation.floor(1 + Double(t) / size)
        let x = 1 + Double(t) / size - cycle
        let s = x <= ratio ? x / ratio : (x - 1) / (ratio - 1)
        let height = (maximum - base) * s
        switch mode {
        case .triangular: return base + height * 1
        case .triangular2: return base + height * (1 / Foundation.pow(2, cycle - 1))
        case .expRange: return base + height * Foundation.pow(gamma, Double(t))
        }
    }

    public static let kind = ScheduleKind("cyclic", signature: "optim.cyclic(opt, {base=..., max=..., up=2000, down=up, mode=\"triangular\", gamma=1, unit=\"iteration\"})",
        help: """
        torch's CyclicLR (Smith 2017): a triangle from base up to max over `up` steps and back
        over `down`; mode "triangular2" halves the height each cycle, "exp_range" scales it by gamma^t.
        Starts at base (the optimizer's rate is not used).
          local sched = optim.cyclic(opt, {base = 1e-3, max = 1e-2, up = 200})
        """, options: [.init("base", .number), .init("max", .number), .init("up", .size, default: 2000), .init("down", .size),
                       .init("mode", .choice(Mode.allCases.map(\.rawValue))), .init("gamma", .number, default: 1)],
        defaultUnit: .iteration) { a in
        let word = a.choice("mode", default: "triangular")
        guard let mode = Mode(rawValue: word) else {
            throw RuntimeError(.argument, "optim.cyclic", "mode must be triangular, triangular2 or exp_range, got '\(word)'")
        }
        guard let base = a.numbers["base"], let maximum = a.numbers["max"] else {
            throw RuntimeError(.argument, "optim.cyclic", "base and max (the rates of the cycle) are required")
        }
        let up = try a.size("up", default: 2000)
        return Cyclic(base: base, maximum: maximum, up: up, down: try a.size("down", default: up), mode: mode, gamma: a.number("gamma", default: 1))
    }
}
