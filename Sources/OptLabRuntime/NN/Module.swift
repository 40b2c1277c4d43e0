import Foundation

/// The one layer contract (Torch7's `nn.Module`): a forward function, named
/// parameters and buffers, children, and a train/evaluate switch. The base
/// class keeps parameters, buffers and children itself, so that converting,
/// cloning, zeroing, saving and loading are written once, here.
///
/// ```swift
/// let model = try Sequential([Linear(784, 256), ReLU(), Linear(256, 10)])
/// let scores = try model(x)
/// for (name, p) in model.namedParameters() { print(name, p.shape) }  // "1.weight" [256, 784] …
/// ```
open class Module: CustomStringConvertible {
    /// Own parameters, in a stable order; layers read them by position.
    public internal(set) var parameterSlots: [(name: String, tensor: Tensor)] = []
    /// Own non-trained state (BatchNorm's running statistics).
    public internal(set) var bufferSlots: [(name: String, tensor: Tensor)] = []
    public internal(set) var children: [(name: String, module: Module)] = []
    /// Dropout and BatchNorm behave differently when training.
    public private(set) var isTraining = true

    public init() {}

    /// The type name used in descriptions and checkpoints ("Linear").
    open var typeName: String { String(describing: type(of: self)) }

    /// The constructor arguments, enough to rebuild the layer from a checkpoint.
    open var config: [String: Double] { [:] }

    /// The words it was built with (`init = "kaiming"`), recorded with the
    /// architecture so a run's folder says how it started.
    open var choices: [String: String] { [:] }

    /// The output for input `x`. Subclasses override this.
    open func forward(_ x: Tensor) throws -> Tensor {
        throw RuntimeError(.argument, typeName, "this module has no forward function")
    }

    public func callAsFunction(_ x: Tensor) throws -> Tensor { try forward(x) }

    /// One line: `Linear(784 -> 256)`.
    open var summary: String { typeName }

    open var description: String { summary }

    // MARK: parameters

    /// Parameters of this module and its children, named by path ("1.weight").
    public func namedParameters() -> [(name: String, tensor: Tensor)] {
        var out = parameterSlots.map { ($0.name, $0.tensor) }
        for (cname, child) in children {
            out += child.namedParameters().map { ("\(cname).\($0.name)", $0.tensor) }
        }
        return out
    }

    public func parameters() -> [Tensor] { namedParameters().map(\.tensor) }

    /// Every parameter with its name and the module that holds it (what optim.select filters by).
    public func parametersWithOwners() -> [(name: String, tensor: Tensor, owner: Module)] {
        var out = parameterSlots.map { ($0.name, $0.tensor, self) }
        for (cname, child) in children {
            out += child.parametersWithOwners().map { ("\(cname).\($0.name)", $0.tensor, $0.owner) }
        }
        return out
    }

    public func namedBuffers() -> [(name: String, tensor: Tensor)] {
        var out = bufferSlots.map { ($0.name, $0.tensor) }
        for (cname, child) in children {
            out += child.namedBuffers().map { ("\(cname).\($0.name)", $0.tensor) }
        }
        return out
    }

    /// The number of trainable numbers.
    public var parameterCount: Int { parameters().reduce(0) { $0 + $1.count } }

    /// Sets (or replaces, keeping its place) the parameter, buffer or child
    /// called `name`: how a module written in another language (Lua's)
    /// registers what its fields are assigned. Nil removes it.
    public func setParameter(_ name: String, _ t: Tensor?) throws {
        if let i = parameterSlots.firstIndex(where: { $0.name == name }) {
            if let t { try t.requiringGrad(); t.name = name; parameterSlots[i].tensor = t } else { parameterSlots.remove(at: i) }
        } else if let t {
            try addParameter(name, t)
        }
    }

    public func setBuffer(_ name: String, _ t: Tensor?) {
        if let i = bufferSlots.firstIndex(where: { $0.name == name }) {
            if let t { bufferSlots[i].tensor = t } else { bufferSlots.remove(at: i) }
        } else if let t {
            addBuffer(name, t)
        }
    }

    public func setChild(_ name: String, _ m: Module?) throws {
        if let m { try checkCanHold(m) }
        if let i = children.firstIndex(where: { $0.name == name }) {
            if let m { children[i].module = m } else { children.remove(at: i) }
        } else if let m {
            addChild(name, m)
        }
    }

    /// A module may not contain itself: the tree would be infinite.
    func checkCanHold(_ m: Module) throws {
        var stack = [m]
        var seen = Set<ObjectIdentifier>()
        while let top = stack.popLast() {
            if top === self {
                throw RuntimeError(.argument, "", "a module cannot be inside itself (this \(typeName) is inside the \(m.typeName) being added to it)")
            }
            guard seen.insert(ObjectIdentifier(top)).inserted else { continue }
            stack += top.children.map(\.module)
        }
    }

    func addParameter(_ name: String, _ t: Tensor) throws {
        try t.requiringGrad()
        t.name = name
        t.isParameter = true
        parameterSlots.append((name, t))
    }

    func addBuffer(_ name: String, _ t: Tensor) {
        bufferSlots.append((name, t))
    }

    func addChild(_ name: String, _ m: Module) {
        children.append((name, m))
    }

    @inline(__always)
    func parameter(_ i: Int) -> Tensor { parameterSlots[i].tensor }

    @inline(__always)
    func buffer(_ i: Int) -> Tensor { bufferSlots[i].tensor }

    /// Names every parameter by its path, for reports and optimizers.
    public func nameParameters(prefix: String = "") {
        for i in parameterSlots.indices { parameterSlots[i].tensor.name = prefix + parameterSlots[i].name }
        for (cname, child) in children { child.nameParameters(prefix: prefix + cname + ".") }
    }

    // MARK: modes and housekeeping

    public func train(_ on: Bool = true) {
        isTraining = on
        for (_, c) in children { c.train(on) }
    }

    public func evaluate() { train(false) }

    public func zeroGrad() {
        for p in parameters() { p.zeroGrad() }
    }

    /// Converts every parameter and buffer to `dtype`, in place (new tensors
    /// under the same names; an optimizer made before holds the old ones).
    public func to(_ dtype: DType) throws {
        for i in parameterSlots.indices {
            let old = parameterSlots[i].tensor
            let t = try Tensor.withNoGrad { try old.to(dtype).clone() }
            try t.requiringGrad()
            t.name = old.name
            parameterSlots[i].tensor = t
        }
        for i in bufferSlots.indices {
            bufferSlots[i].tensor = try Tensor.withNoGrad { try bufferSlots[i].tensor.to(dtype).clone() }
        }
        for (_, c) in children { try c.to(dtype) }
    }

    /// A deep copy with its own parameters (same values, no gradients).
    public func clone() throws -> Module {
        let copy = try copyStructure()
        if let dtype = parameters().first?.dtype, dtype != .f32 { try copy.to(dtype) }
        try copy.loadState(from: self)
        copy.train(isTraining)
        return copy
    }

    /// A new module of the same architecture, with fresh weights: a built-in
    /// layer from its description, a container with copies of its children.
    /// Modules that are not built in (Lua's) override it.
    open func copyStructure() throws -> Module {
        guard let kind = Layers.kind(named: typeName) else {
            throw RuntimeError(.argument, "clone", "\(typeName) is not a built-in layer and does not say how to copy itself")
        }
        return try kind.make(ConstructorArguments(layer: typeName, numbers: config, choices: choices, children: try children.map { try $0.module.copyStructure() }))
    }

    /// Whether this module and all inside it are built-in layers, so that a
    /// checkpoint's architecture can rebuild it without code.
    public var isBuiltIn: Bool {
        Layers.kind(named: typeName) != nil && children.allSatisfy { $0.module.isBuiltIn }
    }

    /// Copies parameter and buffer values from `other` (same architecture).
    public func loadState(from other: Module) throws {
        let mine = namedParameters() + namedBuffers(), theirs = other.namedParameters() + other.namedBuffers()
        guard mine.count == theirs.count else {
            throw RuntimeError(.shape, "load_state", "architectures differ: \(mine.count) tensors vs \(theirs.count)")
        }
        for (a, b) in zip(mine, theirs) {
            guard a.name == b.name else {
                throw RuntimeError(.shape, "load_state", "tensor '\(a.name)' vs '\(b.name)'")
            }
            try a.tensor.copy(from: b.tensor)
        }
    }
}

/// Shape checks shared by layers.
extension Module {
    /// (`what` is built only for the message: a layer call builds no string.)
    func expectRank(_ x: Tensor, _ ranks: [Int], what: @autoclosure () -> String) throws {
        guard ranks.contains(x.rank) else {
            throw RuntimeError(.shape, typeName, "expected \(what()), got shape \(describe(x.shape))")
        }
    }

    func expectFeatures(_ x: Tensor, _ n: Int, dim: Int) throws {
        guard x.shape[dim] == n else {
            throw RuntimeError(.shape, typeName, "expected \(n) input features, got shape \(describe(x.shape))")
        }
    }
}
