import CLua
import CLuaBridge
import OptLabRuntime

/// A value crossing between Lua and Swift.
public enum LuaValue {
    case `nil`
    case bool(Bool)
    case number(Double)
    case integer(Int)
    case string(String)
    case tensor(Tensor)
    /// A Lua sequence {v1, v2, …}.
    case array([LuaValue])
    /// A Lua table with string keys, in this order when created from Swift.
    case record([(String, LuaValue)])
    /// A Lua function (or other callable value) held by reference.
    case function(LuaReference)
    /// An object of a kind the bindings registered (a module, an optimizer, …).
    case object(AnyObject, kind: String)
    /// A value Swift does not represent (a coroutine, a foreign userdata), by its type name.
    case opaque(String)
    /// Internal: the argument at this stack slot, returned unchanged (keeps Lua identity).
    case argument(Int32)

    public var number: Double? {
        switch self {
        case .number(let v): return v
        case .integer(let i): return Double(i)
        default: return nil
        }
    }

    public var string: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var tensor: Tensor? {
        if case .tensor(let t) = self { return t }
        return nil
    }

    public var isNil: Bool {
        if case .nil = self { return true }
        return false
    }

    /// The Lua type name users see in messages ("tensor" for tensors).
    var typeName: String {
        switch self {
        case .nil: return "nil"
        case .bool: return "boolean"
        case .number, .integer: return "number"
        case .string: return "string"
        case .tensor: return "tensor"
        case .array, .record: return "table"
        case .function: return "function"
        case .object(_, let kind): return kind
        case .opaque(let t): return t
        case .argument: return "value"
        }
    }
}

/// A Lua value kept alive in the registry for Swift to use later (a
/// callback). Released when the last Swift reference goes.
public final class LuaReference {
    let state: BindingState
    let ref: Int32
    public let typeName: String

    init(state: BindingState, ref: Int32, typeName: String) {
        self.state = state
        self.ref = ref
        self.typeName = typeName
    }

    deinit {
        if let L = state.L { luaL_unref(L, OPTLAB_REGISTRYINDEX, ref) }
    }
}
