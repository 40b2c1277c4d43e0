import CLua
import CLuaBridge
import OptLabRuntime

/// One Lua-callable function: its name, its help, and its Swift body.
/// Every library of optlab is a list of these, registered the same way.
struct LuaFunction: Sendable {
    let name: String
    /// How it is called, e.g. `tensor.zeros(shape [, dtype])`.
    let signature: String
    /// What it does, its options with defaults, and an example.
    let help: String
    let body: @Sendable (inout LuaArgs) throws -> [LuaValue]
    /// For the hottest functions (arithmetic metamethods): one tensor back,
    /// with no results array to allocate on each call.
    let tensorBody: (@Sendable (inout LuaArgs) throws -> Tensor)?
    /// The name its messages use when it is not the registered one: a
    /// primitive that optlab's Lua wraps reports as the public function
    /// (`check.grad`), never as itself.
    var shownAs: String?
    /// The keys of its options table, for completion (`train.fit{mo` → `model`).
    var options: [String] = []

    init(_ name: String, _ signature: String, _ help: String, options: [String] = [],
         _ body: @escaping @Sendable (inout LuaArgs) throws -> [LuaValue]) {
        self.options = options
        self.name = name
        self.signature = signature
        self.help = help
        self.body = body
        tensorBody = nil
    }

    /// A function for optlab's own Lua files only (they receive it in their
    /// primitives table, never as a global), whose errors name `publicName`.
    static func primitive(_ name: String, as publicName: String, _ body: @escaping @Sendable (inout LuaArgs) throws -> [LuaValue]) -> LuaFunction {
        var f = LuaFunction(name, "", "", body)
        f.shownAs = publicName
        return f
    }

    init(_ name: String, _ signature: String, _ help: String, options: [String] = [],
         returningTensor body: @escaping @Sendable (inout LuaArgs) throws -> Tensor) {
        self.options = options
        self.name = name
        self.signature = signature
        self.help = help
        self.body = { a in [.tensor(try body(&a))] }
        tensorBody = body
    }
}

/// What Lua holds (as a light userdata upvalue) for each registered function.
final class FunctionBox {
    /// The state owns its boxes; a box never outlives it. Unmanaged, so that
    /// a call borrows it (`_withUnsafeGuaranteedRef`) without a retain.
    let stateReference: Unmanaged<BindingState>
    var state: BindingState { stateReference.takeUnretainedValue() }
    /// As messages and help name it: `Tensor:sum`, `check.grad`, `Tensor +`.
    let name: String
    /// As it is registered in its table: `sum`, `grad`, `__add`.
    let registeredName: String
    let isMethod: Bool
    let body: (inout LuaArgs) throws -> [LuaValue]
    let tensorBody: ((inout LuaArgs) throws -> Tensor)?

    init(state: BindingState, name: String, registeredName: String, isMethod: Bool, body: @escaping (inout LuaArgs) throws -> [LuaValue],
         tensorBody: ((inout LuaArgs) throws -> Tensor)? = nil) {
        stateReference = Unmanaged.passUnretained(state)
        self.name = name
        self.registeredName = registeredName
        self.isMethod = isMethod
        self.body = body
        self.tensorBody = tensorBody
    }
}

/// The one entry point from C into Swift. Runs the body, converts every
/// error into a message, and leaves raising to the C trampoline.
func dispatch(_ L: OpaquePointer?, _ ctx: UnsafeMutableRawPointer?, _ frame: UnsafeMutablePointer<optlab_frame>?) -> Int32 {
    guard let L, let ctx, let frame else { return -1 }
    // Lua holds the box and the box's state for as long as a call can run:
    // both are borrowed, as every call (x + y included) would otherwise pay
    // an atomic retain and release for each.
    return Unmanaged<FunctionBox>.fromOpaque(ctx)._withUnsafeGuaranteedRef { box in
        box.stateReference._withUnsafeGuaranteedRef { state in call(L, box, state, frame) }
    }
}

private func call(_ L: OpaquePointer, _ box: FunctionBox, _ state: BindingState, _ frame: UnsafeMutablePointer<optlab_frame>) -> Int32 {
    var args = LuaArgs(L: L, box: box, tensorMetatable: state.tensorMetatable)
    // A coroutine has its own stack: work on the thread that called, and put
    // back the outer one when this call returns (calls nest through callbacks).
    if !state.pendingReferences.isEmpty { state.pendingReferences.removeAll(keepingCapacity: true) }
    let outer = state.L
    state.L = L
    defer { state.L = outer }
    // Before the body, not after it: the previous call's result, if the
    // script dropped it, is garbage now, so its buffer is free again for
    // this call's result (one 4 MB buffer for a loop of 1M-float ops, where
    // a collection after the call, with the new result still held, left two).
    state.collectIfNeeded()
    do {
        if let t = try box.tensorBody?(&args) {   // called in place: copying the closure out would retain it
            try withUnsafeMutablePointer(to: &frame.pointee.results) { tuple in
                try tuple.withMemoryRebound(to: optlab_value.self, capacity: Int(OPTLAB_MAX_RESULTS)) { slots in
                    slots[0] = state.encode(tensor: t)
                    frame.pointee.nresults = 1
                    for (i, v) in args.moreResults.prefix(Int(OPTLAB_MAX_RESULTS) - 1).enumerated() {
                        slots[i + 1] = try state.encode(v)
                        frame.pointee.nresults = Int32(i + 2)
                    }
                }
            }
            return 0
        }
        let results = try box.body(&args)
        let n = Swift.min(results.count, Int(OPTLAB_MAX_RESULTS))
        // Encoded straight into the frame (no array on this path, which every
        // call takes); on failure the C side frees the ones already encoded.
        try withUnsafeMutablePointer(to: &frame.pointee.results) { tuple in
            try tuple.withMemoryRebound(to: optlab_value.self, capacity: Int(OPTLAB_MAX_RESULTS)) { slots in
                for i in 0..<n {
                    slots[i] = try state.encode(results[i])
                    frame.pointee.nresults = Int32(i + 1)
                }
            }
        }
        return 0
    } catch var e as LuaFaceError {
        if e.function == nil { e.function = box.name }
        frame.pointee.error = (try? BindingState.cString(e.description).0) ?? nil
        frame.pointee.error_has_position = e.kind == .raisedInLua ? 1 : 0
        return -1
    } catch let e as RuntimeError {
        let face = LuaFaceError(e, function: box.name, name: box.registeredName)
        frame.pointee.error = (try? BindingState.cString(face.description).0) ?? nil
        return -1
    } catch {
        frame.pointee.error = (try? BindingState.cString(LuaFaceError(.failed, "\(error)", function: box.name).description).0) ?? nil
        return -1
    }
}

extension BindingState {
    /// Registers `functions` into the table at registry reference `table`.
    /// `qualifier` names them in help ("tensor." or "Tensor:").
    func register(_ functions: [LuaFunction], into table: Int32, qualifier: String, isMethod: Bool, kind: String? = nil) throws {
        guard let L else { return }
        for f in functions {
            let shown = f.shownAs ?? BindingState.publicName(f.name, qualifier: qualifier, kind: kind)
            let box = FunctionBox(state: self, name: shown, registeredName: f.name, isMethod: isMethod, body: f.body, tensorBody: f.tensorBody)
            boxes.append(box)
            guard optlab_p_setfunction(L, table, f.name, Unmanaged.passUnretained(box).toOpaque()) == LUA_OK else {
                throw LuaFaceError.fromLua(self)
            }
            if !f.help.isEmpty || !f.signature.isEmpty {
                docs.append((qualifier + f.name, f.signature + "\n\n" + f.help))
            }
            if !f.options.isEmpty { optionKeys.append((shown, f.options)) }
        }
    }

    /// What a function is called in messages: `tensor.zeros`, `Tensor:sum`, and
    /// for a metamethod the operation it implements (`Tensor +`, `Module call`),
    /// so no `__` name ever reaches a user.
    static func publicName(_ name: String, qualifier: String, kind: String?) -> String {
        guard name.hasPrefix("__") else { return qualifier + name }
        let operations = ["__add": "+", "__sub": "-", "__mul": "*", "__div": "/", "__pow": "^", "__unm": "unary -",
                          "__len": "#", "__tostring": "tostring", "__call": "call", "__index": "index",
                          "__newindex": "index assignment", "__eq": "=="]
        let op = operations[name] ?? String(name.dropFirst(2))
        return kind.map { "\($0) \(op)" } ?? op
    }

    /// A new empty table, held in the registry.
    func newTable() throws -> Int32 {
        guard let L else { return 0 }
        var ref: Int32 = 0
        guard optlab_p_newtable(L, &ref) == LUA_OK else { throw LuaFaceError.fromLua(self) }
        return ref
    }

    func setField(_ table: Int32, _ name: String, _ value: LuaValue) throws {
        guard let L else { return }
        var v = try encode(value)
        let status = optlab_p_setvalue(L, table, name, &v)
        optlab_free_value(&v)
        guard status == LUA_OK else { throw LuaFaceError.fromLua(self) }
    }

    /// Publishes a module as a global and as `require "optlab.<name>"`.
    func publish(_ name: String, table: Int32, global: Bool) throws {
        guard let L else { return }
        if global { guard optlab_p_setglobal_ref(L, name, table) == LUA_OK else { throw LuaFaceError.fromLua(self) } }
        try preload("optlab.\(name)", table: table)
    }

    /// `require(name)` returns the table.
    func preload(_ name: String, table: Int32) throws {
        guard let L else { return }
        guard optlab_p_preload(L, name, table) == LUA_OK else { throw LuaFaceError.fromLua(self) }
    }

    /// Creates the metatable of an object kind; `index` answers keys that are
    /// not methods (properties, integer indexing).
    func newKind(_ name: String, methods: Int32, index: LuaFunction?) throws -> Int32 {
        guard let L else { return 0 }
        var ctx: UnsafeMutableRawPointer?
        if let index {
            let box = FunctionBox(state: self, name: BindingState.publicName(index.name, qualifier: "", kind: name),
                                  registeredName: index.name, isMethod: true, body: index.body)
            boxes.append(box)
            ctx = Unmanaged.passUnretained(box).toOpaque()
        }
        let ref = optlab_new_metatable(L, "optlab.\(name)", methods, ctx)
        guard ref > 0 else { throw LuaFaceError(.failed, "cannot create the \(name) metatable") }
        metatables[name] = ref
        if name == "Module" { moduleMetatable = ref }
        return ref
    }
}
