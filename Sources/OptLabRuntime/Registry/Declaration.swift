/// One kind of thing optlab builds by name: a layer, a loss, an update rule,
/// a schedule, a search sampler. Declared once, beside the thing, and listed
/// in its registry (`Layers.all`, `Losses.all`, `UpdateRules.all`,
/// `Schedules.all`, `Samplers.all`); the Lua constructor (`nn.Linear`,
/// `optim.Adam`, ...), its help, its checks of arguments, checkpoint loading
/// and the registry tests are all made from the declaration, so a kind cannot
/// be half registered.
///
/// `Traits` holds what only one family needs (a layer's tensors, a rule's
/// default rate, a sampler's timing).
public struct Declaration<Made, Traits: Sendable>: Sendable {
    public typealias Parameter = ConstructorParameter

    /// As Lua, messages and checkpoints name it: "Linear", "Adam", "step_decay".
    public let name: String
    /// How Lua calls it: `nn.Linear(in, out [, {bias=true, init="small"}])`.
    public let signature: String
    /// What it does, its formula and an example (what `help` prints).
    public let help: String
    /// Given in order; those with defaults may be left out at the end.
    public let positional: [Parameter]
    /// Given in a trailing table.
    public let options: [Parameter]
    public let traits: Traits
    public let make: @Sendable (ConstructorArguments) throws -> Made

    public init(_ name: String, signature: String, help: String, positional: [Parameter] = [], options: [Parameter] = [],
                traits: Traits, make: @escaping @Sendable (ConstructorArguments) throws -> Made) {
        self.name = name
        self.signature = signature
        self.help = help
        self.positional = positional
        self.options = options
        self.traits = traits
        self.make = make
    }

    /// Every name an option may be given by (aliases included).
    public var optionNames: [String] { options.flatMap { [$0.name] + $0.aliases } }
}

/// The list of one family's declarations, looked up by name.
public struct Registry<Made, Traits: Sendable>: Sendable {
    public let all: [Declaration<Made, Traits>]
    private let byName: [String: Int]

    public init(_ all: [Declaration<Made, Traits>]) {
        var byName: [String: Int] = [:]
        for (i, d) in all.enumerated() {
            // (every registry is a static list in the code, made once at start: a duplicate is a
            // programming error the registry tests show at once; no file, message or script reaches here)
            precondition(byName[d.name] == nil, "\(d.name) is registered twice")
            byName[d.name] = i
        }
        self.all = all
        self.byName = byName
    }

    /// The declaration named `name`, or nil.
    public func named(_ name: String) -> Declaration<Made, Traits>? { byName[name].map { all[$0] } }

    public var names: [String] { all.map(\.name) }
}
