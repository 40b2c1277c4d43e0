import CLua
import CShims
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

    init(_ name: String, _ signature: String, _ help: String, _ body: @escaping @Sendable (inout LuaArgs) throws -> [LuaValue]) {
        self.name = name
        self.signature = signature
        self.help = help
        self.body = body
        tensorBody = nil
    }

    init(_ name: String, _ signature: String, _ help: String, returningTensor body: @escaping @Sendable (inout LuaArgs) throws -> Tensor) {
        self.name = name
        self.signature = signature
        self.help = help
        self.body = { a in [.tensor(try body(&a))] }
        tensorBody = body
    }
}

/// What Lua holds (as a light userdata upvalue) for each registered function.
final class FunctionBox {
    /// The state owns its boxes; a box never outlives it.
    unowned(unsafe) let state: BindingState
    let name: String
    let isMethod: Bool
    let body: (inout LuaArgs) throws -> [LuaValue]
    let tensorBody: ((inout LuaArgs) throws -> Tensor)?

    init(state: BindingState, name: String, isMethod: Bool, body: @escaping (inout LuaArgs) throws -> [LuaValue],
         tensorBody: ((inout LuaArgs) throws -> Tensor)? = nil) {
        self.state = state
        self.name = name
        self.isMethod = isMethod
        self.body = body
        self.tensorBody = tensorBody
    }
}

/// The one entry point from C into Swift. Runs the body, converts every
/// error into a message, and leaves raising to the C trampoline.
func dispatch(_ L: OpaquePointer?, _ ctx: UnsafeMutableRawPointer?, _ frame: UnsafeMutablePointer<optlab_frame>?) -> Int32 {
    guard let L, let ctx, let frame else { return -1 }
    let box = Unmanaged<FunctionBox>.fromOpaque(ctx).takeUnretainedValue()
    var args = LuaArgs(L: L, box: box)
    do {
        if let tensorBody = box.tensorBody {
            let t = try tensorBody(&args)
            try withUnsafeMutablePointer(to: &frame.pointee.results) { tuple in
                try tuple.withMemoryRebound(to: optlab_value.self, capacity: 1) { slot in
                    slot[0] = try box.state.encode(.tensor(t))
                    frame.pointee.nresults = 1
                }
            }
            box.state.collectIfNeeded()
            return 0
        }
        let results = try box.body(&args)
        let n = Swift.min(results.count, Int(OPTLAB_MAX_RESULTS))
        // Encoded straight into the frame (no array on this path, which every
        // call takes); on failure the C side frees the ones already encoded.
        try withUnsafeMutablePointer(to: &frame.pointee.results) { tuple in
            try tuple.withMemoryRebound(to: optlab_value.self, capacity: Int(OPTLAB_MAX_RESULTS)) { slots in
                for i in 0..<n {
                    slots[i] = try box.state.encode(results[i])
                    frame.pointee.nresults = Int32(i + 1)
                }
            }
        }
        box.state.collectIfNeeded()
        return 0
    } catch let e as LuaRaisedError {
        frame.pointee.error = (try? BindingState.cString(e.description).0) ?? nil
        frame.pointee.error_has_position = 1
        return -1
    } catch {
        frame.pointee.error = (try? BindingState.cString("\(error)").0) ?? nil
        return -1
    }
}

extension BindingState {
    /// Registers `functions` into the table at registry reference `table`.
    /// `qualifier` names them in help ("tensor." or "Tensor:").
    func register(_ functions: [LuaFunction], into table: Int32, qualifier: String, isMethod: Bool) throws {
        guard let L else { return }
        for f in functions {
            let box = FunctionBox(state: self, name: f.name, isMethod: isMethod, body: f.body, tensorBody: f.tensorBody)
            boxes.append(box)
            guard optlab_p_setfunction(L, table, f.name, Unmanaged.passUnretained(box).toOpaque()) == LUA_OK else {
                throw LuaRaisedError(description: popMessage())
            }
            if !f.help.isEmpty || !f.signature.isEmpty {
                docs.append((qualifier + f.name, f.signature + "\n\n" + f.help))
            }
        }
    }

    /// A new empty table, held in the registry.
    func newTable() throws -> Int32 {
        guard let L else { return 0 }
        var ref: Int32 = 0
        guard optlab_p_newtable(L, &ref) == LUA_OK else { throw LuaRaisedError(description: popMessage()) }
        return ref
    }

    func setField(_ table: Int32, _ name: String, _ value: LuaValue) throws {
        guard let L else { return }
        var v = try encode(value)
        let status = optlab_p_setvalue(L, table, name, &v)
        optlab_free_value(&v)
        guard status == LUA_OK else { throw LuaRaisedError(description: popMessage()) }
    }

    /// Publishes a module as a global and as `require "optlab.<name>"`.
    func publish(_ name: String, table: Int32) throws {
        guard let L else { return }
        guard optlab_p_setglobal_ref(L, name, table) == LUA_OK,
              optlab_p_preload(L, "optlab.\(name)", table) == LUA_OK else {
            throw LuaRaisedError(description: popMessage())
        }
    }

    /// Creates the metatable of an object kind; `index` answers keys that are
    /// not methods (properties, integer indexing).
    func newKind(_ name: String, methods: Int32, index: LuaFunction?) throws -> Int32 {
        guard let L else { return 0 }
        var ctx: UnsafeMutableRawPointer?
        if let index {
            let box = FunctionBox(state: self, name: index.name, isMethod: true, body: index.body)
            boxes.append(box)
            ctx = Unmanaged.passUnretained(box).toOpaque()
        }
        let ref = optlab_new_metatable(L, "optlab.\(name)", methods, ctx)
        guard ref > 0 else { throw LuaRaisedError(description: "cannot create the \(name) metatable") }
        metatables[name] = ref
        return ref
    }
}
