import OptLabRuntime

/// Typed calls: Swift values in, Swift values out, converted through
/// `LuaConvertible`, with the same messages as the built-ins when a value
/// is not of the type asked for.
///
/// ```swift
/// let total = try vm.eval("x:sum():item()", as: Double.self)
/// let loss = try vm.call("train_one", with: [batch, 0.1], as: Double.self)
/// try vm.register("scaled") { (x: Tensor, by: Double) in try x.mul(by) }
/// ```
extension LuaVM {
    /// Evaluates an expression (or statement) and converts its first result.
    public func eval<T: LuaConvertible>(_ code: String, as type: T.Type) throws -> T {
        try converted(try eval(code).first ?? .nil, to: T.self, what: "eval(\"\(Self.abbreviated(code))\")")
    }

    /// Calls the global function `name` with Swift arguments; converts its first result.
    public func call<T: LuaConvertible>(_ name: String, with arguments: [any LuaConvertible] = [], as type: T.Type) throws -> T {
        try converted(try call(name, arguments.map(\.luaValue)).first ?? .nil, to: T.self, what: "the result of '\(name)'")
    }

    /// Calls the global function `name` with Swift arguments, for its effect.
    public func call(_ name: String, with arguments: [any LuaConvertible]) throws {
        _ = try call(name, arguments.map(\.luaValue))
    }

    /// The global `name`, converted.
    public func global<T: LuaConvertible>(_ name: String, as type: T.Type) throws -> T {
        try converted(try global(name), to: T.self, what: "global '\(name)'")
    }

    /// Sets the global `name` to a Swift value.
    public func setGlobal(_ name: String, to value: some LuaConvertible) throws {
        try setGlobal(name, value.luaValue)
    }

    /// Makes a typed Swift closure callable from Lua as the global `name`.
    /// Arguments are converted to the closure's parameter types; one of the
    /// wrong type, or one too many, is refused with the built-ins' message
    /// (`bad argument #2 to 'scaled' (number expected, got string)`), and an
    /// error the closure throws reaches Lua as `scaled: <its description>`
    /// at the caller's line.
    public func register<each A: LuaConvertible, R: LuaConvertible>(
        _ name: String, help: String = "", _ body: @escaping @Sendable (repeat each A) throws -> R
    ) throws {
        try registerTyped(name, help: help) { a in [try body(repeat try a.next((each A).self)).luaValue] }
    }

    /// The same for a closure that returns nothing.
    public func register<each A: LuaConvertible>(
        _ name: String, help: String = "", _ body: @escaping @Sendable (repeat each A) throws -> Void
    ) throws {
        try registerTyped(name, help: help) { a in
            try body(repeat try a.next((each A).self))
            return []
        }
    }

    private func registerTyped(_ name: String, help: String, _ call: @escaping @Sendable (inout TypedArguments) throws -> [LuaValue]) throws {
        try register(LuaFunction(name, help.isEmpty ? "" : name + "(...)", help) { a in
            var typed = TypedArguments(args: a)
            let results = try call(&typed)
            try a.noArguments(after: typed.taken)
            return results
        })
    }

    private func converted<T: LuaConvertible>(_ value: LuaValue, to: T.Type, what: String) throws -> T {
        guard let v = T.fromLua(value) else {
            throw LuaError(message: "\(what): \(T.luaTypeName) expected, got \(value.typeName)")
        }
        return v
    }

    static func abbreviated(_ code: String) -> String {
        let line = code.split(separator: "\n").first.map(String.init) ?? ""
        return line.count > 40 ? line.prefix(37) + "..." : line
    }
}

/// The arguments of a typed function's call, taken in order.
struct TypedArguments {
    let args: LuaArgs
    var taken = 0

    mutating func next<T: LuaConvertible>(_: T.Type) throws -> T {
        taken += 1
        guard let v = T.fromLua(try args.value(taken)) else { throw args.typeError(taken, expected: T.luaTypeName) }
        return v
    }
}
