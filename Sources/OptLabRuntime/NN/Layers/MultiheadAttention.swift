import Foundation

/// Multi-head self-attention on [N, T, d], as PyTorch's
/// nn.MultiheadAttention(d, heads, batch_first=True) called as attn(x, x, x):
/// q, k, v = x·in_proj_weightᵀ + in_proj_bias (in_proj_weight [3d, d]),
/// softmax(q·kᵀ/√(d/heads)) (the future masked out when causal) · v per
/// head, then out_proj (d → d). The parameter names are PyTorch's
/// (out_proj's two are this layer's own, named with their dot, not a child
/// module's), so its state_dict loads as it is.
public final class MultiheadAttention: Module {
    public let dimension: Int, heads: Int, causal: Bool, dropout: Double, hasBias: Bool
    let generator: Generator

    public init(_ dimension: Int, _ heads: Int, causal: Bool = false, dropout: Double = 0, bias: Bool = true,
                dtype: DType = .f32, generator: Generator = .default) throws {
        guard dimension > 0, heads > 0, dimension % heads == 0 else {
            throw RuntimeError(.argument, "MultiheadAttention", "d = \(dimension) must be a positive multiple of heads = \(heads)")
        }
        guard dropout >= 0, dropout < 1 else { throw RuntimeError(.argument, "MultiheadAttention", "dropout must be in [0, 1), got \(dropout)") }
        (self.dimension, self.heads, self.causal, self.dropout, self.hasBias) = (dimension, heads, causal, dropout, bias)
        self.generator = generator
        super.init()
        // PyTorch's initialisation: Xavier-uniform in_proj_weight, zero biases, out_proj's weight as a Linear's
        let bound = (6.0 / Double(dimension + 3 * dimension)).squareRoot()
        try addParameter("in_proj_weight", Tensor.rand([3 * dimension, dimension], dtype: dtype).mul(2 * bound).sub(bound))
        if bias { try addParameter("in_proj_bias", Tensor.zeros([3 * dimension], dtype: dtype)) }
        try addParameter("out_proj.weight", Initialization.kaiming.weights([dimension, dimension], fanIn: dimension, dtype: dtype))
        if bias { try addParameter("out_proj.bias", Tensor.zeros([dimension], dtype: dtype)) }
    }

    private var inProjection: (weight: Tensor, bias: Tensor?) { (parameter(0), hasBias ? parameter(1) : nil) }
    private var outProjection: (weight: Tensor, bias: Tensor?) { hasBias ? (parameter(2), parameter(3)) : (parameter(1), nil) }

    override public var config: [String: Double] {
        ["d": Double(dimension), "heads": Double(heads), "causal": causal ? 1 : 0, "dropout": dropout, "bias": hasBias ? 1 : 0]
    }

    override public func forward(_ x: Tensor) throws -> Tensor {
        guard x.rank == 3, x.shape[2] == dimension else {
            throw RuntimeError(.shape, typeName, "expected [N, T, \(dimension)], got shape \(describe(x.shape))")
        }
        let (n, t, h, dh) = (x.shape[0], x.shape[1], heads, dimension / heads)
        let qkv = try x.reshape([n * t, dimension]).linear(weight: inProjection.weight, bias: inProjection.bias)
        let mixed: Tensor
        if isTraining && dropout > 0 {
            mixed = try composedAttention(qkv, n: n, t: t, h: h, dh: dh)
        } else {
            mixed = try qkv.reshape([n, t, 3 * dimension]).selfAttention(heads: h, causal: causal).reshape([n * t, dimension])
        }
        return try mixed.linear(weight: outProjection.weight, bias: outProjection.bias).reshape([n, t, dimension])
    }

    /// Attention with dropout on its weights, composed of tensor operations
    /// (the fused kernel has no dropout): the heads permuted out of [N·T, 3d],
    /// the causal mask a -inf upper triangle, the weights dropped and rescaled.
    private func composedAttention(_ qkv: Tensor, n: Int, t: Int, h: Int, dh: Int) throws -> Tensor {
        func head(_ k: Int) throws -> Tensor {
            try qkv.narrow(dim: 1, start: k * dimension, length: dimension).reshape([n, t, h, dh]).permute([0, 2, 1, 3]).reshape([n * h, t, dh])
        }
        let (q, k, v) = (try head(0), try head(1), try head(2))
        var scores = try q.matmul(k.transpose(1, 2)).mul(1 / Double(dh).squareRoot())
        if causal { scores = try scores.maskedFill(Tensor.ones([t, t]).triu(1), -.infinity) }
        let weights = try scores.softmax(dim: -1)
            .mul(Tensor.bernoulli([n * h, t, t], p: 1 - dropout, dtype: qkv.dtype, generator: generator).div(1 - dropout))
        return try weights.matmul(v).reshape([n, h, t, dh]).permute([0, 2, 1, 3]).reshape([n * t, dimension])
    }

    override public var summary: String { "MultiheadAttention(\(dimension), \(heads)\(causal ? ", causal" : ""))" }
}

extension MultiheadAttention {
    public static let kind = LayerKind("MultiheadAttention", signature: "nn.MultiheadAttention(d, heads [, {causal=false, dropout=0, bias=true}])", help: """
        Multi-head self-attention on [N, T, d] (PyTorch's nn.MultiheadAttention with batch_first, called on
        x, x, x): heads heads of d/heads features, scaled dot products, the future masked out when causal,
        dropout on the attention weights while training. Parameters as PyTorch names them: in_proj_weight
        [3d, d], in_proj_bias, out_proj.weight, out_proj.bias.
          local attn = nn.MultiheadAttention(128, 4, {causal = true})
        """, positional: [.init("d", .size), .init("heads", .size)],
        options: [.init("causal", .flag, default: 0), .init("dropout", .number, default: 0), .init("bias", .flag, default: 1)],
        tensors: { a in
            let d = try a.size("d")
            let bias = a.flag("bias", default: true)
            return [.parameter("in_proj_weight", [3 * d, d])] + (bias ? [.parameter("in_proj_bias", [3 * d])] : [])
                + [.parameter("out_proj.weight", [d, d])] + (bias ? [.parameter("out_proj.bias", [d])] : [])
        }) { a in
        try MultiheadAttention(try a.size("d"), try a.size("heads"), causal: a.flag("causal", default: false),
                               dropout: a.number("dropout", default: 0), bias: a.flag("bias", default: true))
    }
}
