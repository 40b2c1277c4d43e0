import CLua
import CLuaBridge
import OptLabRuntime

/// An error from Lua code run by a `LuaVM`: the message and Lua's traceback.
public struct LuaError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
    public init(message: String) { self.message = message }
}

/// A Lua 5.4 state with the optlab runtime loaded, for Swift hosts.
///
/// ```swift
/// let vm = try LuaVM()
/// try vm.setGlobal("x", .tensor(try Tensor.ones([2, 2])))
/// let y = try vm.eval("(x * 3):sum():item()")      // [.number(12)]
/// try vm.register("twice") { args in [.number((args.first?.number ?? 0) * 2)] }
/// try vm.run(file: "experiment.lua", arguments: ["--epochs", "3"])
/// ```
/// Tensors pass both ways without copying: the Lua value and the Swift
/// `Tensor` are the same object.
public final class LuaVM {
    /// The raw state, for hosts that need the C API (the REPL's interrupt hook).
    public private(set) var luaState: OpaquePointer
    let state: BindingState
    /// Whether this VM created the state (and closes it); false for the Lua
    /// module, whose host owns the state.
    private let ownsState: Bool
    /// Registry reference of the table `require "optlab"` returns.
    var moduleTable: Int32 = 0
    /// Module names and summaries, in the order `help()` lists them.
    static let modules: [(String, String)] = [
        ("tensor", TensorLibrary.summary), ("nn", NNLibrary.summary), ("data", DataLibrary.summary),
        ("optim", OptimLibrary.summary), ("train", TrainLibrary.summary), ("check", CheckLibrary.summary),
        ("monitor", MonitorLibrary.summary), ("hp", HPLibrary.summary), ("autograd", AutogradLibrary.summary),
        ("stats", StatsLibrary.summary), ("bench", BenchLibrary.summary),
    ]

    /// What the C bridge calls: the one dispatcher, and the release of a boxed object.
    static let hooks = optlab_hooks(
        dispatch: { L, ctx, frame in dispatch(L, ctx, frame) },
        release: { p in if let p { Unmanaged<AnyObject>.fromOpaque(p).release() } })

    public init() throws {
        guard let L = luaL_newstate() else { throw LuaError(message: "cannot create a Lua state (out of memory)") }
        luaState = L
        state = BindingState(L)
        ownsState = true
        var hooks = LuaVM.hooks
        // Every stored property is set, so a throw from here on runs deinit, which closes L.
        guard optlab_p_openlibs(L) == LUA_OK, optlab_init(L, &hooks) == LUA_OK else {
            throw LuaError(message: "cannot open the Lua standard libraries")
        }
        optlab_gc_generational(L)
        do {
            try install(globals: true)
        } catch {
            throw LuaError(message: "cannot load the optlab libraries: \(error)")
        }
    }

    /// The runtime installed into a state that a host owns (`require "optlab"`
    /// from Debian's `lua5.4`): no global is set (the module table has the
    /// libraries; `install_globals()` sets them), the host's standard
    /// libraries and collector settings are left as they are, and the state
    /// is not closed by this VM. `L` is the thread that asked; the VM keeps
    /// the main thread.
    init(hostedIn L: OpaquePointer) throws {
        luaState = L
        state = BindingState(L)
        ownsState = false
        var hooks = LuaVM.hooks
        guard optlab_init(L, &hooks) == LUA_OK else { throw LuaError(message: "cannot set up the Lua state") }
        do {
            try install(globals: false)
        } catch {
            throw LuaError(message: "cannot load the optlab libraries: \(error)")
        }
        if let main = optlab_main_thread(L) {
            luaState = main
            state.L = main
        }
    }

    deinit {
        state.L = nil
        if ownsState { lua_close(luaState) }
    }

    /// Runs a chunk of Lua held in memory (a file compiled into the program)
    /// as the chunk `name` (`@optlab/repl.lua`: `@` and a path, as for files), with `arguments` as its `...`; returns its results.
    /// Errors raised through optlab's functions skip chunks named `optlab/...`
    /// and point at the caller's line.
    @discardableResult
    public func load(chunk bytes: [UInt8], name: String, arguments: [LuaValue] = []) throws -> [LuaValue] {
        let L = luaState
        let base = lua_gettop(L)
        defer { lua_settop(L, base) }
        let status = bytes.withUnsafeBufferPointer { buf in
            buf.withMemoryRebound(to: CChar.self) { optlab_p_loadbuffer(L, $0.baseAddress, $0.count, name) }
        }
        guard status == LUA_OK else { throw LuaError(message: state.popMessage()) }
        for a in arguments { try state.push(a) }
        guard optlab_pcall_traceback(L, Int32(arguments.count), LUA_MULTRET) == LUA_OK else {
            throw LuaError(message: state.popMessage())
        }
        return try results(from: base)
    }

    // MARK: running code

    /// Runs a Lua file with `arguments` as its `...` and returns its results.
    @discardableResult
    public func run(file path: String, arguments: [String] = []) throws -> [LuaValue] {
        try runChunk(path: path, arguments: arguments)
    }

    /// Loads a file (nil: standard input) and calls it with `arguments` as `...`.
    private func runChunk(path: String?, arguments: [String]) throws -> [LuaValue] {
        let L = luaState
        let base = lua_gettop(L)
        defer { lua_settop(L, base) }
        guard optlab_p_dofile(L, path, -2) == LUA_OK else { throw LuaError(message: state.popMessage()) }
        for a in arguments { try state.push(.string(a)) }
        guard optlab_pcall_traceback(L, Int32(arguments.count), LUA_MULTRET) == LUA_OK else {
            throw LuaError(message: state.popMessage())
        }
        return try results(from: base)
    }

    /// Runs a chunk of Lua code and returns its results.
    @discardableResult
    public func run(code: String, name: String = "=(code)") throws -> [LuaValue] {
        let L = luaState
        let base = lua_gettop(L)
        defer { lua_settop(L, base) }
        let status = code.withCString { optlab_p_dostring(L, $0, strlen($0), name, LUA_MULTRET) }
        guard status == LUA_OK else { throw LuaError(message: state.popMessage()) }
        return try results(from: base)
    }

    /// Evaluates an expression (or, failing that, a statement), as the REPL does.
    public func eval(_ code: String) throws -> [LuaValue] {
        let L = luaState
        let base = lua_gettop(L)
        defer { lua_settop(L, base) }
        let asExpression = "return " + code
        if asExpression.withCString({ luaL_loadbufferx(L, $0, strlen($0), "=(eval)", "t") }) == LUA_OK {
            lua_settop(L, base)
            return try run(code: asExpression, name: "=(eval)")
        }
        lua_settop(L, base)
        return try run(code: code, name: "=(eval)")
    }

    private func results(from base: Int32) throws -> [LuaValue] {
        let top = lua_gettop(luaState)
        guard top > base else { return [] }
        return try ((base + 1)...top).map { try state.read($0, depth: 0) }
    }

    // MARK: globals and host functions

    public func global(_ name: String) throws -> LuaValue {
        let L = luaState
        let base = lua_gettop(L)
        defer { lua_settop(L, base) }
        guard optlab_p_getglobal(L, name) == LUA_OK else { throw LuaError(message: state.popMessage()) }
        return try state.read(-1, depth: 0)
    }

    public func setGlobal(_ name: String, _ value: LuaValue) throws {
        let L = luaState
        let base = lua_gettop(L)
        defer { lua_settop(L, base) }
        try state.push(value)
        guard optlab_p_setglobal(L, name) == LUA_OK else { throw LuaError(message: state.popMessage()) }
    }

    /// Makes a Swift closure callable from Lua as the global `name`. It is
    /// entered through the same trampoline as every built-in: a thrown error
    /// becomes a Lua error, never a crash.
    public func register(_ name: String, help: String = "", _ body: @escaping @Sendable ([LuaValue]) throws -> [LuaValue]) throws {
        try register(LuaFunction(name, help.isEmpty ? "" : name + "(...)", help) { a in
            let args = try (0..<a.count).map { try a.value($0 + 1) }
            return try body(args)
        })
    }

    /// Sets a global to a function entered through the trampoline.
    func register(_ function: LuaFunction) throws {
        try state.register([function], into: try state.globalsTable().ref, qualifier: "", isMethod: false)
    }

    /// How `train.fit` shows progress (the REPL draws a bar on a terminal);
    /// nil prints one plain line per epoch.
    public var trainingProgress: ((TrainingProgress) -> Void)? {
        get { state.progressHandler }
        set { state.progressHandler = newValue }
    }

    /// What the embedding program provides: the search's live table and its
    /// worker processes (see `LuaHost`). Nil: plain lines, no workers.
    public var host: LuaHost? {
        get { state.host }
        set { state.host = newValue }
    }

    /// This process's part in a sweep (`optlab sweep` sets it before running
    /// the script); nil runs searches in process.
    public var sweepRole: SweepRole? {
        get { state.sweepRole }
        set { state.sweepRole = newValue }
    }

    /// How many times the script began `hp.search` under its sweep role.
    public var searchesBegun: Int { state.searchesBegun }

    /// A Swift closure as a Lua function value, set nowhere (pass it to a chunk).
    public func function(named name: String, _ body: @escaping @Sendable ([LuaValue]) throws -> [LuaValue]) throws -> LuaValue {
        let table = try state.newTable()
        try state.register([LuaFunction(name, "", "") { a in try body(try (0..<a.count).map { try a.value($0 + 1) }) }],
                           into: table, qualifier: "", isMethod: false)
        let L = luaState
        let base = lua_gettop(L)
        defer { lua_settop(L, base) }
        try state.push(.function(state.keep(table, type: "table")))
        guard case .record(let fields) = try state.read(-1, depth: 0, asRecord: true), let f = fields.first?.1 else {
            throw LuaError(message: "cannot make the function \(name)")
        }
        return f
    }

    /// Sends everything Lua's `print` writes to `handler` (one call per print, with its newline).
    public func capturePrint(_ handler: @escaping @Sendable (String) -> Void) throws {
        try register(LuaFunction("print", "", "") { a in
            var parts: [String] = []
            for i in 1...Swift.max(1, a.count) where i <= a.count {
                guard optlab_p_tostring(a.L, Int32(i)) == LUA_OK else { throw LuaFaceError.fromLua(a.state) }
                parts.append(a.state.popMessage())
            }
            handler(parts.joined(separator: "\t") + "\n")
            return []
        })
    }

    /// Bytes of tensor storage alive in this process (what drives the collector).
    public static var liveTensorBytes: Int { Storage.liveBytes }
}

extension BindingState {
    /// Keeps a registry reference for the state's lifetime.
    func keep(_ ref: Int32, type: String) -> LuaReference {
        let r = LuaReference(state: self, ref: ref, typeName: type)
        kept.append(r)
        return r
    }

    func globalsTable() throws -> LuaReference {
        if let g = globals { return g }
        guard let L else { throw LuaError(message: "the Lua state is closed") }
        lua_rawgeti(L, OPTLAB_REGISTRYINDEX, lua_Integer(LUA_RIDX_GLOBALS))
        var ref: Int32 = 0
        guard optlab_p_ref(L, &ref) == LUA_OK else { throw LuaError(message: popMessage()) }
        let g = keep(ref, type: "table")
        globals = g
        return g
    }
}

import Glibc

extension LuaVM {
    /// Runs Lua read from standard input (lua.c's `-`), with `arguments` as `...`.
    @discardableResult
    public func runStdin(arguments: [String] = []) throws -> [LuaValue] {
        try runChunk(path: nil, arguments: arguments)
    }
}

extension LuaVM {
    /// Calls a Lua function value (one a chunk returned, say) with `arguments`.
    @discardableResult
    public func call(function: LuaValue, _ arguments: [LuaValue] = []) throws -> [LuaValue] {
        let L = luaState
        let base = lua_gettop(L)
        defer { lua_settop(L, base) }
        try state.push(function)
        guard lua_type(L, -1) == LUA_TFUNCTION || lua_type(L, -1) == LUA_TTABLE || lua_type(L, -1) == LUA_TUSERDATA else {
            throw LuaError(message: "call: a function expected, got \(function.typeName)")
        }
        for a in arguments { try state.push(a) }
        guard optlab_pcall_traceback(L, Int32(arguments.count), LUA_MULTRET) == LUA_OK else {
            throw LuaError(message: state.popMessage())
        }
        return try results(from: base)
    }

    /// Calls the global function `name` with `arguments`; its results come back as Swift values.
    @discardableResult
    public func call(_ name: String, _ arguments: [LuaValue] = []) throws -> [LuaValue] {
        let L = luaState
        let base = lua_gettop(L)
        defer { lua_settop(L, base) }
        guard optlab_p_getglobal(L, name) == LUA_OK else { throw LuaError(message: state.popMessage()) }
        guard lua_type(L, -1) == LUA_TFUNCTION else { throw LuaError(message: "global '\(name)' is not a function") }
        for a in arguments { try state.push(a) }
        guard optlab_pcall_traceback(L, Int32(arguments.count), LUA_MULTRET) == LUA_OK else {
            throw LuaError(message: state.popMessage())
        }
        return try results(from: base)
    }
}
