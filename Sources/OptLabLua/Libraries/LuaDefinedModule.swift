import CLua
import CLuaBridge
import OptLabRuntime

/// A module whose class is written in Lua (`nn.Module:extend("Residual")`).
/// It is a `Module` like the built-in ones, so everything that works on a
/// model works on it; its children and parameters are what Lua assigned to
/// its fields, and its forward is its class's `forward`.
final class LuaDefinedModule: Module {
    let className: String
    /// The instance's own Lua table: plain fields, the class through its metatable.
    let instance: LuaReference

    init(className: String, instance: LuaReference) {
        self.className = className
        self.instance = instance
    }

    override var typeName: String { className }

    override var summary: String {
        children.isEmpty ? className : "\(className)(" + children.map { "\($0.name): \($0.module.summary)" }.joined(separator: ", ") + ")"
    }

    override func forward(_ x: Tensor) throws -> Tensor {
        let state = instance.state
        let results = try state.callSupport(.invoke, [.function(instance), .module(self), .tensor(x)])
        guard let t = results.first?.tensor else {
            throw RuntimeError(.argument, className, "forward must return a tensor, got \(results.first?.typeName ?? "nothing")")
        }
        return t
    }

    /// A new instance with the same plain fields, copies of the children,
    /// and fresh tensors of the parameters' and buffers' shapes (clone fills them).
    override func copyStructure() throws -> Module {
        let state = instance.state
        guard case .function(let table)? = try state.callSupport(.copy, [.function(instance)]).first else {
            throw RuntimeError(.argument, className, "cannot copy its fields")
        }
        let copy = LuaDefinedModule(className: className, instance: table)
        for (name, t) in parameterSlots { try copy.setParameter(name, try Tensor.zeros(t.shape, dtype: t.dtype)) }
        for (name, t) in bufferSlots { copy.setBuffer(name, try Tensor.zeros(t.shape, dtype: t.dtype)) }
        for (name, m) in children {
            let child = try m.copyStructure()
            try copy.setChild(name, child)
            _ = try state.callSupport(.store, [.function(table), .string(name), .module(child)])   // the mirror
        }
        return copy
    }
}
