import Foundation

/// Linear warm-up to lr0 over `warmup` steps, then cosine down to `minimum` at `total`:
/// ```
/// t < warmup:  lr = lr0 · (t + 1) / warmup
/// otherwise:   lr = min + ½(lr0 − min)(1 + cos(π·(t − warmup)/(total − warmup)))
/// ```
public struct WarmupCosine: ScheduleRule {
    public let warmup: Int, total: Int, minimum: Double
    public init(warmup: Int, total: Int, minimum: Double) { (self.warmup, self.total, self.minimum) = (warmup, total, minimum) }

    public var name: String { "warmup_cosine" }
    public var config: [String: Double] { ["warmup": Double(warmup), "total": Double(total), "min": minimum] }
    public func validate() throws {
        guard warmup >= 0, total > warmup, minimum >= 0 else {
            throw RuntimeError(.argument, name, "needs 0 ≤ warmup < total and min ≥ 0, got warmup \(warmup), total \(total), min \(minimum)")
        }
    }
    public func rate(at t: Int, initial lr0: Double) -> Double? {
        if t < warmup { return lr0 * Double(t + 1) / Double(warmup) }
        let p = Swift.min(1, Double(t - warmup) / Double(total - warmup))
        return minimum + 0.5 * (lr0 - minimum) * (1 + Foundation.cos(Double.pi * p))
    }

    public static let kind = ScheduleKind("warmup_cosine", signature: "optim.warmup_cosine(opt, {warmup=..., total=..., min=0, unit=\"iteration\"})",
        help: "Linear warm-up to lr0 over `warmup` steps, then cosine down to min at `total`.",
        options: [.init("warmup", .size, default: 0), .init("total", .size, default: 1), .init("min", .number, default: 0)],
        defaultUnit: .iteration) { a in
        WarmupCosine(warmup: try a.size("warmup", default: 0), total: try a.size("total", default: 1), minimum: a.number("min", default: 0))
    }
}

extension ScheduleRule where Self == WarmupCosine {
    public static func warmupCosine(warmup: Int, total: Int, minimum: Double) -> WarmupCosine {
        WarmupCosine(warmup: warmup, total: total, minimum: minimum)
    }
}
