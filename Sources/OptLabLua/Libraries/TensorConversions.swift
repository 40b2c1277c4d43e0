import Foundation
import CLua
import CLuaBridge
import OptLabRuntime

/// Lua ⇄ tensor conversions shared by the tensor library and its methods.
extension LuaArgs {
    /// A tensor, or a number taken as a scalar in `like`'s dtype.
    func operand(_ i: Int, like: Tensor) throws -> Tensor {
        if type(i) == LUA_TNUMBER {
            let v = try number(i)
            let dt: DType = like.dtype == .i32 && v.rounded() != v ? .f32 : like.dtype
            return Tensor.scalar(v, dtype: dt)
        }
        guard let t = tensorReference(i) else { throw typeError(i, expected: "tensor or number") }
        return t.takeUnretainedValue()
    }

    /// `body` of the operand at `i` (as `operand`): a tensor borrowed from the
    /// stack, without the retain and release a returned one costs.
    @inline(__always)
    func withOperand<R>(_ i: Int, like: Tensor, _ body: (Tensor) throws -> R) throws -> R {
        if let t = tensorReference(i) { return try t._withUnsafeGuaranteedRef(body) }
        return try body(try operand(i, like: like))
    }

    /// 1-based Lua indices (a tensor or a table of integers) as a 0-based i32 tensor.
    /// `fractional` is added to the message for a value that is not an integer.
    func indices(_ i: Int, op: String? = nil, bound: Int? = nil, what: String = "index", fractional: String = "") throws -> Tensor {
        // Checked as the user wrote them, 1-based: a fractional label is an
        // error (never truncated), and one out of range names its position.
        func check(_ v: Double, _ k: Int) throws {
            guard v.rounded() == v, Swift.abs(v) < 2e9 else {
                throw LuaFaceError(.failed, "\(what) \(String(format: "%g", v)) at position \(k + 1) is not an integer\(fractional)", function: op)
            }
            if let bound, v < 1 || v > Double(bound) {
                throw LuaFaceError(.failed, "\(what) \(Int(v)) at position \(k + 1) is out of range 1..\(bound)", function: op)
            }
        }
        if let t = state.tensor(at: Int32(i)) {
            if t.dtype.isFloatingPoint || bound != nil {
                for (k, v) in t.toDoubles().enumerated() { try check(v, k) }
            }
            return try t.sub(1).to(.i32)
        }
        guard case .array(let items) = try value(i) else { throw typeError(i, expected: "tensor or table of indices") }
        var out: [Int32] = []
        for (k, item) in items.enumerated() {
            guard let v = item.number else { throw argumentError(i, "entry \(k + 1) is \(item.typeName), expected an integer \(what)") }
            try check(v, k)
            out.append(Int32(v) - 1)
        }
        return try Tensor(int32: out)
    }

    /// A tensor as it is, or nested tables of numbers as an f32 one.
    func nestedTensorOrTensor(_ i: Int) throws -> Tensor {
        if let t = state.tensor(at: Int32(i)) { return t }
        return try nestedTensor(i, dtype: .f32)
    }

    /// Nested Lua tables of numbers (rectangular) as a tensor.
    func nestedTensor(_ i: Int, dtype: DType) throws -> Tensor {
        if type(i) == LUA_TNUMBER { return Tensor.scalar(try number(i), dtype: dtype) }
        let v = try value(i)
        var shape: [Int] = []
        var probe = v
        while case .array(let items) = probe {
            shape.append(items.count)
            guard let first = items.first else { break }
            probe = first
        }
        guard shape.count <= Tensor.maxRank else { throw argumentError(i, "table nested deeper than \(Tensor.maxRank) levels") }
        var flat: [Double] = []
        func walk(_ v: LuaValue, _ d: Int, _ path: [Int]) throws {
            if d == shape.count {
                guard let n = v.number else {
                    throw argumentError(i, "element \(path.map { String($0 + 1) }.joined(separator: ",")) is \(v.typeName), expected a number")
                }
                flat.append(n)
                return
            }
            guard case .array(let items) = v, items.count == shape[d] else {
                throw argumentError(i, "table is not rectangular at \(path.isEmpty ? "the top" : "entry " + path.map { String($0 + 1) }.joined(separator: ",")) (expected \(shape[d]) entries)")
            }
            for (k, item) in items.enumerated() { try walk(item, d + 1, path + [k]) }
        }
        guard case .array = v else { throw typeError(i, expected: "table of numbers") }
        try walk(v, 0, [])
        return try Tensor.from(flat, shape: shape, dtype: dtype)
    }
}

extension Tensor {
    /// The values as nested Lua arrays (a number for a 0-d tensor).
    func luaTable() -> LuaValue {
        let values = toDoubles()
        func element(_ i: Int) -> Double { values[i] }
        if rank == 0 { return .number(element(0)) }
        func build(_ d: Int, _ base: Int) -> LuaValue {
            let stride = shape[(d + 1)...].reduce(1, *)
            if d == rank - 1 {
                return .array((0..<shape[d]).map { .number(element(base + $0)) })
            }
            return .array((0..<shape[d]).map { build(d + 1, base + $0 * stride) })
        }
        return build(0, 0)
    }
}
