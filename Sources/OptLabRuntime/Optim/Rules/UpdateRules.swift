/// How Lua builds an optimizer with a rule: `optim.Adam(params, {lr=1e-3, beta1=0.9, ...})`.
/// Its options (with their defaults and ranges) are declared once, beside the
/// rule, for the constructor, its help and its checks.
public typealias UpdateRuleKind = Declaration<any UpdateRule, UpdateRuleTraits>

/// What only update rules declare.
public struct UpdateRuleTraits: Sendable {
    /// Nil: lr must be given.
    public let defaultLearningRate: Double?
    /// Weight decay taken from the weights directly (AdamW) instead of added to the gradient.
    public let decoupledWeightDecay: Bool
    public let defaultWeightDecay: Double
}

extension Declaration where Made == any UpdateRule, Traits == UpdateRuleTraits {
    public init(_ name: String, signature: String, help: String, options: [Parameter], defaultLearningRate: Double? = nil,
                decoupledWeightDecay: Bool = false, defaultWeightDecay: Double = 0,
                make: @escaping @Sendable (ConstructorArguments) throws -> any UpdateRule) {
        self.init(name, signature: signature, help: help, options: options,
                  traits: UpdateRuleTraits(defaultLearningRate: defaultLearningRate, decoupledWeightDecay: decoupledWeightDecay,
                                           defaultWeightDecay: defaultWeightDecay), make: make)
    }

    public var defaultLearningRate: Double? { traits.defaultLearningRate }
    public var decoupledWeightDecay: Bool { traits.decoupledWeightDecay }
    public var defaultWeightDecay: Double { traits.defaultWeightDecay }

    /// Whether a rule built from these arguments takes its weight decay from the
    /// weights (AdamW's kind): by declaration, or by NAdam's and RAdam's
    /// `decoupled_weight_decay` option.
    public func decouples(_ a: ConstructorArguments) -> Bool {
        decoupledWeightDecay || a.flag("decoupled_weight_decay", default: false)
    }
}

/// The built-in update rules as Lua builds them (`optim.<name>`): adding a
/// rule is its file in Optim/Rules (the rule and its `kind`) and one line here.
public enum UpdateRules {
    public static let registry = Registry<any UpdateRule, UpdateRuleTraits>([
        SGDRule.kind, AdagradRule.kind, RMSpropRule.kind, AdamRule.kind, AdamRule.adamWKind,
        NAdamRule.kind, RAdamRule.kind, AdamaxRule.kind, AdadeltaRule.kind, RpropRule.kind, ASGDRule.kind,
        AdafactorRule.kind, MuonRule.kind, LionRule.kind, LAMBRule.kind, LARSRule.kind, SOAPRule.kind,
        ScheduleFreeRule.sgdKind, ScheduleFreeRule.adamWKind,
    ])

    public static var all: [UpdateRuleKind] { registry.all }

    /// The options of Adam's family as rules declare them: beta1, beta2 in [0, 1), eps ≥ 0.
    static func momentOptions(eps: Double) -> [ConstructorParameter] {
        [.init("beta1", .number, default: 0.9, range: .halfOpen(0, 1)), .init("beta2", .number, default: 0.999, range: .halfOpen(0, 1)),
         .init("eps", .number, default: eps, range: .nonNegative)]
    }
}
