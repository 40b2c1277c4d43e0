/// logsumexp and p-norms over all elements or along a dimension, built from
/// differentiable ops, so their gradients are the composition's (softmax for
/// logsumexp; x·|x|^(p−2)/‖x‖^(p−1) for a p-norm, the winner's sign for ∞).
extension Tensor {
    /// log Σ e^x, stable: the maximum is taken out first (a row of −∞ gives
    /// −∞, a +∞ anywhere gives +∞, as PyTorch's).
    public func logsumexp(dim: Int? = nil, keepDim: Bool = false) throws -> Tensor {
        try requireFloat("logsumexp")
        let m = try Tensor.withNoGrad {
            let peak = try max(dim: dim, keepDim: true)
            // (an infinite maximum is no shift: e^(x − ∞) would be NaN)
            return try peak.where(peak.abs().compare(.lt, .scalar(.infinity, dtype: dtype)), .scalar(0, dtype: dtype))
        }
        var s = try sub(m).exp()
        s = dim == nil ? try s.sum() : try s.sum(dim: dim, keepDim: true)
        var out = try s.log().add(dim == nil ? m.reshape([]) : m)
        if let dim, !keepDim { out = try out.squeeze(dim) }
        return out
    }

    /// The p-norm (p = 1, 2 or ∞; any p ≥ 1 otherwise) of all elements, or along `dim`.
    public func norm(p: Double, dim: Int? = nil, keepDim: Bool = false) throws -> Tensor {
        try requireFloat("norm")
        guard p >= 1 else { throw RuntimeError(.argument, "norm", "p must be at least 1 (or ∞), got \(p)") }
        func reduce(_ t: Tensor, _ f: (Tensor, Int?, Bool) throws -> Tensor) throws -> Tensor { try f(t, dim, keepDim) }
        switch p {
        case .infinity: return try reduce(abs()) { try $0.max(dim: $1, keepDim: $2) }
        case 1: return try reduce(abs()) { try $0.sum(dim: $1, keepDim: $2) }
        case 2:
            if dim == nil && !keepDim { return try norm() }
            return try reduce(square()) { try $0.sum(dim: $1, keepDim: $2) }.sqrt()
        default: return try reduce(abs().pow(p)) { try $0.sum(dim: $1, keepDim: $2) }.pow(1 / p)
        }
    }
}
