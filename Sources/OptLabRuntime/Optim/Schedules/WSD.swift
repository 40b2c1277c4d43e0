import Foundation

/// Warm-up, stable, decay (Hu et al. 2024, MiniCPM; the schedule of current
/// LLM training): a linear warm-up to lr0 over `warmup` steps, lr0 for
/// `stable` steps, then down to `min` over `decay` steps, linearly, by a
/// cosine, or as 1 − √p ("sqrt", Hägele et al. 2024):
/// ```
/// t < warmup:                lr0·(t + 1)/warmup
/// t < warmup + stable:       lr0
/// else, p = min(1, (t − warmup − stable)/decay):
///                            min + (lr0 − min)·(1 − p | (1 + cos πp)/2 | 1 − √p)
/// ```
public struct WSD: ScheduleRule {
    public enum Shape: String, Sendable, CaseIterable { case linear, cosine, sqrt }
    public let warmup: Int, stable: Int, decay: Int, minimum: Double, shape: Shape
    public var name: String { "wsd" }
    public var config: [String: Double] { ["warmup": Double(warmup), "stable": Double(stable), "decay": Double(decay), "min": minimum] }
    public func validate() throws {
        guard decay > 0 else { throw RuntimeError(.argument, name, "decay (its steps) must be positive, got \(decay)") }
        guard minimum >= 0 else { throw RuntimeError(.argument, name, "min must be non-negative, got \(minimum.shortDescription)") }
    }
    public func rate(at t: Int, initial lr0: Double) -> Double? {
        if t < warmup { return lr0 * Double(t + 1) / Double(warmup) }
        if t < warmup + stable { return lr0 }
        let p = Swift.min(1, Double(t - warmup - stable) / Double(decay))
        let left: Double
        switch shape {
        case .linear: left = 1 - p
        case .cosine: left = (1 + Foundation.cos(Double.pi * p)) / 2
        case .sqrt: left = 1 - p.squareRoot()
        }
        return minimum + (lr0 - minimum) * left
    }

    public static let kind = ScheduleKind("wsd", signature: "optim.wsd(opt, {warmup=0, stable=..., decay=..., min=0, shape=\"linear\", unit=\"iteration\"})",
        help: """
        Warm-up–stable–decay (MiniCPM, 2024): linear warm-up to lr0 over `warmup` steps, lr0 for
        `stable` steps, then down to min over `decay` steps; shape "linear", "cosine" or "sqrt" (1 − √p).
          local sched = optim.wsd(opt, {warmup = 100, stable = 800, decay = 100})
        """, options: [.init("warmup", .size, default: 0), .init("stable", .size), .init("decay", .size), .init("min", .number, default: 0),
                       .init("shape", .choice(Shape.allCases.map(\.rawValue)))], defaultUnit: .iteration) { a in
        let word = a.choice("shape", default: "linear")
        guard let shape = Shape(rawValue: word) else { throw RuntimeError(.argument, "optim.wsd", "shape must be linear, cosine or sqrt, got '\(word)'") }
        return WSD(warmup: try a.size("warmup", default: 0), stable: try a.size("stable"), decay: try a.size("decay"),
                   minimum: a.number("min", default: 0), shape: shape)
    }
}
