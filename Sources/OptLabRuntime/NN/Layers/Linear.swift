/// A fully connected layer: y = x·Wᵀ + b, with W of shape out×in (PyTorch's layout).
public final class Linear: Module {
    public let inputs: Int, outputs: Int
    /// How the weights were drawn (recorded with the model: a run can be redone from its folder).
    public let initialization: Initialization

    /// - Parameters:
    ///   - inputs: The features of each input row.
    ///   - outputs: The features of each output row.
    ///   - bias: Whether to add a learned bias b.
    ///   - initialization: `.small` (std 0.01, the notes' default), `.xavier` or `.kaiming`.
    ///   - dtype: f32 or f64 weights.
    public init(_ inputs: Int, _ outputs: Int, bias: Bool = true, initialization: Initialization = .small,
                dtype: DType = .f32) throws {
        guard inputs > 0, outputs > 0 else {
            throw RuntimeError(.argument, "Linear", "sizes must be positive, got \(inputs) -> \(outputs)")
        }
        self.inputs = inputs
        self.outputs = outputs
        self.initialization = initialization
        super.init()
        try addParameter("weight", initialization.weights([outputs, inputs], fanIn: inputs, dtype: dtype))
        if bias { try addParameter("bias", Tensor.zeros([outputs], dtype: dtype)) }
    }

    public var weight: Tensor { parameter(0) }
    public var bias: Tensor? { parameterSlots.count > 1 ? parameter(1) : nil }

    override public var config: [String: Double] {
        ["in": Double(inputs), "out": Double(outputs), "bias": bias == nil ? 0 : 1]
    }

    override public var choices: [String: String] { ["init": initialization.rawValue] }

    /// x of shape [N, in], or […, in] (a sequence's [N, T, in]: every leading dimension is a batch one).
    override public func forward(_ x: Tensor) throws -> Tensor {
        guard x.rank >= 2 else { throw RuntimeError(.shape, typeName, "expected a batch of shape [N,\(inputs)] or [..., \(inputs)], got shape \(describe(x.shape))") }
        try expectFeatures(x, inputs, dim: x.rank - 1)
        if x.rank == 2 { return try x.linear(weight: weight, bias: bias) }
        let lead = Array(x.shape.dropLast())
        return try x.reshape([x.count / inputs, inputs]).linear(weight: weight, bias: bias).reshape(lead + [outputs])
    }

    override public var summary: String { "Linear(\(inputs) -> \(outputs))" }
}

extension Tensor {
    /// x·Wᵀ + b in one op: one GEMM with W transposed by BLAS flag, the bias
    /// added in the same pass. Backward: dx = g·W, dW = gᵀ·x, db = Σ_rows g.
    public func linear(weight: Tensor, bias: Tensor?) throws -> Tensor {
        try requireFloat("linear")
        guard rank == 2, weight.rank == 2, shape[1] == weight.shape[1] else {
            throw RuntimeError(.shape, "linear", "input \(describe(shape)) and weight \(describe(weight.shape)) do not align (expected input [N,\(weight.shape.last ?? 0)])")
        }
        let x = try to(weight.dtype)
        let (n, k, m) = (shape[0], shape[1], weight.shape[0])
        if let bias, bias.rank != 1 || bias.shape[0] != m {
            throw RuntimeError(.shape, "linear", "bias of shape \(describe(bias.shape)) for \(m) outputs")
        }
        let out = try Tensor(uninitialized: [n, m], dtype: weight.dtype)
        // the bias written into every row first and the product added by GEMM (β = 1):
        // one pass over the output instead of BLAS's zeroing and a second pass adding b
        if let bias {
            let b = try bias.to(weight.dtype)
            let (o, bp, bytes) = (out.raw, b.raw, m * out.dtype.byteSize)
            Parallel.forRanges(n, grain: Swift.max(1, Parallel.minimumElements / Swift.max(m, 1))) { rows in
                for r in rows { (o + r * bytes).copyMemory(from: bp, byteCount: bytes) }
            }
        }
        try Tensor.gemm(x, false, weight, true, into: out, m: n, n: m, k: k, accumulate: bias != nil)
        guard x.requiresGrad || weight.requiresGrad || bias?.requiresGrad == true, GradMode.enabled else { return out }
        let inputs = bias.map { [x, weight, $0] } ?? [x, weight]
        return Tensor.record("linear", out, inputs, saving: [x, weight]) { g, needs in
            var dx: Tensor?, dw: Tensor?, db: Tensor?
            if needs[0] {
                dx = try Tensor(uninitialized: [n, k], dtype: g.dtype)
                try Tensor.gemm(g, false, weight, false, into: dx!, m: n, n: k, k: m)
            }
            if needs[1] {
                dw = try Tensor(uninitialized: [m, k], dtype: g.dtype)
                try Tensor.gemm(g, true, x, false, into: dw!, m: m, n: k, k: n)
            }
            if needs.count > 2 && needs[2] { db = try g.sum(dim: 0) }
            return needs.count > 2 ? [dx, dw, db] : [dx, dw]
        }
    }
}

extension Linear {
    public static let kind = LayerKind("Linear", signature: "nn.Linear(in, out [, {bias=true, init=\"small\"}])", help: """
        A fully connected layer y = x·Wᵀ + b, W of shape out×in. init: "small"
        (N(0, 0.01²), the notes' default), "xavier" or "kaiming".
          local fc = nn.Linear(784, 256, {init = "kaiming"})
        """, positional: [.init("in", .size), .init("out", .size)],
        options: [.init("bias", .flag, default: 1), LayerKind.initOption],
        tensors: { a in
            let (i, o) = (try a.size("in"), try a.size("out"))
            return [.parameter("weight", [o, i])] + (a.flag("bias", default: true) ? [.parameter("bias", [o])] : [])
        }) { a in
        try Linear(try a.size("in"), try a.size("out"), bias: a.flag("bias", default: true),
                   initialization: try a.initialization(default: .small))
    }
}
