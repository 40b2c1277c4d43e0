import CLua
import CLuaBridge
import OptLabRuntime

/// A plain Lua function as a layer (`nn.Sequential{..., function(x) return x * 2 end}`
/// or `nn.Lambda(fn, "double")`): no parameters, its forward is the function.
final class LuaFunctionModule: Module {
    let function: LuaReference
    let label: String

    init(_ function: LuaReference, label: String) {
        self.function = function
        self.label = label
    }

    override var typeName: String { "Lambda" }
    override var summary: String { "Lambda(\(label))" }

    override func forward(_ x: Tensor) throws -> Tensor {
        let state = function.state
        guard let L = state.L else { throw RuntimeError(.argument, label, "its Lua state is closed") }
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        lua_rawgeti(L, OPTLAB_REGISTRYINDEX, lua_Integer(function.ref))
        let results = try state.callTop(arguments: [.tensor(x)], results: 1)
        guard case .argument(let slot)? = results.first, let t = state.tensor(at: slot) else {
            throw RuntimeError(.argument, label, "the layer's function must return a tensor")
        }
        return t
    }

    /// The same function: a function has no weights to copy.
    override func copyStructure() throws -> Module { LuaFunctionModule(function, label: label) }
}
