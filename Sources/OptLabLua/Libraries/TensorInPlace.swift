import CLua
import OptLabRuntime

/// The in-place tensor methods (`x:add_(y)`), each returning x itself.
enum TensorInPlace {
    /// `x:op_(y [, alpha])` with a tensor or a number.
    static func binary(_ name: String, _ what: String, alpha: Bool,
                       _ withTensor: @escaping @Sendable (Tensor, Tensor, Double) throws -> Tensor,
                       _ withNumber: @escaping @Sendable (Tensor, Double) throws -> Tensor) -> LuaFunction {
        let signature = alpha ? "x:\(name)(y [, alpha=1])" : "x:\(name)(y)"
        return LuaFunction(name, signature, "\(what), in place: y a tensor (broadcast to x's shape) or a number; returns x.") { a in
            let x = try a.tensor(1)
            try a.noArguments(after: alpha ? 2 : 1)
            let k = try a.number(3, default: 1)
            if a.type(2) == LUA_TNUMBER {
                _ = try withNumber(x, try a.number(2) * (alpha ? k : 1))
            } else {
                _ = try withTensor(x, try a.tensor(2), k)
            }
            return [.argument(1)]
        }
    }

    /// `x:op_(t1, t2 [, value])`.
    /// `x:<name>()`, in place, taking nothing; returns x.
    static func nullary(_ name: String, _ help: String, _ op: @escaping @Sendable (Tensor) throws -> Tensor) -> LuaFunction {
        LuaFunction(name, "x:\(name)()", help) { a in
            try a.noArguments(after: 0)
            _ = try op(try a.tensor(1))
            return [.argument(1)]
        }
    }

    static func pointwise(_ name: String, _ signature: String, _ help: String,
                          _ apply: @escaping @Sendable (Tensor, Tensor, Tensor, Double) throws -> Tensor) -> LuaFunction {
        LuaFunction(name, signature, help) { a in
            try a.noArguments(after: 3)
            _ = try apply(try a.tensor(1), try a.tensor(2), try a.tensor(3), try a.number(4, default: 1))
            return [.argument(1)]
        }
    }

    static let functions: [LuaFunction] = [
        binary("add_", "x += alpha·y", alpha: true, { x, y, k in try x.add_(y, alpha: k) }, { x, v in try x.add_(v) }),
        binary("sub_", "x −= alpha·y", alpha: true, { x, y, k in try x.sub_(y, alpha: k) }, { x, v in try x.sub_(v) }),
        binary("mul_", "x ·= y", alpha: false, { x, y, _ in try x.mul_(y) }, { x, v in try x.mul_(v) }),
        binary("div_", "x /= y", alpha: false, { x, y, _ in try x.div_(y) }, { x, v in try x.div_(v) }),
        pointwise("addcmul_", "x:addcmul_(t1, t2 [, value=1])", "x += value·t1·t2, in place; returns x (Adam's and RMSprop's moments).") {
            try $0.addcmul_($1, $2, value: $3)
        },
        pointwise("addcdiv_", "x:addcdiv_(t1, t2 [, value=1])", """
        x += value·t1/t2, in place; returns x.
          p:addcdiv_(m, v:sqrt():add(eps), -lr)    -- Adam's step
        """) { try $0.addcdiv_($1, $2, value: $3) },
        nullary("sqrt_", "√x, in place; returns x.") { try $0.sqrt_() },
        LuaFunction("clamp_", "x:clamp_(min, max)", "Each element limited to [min, max] (either may be nil), in place; returns x.") { a in
            try a.noArguments(after: 2)
            let x = try a.tensor(1)
            _ = try x.clamp_(min: a.isNoneOrNil(2) ? nil : try a.number(2), max: a.isNoneOrNil(3) ? nil : try a.number(3))
            return [.argument(1)]
        },
        nullary("zero_", "Every element 0, in place; returns x.") { try $0.zero_() },
        LuaFunction("fill_", "x:fill_(value)", "Every element set to value, in place; returns x.") { a in
            try a.noArguments(after: 1)
            _ = try a.tensor(1).fill_(try a.number(2))
            return [.argument(1)]
        },
        LuaFunction("copy_", "x:copy_(src)", "src's values (broadcast to x's shape, in x's dtype) written into x; returns x.") { a in
            try a.noArguments(after: 1)
            _ = try a.tensor(1).copy_(try a.tensor(2))
            return [.argument(1)]
        },
        LuaFunction("masked_fill_", "x:masked_fill_(mask, value)", "x where mask (broadcast to x's shape) is non-zero set to value, in place; returns x.") { a in
            try a.noArguments(after: 2)
            _ = try a.tensor(1).maskedFill_(try a.tensor(2), try a.number(3))
            return [.argument(1)]
        },
        LuaFunction("index_fill_", "x:index_fill_(dim, indices, value)", """
        The slices at indices (1-based, a table or a tensor) along dim set to value, in place; returns x.
          x:index_fill_(2, {1, 3}, 0)    -- columns 1 and 3 of a matrix
        """) { a in
            try a.noArguments(after: 3)
            let x = try a.tensor(1)
            let d = try a.dimension(2, rank: x.rank)
            let idx = try a.indices(3)
            let positions = idx.toDoubles().map { Int($0) }.map { $0 < -1 ? x.shape[d] + $0 + 1 : $0 }
            _ = try x.indexFill_(dim: d, positions, try a.number(4))
            return [.argument(1)]
        },
        LuaFunction("version", "x:version()", "How many times x's elements (or a view's) were changed in place.") { a in
            [.integer(try a.tensor(1).version)]
        },
    ]
}
