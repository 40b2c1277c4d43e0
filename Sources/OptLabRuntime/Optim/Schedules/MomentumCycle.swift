/// The momentum half of torch's OneCycleLR and CyclicLR (`cycle_momentum`):
/// momentum (or beta1) between `base` and `max`, opposite to the rate. On by
/// default, where it moves the optimizer's momentum or beta1 if its rule has
/// one; asked for explicitly, an optimizer without either is refused.
public struct MomentumCycle: Sendable {
    public var on = true, askedFor = false
    public var base: Double, max: Double
    public init(base: Double, max: Double) { (self.base, self.max) = (base, max) }

    init(_ a: ConstructorArguments, base: Double, max: Double) {
        self.init(base: a.number("base_momentum", default: base), max: a.number("max_momentum", default: max))
        on = a.flag("cycle_momentum", default: true)
        askedFor = a.numbers["cycle_momentum"] == 1
    }

    static func options(_ base: Double, _ max: Double) -> [ConstructorParameter] {
        [.init("cycle_momentum", .flag, default: 1), .init("base_momentum", .number, default: base), .init("max_momentum", .number, default: max)]
    }

    var config: [String: Double] { on ? ["base_momentum": base, "max_momentum": max] : ["cycle_momentum": 0] }

    func validate(_ name: String) throws {
        guard !on || (base >= 0 && base <= max && max < 1) else {
            throw RuntimeError(.argument, name, "needs 0 ≤ base_momentum ≤ max_momentum < 1, got \(base.shortDescription) and \(max.shortDescription)")
        }
    }
}
