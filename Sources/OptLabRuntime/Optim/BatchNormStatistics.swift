/// torch's `swa_utils.update_bn`: BatchNorm's running statistics recomputed
/// for the weights a model holds now. Weights that training never stepped
/// at (an EMA or Polyak average, Schedule-Free's x) have no running
/// statistics of their own: those BatchNorm kept belong to the iterates.
extension Module {
    /// Every BatchNorm layer's running mean and variance set to the plain
    /// average over `batches` of each batch's mean and unbiased variance (as
    /// torch's momentum = None), by forward passes in training mode without
    /// gradients; the modes and momenta are restored. Returns how many layers
    /// it updated (0: the model has no BatchNorm, nothing is run).
    @discardableResult
    public func recomputeBatchNormStatistics(_ batches: [Tensor]) throws -> Int {
        var layers: [BatchNorm] = []
        var stack: [Module] = [self]
        while let m = stack.popLast() {
            if let bn = m as? BatchNorm { layers.append(bn) }
            stack += m.children.map(\.module).reversed()
        }
        guard !layers.isEmpty else { return 0 }
        guard !batches.isEmpty else { throw RuntimeError(.argument, "update_bn", "no batches to compute the statistics from") }
        let momenta = layers.map(\.momentum), wasTraining = isTraining
        defer {
            for (bn, m) in zip(layers, momenta) { bn.momentum = m }
            train(wasTraining)
        }
        for bn in layers {
            try bn.buffer(0).copy(from: Tensor.zeros([bn.features], dtype: bn.buffer(0).dtype))
            try bn.buffer(1).copy(from: Tensor.ones([bn.features], dtype: bn.buffer(1).dtype))
        }
        train(true)
        try Tensor.withNoGrad {
            for (k, x) in batches.enumerated() {
                for bn in layers { bn.momentum = 1 / Double(k + 1) }
                _ = try forward(x)
            }
        }
        return layers.count
    }
}
