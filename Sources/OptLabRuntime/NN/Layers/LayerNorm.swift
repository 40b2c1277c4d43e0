/// Normalisation over the last dimension, as PyTorch's nn.LayerNorm(d) and
/// nn.RMSNorm(d): each row of d features scaled to zero mean and unit
/// variance (LayerNorm, biased variance) or to unit root mean square
/// (RMSNorm), then by a learned weight (and bias, for LayerNorm).
public final class LayerNorm: Module {
    public let features: Int, eps: Double, affine: Bool, hasBias: Bool

    public init(_ features: Int, eps: Double = 1e-5, affine: Bool = true, bias: Bool = true, dtype: DType = .f32) throws {
        guard features > 0 else { throw RuntimeError(.argument, "LayerNorm", "features must be positive, got \(features)") }
        guard eps >= 0 else { throw RuntimeError(.argument, "LayerNorm", "eps must be non-negative, got \(eps)") }
        (self.features, self.eps, self.affine, self.hasBias) = (features, eps, affine, affine && bias)
        super.init()
        if affine {
            try addParameter("weight", Tensor.ones([features], dtype: dtype))
            if bias { try addParameter("bias", Tensor.zeros([features], dtype: dtype)) }
        }
    }

    override public var config: [String: Double] {
        ["features": Double(features), "eps": eps, "elementwise_affine": affine ? 1 : 0, "bias": hasBias ? 1 : 0]
    }

    override public func forward(_ x: Tensor) throws -> Tensor {
        guard x.rank >= 1, x.shape[x.rank - 1] == features else {
            throw RuntimeError(.shape, typeName, "expected a last dimension of \(features) features, got shape \(describe(x.shape))")
        }
        return try x.layerNorm(weight: affine ? parameter(0) : nil, bias: hasBias ? parameter(1) : nil, eps: eps)
    }

    override public var summary: String { "LayerNorm(\(features))" }
}

public final class RMSNorm: Module {
    public let features: Int, affine: Bool
    /// nil: the dtype's machine epsilon, as PyTorch's default.
    public let eps: Double?

    public init(_ features: Int, eps: Double? = nil, affine: Bool = true, dtype: DType = .f32) throws {
        guard features > 0 else { throw RuntimeError(.argument, "RMSNorm", "features must be positive, got \(features)") }
        if let eps, eps < 0 { throw RuntimeError(.argument, "RMSNorm", "eps must be non-negative, got \(eps)") }
        (self.features, self.eps, self.affine) = (features, eps, affine)
        super.init()
        if affine { try addParameter("weight", Tensor.ones([features], dtype: dtype)) }
    }

    override public var config: [String: Double] {
        var c = ["features": Double(features), "elementwise_affine": affine ? 1 : 0]
        if let eps { c["eps"] = eps }
        return c
    }

    override public func forward(_ x: Tensor) throws -> Tensor {
        guard x.rank >= 1, x.shape[x.rank - 1] == features else {
            throw RuntimeError(.shape, typeName, "expected a last dimension of \(features) features, got shape \(describe(x.shape))")
        }
        let e = eps ?? (x.dtype == .f64 ? Double.ulpOfOne : Double(Float.ulpOfOne))
        var y = try x.mul(x.square().mean(dim: -1, keepDim: true).add(e).rsqrt())
        if affine { y = try y.mul(parameter(0)) }
        return y
    }

    override public var summary: String { "RMSNorm(\(features))" }
}

extension LayerNorm {
    public static let kind = LayerKind("LayerNorm", signature: "nn.LayerNorm(d [, {eps=1e-5, elementwise_affine=true, bias=true}])", help: """
        Normalises the last dimension (d features) to zero mean and unit variance, then scales by weight
        and shifts by bias (learned, [d]), as PyTorch's LayerNorm.
          local ln = nn.LayerNorm(128)
        """, positional: [.init("features", .size)],
        options: [.init("eps", .number, default: 1e-5), .init("elementwise_affine", .flag, default: 1), .init("bias", .flag, default: 1)],
        tensors: { a in
            let f = try a.size("features")
            guard a.flag("elementwise_affine", default: true) else { return [] }
            return [.parameter("weight", [f])] + (a.flag("bias", default: true) ? [.parameter("bias", [f])] : [])
        }) { a in
        try LayerNorm(try a.size("features"), eps: a.number("eps", default: 1e-5), affine: a.flag("elementwise_affine", default: true),
                      bias: a.flag("bias", default: true))
    }
}

extension RMSNorm {
    public static let kind = LayerKind("RMSNorm", signature: "nn.RMSNorm(d [, {eps=, elementwise_affine=true}])", help: """
        Scales the last dimension (d features) to unit root mean square, then by a learned weight ([d]), as
        PyTorch's RMSNorm (eps: the dtype's machine epsilon unless given).
          local norm = nn.RMSNorm(128)
        """, positional: [.init("features", .size)],
        options: [.init("eps", .number), .init("elementwise_affine", .flag, default: 1)],
        tensors: { a in a.flag("elementwise_affine", default: true) ? [.parameter("weight", [try a.size("features")])] : [] }) { a in
        try RMSNorm(try a.size("features"), eps: a.numbers["eps"], affine: a.flag("elementwise_affine", default: true))
    }
}
