/// torch's ConstantLR: lr0·factor for the first `total` steps, then lr0.
public struct ConstantFactor: ScheduleRule {
    public let factor: Double, total: Int
    public var name: String { "constant" }
    public var config: [String: Double] { ["factor": factor, "total": Double(total)] }
    public func validate() throws {
        guard factor >= 0, factor <= 1 else { throw RuntimeError(.argument, name, "factor must be in [0, 1], got \(factor.shortDescription)") }
    }
    public func rate(at t: Int, initial lr0: Double) -> Double? { t < total ? lr0 * factor : lr0 }

    public static let kind = ScheduleKind("constant", signature: "optim.constant(opt, {factor=1/3, total=5, unit=\"epoch\"})",
        help: """
        torch's ConstantLR: lr0·factor for the first `total` steps, then lr0.
          local sched = optim.constant(opt, {factor = 0.5, total = 2})
        """, options: [.init("factor", .number, default: 1.0 / 3), .init("total", .size, default: 5)]) { a in
        ConstantFactor(factor: a.number("factor", default: 1.0 / 3), total: try a.size("total", default: 5))
    }
}
