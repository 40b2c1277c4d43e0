/// Maxout (Goodfellow et al.): `pieces` linear functions per output unit,
/// and the largest of them; the max records its winners for kink detection.
public final class Maxout: Module {
    public let inputs: Int, outputs: Int, pieces: Int

    public init(_ inputs: Int, _ outputs: Int, pieces: Int, initialization: Initialization = .small, dtype: DType = .f32) throws {
        guard inputs > 0, outputs > 0, pieces > 0 else {
            throw RuntimeError(.argument, "Maxout", "sizes and pieces must be positive")
        }
        self.inputs = inputs
        self.outputs = outputs
        self.pieces = pieces
        super.init()
        try addParameter("weight", initialization.weights([outputs * pieces, inputs], fanIn: inputs, dtype: dtype))
        try addParameter("bias", Tensor.zeros([outputs * pieces], dtype: dtype))
    }

    override public var config: [String: Double] { ["in": Double(inputs), "out": Double(outputs), "pieces": Double(pieces)] }

    override public func forward(_ x: Tensor) throws -> Tensor {
        try expectRank(x, [2], what: "a batch of shape [N,\(inputs)]")
        try expectFeatures(x, inputs, dim: 1)
        let z = try x.linear(weight: parameter(0), bias: parameter(1))
        return try z.reshape([x.shape[0], outputs, pieces]).max(dim: 2)
    }

    override public var summary: String { "Maxout(\(inputs) -> \(outputs), \(pieces) pieces)" }
}

extension Maxout {
    public static let kind = LayerKind("Maxout", signature: "nn.Maxout(in, out, pieces)",
        help: "The max of `pieces` linear functions per output unit.",
        positional: [.init("in", .size), .init("out", .size), .init("pieces", .size)],
        tensors: { a in
            let (i, o, k) = (try a.size("in"), try a.size("out"), try a.size("pieces"))
            let (rows, overflow) = o.multipliedReportingOverflow(by: k)
            guard !overflow else { throw RuntimeError(.argument, "Maxout", "out × pieces overflows") }
            return [.parameter("weight", [rows, i]), .parameter("bias", [rows])]
        }) { a in
        try Maxout(try a.size("in"), try a.size("out"), pieces: try a.size("pieces"))
    }
}
