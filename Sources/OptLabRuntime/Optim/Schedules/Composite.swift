import Foundation

/// torch's SequentialLR: part k runs from milestone k−1 (the first from 0),
/// restarted at 0 there, each from the same initial rate.
/// ```
/// k = #{milestones ≤ t};  rate(t) = part_k(t − milestone_k−1)
/// ```
public struct SequentialSchedule: ScheduleRule {
    public let parts: [any ScheduleRule], milestones: [Int]
    public init(_ parts: [any ScheduleRule], milestones: [Int]) { (self.parts, self.milestones) = (parts, milestones) }
    public var name: String { "sequence" }
    public var config: [String: Double] {
        var c: [String: Double] = ["parts": Double(parts.count)]
        for (i, m) in milestones.enumerated() { c["milestone_\(i + 1)"] = Double(m) }
        return c
    }
    public func validate() throws {
        guard !parts.isEmpty, milestones.count == parts.count - 1 else {
            throw RuntimeError(.argument, "optim.sequence", "needs one milestone fewer than schedules, got \(parts.count) schedules and \(milestones.count) milestones")
        }
        guard zip(milestones, milestones.dropFirst()).allSatisfy({ $0 < $1 }), (milestones.first ?? 1) > 0 else {
            throw RuntimeError(.argument, "optim.sequence", "milestones must be positive and increasing, got \(milestones)")
        }
        for p in parts { try p.validate() }
    }
    public func rate(at t: Int, initial lr0: Double) throws -> Double? {
        let k = milestones.prefix { $0 <= t }.count
        return try parts[k].rate(at: t - (k > 0 ? milestones[k - 1] : 0), initial: lr0)
    }
    public var cyclesMomentum: Bool { parts.contains { $0.cyclesMomentum } }
    public var momentumAskedFor: Bool { parts.contains { $0.momentumAskedFor } }
    public func momentum(at t: Int) -> Double? {
        let k = milestones.prefix { $0 <= t }.count
        return parts[k].momentum(at: t - (k > 0 ? milestones[k - 1] : 0))
    }
}

/// torch's ChainedScheduler: every part at once, their factors multiplied.
/// ```
/// rate(t) = lr0 · Π_i part_i(t)/lr0
/// ```
/// (torch steps each part from the rate the previous one left, which is the
/// same product for schedules that multiply the rate: constant, linear,
/// exponential, step and multistep, polynomial.)
public struct ChainedSchedule: ScheduleRule {
    public let parts: [any ScheduleRule]
    public init(_ parts: [any ScheduleRule]) { self.parts = parts }
    public var name: String { "chain" }
    public var config: [String: Double] { ["parts": Double(parts.count)] }
    public func validate() throws {
        guard !parts.isEmpty else { throw RuntimeError(.argument, "optim.chain", "needs at least one schedule") }
        for p in parts { try p.validate() }
    }
    public func rate(at t: Int, initial lr0: Double) throws -> Double? {
        var r = lr0
        for p in parts {
            guard let v = try p.rate(at: t, initial: lr0) else { return nil }
            r *= lr0 == 0 ? 0 : v / lr0
        }
        return r
    }
}

/// torch's LambdaLR: the initial rate times a function of the step (a Lua
/// function in `optim.lambda`).
public struct LambdaSchedule: ScheduleRule {
    public let factor: @Sendable (Int) throws -> Double
    public init(_ factor: @escaping @Sendable (Int) throws -> Double) { self.factor = factor }
    public var name: String { "lambda" }
    public var config: [String: Double] { [:] }
    public func rate(at t: Int, initial lr0: Double) throws -> Double? {
        let f = try factor(t)
        guard f.isFinite, f >= 0 else { throw RuntimeError(.argument, "optim.lambda", "the function gave \(f) at step \(t), expected a finite factor ≥ 0") }
        return lr0 * f
    }
}
