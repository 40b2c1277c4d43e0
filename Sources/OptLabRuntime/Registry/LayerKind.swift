/// Everything optlab knows about one kind of layer, declared once beside the
/// layer: its name, its constructor's arguments, its help, and how to build
/// it from them. The Lua constructor (`nn.Linear(784, 256, {bias = false})`),
/// checkpoint loading and cloning (`ModuleSpec.build`) and `help` are all
/// made from this declaration, so a layer cannot be half registered.
///
/// A layer's arguments are named by the keys of its `config`, which is what a
/// checkpoint stores: loading a checkpoint passes its config back as the
/// arguments.
public struct LayerKind: Sendable {
    public typealias Parameter = ConstructorParameter

    public let name: String
    /// How Lua calls it: `nn.Linear(in, out [, {bias=true, init="small"}])`.
    public let signature: String
    public let help: String
    /// Given in order; those with defaults may be left out at the end.
    public let positional: [Parameter]
    /// Given in a trailing table.
    public let options: [Parameter]
    /// Built from a list of modules (Sequential), not from numbers.
    public let takesChildren: Bool
    /// Whether `nn.<name>` is made from this declaration (Ensemble's Lua face is its own).
    public let inLua: Bool
    /// The parameters and buffers the layer makes from these arguments, by
    /// name and shape, in order; computed without allocating them, so that
    /// loading a checkpoint checks the file against the architecture first.
    /// (The tests build every kind and compare.)
    public let tensors: @Sendable (ConstructorArguments) throws -> [LayerTensor]
    public let make: @Sendable (ConstructorArguments) throws -> Module

    public init(_ name: String, signature: String, help: String, positional: [Parameter] = [], options: [Parameter] = [],
                takesChildren: Bool = false, inLua: Bool = true,
                tensors: @escaping @Sendable (ConstructorArguments) throws -> [LayerTensor] = { _ in [] },
                make: @escaping @Sendable (ConstructorArguments) throws -> Module) {
        self.name = name
        self.signature = signature
        self.help = help
        self.positional = positional
        self.options = options
        self.takesChildren = takesChildren
        self.inLua = inLua
        self.tensors = tensors
        self.make = make
    }
}

/// A parameter or buffer a layer makes: its name in the layer, its shape.
public struct LayerTensor: Sendable, Equatable {
    public var name: String
    public var shape: [Int]
    public var isBuffer: Bool

    public static func parameter(_ name: String, _ shape: [Int]) -> LayerTensor { LayerTensor(name: name, shape: shape, isBuffer: false) }
    public static func buffer(_ name: String, _ shape: [Int]) -> LayerTensor { LayerTensor(name: name, shape: shape, isBuffer: true) }
}

extension LayerKind {
    /// The `init` option of layers with weights.
    static let initOption = Parameter("init", .choice(Initialization.allCases.map(\.rawValue)))
}
