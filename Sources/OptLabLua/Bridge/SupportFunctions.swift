import CLua
import CLuaBridge
import OptLabRuntime

/// The functions of optlab's Lua files that Swift calls back: module_classes.lua's
/// (a Lua module's field reads and writes, its forward, the copy clone makes)
/// and optimizers.lua's (a Lua rule's update, its state out and in).
enum SupportFunction: String, CaseIterable {
    case lookup, store, invoke, copy
    case update, export, `import`

    /// Tables come back by reference (a module's fields keep their identity);
    /// a rule's exported state is read as records.
    var keepsTables: Bool { self != .export }
}

extension BindingState {
    /// Takes the support functions a chunk returned (a table name → function).
    func installSupport(_ results: [LuaValue]) {
        guard case .record(let fields)? = results.first else { return }
        for (name, value) in fields {
            if let f = SupportFunction(rawValue: name), case .function(let ref) = value { support[f] = ref }
        }
    }

    /// Calls a support function, protected; its results as Swift values.
    func callSupport(_ f: SupportFunction, _ arguments: [LuaValue]) throws -> [LuaValue] {
        guard let L else { throw LuaFaceError(.failed, "the Lua state is closed") }
        guard let ref = support[f] else { throw LuaFaceError(.failed, "optlab's Lua support (\(f.rawValue)) is not set up in this state") }
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        lua_rawgeti(L, OPTLAB_REGISTRYINDEX, lua_Integer(ref.ref))
        return try callTop(arguments: arguments, results: LUA_MULTRET).map { v in
            if case .argument(let slot) = v { return try read(slot, depth: 0, asRecord: !f.keepsTables, keepTables: f.keepsTables) }
            return v
        }
    }
}

/// A Lua function kept for Swift to call later, from whatever Swift code
/// runs while Lua is calling into it (a schedule's step): protected, its
/// error thrown.
final class LuaCallback: @unchecked Sendable {
    let function: LuaReference
    init(_ function: LuaReference) { self.function = function }

    func callAsFunction(_ arguments: [LuaValue]) throws -> [LuaValue] {
        let state = function.state
        guard let L = state.L else { throw LuaFaceError(.failed, "the Lua state is closed") }
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        lua_rawgeti(L, OPTLAB_REGISTRYINDEX, lua_Integer(function.ref))
        return try state.callTop(arguments: arguments, results: 1).map { v in
            if case .argument(let slot) = v { return try state.read(slot, depth: 0) }
            return v
        }
    }
}
