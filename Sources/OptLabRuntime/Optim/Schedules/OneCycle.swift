import Foundation

/// torch's OneCycleLR (Smith & Topin 2018): from max/div up to `max` over the
/// first pct_start of `total` steps, then down to max/(div·final_div); with
/// three_phase, back to max/div first and down to the minimum in a third
/// phase. Each phase is a cosine ("cos") or a straight line ("linear"). It
/// sets the rate itself (lr0 is not used); after `total` steps, where torch
/// raises an error, the rate stays at its last value. Momentum (or beta1)
/// moves the other way, from max_momentum down to base_momentum and back, as
/// torch's `cycle_momentum` (on by default when the optimizer has one).
public struct OneCycle: ScheduleRule {
    public let maximum: Double, total: Int, pctStart: Double, cosine: Bool, div: Double, finalDiv: Double, threePhase: Bool
    public var cycle = MomentumCycle(base: 0.85, max: 0.95)
    public var name: String { "one_cycle" }
    public var config: [String: Double] {
        ["max": maximum, "total": Double(total), "pct_start": pctStart, "div": div, "final_div": finalDiv,
         "three_phase": threePhase ? 1 : 0, "cos": cosine ? 1 : 0].merging(cycle.config) { a, _ in a }
    }
    public var cyclesMomentum: Bool { cycle.on }
    public var momentumAskedFor: Bool { cycle.askedFor }
    public func validate() throws {
        guard maximum > 0, total > 1 else { throw RuntimeError(.argument, name, "needs max > 0 and total > 1, got max \(maximum.shortDescription), total \(total)") }
        guard pctStart > 0, pctStart < 1 else { throw RuntimeError(.argument, name, "pct_start must be in (0, 1), got \(pctStart.shortDescription)") }
        guard div > 0, finalDiv > 0 else { throw RuntimeError(.argument, name, "div and final_div must be positive") }
        try cycle.validate(name)
    }

    /// (last step of the phase, its start rate, its end rate), as torch builds them.
    var phases: [(end: Double, from: Double, to: Double)] {
        let initial = maximum / div, minimum = initial / finalDiv, n = Double(total)
        if threePhase {
            return [(pctStart * n - 1, initial, maximum), (2 * pctStart * n - 2, maximum, initial), (n - 1, initial, minimum)]
        }
        return [(pctStart * n - 1, initial, maximum), (n - 1, maximum, minimum)]
    }

    public func rate(at t: Int, initial lr0: Double) -> Double? {
        interpolate(at: t) { k, all in (all[k].from, all[k].to) }
    }

    /// Momentum runs opposite to the rate: max → base while it climbs, back after.
    public func momentum(at t: Int) -> Double? {
        guard cycle.on else { return nil }
        let (lo, hi) = (cycle.base, cycle.max)
        return interpolate(at: t) { k, _ in [(hi, lo), (lo, hi), (hi, hi)][k] }
    }

    /// The phase t falls in, and `ends(k, phases)`'s values annealed across it.
    private func interpolate(at t: Int, _ ends: (Int, [(end: Double, from: Double, to: Double)]) -> (Double, Double)) -> Double? {
        let step = Double(Swift.min(t, total - 1))
        var start = 0.0
        let all = phases
        for (k, phase) in all.enumerated() {
            if step <= phase.end || k == all.count - 1 {
                let pct = (step - start) / (phase.end - start)
                let (from, to) = ends(k, all)
                return cosine ? to + (from - to) / 2 * (Foundation.cos(Double.pi * pct) + 1) : (to - from) * pct + from
            }
            start = phase.end
        }
        return nil
    }

    public static let kind = ScheduleKind("one_cycle", signature: "optim.one_cycle(opt, {max=..., total=..., pct_start=0.3, anneal=\"cos\", div=25, final_div=1e4, three_phase=false, cycle_momentum=true, base_momentum=0.85, max_momentum=0.95, unit=\"iteration\"})",
        help: """
        torch's OneCycleLR (Smith & Topin 2018): up from max/div to max over pct_start of
        `total` steps, then down to max/(div·final_div) (three_phase: back to max/div, then
        down), each phase a cosine or, with anneal = "linear", a line. Sets the rate itself.
        Momentum (or Adam's beta1) cycles the other way, max_momentum → base_momentum → back,
        when the optimizer has one (cycle_momentum = false: left alone).
          local sched = optim.one_cycle(opt, {max = 0.1, total = 1000})
        """, options: [.init("max", .number), .init("total", .size), .init("pct_start", .number, default: 0.3),
                       .init("anneal", .choice(["cos", "linear"])), .init("div", .number, default: 25),
                       .init("final_div", .number, default: 1e4), .init("three_phase", .flag, default: 0)] + MomentumCycle.options(0.85, 0.95),
        defaultUnit: .iteration) { a in
        let anneal = a.choice("anneal", default: "cos")
        guard anneal == "cos" || anneal == "linear" else {
            throw RuntimeError(.argument, "optim.one_cycle", "anneal must be cos or linear, got '\(anneal)'")
        }
        guard let maximum = a.numbers["max"] else { throw RuntimeError(.argument, "optim.one_cycle", "max (the peak rate) is required") }
        var r = OneCycle(maximum: maximum, total: try a.size("total"), pctStart: a.number("pct_start", default: 0.3), cosine: anneal == "cos",
                         div: a.number("div", default: 25), finalDiv: a.number("final_div", default: 1e4), threePhase: a.flag("three_phase", default: false))
        r.cycle = MomentumCycle(a, base: 0.85, max: 0.95)
        return r
    }
}
