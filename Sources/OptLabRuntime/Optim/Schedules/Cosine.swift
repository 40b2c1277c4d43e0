import Foundation

/// torch's CosineAnnealingLR: lr = min + (lr0 − min)·(1 + cos(π·t/total))/2,
/// reaching min at `total` (and, as torch's, rising again after it).
public struct Cosine: ScheduleRule {
    public let total: Int, minimum: Double
    public var name: String { "cosine" }
    public var config: [String: Double] { ["total": Double(total), "min": minimum] }
    public func validate() throws {
        guard total > 0 else { throw RuntimeError(.argument, name, "total must be positive, got \(total)") }
        guard minimum >= 0 else { throw RuntimeError(.argument, name, "min must be non-negative, got \(minimum.shortDescription)") }
    }
    public func rate(at t: Int, initial lr0: Double) -> Double? {
        minimum + (lr0 - minimum) * (1 + Foundation.cos(Double.pi * Double(t) / Double(total))) / 2
    }

    public static let kind = ScheduleKind("cosine", signature: "optim.cosine(opt, {total=..., min=0, unit=\"epoch\"})",
        help: """
        torch's CosineAnnealingLR: lr = min + (lr0 − min)·(1 + cos(π·t/total))/2.
          local sched = optim.cosine(opt, {total = 50, min = 1e-5})
        """, options: [.init("total", .size), .init("min", .number, default: 0)]) { a in
        Cosine(total: try a.size("total"), minimum: a.number("min", default: 0))
    }
}

/// torch's CosineAnnealingWarmRestarts (SGDR, Loshchilov & Hutter 2017): a
/// cosine from lr0 to min over a period that restarts at lr0, the period
/// T0, then T0·T_mult, T0·T_mult², …
public struct CosineRestarts: ScheduleRule {
    public let period: Int, multiplier: Int, minimum: Double
    public var name: String { "cosine_restarts" }
    public var config: [String: Double] { ["T0": Double(period), "T_mult": Double(multiplier), "min": minimum] }
    public func validate() throws {
        guard period > 0, multiplier >= 1 else {
            throw RuntimeError(.argument, name, "T0 must be positive and T_mult at least 1, got T0 \(period), T_mult \(multiplier)")
        }
        guard minimum >= 0 else { throw RuntimeError(.argument, name, "min must be non-negative, got \(minimum.shortDescription)") }
    }
    /// The step within the current period and that period's length.
    func position(_ t: Int) -> (Int, Int) {
        if multiplier == 1 { return (t % period, period) }
        var (current, length) = (t, period)
        while current >= length {  // (periods grow geometrically: a few dozen at most)
            current -= length
            length *= multiplier
        }
        return (current, length)
    }
    public func rate(at t: Int, initial lr0: Double) -> Double? {
        let (current, length) = position(t)
        return minimum + (lr0 - minimum) * (1 + Foundation.cos(Double.pi * Double(current) / Double(length))) / 2
    }

    public static let kind = ScheduleKind("cosine_restarts", signature: "optim.cosine_restarts(opt, {T0=..., T_mult=1, min=0, unit=\"epoch\"})",
        help: """
        torch's CosineAnnealingWarmRestarts (SGDR): a cosine from lr0 to min over T0 steps,
        restarting at lr0 with each period T_mult times the last.
          local sched = optim.cosine_restarts(opt, {T0 = 10, T_mult = 2})
        """, options: [.init("T0", .size), .init("T_mult", .size, default: 1), .init("min", .number, default: 0)]) { a in
        CosineRestarts(period: try a.size("T0"), multiplier: try a.size("T_mult", default: 1), minimum: a.number("min", default: 0))
    }
}
