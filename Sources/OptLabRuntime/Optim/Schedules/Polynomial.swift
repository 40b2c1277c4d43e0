import Foundation

/// torch's PolynomialLR: lr = lr0·(1 − min(t, total)/total)^power.
public struct Polynomial: ScheduleRule {
    public let total: Int, power: Double
    public var name: String { "polynomial" }
    public var config: [String: Double] { ["total": Double(total), "power": power] }
    public func validate() throws {
        guard total > 0 else { throw RuntimeError(.argument, name, "total must be positive, got \(total)") }
        guard power >= 0 else { throw RuntimeError(.argument, name, "power must be non-negative, got \(power.shortDescription)") }
    }
    public func rate(at t: Int, initial lr0: Double) -> Double? {
        lr0 * Foundation.pow(1 - Double(Swift.min(t, total)) / Double(total), power)
    }

    public static let kind = ScheduleKind("polynomial", signature: "optim.polynomial(opt, {total=5, power=1, unit=\"epoch\"})",
        help: """
        torch's PolynomialLR: lr = lr0·(1 − min(t, total)/total)^power (power 1: linear to zero).
          local sched = optim.polynomial(opt, {total = 100, power = 2})
        """, options: [.init("total", .size, default: 5), .init("power", .number, default: 1)]) { a in
        Polynomial(total: try a.size("total", default: 5), power: a.number("power", default: 1))
    }
}
