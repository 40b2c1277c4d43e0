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
    /// What it drives: "lr", or another hyperparameter by its option name
    /// ("momentum", "beta1", "weight_decay"), in every group that has it.
    public let hyperparameter: String
    /// The driven value when the schedule was made (lr0 for the rate; for
    /// another hyperparameter, the first group's that has it).
    public let initialRate: Double
    /// Per group, the value the schedule starts each group's from (nil: the
    /// group's rule has no such hyperparameter). The rate's groups follow the
    /// optimizer's rate in proportion, so it keeps only lr0.
    let initialValues: [Double?]
    /// Per group, the hyperparameter a schedule that cycles momentum moves
    /// ("momentum" or "beta1", whichever the group's rule has), or nil.
    let momentumNames: [String?]
    /// Whether the rule follows a watched metric (reduce-on-plateau) rather than the step.
    let metricDriven: Bool
    /// Steps taken (t) and what a metric-driven rule remembers.
    public internal(set) var state = ScheduleState()
    public var t: Int { state.t }

    /// `initialRate` (for a composite, its first part's) replaces the driven
    /// value the optimizer has now as the one the schedule starts from.
    public init(_ rule: some ScheduleRule, optimizer: Optimizer, unit: Unit = .epoch, hyperparameter: String = "lr",
                initialRate: Double? = nil) throws {
        try rule.validate()
        self.rule = rule
        self.unit = unit
        self.optimizer = optimizer
        self.hyperparameter = hyperparameter
        metricDriven = try rule.rate(at: 0, initial: 1) == nil
        if hyperparameter == "lr" {
            self.initialRate = initialRate ?? optimizer.learningRate
            initialValues = [self.initialRate]
        } else {
            guard !metricDriven else { throw RuntimeError(.argument, rule.name, "follows a watched metric: it drives the learning rate only") }
            let values = optimizer.hyperparameterValues(hyperparameter)
            guard let first = values.compactMap({ $0 }).first else {
                let has = (["lr", "weight_decay"] + optimizer.rule.hyperparameters.keys.sorted()).joined(separator: ", ")
                throw RuntimeError(.argument, rule.name, "the optimizer has no hyperparameter '\(hyperparameter)' to drive (it has \(has))")
            }
            self.initialRate = initialRate ?? first
            initialValues = values
        }
        // per group, what a momentum cycle moves: its momentum, else its beta1
        momentumNames = optimizer.groups.map { g in
            guard rule.cyclesMomentum else { return nil }
            let has = g.rule.hyperparameters
            return (has["momentum"] ?? 0) > 0 ? "momentum" : has["beta1"] != nil ? "beta1" : nil
        }
        if rule.momentumAskedFor && momentumNames.allSatisfy({ $0 == nil }) {
            throw RuntimeError(.argument, rule.name, "cycle_momentum needs an optimizer with momentum or beta1 (\(optimizer.rule.name) has neither)")
        }
        try apply(at: 0)
    }

    /// The driven value the rule gives at step t, for the first group (a
    /// metric-driven rule: the current rate).
    public func rate(at t: Int) throws -> Double {
        try rule.rate(at: t, initial: initialRate) ?? optimizer.learningRate
    }

    /// Sets what the schedule drives to its value at step t (nothing for a metric-driven rule).
    func apply(at t: Int) throws {
        if hyperparameter == "lr" {
            if let r = try rule.rate(at: t, initial: initialRate) { optimizer.learningRate = r }
        } else {
            try optimizer.setHyperparameter(hyperparameter, initialValues.map { v in try v.flatMap { try rule.rate(at: t, initial: $0) } })
        }
        if let mu = rule.momentum(at: t) {
            for (k, name) in momentumNames.enumerated() {
                guard let name else { continue }
                try optimizer.setHyperparameter(name, optimizer.groups.indices.map { $0 == k ? mu : nil })
            }
        }
    }

    /// Advances one unit; `metric` (e.g. validation accuracy) drives a metric-driven rule.
    public func step(metric: Double? = nil) throws {
        state.t += 1
        // (the rate is computed once a step: a Lua function's is a call into Lua)
        guard metricDriven else { return try apply(at: state.t) }
        optimizer.learningRate = try rule.next(&state, metric: metric, current: optimizer.learningRate)
    }

    /// "step_decay(every 5, factor 0.5)".
    public var summary: String {
        let of = hyperparameter == "lr" ? "" : " of \(hyperparameter)"
        return rule.name + "(" + rule.config.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value.shortDescription)" }.joined(separator: ", ") + ")" + of
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
    /// The rate at step t from the initial rate, or nil for a metric-driven
    /// rule (a Lua function's may throw).
    func rate(at t: Int, initial lr0: Double) throws -> Double?
    /// Whether it also cycles momentum (torch's OneCycleLR and CyclicLR do).
    var cyclesMomentum: Bool { get }
    /// Whether the user asked for that, so an optimizer without momentum is refused.
    var momentumAskedFor: Bool { get }
    /// The momentum (or beta1) at step t when it cycles momentum.
    func momentum(at t: Int) -> Double?
    /// A metric-driven rule's next rate, given what it remembers (`state`),
    /// the metric and the current rate.
    func next(_ state: inout ScheduleState, metric: Double?, current: Double) throws -> Double
}

extension ScheduleRule {
    public func validate() throws {}
    public var cyclesMomentum: Bool { false }
    public var momentumAskedFor: Bool { false }
    public func momentum(at t: Int) -> Double? { nil }

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
