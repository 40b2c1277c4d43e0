import OptLabRuntime

/// A Swift type that crosses into Lua and back: what the typed calls of
/// `LuaVM` (`eval(_:as:)`, `call(_:with:as:)`, `global(_:as:)`, a typed
/// `register`) convert their arguments and results with.
///
/// Numbers, booleans, strings, tensors, arrays and string-keyed dictionaries
/// of them, optionals and `LuaValue` itself conform.
public protocol LuaConvertible: SendableMetatype {
    /// The value as Lua receives it.
    var luaValue: LuaValue { get }
    /// The Swift value of something Lua gave; nil when it is not of this type.
    /// (A static function rather than an initialiser, so that a tensor comes
    /// back as the same object Lua holds.)
    static func fromLua(_ value: LuaValue) -> Self?
    /// What a message says was expected: "number", "tensor", "table of numbers".
    static var luaTypeName: String { get }
}

extension LuaValue: LuaConvertible {
    public var luaValue: LuaValue { self }
    public static func fromLua(_ value: LuaValue) -> LuaValue? { value }
    public static var luaTypeName: String { "value" }
}

extension Double: LuaConvertible {
    public var luaValue: LuaValue { .number(self) }
    public static func fromLua(_ value: LuaValue) -> Double? { value.number }
    public static var luaTypeName: String { "number" }
}

extension Float: LuaConvertible {
    public var luaValue: LuaValue { .number(Double(self)) }
    public static func fromLua(_ value: LuaValue) -> Float? { value.number.map(Float.init) }
    public static var luaTypeName: String { "number" }
}

extension Int: LuaConvertible {
    public var luaValue: LuaValue { .integer(self) }
    /// An integer, or a float with an integral value (as Lua's `math.tointeger`).
    public static func fromLua(_ value: LuaValue) -> Int? {
        switch value {
        case .integer(let i): return i
        case .number(let v): return Int(exactly: v)
        default: return nil
        }
    }
    public static var luaTypeName: String { "integer" }
}

extension Bool: LuaConvertible {
    public var luaValue: LuaValue { .bool(self) }
    public static func fromLua(_ value: LuaValue) -> Bool? {
        guard case .bool(let b) = value else { return nil }
        return b
    }
    public static var luaTypeName: String { "boolean" }
}

extension String: LuaConvertible {
    public var luaValue: LuaValue { .string(self) }
    public static func fromLua(_ value: LuaValue) -> String? { value.string }
    public static var luaTypeName: String { "string" }
}

extension Tensor: LuaConvertible {
    public var luaValue: LuaValue { .tensor(self) }
    /// Only a tensor itself: a Lua table of numbers is not converted
    /// silently (make one with `tensor.from`, or ask for `[Double]`).
    public static func fromLua(_ value: LuaValue) -> Tensor? { value.tensor }
    public static var luaTypeName: String { "tensor" }
}

extension Optional: LuaConvertible where Wrapped: LuaConvertible {
    public var luaValue: LuaValue { self?.luaValue ?? .nil }
    /// nil for Lua's nil; otherwise the wrapped type's conversion, which
    /// must succeed (a string where a number? was asked for is no nil).
    public static func fromLua(_ value: LuaValue) -> Wrapped?? {
        if value.isNil { return .some(.none) }
        guard let w = Wrapped.fromLua(value) else { return nil }
        return .some(w)
    }
    public static var luaTypeName: String { Wrapped.luaTypeName + " or nil" }
}

extension Array: LuaConvertible where Element: LuaConvertible {
    public var luaValue: LuaValue { .array(map(\.luaValue)) }
    public static func fromLua(_ value: LuaValue) -> [Element]? {
        switch value {
        case .array(let items):
            var out: [Element] = []
            out.reserveCapacity(items.count)
            for item in items {
                guard let e = Element.fromLua(item) else { return nil }
                out.append(e)
            }
            return out
        case .record(let fields) where fields.isEmpty: return []
        default: return nil
        }
    }
    public static var luaTypeName: String { "table of \(plural(Element.luaTypeName))" }
}

extension Dictionary: LuaConvertible where Key == String, Value: LuaConvertible {
    public var luaValue: LuaValue { .record(sorted { $0.key < $1.key }.map { ($0.key, $0.value.luaValue) }) }
    public static func fromLua(_ value: LuaValue) -> [String: Value]? {
        switch value {
        case .record(let fields):
            var out: [String: Value] = [:]
            for (k, v) in fields {
                guard let converted = Value.fromLua(v) else { return nil }
                out[k] = converted
            }
            return out
        case .array(let items) where items.isEmpty: return [:]
        default: return nil
        }
    }
    public static var luaTypeName: String { "table of \(plural(Value.luaTypeName)) by name" }
}

private func plural(_ name: String) -> String { name.hasSuffix("s") || name.contains(" ") ? name : name + "s" }
