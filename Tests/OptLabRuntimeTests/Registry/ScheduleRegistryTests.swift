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
        // Worked by hand: two steps without improvement (> patience 1) cut the rate by half
        // (not below 0.025); the step after a cut is a cooldown step.
        "plateau": Entry(options: ["factor": 0.5, "patience": 1, "cooldown": 1, "min": 0.025], choices: ["mode": "max"],
                         metrics: [0.5, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.7],
                         rates: [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.025, 0.025, 0.025]),
    ]

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
        expectClose(got, expected, tolerance: 1e-15)
        let (s, _, _) = try Self.make(name)
        if e.closedForm != nil { #expect(s.rate(at: 5) == got[4], "\(name): rate(at:) previews what step gives") }
    }

    @Test(arguments: Schedules.all.map(\.name))
    func resumingMidwayGivesTheSameRates(_ name: String) throws {
        guard let e = Self.entries[name] else { return }
        let n = e.metrics.isEmpty ? 16 : e.metrics.count
        #expect(try Self.rates(name, steps: n, split: n / 2) == Self.rates(name, steps: n))
    }
}
