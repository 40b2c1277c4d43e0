/// lr = lr0 / (1 + k·t), the notes' 1/t decay.
public struct InverseDecay: ScheduleRule {
    public let k: Double
    public init(k: Double) { self.k = k }

    public var name: String { "inv_decay" }
    public var config: [String: Double] { ["k": k] }
    public func validate() throws { try requireDecayRate(k) }
    public func rate(at t: Int, initial lr0: Double) -> Double? { lr0 / (1 + k * Double(t)) }

    public static let kind = ScheduleKind("inv_decay", signature: "optim.inv_decay(opt, {k=0.1, unit=\"epoch\"})", help: "lr = lr0/(1 + k·t).",
        options: [.init("k", .number, default: 0.1, range: .nonNegative)]) { a in InverseDecay(k: a.number("k", default: 0.1)) }
}

extension ScheduleRule where Self == InverseDecay {
    public static func inverse(k: Double) -> InverseDecay { InverseDecay(k: k) }
}
