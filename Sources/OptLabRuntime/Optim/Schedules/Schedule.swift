import Foundation

/// A learning-rate schedule acting on an optimizer's `learningRate`: a rule
/// (`ScheduleRule`, one file each in Optim/Schedules, listed in
/// `Schedules.all`) stepped once per unit, an epoch by default or an
/// iteration. lr0 is the optimizer's rate when the schedule is made.
///
/// ```swift
/// let schedule = try Schedule(.step(every: 5, factor: 0.5), optimizer: opt)
/// ```
public final class Schedule {
    public typealias PlateauMode = Plateau.Mode
    public enum Unit: String, Sendable { case epoch, iteration }

    public let rule: any ScheduleRule
    public let unit: Unit
    public let optimizer: Optimizer
    public let initialRate: Double
    /// Steps taken (t) and what a metric-driven rule remembers.
    public internal(set) var state = ScheduleState()
    public var t: Int { state.t }

    public init(_ rule: some ScheduleRule, optimizer: Optimizer, unit: Unit = .epoch) throws {
        try rule.validate()
        self.rule = rule
        self.unit = unit
        self.optimizer = optimizer
        initialRate = optimizer.learningRate
        if let r0 = rule.rate(at: 0, initial: initialRate) { optimizer.learningRate = r0 }
    }

    /// The learning rate the rule gives at step t (a metric-driven rule: the current one).
    public func rate(at t: Int) -> Double { rule.rate(at: t, initial: initialRate) ?? optimizer.learningRate }

    /// Advances one unit; `metric` (e.g. validation accuracy) drives a metric-driven rule.
    public func step(metric: Double? = nil) throws {
        state.t += 1
        if let r = rule.rate(at: state.t, initial: initialRate) {
            optimizer.learningRate = r
            return
        }
        optimizer.learningRate = try rule.next(&state, metric: metric, current: optimizer.learningRate)
    }

    /// "step_decay(every 5, factor 0.5)".
    public var summary: String {
        rule.name + "(" + rule.config.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value.shortDescription)" }.joined(separator: ", ") + ")"
    }
}

/// One learning-rate schedule: a function of the step t (from 0, as the
/// schedule is made), or a rule that reacts to a watched metric.
public protocol ScheduleRule: Sendable {
    /// As Lua names it: "step_decay".
    var name: String { get }
    /// Its settings by option name (what config.json records).
    var config: [String: Double] { get }
    /// Throws a `RuntimeError` naming a setting out of its range.
    func validate() throws
    /// The rate at step t from the initial rate, or nil for a metric-driven rule.
    func rate(at t: Int, initial lr0: Double) -> Double?
    /// A metric-driven rule's next rate, given what it remembers (`state`),
    /// the metric and the current rate.
    func next(_ state: inout ScheduleState, metric: Double?, current: Double) throws -> Double
}

extension ScheduleRule {
    public func validate() throws {}

    /// A decay rate k: finite and non-negative, else an error naming it.
    func requireDecayRate(_ k: Double) throws {
        guard k >= 0, k.isFinite else { throw RuntimeError(.argument, name, "k must be non-negative, got \(k)") }
    }
    public func next(_ state: inout ScheduleState, metric: Double?, current: Double) throws -> Double { current }
}

/// What a schedule remembers between steps: the step count, and for a
/// metric-driven rule the best metric, the steps without improvement and
/// the cooldown left. Saved whole with a run's resume state.
public struct ScheduleState: Sendable, Equatable {
    public var t = 0
    public var best: Double?
    public var badSteps = 0
    public var cooling = 0
    public init() {}
}

/// A schedule's declaration: `optim.<name>(opt, {options..., unit=})` and its help.
public typealias ScheduleKind = Declaration<any ScheduleRule, ScheduleTraits>

/// What only schedules declare.
public struct ScheduleTraits: Sendable {
    /// The unit it steps in unless `unit` is given.
    public let defaultUnit: Schedule.Unit
}

extension Declaration where Made == any ScheduleRule, Traits == ScheduleTraits {
    public init(_ name: String, signature: String, help: String, options: [Parameter], defaultUnit: Schedule.Unit = .epoch,
                make: @escaping @Sendable (ConstructorArguments) throws -> any ScheduleRule) {
        self.init(name, signature: signature, help: help, options: options, traits: ScheduleTraits(defaultUnit: defaultUnit), make: make)
    }
}

/// A momentum schedule: mu grows linearly from `start` to `end` over `steps`
/// (the notes' 0.5 annealed to 0.99).
public struct MomentumSchedule: Sendable {
    public let start: Double, end: Double, steps: Int
    public init(start: Double, end: Double, steps: Int) throws {
        guard start >= 0, end < 1, start <= end, steps > 0 else {
            throw RuntimeError(.argument, "momentum_schedule", "needs 0 ≤ start ≤ end < 1 and positive steps")
        }
        (self.start, self.end, self.steps) = (start, end, steps)
    }
    public func momentum(at t: Int) -> Double { start + (end - start) * Swift.min(1, Double(t) / Double(steps)) }
}
