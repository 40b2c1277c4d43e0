/// torch's LinearLR: the factor moves linearly from `start` to `stop` over
/// `total` steps, then stays: lr = lr0·(start + (stop − start)·min(t, total)/total).
/// With stop = 0 it is linear decay to zero.
public struct LinearSchedule: ScheduleRule {
    public let start: Double, stop: Double, total: Int
    public var name: String { "linear" }
    public var config: [String: Double] { ["start": start, "stop": stop, "total": Double(total)] }
    public func validate() throws {
        guard start > 0, start <= 1, stop >= 0, stop <= 1 else {
            throw RuntimeError(.argument, name, "start must be in (0, 1] and stop in [0, 1], got start \(start.shortDescription), stop \(stop.shortDescription)")
        }
        guard total > 0 else { throw RuntimeError(.argument, name, "total must be positive, got \(total)") }
    }
    public func rate(at t: Int, initial lr0: Double) -> Double? {
        lr0 * (start + (stop - start) * Double(Swift.min(t, total)) / Double(total))
    }

    public static let kind = ScheduleKind("linear", signature: "optim.linear(opt, {start=1/3, stop=1, total=5, unit=\"epoch\"})",
        help: """
        torch's LinearLR: lr = lr0·(start + (stop − start)·min(t, total)/total), a linear
        warm-up (start < stop) or decay (stop = 0: linear to zero).
          local sched = optim.linear(opt, {start = 0.1, stop = 1, total = 5})
        """, options: [.init("start", .number, default: 1.0 / 3), .init("stop", .number, default: 1), .init("total", .size, default: 5)]) { a in
        LinearSchedule(start: a.number("start", default: 1.0 / 3), stop: a.number("stop", default: 1), total: try a.size("total", default: 5))
    }
}
