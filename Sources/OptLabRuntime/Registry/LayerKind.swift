/// A layer's declaration: `nn.<name>`, checkpoint loading and cloning
/// (`ModuleSpec.build`) and `help` are made from it. A layer's arguments are
/// named by the keys of its `config`, which is what a checkpoint stores:
/// loading a checkpoint passes its config back as the arguments.
public typealias LayerKind = Declaration<Module, LayerTraits>

/// What only layers declare.
public struct LayerTraits: Sendable {
    /// Built from a list of modules (Sequential), not from numbers.
    public let takesChildren: Bool
    /// Whether `nn.<name>` is made from this declaration (Ensemble's Lua face is its own).
    public let inLua: Bool
    /// The parameters and buffers the layer makes from these arguments, by
    /// name and shape, in order; computed without allocating them, so that
    /// loading a checkpoint checks the file against the architecture first.
    /// (The tests build every kind and compare.)
    public let tensors: @Sendable (ConstructorArguments) throws -> [LayerTensor]
}

extension Declaration where Made == Module, Traits == LayerTraits {
    public init(_ name: String, signature: String, help: String, positional: [Parameter] = [], options: [Parameter] = [],
                takesChildren: Bool = false, inLua: Bool = true,
                tensors: @escaping @Sendable (ConstructorArguments) throws -> [LayerTensor] = { _ in [] },
                make: @escaping @Sendable (ConstructorArguments) throws -> Module) {
        self.init(name, signature: signature, help: help, positional: positional, options: options,
                  traits: LayerTraits(takesChildren: takesChildren, inLua: inLua, tensors: tensors), make: make)
    }

    public var takesChildren: Bool { traits.takesChildren }
    public var inLua: Bool { traits.inLua }
    public var tensors: @Sendable (ConstructorArguments) throws -> [LayerTensor] { traits.tensors }

    /// The `init` option of layers with weights.
    static var initOption: Parameter { Parameter("init", .choice(Initialization.allCases.map(\.rawValue))) }
}

/// A parameter or buffer a layer makes: its name in the layer, its shape.
public struct LayerTensor: Sendable, Equatable {
    public var name: String
    public var shape: [Int]
    public var isBuffer: Bool

    public static func parameter(_ name: String, _ shape: [Int]) -> LayerTensor { LayerTensor(name: name, shape: shape, isBuffer: false) }
    public static func buffer(_ name: String, _ shape: [Int]) -> LayerTensor { LayerTensor(name: name, shape: shape, isBuffer: true) }
}
