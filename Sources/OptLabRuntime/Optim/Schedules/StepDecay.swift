import Foundation

/// lr = lr0 · factor^⌊t / every⌋
public struct StepDecay: ScheduleRule {
    public let every: Int, factor: Double
    public init(every: Int, factor: Double) { (self.every, self.factor) = (every, factor) }

    public var name: String { "step_decay" }
    public var config: [String: Double] { ["every": Double(every), "factor": factor] }
    public func validate() throws {
        guard every > 0, factor > 0 else { throw RuntimeError(.argument, name, "every must be positive and factor positive") }
    }
    public func rate(at t: Int, initial lr0: Double) -> Double? { lr0 * Foundation.pow(factor, Double(t / every)) }

    public static let kind = ScheduleKind("step_decay", signature: "optim.step_decay(opt, {every=5, factor=0.5, unit=\"epoch\"})",
        help: "lr = lr0·factor^⌊t/every⌋; call sched:step() each unit.",
        options: [.init("every", .size, default: 5, range: .positive), .init("factor", .number, default: 0.5, range: .positive)]) { a in
        StepDecay(every: try a.size("every", default: 5), factor: a.number("factor", default: 0.5))
    }
}

extension ScheduleRule where Self == StepDecay {
    public static func step(every: Int, factor: Double) -> StepDecay { StepDecay(every: every, factor: factor) }
}
