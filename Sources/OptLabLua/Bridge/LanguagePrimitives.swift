import CLua
import OptLabRuntime

extension BindingState {
    /// What optlab's Lua files need to speak with the built-ins' voice:
    /// `P.kind(v)` (the type name messages use: "Module", "tensor", "nil")
    /// and `P.check_options(function, index, t, allowed [, place])`.
    /// (`P.raise` is C: it must longjmp, which Swift may not.)
    static let languagePrimitives: [LuaFunction] = [
        .primitive("kind", as: "kind") { a in [.string(a.typeName(1))] },
        .primitive("check_options", as: "options") { a in
            let function = try a.string(1)
            let index = try a.integer(2)
            if a.isNoneOrNil(3) { return [] }
            guard a.type(3) == LUA_TTABLE else {
                throw LuaFaceError(.argument, "bad argument #\(index) to '\(function)' (table of options expected, got \(a.typeName(3)))")
            }
            guard case .array(let names) = try a.value(4) else { throw a.typeError(4, expected: "list of option names") }
            let allowed = names.compactMap(\.string)
            let place = a.isNoneOrNil(5) ? nil : try a.string(5)
            guard case .record(let pairs) = try a.state.read(3, depth: 0, asRecord: true) else { return [] }
            for (key, _) in pairs where !allowed.contains(key) {
                throw LuaFaceError(.argument, OptionNames.unknown(key, allowed: allowed, function: function, place: place))
            }
            return []
        },
    ]
}
