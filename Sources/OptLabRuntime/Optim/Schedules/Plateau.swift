/// Reduce on plateau: lr ·= factor when the watched metric has not improved
/// (by more than `threshold`) for `patience` steps, then waits `cooldown`
/// steps; never below `minimum`. A change smaller than PyTorch's eps (1e-8)
/// is not made, as in ReduceLROnPlateau.
public struct Plateau: ScheduleRule {
    public enum Mode: String, Sendable { case max, min }
    public let factor: Double, patience: Int, cooldown: Int, minimum: Double, mode: Mode, threshold: Double

    public init(factor: Double, patience: Int, cooldown: Int, minimum: Double, mode: Mode, threshold: Double) {
        (self.factor, self.patience, self.cooldown, self.minimum, self.mode, self.threshold) = (factor, patience, cooldown, minimum, mode, threshold)
    }

    public var name: String { "plateau" }
    public var config: [String: Double] {
        ["factor": factor, "patience": Double(patience), "cooldown": Double(cooldown), "min": minimum, "threshold": threshold]
    }
    public func validate() throws {
        guard factor > 0, factor < 1, patience >= 0, cooldown >= 0, minimum >= 0 else {
            throw RuntimeError(.argument, name, "needs 0 < factor < 1 and non-negative patience, cooldown and min")
        }
    }
    public func rate(at t: Int, initial lr0: Double) -> Double? { nil }

    public func next(_ state: inout ScheduleState, metric: Double?, current: Double) throws -> Double {
        guard let metric, metric.isFinite else {
            throw RuntimeError(.argument, name, "step needs the watched metric (a finite number)")
        }
        let improved = state.best.map { mode == .max ? metric > $0 + threshold : metric < $0 - threshold } ?? true
        if improved { state.best = metric; state.badSteps = 0 } else { state.badSteps += 1 }
        if state.cooling > 0 { state.cooling -= 1; state.badSteps = 0; return current }
        guard state.badSteps > patience else { return current }
        state.cooling = cooldown
        state.badSteps = 0
        let reduced = Swift.max(minimum, current * factor)
        return current - reduced > 1e-8 ? reduced : current
    }

    public static let kind = ScheduleKind("plateau", signature: "optim.plateau(opt, {factor=0.5, patience=2, cooldown=0, min=0, mode=\"max\", threshold=0})", help: """
        Reduce on plateau: sched:step(metric) each epoch; when the metric (validation
        accuracy by default, mode "max") has not improved for `patience` epochs, lr ·= factor.
        """, options: [.init("factor", .number, default: 0.5), .init("patience", .size, default: 2), .init("cooldown", .size, default: 0),
                       .init("min", .number, default: 0), .init("mode", .choice(["max", "min"])), .init("threshold", .number, default: 0)]) { a in
        Plateau(factor: a.number("factor", default: 0.5), patience: try a.size("patience", default: 2), cooldown: try a.size("cooldown", default: 0),
                minimum: a.number("min", default: 0), mode: Mode(rawValue: a.choices["mode"] ?? "max") ?? .max,
                threshold: a.number("threshold", default: 0))
    }
}

extension ScheduleRule where Self == Plateau {
    public static func plateau(factor: Double, patience: Int, cooldown: Int, minimum: Double, mode: Plateau.Mode, threshold: Double) -> Plateau {
        Plateau(factor: factor, patience: patience, cooldown: cooldown, minimum: minimum, mode: mode, threshold: threshold)
    }
}
