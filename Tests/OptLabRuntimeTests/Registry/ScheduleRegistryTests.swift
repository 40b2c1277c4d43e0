import Foundation
import Testing
@testable import OptLabRuntime

/// Every registered schedule, built from its declaration, against its closed
/// form (or a hand-worked sequence for a metric-driven one), and resumed
/// exactly from its saved counters. A schedule added to `Schedules.all`
/// without an entry here fails `everyScheduleHasAnEntry`.
@Suite struct ScheduleRegistryTests {
    struct Entry: Sendable {
        var options: [String: Double] = [:]
        var choices: [String: String] = [:]
        /// The rate after step t (t = 1...), from lr0 = 0.1; or for a metric-driven rule the rates after each metric.
        var closedForm: (@Sendable (Int) -> Double)?
        var metrics: [Double] = []
        var rates: [Double] = []
    }

    static let entries: [String: Entry] = [
        "step_decay": Entry(options: ["every": 3, "factor": 0.5], closedForm: { 0.1 * pow(0.5, Double($0 / 3)) }),
        "exp_decay": Entry(options: ["k": 0.2], closedForm: { 0.1 * exp(-0.2 * Double($0)) }),
        "inv_decay": Entry(options: ["k": 0.5], closedForm: { 0.1 / (1 + 0.5 * Double($0)) }),
        "warmup_cosine": Entry(options: ["warmup": 4, "total": 14, "min": 0.01], closedForm: { t in
            t < 4 ? 0.1 * Double(t + 1) / 4 : 0.01 + 0.045 * (1 + cos(Double.pi * Double(Swift.min(t, 14) - 4) / 10)) }),
        "linear": Entry(options: ["start": 0.25, "stop": 1, "total": 8], closedForm: Forms.linear),
        "constant": Entry(options: ["factor": 0.5, "total": 3], closedForm: Forms.constant),
        "multistep": Entry(options: ["milestones_count": 2, "milestones_1": 3, "milestones_2": 7, "factor": 0.5], closedForm: Forms.multistep),
        "polynomial": Entry(options: ["total": 10, "power": 2], closedForm: Forms.polynomial),
        "cosine": Entry(options: ["total": 10, "min": 0.01], closedForm: Forms.cosine),
        "cosine_restarts": Entry(options: ["T0": 4], closedForm: Forms.cosineRestarts),
        "cyclic": Entry(options: ["base": 0.01, "max": 0.1, "up": 3, "down": 3], closedForm: Forms.cyclic),
        "one_cycle": Entry(options: ["max": 0.2, "total": 20], closedForm: Forms.oneCycle),
        "wsd": Entry(options: ["warmup": 2, "stable": 3, "decay": 5], closedForm: Forms.wsd),
        // Worked by hand: two steps without improvement (> patience 1) cut the rate by half
        // (not below 0.025); the step after a cut is a cooldown step.
        "plateau": Entry(options: ["factor": 0.5, "patience": 1, "cooldown": 1, "min": 0.025], choices: ["mode": "max"],
                         metrics: [0.5, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.7],
                         rates: [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.025, 0.025, 0.025]),
    ]

    /// The torch-style schedules' formulas from lr0 = 0.1, written out (their sequences
    /// against torch's own are SchedulesAgainstPyTorchTests).
    enum Forms {
        static func linear(_ t: Int) -> Double { 0.1 * (0.25 + 0.75 * Double(Swift.min(t, 8)) / 8) }
        static func constant(_ t: Int) -> Double { t < 3 ? 0.1 * 0.5 : 0.1 }
        static func multistep(_ t: Int) -> Double { 0.1 * pow(0.5, Double((t >= 3 ? 1 : 0) + (t >= 7 ? 1 : 0))) }
        static func polynomial(_ t: Int) -> Double { 0.1 * pow(1 - Double(Swift.min(t, 10)) / 10, 2) }
        static func cosine(_ t: Int) -> Double { 0.01 + (0.1 - 0.01) * (1 + cos(Double.pi * Double(t) / 10)) / 2 }
        static func cosineRestarts(_ t: Int) -> Double { 0 + (0.1 - 0) * (1 + cos(Double.pi * Double(t % 4) / 4)) / 2 }
        /// A triangle of period 6 between 0.01 and 0.1.
        static func cyclic(_ t: Int) -> Double {
            let x = Double(t % 6)
            return 0.01 + (0.1 - 0.01) * (x <= 3 ? x / 3 : (6 - x) / 3)
        }
        /// Up from 0.2/25 over steps 0…5 (0.3·20 − 1), down to 0.2/25/1e4 at step 19.
        static func oneCycle(_ t: Int) -> Double {
            let low = 0.2 / 25, high = 0.2, floor = 0.2 / 25 / 1e4, s = Double(Swift.min(t, 19))
            if s <= 5 { return high + (low - high) / 2 * (cos(Double.pi * s / 5) + 1) }
            return floor + (high - floor) / 2 * (cos(Double.pi * (s - 5) / 14) + 1)
        }
        static func wsd(_ t: Int) -> Double {
            if t < 2 { return 0.1 * Double(t + 1) / 2 }
            if t < 5 { return 0.1 }
            return 0 + (0.1 - 0) * (1 - Swift.min(1, Double(t - 5) / 5))
        }
    }

    @Test func everyScheduleHasAnEntry() {
        for kind in Schedules.all { #expect(Self.entries[kind.name] != nil, "\(kind.name) is registered without a test entry") }
        for name in Self.entries.keys { #expect(Schedules.registry.named(name) != nil, "entry for \(name), which is not registered") }
    }

    static func make(_ name: String, lr: Double = 0.1) throws -> (Schedule, Optimizer, Entry) {
        let kind = try #require(Schedules.registry.named(name))
        let e = entries[name]!
        let opt = try Optimizer([Tensor.zeros([1]).requiringGrad()], rule: .sgd, learningRate: lr)
        let rule = try kind.make(ConstructorArguments(layer: name, numbers: e.options, choices: e.choices))
        return (try Schedule(rule, optimizer: opt), opt, e)
    }

    /// The rates after each of n steps, the schedule saved and restored into a new one after `split` steps.
    static func rates(_ name: String, steps n: Int, split: Int? = nil) throws -> [Double] {
        var (s, opt, e) = try make(name)
        var out: [Double] = []
        for t in 1...n {
            if t - 1 == split {
                let saved = s.savedState, lr = opt.learningRate
                (s, opt, _) = try make(name)
                s.restore(saved)
                opt.learningRate = lr
            }
            try s.step(metric: e.metrics.isEmpty ? nil : e.metrics[t - 1])
            out.append(opt.learningRate)
        }
        return out
    }

    @Test(arguments: Schedules.all.map(\.name))
    func ratesFollowTheirFormula(_ name: String) throws {
        guard let e = Self.entries[name] else { return }
        let n = e.metrics.isEmpty ? 16 : e.metrics.count
        let got = try Self.rates(name, steps: n)
        let expected = e.closedForm.map { f in (1...n).map(f) } ?? e.rates
        expectClose(got, expected, tolerance: 4e-15)  // (a few ulps: the formulas above are not written in the rules' order)
        let (s, _, _) = try Self.make(name)
        if e.closedForm != nil { #expect(try s.rate(at: 5) == got[4], "\(name): rate(at:) previews what step gives") }
    }

    @Test(arguments: Schedules.all.map(\.name))
    func resumingMidwayGivesTheSameRates(_ name: String) throws {
        guard let e = Self.entries[name] else { return }
        let n = e.metrics.isEmpty ? 16 : e.metrics.count
        #expect(try Self.rates(name, steps: n, split: n / 2) == Self.rates(name, steps: n))
    }
}
