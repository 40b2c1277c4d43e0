import Foundation

/// The activations of today's models as tensor functions, built from
/// differentiable ops (so their gradients are PyTorch's): GELU's tanh
/// approximation (the exact GELU is GELU.swift's), SiLU and Softplus.
extension Tensor {
    /// GELU: the exact one (`gelu()`, GELU.swift's fused kernel) or, with
    /// `tanh: true`, PyTorch's approximate = "tanh" form.
    public func gelu(tanh approximate: Bool) throws -> Tensor {
        guard approximate else { return try gelu() }
        try requireFloat("gelu")
        let inner = try add(pow(3).mul(0.044715)).mul((2 / Double.pi).squareRoot())
        return try mul(0.5).mul(inner.tanh().add(1))
    }

    /// x·σ(x).
    public func silu() throws -> Tensor {
        try requireFloat("silu")
        return try mul(sigmoid())
    }

    /// log(1 + e^(βx))/β, and x itself where βx > threshold (PyTorch's, for stability).
    public func softplus(beta: Double = 1, threshold: Double = 20) throws -> Tensor {
        try requireFloat("softplus")
        guard beta > 0 else { throw RuntimeError(.argument, "softplus", "beta must be positive, got \(beta)") }
        let bx = try mul(beta)
        let linear = try bx.compare(.gt, .scalar(threshold, dtype: dtype)).detach()
        // (e^(βx) of a large x is never formed: min(βx, threshold) goes into the exponential)
        let smooth = try bx.minimum(.scalar(threshold, dtype: dtype)).exp().log1p().div(beta)
        return try self.where(linear, smooth)
    }
}
