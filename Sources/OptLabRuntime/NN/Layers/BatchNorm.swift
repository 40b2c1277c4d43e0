/// Batch normalisation over the batch (and, for [N,C,H,W] input, the spatial
/// positions) of each feature: y = γ·(x − μ)/√(σ² + ε) + β. Training uses the
/// batch's statistics and updates running ones (momentum 0.1, as PyTorch);
/// evaluation uses the running ones. A fused kernel on NCHW memory
/// (Kernels/BatchNormKernel.swift) with its own backward; the tensor-op
/// chain remains for inputs of another dtype than the parameters.
public final class BatchNorm: Module {
    public let features: Int
    /// Set to 1/k for the k-th batch by `updateBatchNormStatistics` (a cumulative average).
    public internal(set) var momentum: Double
    public let eps: Double

    public init(_ features: Int, momentum: Double = 0.1, eps: Double = 1e-5, dtype: DType = .f32) throws {
        guard features > 0 else { throw RuntimeError(.argument, "BatchNorm", "features must be positive") }
        self.features = features
        self.momentum = momentum
        self.eps = eps
        super.init()
        try addParameter("weight", Tensor.ones([features], dtype: dtype))
        try addParameter("bias", Tensor.zeros([features], dtype: dtype))
        addBuffer("running_mean", try Tensor.zeros([features], dtype: dtype))
        addBuffer("running_var", try Tensor.ones([features], dtype: dtype))
    }

    override public var config: [String: Double] { ["features": Double(features), "momentum": momentum, "eps": eps] }

    override public func forward(_ x: Tensor) throws -> Tensor {
        try expectRank(x, [2, 4], what: "[N,\(features)] or [N,\(features),H,W]")
        try expectFeatures(x, features, dim: 1)
        if x.dtype == parameter(0).dtype, x.dtype.isFloatingPoint {
            return try fused(x)
        }
        // (mixed dtypes: the op chain, which promotes) Features last, rows = every sample (and position).
        let rows = x.rank == 4 ? try x.permute([0, 2, 3, 1]).reshape([-1, features]) : x
        let y: Tensor
        if isTraining {
            guard rows.shape[0] > 1 else {
                throw RuntimeError(.shape, "BatchNorm", "training needs more than one value per feature, got shape \(describe(x.shape))")
            }
            let mean = try rows.mean(dim: 0)
            let variance = try rows.variance(dim: 0, correction: 0)
            try Tensor.withNoGrad {
                let n = Double(rows.shape[0])
                let rm = buffer(0), rv = buffer(1)
                try rm.copy(from: rm.mul(1 - momentum).add(mean.detach().mul(momentum)))
                try rv.copy(from: rv.mul(1 - momentum).add(variance.detach().mul(momentum * n / Swift.max(n - 1, 1))))
            }
            y = try rows.sub(mean).div(variance.add(eps).sqrt())
        } else {
            y = try rows.sub(buffer(0)).div(buffer(1).add(eps).sqrt())
        }
        let out = try y.mul(parameter(0)).add(parameter(1))
        guard x.rank == 4 else { return out }
        return try out.reshape([x.shape[0], x.shape[2], x.shape[3], features]).permute([0, 3, 1, 2])
    }

    /// The fused kernel on NCHW memory (Kernels/BatchNormKernel.swift).
    func fused(_ x: Tensor) throws -> Tensor {
        guard isTraining else {
            return try x.batchNormEvaluation(weight: parameter(0), bias: parameter(1), runningMean: buffer(0), runningVariance: buffer(1), eps: eps)
        }
        let m = x.count / features
        guard m > 1 else {
            throw RuntimeError(.shape, "BatchNorm", "training needs more than one value per feature, got shape \(describe(x.shape))")
        }
        let (out, mean, variance) = try x.batchNormTraining(weight: parameter(0), bias: parameter(1), eps: eps)
        // running averages, with the unbiased variance (as PyTorch)
        let rm = buffer(0), rv = buffer(1), unbias = Double(m) / Double(m - 1)
        for c in 0..<features {
            rm.setElement(c, (1 - momentum) * rm.element(c) + momentum * mean[c])
            rv.setElement(c, (1 - momentum) * rv.element(c) + momentum * variance[c] * unbias)
        }
        rm.bumpVersion(); rv.bumpVersion()
        return out
    }

    override public var summary: String { "BatchNorm(\(features))" }
}

extension BatchNorm {
    public static let kind = LayerKind("BatchNorm", signature: "nn.BatchNorm(n [, {momentum=0.1, eps=1e-5}])",
        help: "Batch normalisation of n features ([N,n] or [N,n,H,W]).",
        positional: [.init("features", .size)],
        options: [.init("momentum", .number, default: 0.1), .init("eps", .number, default: 1e-5)],
        tensors: { a in
            let f = try a.size("features")
            return [.parameter("weight", [f]), .parameter("bias", [f]), .buffer("running_mean", [f]), .buffer("running_var", [f])]
        }) { a in
        try BatchNorm(try a.size("features"), momentum: a.number("momentum", default: 0.1), eps: a.number("eps", default: 1e-5))
    }
}
