/// Rearranging tensors as PyTorch does: stack, chunk, split, unbind, flip,
/// roll, tril/triu, repeat_interleave and an out-of-place masked_fill. Each
/// is made of differentiable pieces (narrow, concatenate, indexSelect,
/// where), so each has its gradient. Dimensions are 0-based here (negative
/// counts from the end); the Lua bindings take Lua's 1-based ones.
extension Tensor {
    /// The tensors, all of one shape, joined along a new dimension `dim`.
    public static func stack(_ tensors: [Tensor], dim: Int = 0) throws -> Tensor {
        guard let first = tensors.first else { throw RuntimeError(.argument, "stack", "expected at least one tensor") }
        for (k, t) in tensors.enumerated() where t.shape != first.shape {
            throw RuntimeError(.shape, "stack", "tensor \(k + 1) has shape \(describe(t.shape)), the first \(describe(first.shape))")
        }
        let d = dim < 0 ? dim + first.rank + 1 : dim
        guard d >= 0, d <= first.rank else {
            throw RuntimeError(.argument, "stack", "dimension \(dim) is out of range for stacking \(first.rank)-d tensors")
        }
        return try concatenate(tensors.map { try $0.unsqueeze(d) }, dim: d)
    }

    /// Pieces of `sizes` along `dim` (they must add up to its length).
    public func split(sizes: [Int], dim: Int = 0) throws -> [Tensor] {
        let d = try normalizedDim(dim, op: "split")
        guard sizes.allSatisfy({ $0 >= 0 }), sizes.reduce(0, +) == shape[d] else {
            throw RuntimeError(.argument, "split", "sizes \(sizes) do not add up to dimension \(d + 1)'s length \(shape[d])")
        }
        var start = 0
        return try sizes.map { n in
            defer { start += n }
            return try narrow(dim: d, start: start, length: n)
        }
    }

    /// Pieces of `size` along `dim`, the last one shorter when it does not divide.
    public func split(size: Int, dim: Int = 0) throws -> [Tensor] {
        let d = try normalizedDim(dim, op: "split")
        guard size > 0 else { throw RuntimeError(.argument, "split", "the size of a piece must be positive, got \(size)") }
        let n = shape[d]
        return try split(sizes: stride(from: 0, to: n, by: size).map { Swift.min(size, n - $0) }, dim: d)
    }

    /// At most `chunks` pieces along `dim`, each ⌈length/chunks⌉ long but the last (torch.chunk).
    public func chunk(_ chunks: Int, dim: Int = 0) throws -> [Tensor] {
        guard chunks > 0 else { throw RuntimeError(.argument, "chunk", "the number of chunks must be positive, got \(chunks)") }
        let d = try normalizedDim(dim, op: "chunk")
        let n = shape[d]
        return try split(size: Swift.max(1, (n + chunks - 1) / chunks), dim: d)
    }

    /// The slices along `dim`, that dimension removed.
    public func unbind(dim: Int = 0) throws -> [Tensor] {
        let d = try normalizedDim(dim, op: "unbind")
        return try (0..<shape[d]).map { try narrow(dim: d, start: $0, length: 1).squeeze(d) }
    }

    /// The entries along each of `dims` in reverse order.
    public func flip(dims: [Int]) throws -> Tensor {
        var out = self
        for dim in Set(try dims.map { try normalizedDim($0, op: "flip") }) {
            let n = shape[dim]
            out = try out.indexSelect(dim: dim, Tensor.from((0..<n).reversed().map { Double($0) }, dtype: .i32))
        }
        return out === self ? try clone() : out
    }

    /// The entries moved `shift` places along `dim` (wrapping around); without a
    /// dim, of the flattened tensor, its shape kept (torch.roll).
    public func roll(_ shift: Int, dim: Int? = nil) throws -> Tensor {
        guard let dim else { return try reshape([count]).roll(shift, dim: 0).reshape(shape) }
        let d = try normalizedDim(dim, op: "roll")
        let n = shape[d]
        guard n > 0 else { return try clone() }
        let s = ((shift % n) + n) % n
        if s == 0 { return try clone() }
        return try Tensor.concatenate([narrow(dim: d, start: n - s, length: s), narrow(dim: d, start: 0, length: n - s)], dim: d)
    }

    /// The lower triangle of the last two dimensions: entries (i, j) with
    /// j − i ≤ diagonal kept, the others 0 (triu: j − i ≥ diagonal).
    public func tril(_ diagonal: Int = 0) throws -> Tensor { try triangle(diagonal, lower: true) }
    public func triu(_ diagonal: Int = 0) throws -> Tensor { try triangle(diagonal, lower: false) }

    private func triangle(_ k: Int, lower: Bool) throws -> Tensor {
        let op = lower ? "tril" : "triu"
        guard rank >= 2 else { throw RuntimeError(.shape, op, "expected at least 2 dimensions, got shape \(describe(shape))") }
        let (rows, cols) = (shape[rank - 2], shape[rank - 1])
        let mask = try Tensor(uninitialized: [rows, cols], dtype: .f32)
        for i in 0..<rows { for j in 0..<cols { mask.setElement(i * cols + j, (lower ? j - i <= k : j - i >= k) ? 1 : 0) } }
        // (where, not a product: a −∞ outside the triangle becomes 0, not NaN)
        return try self.where(mask, .scalar(0, dtype: dtype))
    }

    /// Each entry along `dim` repeated `repeats` times in place (torch.repeat_interleave).
    public func repeatInterleave(_ repeats: Int, dim: Int) throws -> Tensor {
        let d = try normalizedDim(dim, op: "repeat_interleave")
        guard repeats >= 0 else { throw RuntimeError(.argument, "repeat_interleave", "repeats must be non-negative, got \(repeats)") }
        let (total, overflow) = shape[d].multipliedReportingOverflow(by: repeats)
        guard !overflow, total <= Int(Int32.max) else { throw RuntimeError(.argument, "repeat_interleave", "\(shape[d]) × \(repeats) entries are too many") }
        let index = (0..<shape[d]).flatMap { i in [Double](repeating: Double(i), count: repeats) }
        return try indexSelect(dim: d, Tensor.from(index, dtype: .i32))
    }

    /// `value` where `mask` is non-zero, else this tensor's entries; a new tensor.
    public func maskedFill(_ mask: Tensor, _ value: Double) throws -> Tensor {
        let keep = try mask.compare(.eq, .scalar(0, dtype: mask.dtype))
        // (an i32 tensor filled with a whole number stays i32, as in PyTorch)
        let whole = value.rounded() == value && Swift.abs(value) <= Double(Int32.max)
        return try self.where(keep, .scalar(value, dtype: dtype.isFloatingPoint || !whole ? (dtype == .i32 ? .f32 : dtype) : .i32))
    }
}
