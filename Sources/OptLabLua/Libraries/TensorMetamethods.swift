import CLua
import OptLabRuntime

/// Operators and indexing of tensors: `x + y`, `2 * x`, `-x`, `x ^ 2`,
/// `#x`, `tostring(x)`, `x[i]` (1-based, a view), `x.grad`, `x.name`.
enum TensorMetamethods {
    /// A number on either side is a scalar in the tensor's dtype.
    static func arithmetic(_ name: String, _ f: @escaping @Sendable (Tensor, Tensor) throws -> Tensor) -> LuaFunction {
        LuaFunction(name, "", "", returningTensor: { a in
            if let x = a.tensorReference(1) {
                return try x._withUnsafeGuaranteedRef { x in try a.withOperand(2, like: x) { y in try f(x, y) } }
            }
            let y = try a.operand(2, like: Tensor.scalar(0))
            return try f(try a.operand(1, like: y), y)
        })
    }

    static let functions: [LuaFunction] = [
        arithmetic("__add") { try $0.add($1) },
        arithmetic("__sub") { try $0.sub($1) },
        arithmetic("__mul") { try $0.mul($1) },
        arithmetic("__div") { try $0.div($1) },
        arithmetic("__pow") { x, e in e.rank == 0 && x.dtype.isFloatingPoint ? try x.pow(try e.item()) : try x.pow(e) },
        LuaFunction("__unm", "", "", returningTensor: { a in try a.tensor(1).neg() }),
        LuaFunction("__len", "", "") { a in
            let x = try a.tensor(1)
            return [.integer(x.shape.first ?? 0)]
        },
        LuaFunction("__tostring", "", "") { a in [.string(try a.tensor(1).description)] },
        LuaFunction("__newindex", "", "") { a in
            let x = try a.tensor(1)
            switch a.type(2) {
            case LUA_TTABLE:
                try x.assign(try subscripts(a, 2, x), try a.operand(3, like: x))
            case LUA_TUSERDATA:
                try x.assign(mask: try a.tensor(2), try a.operand(3, like: x))
            case LUA_TNUMBER:
                let row = try x.select(try luaIndex(a, 2, size: x.shape.first ?? 0))
                if let src = a.state.tensor(at: 3) {
                    try row.copy(from: src.expand(row.shape))
                } else {
                    try row.copy(from: Tensor.full(row.shape, try a.number(3), dtype: row.dtype))
                }
            case LUA_TSTRING:
                switch try a.string(2) {
                case "grad":
                    if a.isNoneOrNil(3) {
                        x.grad = nil
                    } else {
                        let g = try a.tensor(3)
                        guard g.shape == x.shape else { throw a.argumentError(3, "grad of shape \(g.shape) for a tensor of shape \(x.shape)") }
                        x.grad = try g.to(x.dtype)
                    }
                case "name": x.name = a.isNoneOrNil(3) ? nil : try a.string(3)
                case let key: throw a.argumentError(2, "cannot set field '\(key)' of a tensor (settable: grad, name, or an integer index)")
                }
            default:
                throw a.typeError(2, expected: "integer index or field name")
            }
            return []
        },
    ]

    /// `__index` for keys that are not methods: integers and properties.
    static let index = LuaFunction("__index", "", "") { a in
        let x = try a.tensor(1)
        switch a.type(2) {
        case LUA_TNUMBER:
            let row = try x.select(try luaIndex(a, 2, size: x.shape.first ?? 0))
            return row.rank == 0 ? [.number(try row.item())] : [.tensor(row)]
        case LUA_TTABLE:
            return [.tensor(try x.subscripted(try subscripts(a, 2, x)))]
        case LUA_TUSERDATA:
            return [.tensor(try x.masked(try a.tensor(2)))]
        case LUA_TSTRING:
            switch try a.string(2) {
            case "grad": return [x.grad.map { .tensor($0) } ?? .nil]
            case "name": return [x.name.map { .string($0) } ?? .nil]
            case "is_leaf": return [.bool(x.isLeaf)]
            case "needs_grad": return [.bool(x.requiresGrad)]   // what x:requires_grad(on) set
            default: return [.nil]
            }
        default:
            return [.nil]
        }
    }

    static func luaIndex(_ a: LuaArgs, _ i: Int, size: Int) throws -> Int {
        let k = try a.integer(i)
        if k < 0 && -k <= size { return size + k }   // -1 is the last
        guard k >= 1 && k <= size else {
            throw a.argumentError(i, "index \(k) out of range 1..\(size) (or -\(size)..-1)")
        }
        return k - 1
    }

    /// `{2, {3, 5}, {}}`: per dimension a position, an inclusive range {a, b}
    /// (or {a}), or {} for all of it; 1-based, negatives from the end.
    static func subscripts(_ a: LuaArgs, _ i: Int, _ x: Tensor) throws -> [TensorIndex] {
        guard case .array(let items) = try a.value(i) else {
            throw a.argumentError(i, "an index table like {2, {3, 5}, {}} expected")
        }
        guard items.count <= x.rank else { throw a.argumentError(i, "\(items.count) indices for a \(x.rank)-d tensor") }
        func position(_ v: LuaValue, _ d: Int) throws -> Int {
            guard let n = v.number, n.rounded() == n, Swift.abs(n) < 1e15 else {
                throw a.argumentError(i, "index for dimension \(d + 1) must be an integer, got \(v.typeName)")
            }
            let k = Int(n), size = x.shape[d]
            if k < 0 && -k <= size { return size + k }
            guard k >= 1 && k <= size else { throw a.argumentError(i, "index \(k) out of range 1..\(size) for dimension \(d + 1)") }
            return k - 1
        }
        return try items.enumerated().map { d, v in
            switch v {
            case .number, .integer: return .at(try position(v, d))
            case .array(let r) where r.isEmpty: return .all
            case .record(let r) where r.isEmpty: return .all
            case .array(let r) where r.count == 1: let p = try position(r[0], d); return .range(p, p)
            case .array(let r) where r.count == 2: return .range(try position(r[0], d), try position(r[1], d))
            default: throw a.argumentError(i, "entry \(d + 1) must be an index, {from, to} or {}, got \(v.typeName)")
            }
        }
    }
}
