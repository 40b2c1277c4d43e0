import Foundation

/// lr = lr0 · e^(−k·t)
public struct ExponentialDecay: ScheduleRule {
    public let k: Double
    public init(k: Double) { self.k = k }

    public var name: String { "exp_decay" }
    public var config: [String: Double] { ["k": k] }
    public func validate() throws { try requireDecayRate(k) }
    public func rate(at t: Int, initial lr0: Double) -> Double? { lr0 * Foundation.exp(-k * Double(t)) }

    public static let kind = ScheduleKind("exp_decay", signature: "optim.exp_decay(opt, {k=0.1, unit=\"epoch\"})", help: "lr = lr0·e^(−k·t).",
        options: [.init("k", .number, default: 0.1, range: .nonNegative)]) { a in ExponentialDecay(k: a.number("k", default: 0.1)) }
}

extension ScheduleRule where Self == ExponentialDecay {
    public static func exponential(k: Double) -> ExponentialDecay { ExponentialDecay(k: k) }
}
