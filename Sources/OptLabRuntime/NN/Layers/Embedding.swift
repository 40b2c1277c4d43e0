/// A lookup table: token ids (1-based, as Lua indexes; any shape) → rows of
/// `weight` [n, d], PyTorch's nn.Embedding (weight drawn N(0, 1)). The row
/// at `paddingIndex` starts at zero and gets no gradient.
public final class Embedding: Module {
    public let count: Int, dimension: Int
    /// 1-based, or nil.
    public let paddingIndex: Int?

    public init(_ count: Int, _ dimension: Int, paddingIndex: Int? = nil, dtype: DType = .f32) throws {
        guard count > 0, dimension > 0 else {
            throw RuntimeError(.argument, "Embedding", "sizes must be positive, got \(count) × \(dimension)")
        }
        if let p = paddingIndex, !(1...count).contains(p) {
            throw RuntimeError(.argument, "Embedding", "padding_idx must be a token id in 1..\(count), got \(p)")
        }
        self.count = count
        self.dimension = dimension
        self.paddingIndex = paddingIndex
        super.init()
        let w = try Tensor.randn([count, dimension], dtype: dtype)
        if let p = paddingIndex { for j in 0..<dimension { w.setElement((p - 1) * dimension + j, 0) } }
        try addParameter("weight", w)
    }

    public var weight: Tensor { parameter(0) }

    override public var config: [String: Double] {
        var c = ["n": Double(count), "d": Double(dimension)]
        if let p = paddingIndex { c["padding_idx"] = Double(p) }
        return c
    }

    /// `ids` holds 1-based token ids (the Lua convention; any integer-valued dtype).
    override public func forward(_ ids: Tensor) throws -> Tensor {
        let zeroBased = try ids.sub(1)
        let flat = try zeroBased.reshape([ids.count])
        var out = try weight.indexSelect(dim: 0, flat)
        if let p = paddingIndex {
            // the padding row's value passes, its gradient does not
            let notPad = try flat.compare(.ne, .scalar(Double(p - 1), dtype: flat.dtype)).reshape([ids.count, 1])
            out = try out.where(notPad, out.detach())
        }
        return try out.reshape(ids.shape + [dimension])
    }

    override public var summary: String { "Embedding(\(count), \(dimension))" }
}

extension Embedding {
    public static let kind = LayerKind("Embedding", signature: "nn.Embedding(n, d [, {padding_idx=}])", help: """
        A table of n vectors of size d (weight [n, d], drawn N(0, 1) as PyTorch's): token ids 1..n (any
        shape) become their rows (shape … × d). The row at padding_idx starts at zero and is never trained.
          local emb = nn.Embedding(65, 128);  local h = emb(tensor.from({{1, 5, 9}}, "i32"))
        """, positional: [.init("n", .size), .init("d", .size)],
        options: [.init("padding_idx", .size)],
        tensors: { a in [.parameter("weight", [try a.size("n"), try a.size("d")])] }) { a in
        try Embedding(try a.size("n"), try a.size("d"), paddingIndex: a.numbers["padding_idx"].map { Int($0) })
    }
}
