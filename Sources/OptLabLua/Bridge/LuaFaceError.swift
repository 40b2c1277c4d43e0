import OptLabRuntime

/// Every error the Lua face raises, carried as fields (which function, which
/// operation inside it, what went wrong) and put into words in one place,
/// `description`. The trampoline puts the user's position in front
/// (`script.lua:12: `) unless the error comes from Lua code, which already
/// says where it happened.
///
/// - `argument(n)`: lauxlib's words, `bad argument #1 to 'Tensor:matmul'
///   (tensor expected, got nil)`; argument 0 is a method's self.
/// - `failed`: a public function that could not do its work, named first
///   (`train.fit: the loss function must return a tensor`, `monitor.hist:
///   unknown option 'bin'`), with the operation inside it when that is
///   another (`Module call: Linear: expected 2 input features ...`).
/// - `raisedInLua`: an error of Lua code that Swift called back into, kept as Lua said it.
///
/// The runtime's own `RuntimeError`s (shape, io, …, `interrupted` for
/// Ctrl-C, `diverged` for a NaN stop) become `failed` ones at the boundary.
struct LuaFaceError: Error, CustomStringConvertible {
    enum Kind: Equatable { case argument(Int), failed, raisedInLua }
    let kind: Kind
    /// The public function, as `help` names it; nil: the one being called
    /// (the dispatcher fills it in).
    var function: String?
    /// The operation inside the function that failed, when it is another.
    var operation: String?
    let message: String

    init(_ kind: Kind, _ message: String, function: String? = nil, operation: String? = nil) {
        self.kind = kind
        self.message = message
        self.function = function
        self.operation = operation
    }

    /// `bad argument #n to 'function' (message)`.
    init(argument n: Int, of function: String, _ message: String) {
        self.init(.argument(n), message, function: function)
    }

    /// A runtime error as the public function `function` says it: the
    /// operation inside it is named when it is another than the function
    /// itself (`name` is its registered name, `sum` for `Tensor:sum`). A
    /// file's errors (io, format) are the function's own.
    init(_ e: RuntimeError, function: String, name: String) {
        let own = e.op.isEmpty || e.op == name || e.op == function || e.op.hasSuffix("." + name) || e.op.hasSuffix(":" + name)
            || e.kind == .io || e.kind == .format
        self.init(.failed, e.message, function: function, operation: own ? nil : e.op)
    }

    /// The message on top of the stack, left by a failed protected call.
    static func fromLua(_ state: BindingState) -> LuaFaceError { LuaFaceError(.raisedInLua, state.popMessage()) }

    var description: String {
        let f = function ?? "?"
        switch kind {
        case .raisedInLua: return message
        case .argument(0): return "calling '\(f)' on bad self (\(message))"
        case .argument(let n): return "bad argument #\(n) to '\(f)' (\(message))"
        case .failed: return f + ": " + (operation.map { $0 + ": " } ?? "") + message
        }
    }
}
