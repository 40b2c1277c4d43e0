import CLua
import CLuaBridge
import OptLabRuntime

/// The Swift half of `autograd.Function` (the rest is Lua/autograd.lua):
/// recording a node whose backward calls the user's Lua backward.
enum AutogradLibrary {
    static let summary = "functions with hand-written backward passes (autograd.Function)"

    static let functions: [LuaFunction] = [
        .primitive("record", as: "autograd.Function") { a in
            // record(name, output, {tensor inputs}, backward(gout) -> {grad or false, ...})
            let name = try a.string(1)
            let out = try a.tensor(2)
            guard case .array(let items) = try a.value(3) else { throw a.typeError(3, expected: "table of tensors") }
            let inputs = items.compactMap(\.tensor)
            guard case .function(let backward) = try a.value(4) else { throw a.typeError(4, expected: "function") }
            let state = a.state
            return [.tensor(CustomFunction.record(name, output: out, inputs: inputs) { g in
                try state.callGradients(backward, g, name: name)
            })]
        },
        .primitive("kink", as: "ctx:kink") { a in
            CustomFunction.recordKink(try a.string(1), try a.tensor(2))
            return []
        },
    ]
}

extension BindingState {
    /// Calls a Function's Lua backward wrapper with the output gradient; it
    /// answers one entry per tensor input: a tensor, or false for none.
    func callGradients(_ ref: LuaReference, _ g: Tensor, name: String) throws -> [Tensor?] {
        guard let L else { throw LuaFaceError(.failed, "the Lua state is closed", function: name) }
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        lua_rawgeti(L, OPTLAB_REGISTRYINDEX, lua_Integer(ref.ref))
        let results = try callTop(arguments: [.tensor(g)], results: 1)
        guard case .argument(let slot)? = results.first, case .array(let items) = try read(slot, depth: 0) else { return [] }
        return try items.enumerated().map { i, v in
            switch v {
            case .tensor(let t): return t
            case .bool(false), .nil: return nil
            default: throw LuaFaceError(.failed, "\(name)'s backward returned \(v.typeName) as gradient \(i + 1) (a tensor or nil expected)")
            }
        }
    }
}
