import CLua
import CLuaBridge
import OptLabRuntime

/// The arguments of one call from Lua, read with Lua API functions that
/// cannot raise (lua_type, lua_tonumberx, lua_toboolean, lua_touserdata,
/// lua_rawgeti, lua_rawlen, lua_next on tables we do not modify; lua_tolstring
/// only on values that are already strings, where it allocates nothing).
struct LuaArgs {
    let L: OpaquePointer
    /// The function being called; unowned(unsafe) because Lua holds the box
    /// for the state's lifetime, and a retain per call is measurable.
    unowned(unsafe) let box: FunctionBox
    /// The Tensor metatable's registry reference, read once per call.
    let tensorMetatable: Int32
    /// Results after the tensor a tensor-returning body gives (a recurrent
    /// layer's final states), pushed after it; empty on every other call.
    var moreResults: [LuaValue] = []

    var state: BindingState { box.state }
    var function: String { box.name }
    /// Methods count `self` as argument 0 in messages, as lauxlib does.
    var isMethod: Bool { box.isMethod }

    var count: Int { Int(lua_gettop(L)) }

    // MARK: messages

    func argumentError(_ i: Int, _ message: String) -> LuaFaceError {
        LuaFaceError(argument: isMethod ? i - 1 : i, of: function, message)
    }

    func typeError(_ i: Int, expected: String) -> LuaFaceError {
        argumentError(i, "\(expected) expected, got \(typeName(i))")
    }

    func typeName(_ i: Int) -> String {
        let t = lua_type(L, Int32(i))
        if t == LUA_TNONE { return "no value" }
        if t == LUA_TUSERDATA, let kind = state.objectKind(at: Int32(i)) { return kind }
        return String(cString: lua_typename(L, t))
    }

    func isNoneOrNil(_ i: Int) -> Bool { lua_type(L, Int32(i)) <= LUA_TNIL }

    func type(_ i: Int) -> Int32 { lua_type(L, Int32(i)) }

    // MARK: scalars

    /// The tensor at `i` as Lua holds it. The hottest paths (arithmetic)
    /// borrow it with `_withUnsafeGuaranteedRef`, which costs no retain: the
    /// stack keeps it alive for the call.
    @inline(__always)
    func tensorReference(_ i: Int) -> Unmanaged<Tensor>? {
        guard tensorMetatable != 0, let p = optlab_object_at(L, Int32(i), tensorMetatable) else { return nil }
        return Unmanaged<Tensor>.fromOpaque(p)
    }

    func tensor(_ i: Int) throws -> Tensor {
        guard let t = tensorReference(i) else { throw typeError(i, expected: "tensor") }
        return t.takeUnretainedValue()
    }

    func optionalTensor(_ i: Int) throws -> Tensor? {
        isNoneOrNil(i) ? nil : try tensor(i)
    }

    func number(_ i: Int) throws -> Double {
        var ok: Int32 = 0
        let v = lua_tonumberx(L, Int32(i), &ok)
        guard ok != 0, lua_type(L, Int32(i)) == LUA_TNUMBER else { throw typeError(i, expected: "number") }
        return v
    }

    func number(_ i: Int, default d: Double) throws -> Double {
        isNoneOrNil(i) ? d : try number(i)
    }

    func integer(_ i: Int) throws -> Int {
        let v = try number(i)
        guard v.rounded() == v, Swift.abs(v) < 9.0e15 else { throw argumentError(i, "number has no integer representation") }
        return Int(v)
    }

    func integer(_ i: Int, default d: Int) throws -> Int {
        isNoneOrNil(i) ? d : try integer(i)
    }

    func string(_ i: Int) throws -> String {
        guard lua_type(L, Int32(i)) == LUA_TSTRING else { throw typeError(i, expected: "string") }
        var len = 0
        guard let p = lua_tolstring(L, Int32(i), &len) else { throw typeError(i, expected: "string") }
        return String(decoding: UnsafeRawBufferPointer(start: p, count: len), as: UTF8.self)
    }

    func string(_ i: Int, default d: String) throws -> String {
        isNoneOrNil(i) ? d : try string(i)
    }

    func bool(_ i: Int, default d: Bool) throws -> Bool {
        if isNoneOrNil(i) { return d }
        guard lua_type(L, Int32(i)) == LUA_TBOOLEAN else { throw typeError(i, expected: "boolean") }
        return lua_toboolean(L, Int32(i)) != 0
    }

    func dtype(_ i: Int, default d: DType = .f32) throws -> DType {
        if isNoneOrNil(i) { return d }
        let name = try string(i)
        guard let t = try? DType(parsing: name) else { throw argumentError(i, "unknown dtype '\(name)' (expected f32, f64 or i32)") }
        return t
    }

    /// A 1-based Lua dimension (negative counts from the end) as a 0-based one.
    func dimension(_ i: Int, rank: Int) throws -> Int {
        let d = try integer(i)
        if d >= 1 && d <= rank { return d - 1 }
        if d < 0 && d >= -rank { return rank + d }
        throw argumentError(i, "dimension \(d) out of range for a \(rank)-d tensor (expected 1..\(rank) or -\(rank)..-1)")
    }

    func optionalDimension(_ i: Int, rank: Int) throws -> Int? {
        isNoneOrNil(i) ? nil : try dimension(i, rank: rank)
    }

    /// A shape given as a table `{2, 3}` at `i`, or as numbers `2, 3` from `i`
    /// on; returns the shape and the index of the first argument after it.
    func shape(_ i: Int) throws -> (shape: [Int], next: Int) {
        if lua_type(L, Int32(i)) == LUA_TTABLE {
            let n = Int(lua_rawlen(L, Int32(i)))
            guard n <= Tensor.maxRank else { throw argumentError(i, "shape has \(n) dimensions (at most \(Tensor.maxRank))") }
            var s: [Int] = []
            for k in 1...Swift.max(n, 1) where k <= n {
                lua_rawgeti(L, Int32(i), lua_Integer(k))
                var ok: Int32 = 0
                let v = lua_tonumberx(L, -1, &ok)
                lua_settop(L, -2)
                guard ok != 0, v.rounded() == v, v >= 0, v < 1e12 else {
                    throw argumentError(i, "shape entry \(k) is not a non-negative integer")
                }
                s.append(Int(v))
            }
            return (s, i + 1)
        }
        var s: [Int] = []
        var k = i
        while lua_type(L, Int32(k)) == LUA_TNUMBER {
            let v = try integer(k)
            guard v >= 0 else { throw argumentError(k, "size must be non-negative, got \(v)") }
            s.append(v)
            k += 1
        }
        guard !s.isEmpty || lua_type(L, Int32(i)) <= LUA_TNIL else { throw typeError(i, expected: "shape (table or sizes)") }
        return (s, k)
    }

    // MARK: general values

    /// Any argument as a Swift value (tables read recursively, functions by reference).
    func value(_ i: Int) throws -> LuaValue {
        try state.read(Int32(i), depth: 0)
    }

    /// An option table: every key must be one of `allowed` (a typo is an
    /// error, never silently ignored).
    func options(_ i: Int, allowed: [String]) throws -> LuaOptions {
        if isNoneOrNil(i) { return LuaOptions(values: [:], args: self, index: i) }
        guard lua_type(L, Int32(i)) == LUA_TTABLE else { throw typeError(i, expected: "table of options") }
        guard case .record(let pairs) = try state.read(Int32(i), depth: 0, asRecord: true) else {
            return LuaOptions(values: [:], args: self, index: i)
        }
        var values: [String: LuaValue] = [:]
        for (k, v) in pairs {
            guard allowed.contains(k) else {
                throw LuaFaceError(.failed, OptionNames.unknown(k, allowed: allowed))
            }
            values[k] = v
        }
        return LuaOptions(values: values, args: self, index: i)
    }

    /// Nothing after argument `last`: a constructor given more than it takes
    /// (`nn.ReLU(123)`) is told so instead of ignoring them.
    func noArguments(after last: Int) throws {
        let first = isMethod ? last + 2 : last + 1
        guard count >= first else { return }
        var given = count
        while given >= first && isNoneOrNil(given) { given -= 1 }
        guard given >= first else { return }
        let takes = last == 0 ? "no arguments" : last == 1 ? "1 argument" : "\(last) arguments"
        throw LuaFaceError(.failed, "takes \(takes), got \(isMethod ? given - 1 : given)")
    }

    /// Calls the function at `i` with `arguments`, protected; its Lua error
    /// comes back as a thrown `LuaFaceError` of kind `raisedInLua`.
    func call(_ i: Int, _ arguments: [LuaValue] = [], results: Int32 = LUA_MULTRET) throws -> [LuaValue] {
        lua_pushvalue(L, Int32(i))
        return try state.callTop(arguments: arguments, results: results)
    }
}

/// The entries of an option table, read with defaults and type checks.
struct LuaOptions {
    let values: [String: LuaValue]
    let args: LuaArgs
    let index: Int

    func has(_ key: String) -> Bool { values[key].map { !$0.isNil } ?? false }

    private func bad(_ key: String, _ expected: String) -> LuaFaceError {
        args.argumentError(index, "option '\(key)' must be \(expected), got \(values[key]?.typeName ?? "nil")")
    }

    func number(_ key: String, default d: Double) throws -> Double {
        guard let v = values[key], !v.isNil else { return d }
        guard let n = v.number else { throw bad(key, "a number") }
        return n
    }

    func optionalNumber(_ key: String) throws -> Double? {
        guard has(key) else { return nil }
        return try number(key, default: 0)
    }

    func integer(_ key: String, default d: Int) throws -> Int {
        let v = try number(key, default: Double(d))
        guard v.rounded() == v, Swift.abs(v) < 9e15 else { throw bad(key, "an integer") }
        return Int(v)
    }

    func bool(_ key: String, default d: Bool) throws -> Bool {
        guard let v = values[key], !v.isNil else { return d }
        guard case .bool(let b) = v else { throw bad(key, "a boolean") }
        return b
    }

    func string(_ key: String, default d: String) throws -> String {
        guard let v = values[key], !v.isNil else { return d }
        guard let s = v.string else { throw bad(key, "a string") }
        return s
    }

    func value(_ key: String) -> LuaValue? { values[key] }

    /// A nested option table (`momentum = {start =, ...}`) whose keys must be
    /// among `allowed`; nil when the option is absent.
    func record(_ key: String, allowed: [String]) throws -> [String: LuaValue]? {
        guard let v = values[key], !v.isNil else { return nil }
        guard case .record(let pairs) = v else {
            if case .array(let items) = v, items.isEmpty { return [:] }
            throw bad(key, "a table")
        }
        for (k, _) in pairs where !allowed.contains(k) {
            throw LuaFaceError(.failed, OptionNames.unknown(k, allowed: allowed, place: key))
        }
        return Dictionary(pairs, uniquingKeysWith: { x, _ in x })
    }
}
