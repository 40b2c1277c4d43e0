import Glibc
import CLua
import CLuaBridge
import OptLabRuntime

/// Everything the bindings keep per Lua state: the metatables of the object
/// kinds, the Swift function boxes, the help texts, and the collector policy.
final class BindingState {
    /// The thread running now: the main state, or the coroutine whose call
    /// entered Swift (`dispatch` sets it for the call's duration, so every
    /// read, push and callback uses the stack it was called on). Nil once the
    /// state is closed. (`@exclusivity(unchecked)`: read and written on every
    /// call; Lua runs one thread at a time, so accesses never overlap, and the
    /// dynamic checks cost a measurable share of a small op.)
    @exclusivity(unchecked) var L: OpaquePointer?
    /// Registry reference of each object kind's metatable, by kind name.
    var metatables: [String: Int32] = [:]
    var tensorMetatable: Int32 = 0
    var moduleMetatable: Int32 = 0
    /// The train module's table (train.last is set there).
    var trainModule: Int32 = 0
    /// Function boxes, kept alive for the state's lifetime (Lua holds raw pointers to them).
    var boxes: [FunctionBox] = []
    /// Help text per qualified name ("tensor.zeros", "Tensor:matmul").
    var docs: [(String, String)] = []
    /// Each function's option keys, by its public name (for completion).
    var optionKeys: [(String, [String])] = []
    /// Registry references held for the state's lifetime (the methods table, _G).
    var kept: [LuaReference] = []
    var globals: LuaReference?
    /// How train.fit reports progress; nil prints a plain line per epoch.
    var progressHandler: ((TrainingProgress) -> Void)?
    /// What the embedding program provides (live table, worker processes).
    var host: LuaHost?
    /// This process's part in `optlab sweep`, or nil in process.
    var sweepRole: SweepRole?
    /// How many searches the script has begun under that role.
    var searchesBegun = 0
    /// References encoded into results not yet pushed (see `encode`); dropped at the next call.
    @exclusivity(unchecked) var pendingReferences: [LuaReference] = []
    /// The functions of optlab's Lua files that Swift calls back: module_classes.lua's
    /// (lookup, store, invoke, copy) and optimizers.lua's (update, export, import).
    var support: [SupportFunction: LuaReference] = [:]

    /// Torch7's heap tracking: tensor storage lives outside Lua's heap, so a
    /// full collection runs whenever live storage passes a soft limit, and
    /// the limit is then set to twice what is still live (never below the floor).
    static let gcFloor = 64 << 20
    @exclusivity(unchecked) var gcThreshold = BindingState.gcFloor
    /// A young collection (generational mode's minor one, cheap: it visits
    /// only new objects) once this much tensor storage has been allocated
    /// since the last collection: a loop's temporaries are freed while their
    /// buffers are still in cache and malloc hands the same ones out again.
    /// Left to the full collection's 64 MB floor, `x + y` on 1M floats wrote
    /// each result to memory that had left the cache (0.72 ms against
    /// 0.48 ms for the same loop over a 16 MB working set). At 8 MB, three
    /// 4 MB results were alive between collections; at 2 MB, with the
    /// collection made as the next call begins (`call` in LuaFunction.swift),
    /// a result the script dropped is freed before the next is allocated,
    /// and one buffer serves the whole loop. On a 32 MB L3 (AMD Zen 5) that
    /// took x + y on 1M floats from 0.76 to 0.93× numpy's speed (a C loop:
    /// 124–140 µs with one output buffer, 149–168 with two, 145–206 with three).
    /// A 4-element op allocates 16 bytes, so small ops are not collected
    /// more often in practice.
    static let youngBudget = 2 << 20
    /// (Unchecked for the same reason as `L`: read on every call.)
    @exclusivity(unchecked) var allocatedAtCollection = 0

    init(_ L: OpaquePointer) {
        self.L = L
    }

    /// Called as every Swift function is entered from Lua.
    @inline(__always)
    func collectIfNeeded() {
        let allocated = Storage.allocatedBytes
        guard allocated - allocatedAtCollection > BindingState.youngBudget, let L else { return }
        allocatedAtCollection = allocated
        if Storage.liveBytes > gcThreshold {
            optlab_full_gc(L)
            gcThreshold = Swift.max(BindingState.gcFloor, 2 * Storage.liveBytes)
        } else {
            optlab_young_gc(L)
        }
    }

    // MARK: objects on the stack

    func tensor(at i: Int32) -> Tensor? {
        guard let L, tensorMetatable != 0, let p = optlab_object_at(L, i, tensorMetatable) else { return nil }
        return Unmanaged<Tensor>.fromOpaque(p).takeUnretainedValue()
    }

    /// The metatable of an object kind. Modules are asked for on every layer
    /// call and pushed on every return: no dictionary lookup (a string hash) for them.
    @inline(__always)
    func metatable(_ kind: String) -> Int32? {
        kind == Kind.module && moduleMetatable != 0 ? moduleMetatable : metatables[kind]
    }

    func object<T: AnyObject>(at i: Int32, kind: String, as: T.Type) -> T? {
        guard let L, let ref = metatable(kind), let p = optlab_object_at(L, i, ref) else { return nil }
        return Unmanaged<AnyObject>.fromOpaque(p).takeUnretainedValue() as? T
    }

    func objectKind(at i: Int32) -> String? {
        guard let L else { return nil }
        for (name, ref) in metatables where optlab_object_at(L, i, ref) != nil { return name }
        return nil
    }

    // MARK: reading any value

    /// Reads the value at `i` into Swift. Tables become arrays (keys 1..n) or
    /// records (string keys); functions become references.
    /// `keepTables`: a table comes back by reference (its identity kept), not copied.
    func read(_ i: Int32, depth: Int, asRecord: Bool = false, keepTables: Bool = false) throws -> LuaValue {
        guard let L else { return .nil }
        let idx = lua_absindex(L, i)
        switch lua_type(L, idx) {
        case LUA_TNIL, LUA_TNONE: return .nil
        case LUA_TBOOLEAN: return .bool(lua_toboolean(L, idx) != 0)
        case LUA_TNUMBER:
            if lua_isinteger(L, idx) != 0 { return .integer(Int(lua_tointegerx(L, idx, nil))) }
            return .number(lua_tonumberx(L, idx, nil))
        case LUA_TSTRING:
            var len = 0
            guard let p = lua_tolstring(L, idx, &len) else { return .string("") }
            return .string(String(decoding: UnsafeRawBufferPointer(start: p, count: len), as: UTF8.self))
        case LUA_TUSERDATA:
            if let t = tensor(at: idx) { return .tensor(t) }
            for (name, ref) in metatables where ref != tensorMetatable {
                if let p = optlab_object_at(L, idx, ref) {
                    return .object(Unmanaged<AnyObject>.fromOpaque(p).takeUnretainedValue(), kind: name)
                }
            }
            return .opaque("userdata")
        case LUA_TTABLE where !keepTables:
            return try readTable(idx, depth: depth, asRecord: asRecord)
        case LUA_TFUNCTION, LUA_TTABLE:
            lua_pushvalue(L, idx)
            var ref: Int32 = 0
            guard optlab_p_ref(L, &ref) == LUA_OK else {
                lua_settop(L, -2)
                throw LuaFaceError(.failed, "out of memory")
            }
            return .function(LuaReference(state: self, ref: ref, typeName: lua_type(L, idx) == LUA_TTABLE ? "table" : "function"))
        default:
            return .opaque(String(cString: lua_typename(L, lua_type(L, idx))))
        }
    }

    private func readTable(_ idx: Int32, depth: Int, asRecord: Bool) throws -> LuaValue {
        guard let L else { return .nil }
        guard depth < 32 else { throw LuaFaceError(.failed, "table nested too deeply (or cyclic)") }
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        let n = Int(lua_rawlen(L, idx))
        var array: [LuaValue] = []
        var record: [(String, LuaValue)] = []
        var others = 0
        guard lua_checkstack(L, 4) != 0 else { throw LuaFaceError(.failed, "stack overflow") }
        lua_pushnil(L)
        while lua_next(L, idx) != 0 {
            let kt = lua_type(L, -2)
            if kt == LUA_TSTRING {
                var len = 0
                let p = lua_tolstring(L, -2, &len)
                let key = p.map { String(decoding: UnsafeRawBufferPointer(start: $0, count: len), as: UTF8.self) } ?? ""
                record.append((key, try read(-1, depth: depth + 1)))
            } else if kt == LUA_TNUMBER, lua_isinteger(L, -2) != 0 {
                let k = Int(lua_tointegerx(L, -2, nil))
                if k >= 1 && k <= n { others += 0 } else { others += 1 }
            } else {
                others += 1
            }
            lua_settop(L, -2)
        }
        if !asRecord && record.isEmpty {
            for k in 0..<n {
                lua_rawgeti(L, idx, lua_Integer(k + 1))
                array.append(try read(-1, depth: depth + 1))
                lua_settop(L, -2)
            }
            return .array(array)
        }
        if asRecord && n > 0 {
            for k in 0..<n {
                lua_rawgeti(L, idx, lua_Integer(k + 1))
                record.append((String(k + 1), try read(-1, depth: depth + 1)))
                lua_settop(L, -2)
            }
        }
        return .record(record)
    }

    // MARK: pushing and calling

    /// Pushes `value` (protected: a memory error cannot escape into Swift).
    func push(_ value: LuaValue) throws {
        guard let L else { return }
        // Values that cannot raise when pushed go straight on the stack; the
        // rest (strings, tables, userdata) through the protected push.
        switch value {
        case .argument, .function, .nil, .bool, .number, .integer:
            guard lua_checkstack(L, 2) != 0 else { throw LuaFaceError(.failed, "stack overflow") }
            switch value {
            case .argument(let slot): lua_pushvalue(L, slot)   // (inside the protected push it would be another frame's slot)
            case .function(let ref): lua_rawgeti(L, OPTLAB_REGISTRYINDEX, lua_Integer(ref.ref))
            case .bool(let b): lua_pushboolean(L, b ? 1 : 0)
            case .number(let d): lua_pushnumber(L, d)
            case .integer(let i): lua_pushinteger(L, lua_Integer(i))
            default: lua_pushnil(L)
            }
            return
        default: break
        }
        var v = try encode(value)
        let status = optlab_p_push(L, &v)
        optlab_free_value(&v)
        if status != LUA_OK {
            let message = popMessage()
            throw LuaFaceError(.raisedInLua, message)
        }
    }

    /// Calls the function on top of the stack with `arguments`, protected.
    /// Returns the stack slots of the results (which stay on the stack).
    func callTop(arguments: [LuaValue], results: Int32 = LUA_MULTRET) throws -> [LuaValue] {
        guard let L else { return [] }
        let base = lua_gettop(L) - 1
        for a in arguments { try push(a) }
        let status = lua_pcallk(L, Int32(arguments.count), results, 0, 0, nil)
        if status != LUA_OK {
            throw LuaFaceError.fromLua(self)
        }
        return ((base + 1)...Swift.max(base + 1, lua_gettop(L))).compactMap { slot in
            slot <= lua_gettop(L) ? LuaValue.argument(slot) : nil
        }
    }

    /// Pops the error message on top of the stack (any value, described).
    func popMessage() -> String {
        guard let L else { return "error" }
        defer { lua_settop(L, -2) }
        if lua_type(L, -1) == LUA_TSTRING, let p = lua_tolstring(L, -1, nil) { return String(cString: p) }
        if let t = tensor(at: -1) { return t.description }
        return "(error object is a \(String(cString: lua_typename(L, lua_type(L, -1)))) value)"
    }

    // MARK: encoding results for the C side

    /// A tensor result, the one Lua's new userdata will own.
    @inline(__always)
    func encode(tensor t: Tensor) -> optlab_value {
        var v = optlab_value()
        v.kind = Int32(OPTLAB_OBJECT.rawValue)
        v.object = Unmanaged.passRetained(t).toOpaque()
        v.integer = Int64(tensorMetatable)
        return v
    }

    func encode(_ value: LuaValue) throws -> optlab_value {
        var v = optlab_value()
        switch value {
        case .nil: v.kind = Int32(OPTLAB_NIL.rawValue)
        case .bool(let b): v.kind = Int32(OPTLAB_BOOL.rawValue); v.number = b ? 1 : 0
        case .number(let d): v.kind = Int32(OPTLAB_NUMBER.rawValue); v.number = d
        case .integer(let i): v.kind = Int32(OPTLAB_INTEGER.rawValue); v.integer = Int64(i)
        case .string(let s):
            v.kind = Int32(OPTLAB_STRING.rawValue)
            (v.string, v.length) = try BindingState.cString(s)
        case .tensor(let t):
            v = encode(tensor: t)
        case .object(let o, let kind):
            v.kind = Int32(OPTLAB_OBJECT.rawValue)
            v.object = Unmanaged.passRetained(o).toOpaque()
            v.integer = Int64(metatable(kind) ?? 0)
            // a Lua module's box carries its instance table (kept alive by the retained module)
            if kind == Kind.module, let lm = o as? LuaDefinedModule { v.uservalue = Int64(lm.instance.ref) }
        case .array(let items):
            v.kind = Int32(OPTLAB_ARRAY.rawValue)
            v.count = Int32(items.count)
            v.items = try allocateValues(try items.map { try encode($0) })
        case .record(let pairs):
            v.kind = Int32(OPTLAB_RECORD.rawValue)
            v.count = Int32(pairs.count)
            v.items = try allocateValues(try pairs.map { try encode($0.1) })
            guard let raw = malloc(Swift.max(pairs.count, 1) * MemoryLayout<UnsafeMutablePointer<CChar>?>.stride) else { throw BindingState.outOfMemory }
            let keys = raw.bindMemory(to: UnsafeMutablePointer<CChar>?.self, capacity: Swift.max(pairs.count, 1))
            for (i, (k, _)) in pairs.enumerated() { keys[i] = try BindingState.cString(k).0 }
            v.keys = keys
        case .function(let ref):
            v.kind = Int32(OPTLAB_REF.rawValue)
            v.integer = Int64(ref.ref)
            // the C side pushes it after Swift returned: the reference must outlive the results array
            pendingReferences.append(ref)
        case .argument(let slot):
            v.kind = Int32(OPTLAB_STACK.rawValue)
            v.integer = Int64(slot)
        case .opaque:
            v.kind = Int32(OPTLAB_NIL.rawValue)
        }
        return v
    }

    /// malloc'd, because the C side frees it.
    static let outOfMemory = RuntimeError(.argument, "lua", "out of memory while passing results to Lua")

    private func allocateValues(_ values: [optlab_value]) throws -> UnsafeMutablePointer<optlab_value> {
        guard let raw = malloc(Swift.max(values.count, 1) * MemoryLayout<optlab_value>.stride) else { throw BindingState.outOfMemory }
        let p = raw.bindMemory(to: optlab_value.self, capacity: Swift.max(values.count, 1))
        for (i, v) in values.enumerated() { (p + i).initialize(to: v) }
        return p
    }

    /// A malloc'd copy of the UTF-8 bytes (embedded zeros kept), for the C side to free.
    static func cString(_ s: String) throws -> (UnsafeMutablePointer<CChar>, Int) {
        let bytes = Array(s.utf8)
        guard let raw = malloc(bytes.count + 1) else { throw outOfMemory }
        let p = raw.bindMemory(to: CChar.self, capacity: bytes.count + 1)
        bytes.withUnsafeBufferPointer { buf in
            for (i, b) in buf.enumerated() { p[i] = CChar(bitPattern: b) }
        }
        p[bytes.count] = 0
        return (p, bytes.count)
    }
}
