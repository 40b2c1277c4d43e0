import Foundation

/// torch's MultiStepLR: lr = lr0·factor^(the milestones reached by t).
public struct MultiStep: ScheduleRule {
    public let milestones: [Int], factor: Double
    public var name: String { "multistep" }
    public var config: [String: Double] {
        var c = ["factor": factor, "milestones_count": Double(milestones.count)]
        for (k, m) in milestones.enumerated() { c["milestones_\(k + 1)"] = Double(m) }
        return c
    }
    public func validate() throws {
        guard factor > 0 else { throw RuntimeError(.argument, name, "factor must be positive, got \(factor.shortDescription)") }
        guard zip(milestones, milestones.dropFirst()).allSatisfy({ $0 < $1 }) else {
            throw RuntimeError(.argument, name, "milestones must increase, got \(milestones)")
        }
    }
    public func rate(at t: Int, initial lr0: Double) -> Double? {
        lr0 * Foundation.pow(factor, Double(milestones.filter { $0 <= t }.count))
    }

    public static let kind = ScheduleKind("multistep", signature: "optim.multistep(opt, {milestones={...}, factor=0.1, unit=\"epoch\"})",
        help: """
        torch's MultiStepLR: the rate times factor at each milestone reached.
          local sched = optim.multistep(opt, {milestones = {30, 80}, factor = 0.1})
        """, options: [.init("milestones", .sizeList), .init("factor", .number, default: 0.1)]) { a in
        MultiStep(milestones: try a.sizeList("milestones"), factor: a.number("factor", default: 0.1))
    }
}
