/// The softmax cross-entropy loss, fused: one stable pass forward, and the
/// gradient (softmax − onehot) / N in one pass back.
extension Tensor {
    /// Mean over the batch of −log softmax(scores)[label].
    ///
    /// ```
    /// L = −(1/N) Σ_i log( exp(s_i,y_i − m_i) / Σ_j exp(s_i,j − m_i) ),  m_i = max_j s_i,j
    /// dL/ds_i,j = (softmax(s_i)_j − [j = y_i]) / N
    /// ```
    /// - Parameters:
    ///   - labels: N class indices, 0-based (i32 or integral floats).
    public func softmaxCrossEntropy(labels: Tensor) throws -> Tensor {
        try requireFloat("softmax_cross_entropy")
        guard rank == 2 else {
            throw RuntimeError(.shape, "softmax_cross_entropy", "expected scores of shape [N,C], got \(describe(shape))")
        }
        let (n, c) = (shape[0], shape[1])
        guard labels.count == n, labels.rank <= 2 else {
            throw RuntimeError(.shape, "softmax_cross_entropy", "expected \(n) labels for scores \(describe(shape)), got shape \(describe(labels.shape))")
        }
        guard n > 0, c > 0 else {
            throw RuntimeError(.shape, "softmax_cross_entropy", "empty batch or no classes: scores \(describe(shape))")
        }
        let y = try labels.checkedIndices(bound: c, op: "softmax_cross_entropy")
        let probs = try Tensor(uninitialized: shape, dtype: dtype)
        let L = ReductionLayout(shape, dim: 1, keepDim: true)
        var loss = 0.0
        if dtype == .f32 {
            softmaxKernel(L, ptr(Float.self), probs.ptr(Float.self), log: true)
            let p = probs.ptr(Float.self)
            for i in 0..<n { loss -= Double(p[i * c + y[i]]) }
            for i in 0..<n * c { p[i] = Float.exp(p[i]) }
        } else {
            softmaxKernel(L, ptr(Double.self), probs.ptr(Double.self), log: true)
            let p = probs.ptr(Double.self)
            for i in 0..<n { loss -= p[i * c + y[i]] }
            for i in 0..<n * c { p[i] = Double.exp(p[i]) }
        }
        let out = Tensor.scalar(loss / Double(n), dtype: dtype)
        return Tensor.record("softmax_cross_entropy", out, [self]) { g, _ in
            let scale = try g.item() / Double(n)
            let grad = try probs.clone()
            if grad.dtype == .f32 {
                let p = grad.ptr(Float.self), s = Float(scale)
                for i in 0..<n { p[i * c + y[i]] -= 1 }
                for i in 0..<n * c { p[i] *= s }
            } else {
                let p = grad.ptr(Double.self)
                for i in 0..<n { p[i * c + y[i]] -= 1 }
                for i in 0..<n * c { p[i] *= scale }
            }
            return [grad]
        }
    }
}
