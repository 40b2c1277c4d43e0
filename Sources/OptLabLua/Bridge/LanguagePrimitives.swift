import CLua
import OptLabRuntime

extension BindingState {
    /// What optlab's Lua files need to speak with the built-ins' voice:
    /// `P.kind(v)` (the type name messages use: "Module", "tensor", "nil"),
    /// `P.check_options(function, index, t, allowed [, place])`, and their
    /// errors, worded by `LuaFaceError` as every built-in's are and raised at
    /// the user's line: `P.argument_error(function, n, message)` (`bad
    /// argument #n to 'function' (message)`) and `P.fail(function, message)`
    /// (`function: message`).
    static let languagePrimitives: [LuaFunction] = [
        .primitive("argument_error", as: "argument_error") { a in
            throw LuaFaceError(argument: try a.integer(2), of: try a.string(1), try a.string(3))
        },
        .primitive("fail", as: "fail") { a in
            throw LuaFaceError(.failed, try a.string(2), function: try a.string(1))
        },
        .primitive("kind", as: "kind") { a in [.string(a.typeName(1))] },
        .primitive("check_options", as: "options") { a in
            let function = try a.string(1)
            let index = try a.integer(2)
            if a.isNoneOrNil(3) { return [] }
            guard a.type(3) == LUA_TTABLE else {
                throw LuaFaceError(argument: index, of: function, "table of options expected, got \(a.typeName(3))")
            }
            guard case .array(let names) = try a.value(4) else { throw a.typeError(4, expected: "list of option names") }
            let allowed = names.compactMap(\.string)
            let place = a.isNoneOrNil(5) ? nil : try a.string(5)
            guard case .record(let pairs) = try a.state.read(3, depth: 0, asRecord: true) else { return [] }
            for (key, _) in pairs where !allowed.contains(key) {
                throw LuaFaceError(.failed, OptionNames.unknown(key, allowed: allowed, place: place), function: function)
            }
            return []
        },
    ]
}
