/// The negative log-likelihood of log-probabilities: what a model ending in
/// log_softmax is trained with (PyTorch's nll_loss). Together they are the
/// cross-entropy, which `nn.SoftmaxCrossEntropy` computes fused.
extension Tensor {
    /// −(1/K) Σ_i logp[i, y_i] over the K rows whose label is not `ignoreIndex`;
    /// classes are the last dimension. The gradient is −1/K at each label.
    public func negativeLogLikelihood(labels: Tensor, ignoreIndex: Int? = nil) throws -> Tensor {
        let op = "nll"
        try requireFloat(op)
        let (rows, y) = try classRows(labels, op: op, ignoreIndex: ignoreIndex)
        let c = rows.shape[1]
        let counted = y.reduce(0) { $0 + ($1 >= 0 ? 1 : 0) }
        var total = 0.0
        for (i, label) in y.enumerated() where label >= 0 { total -= rows.element(i * c + label) }
        let out = Tensor.scalar(counted == 0 ? .nan : total / Double(counted), dtype: dtype)
        let (inShape, dt) = (shape, dtype)
        return Tensor.record(op, out, [self]) { g, _ in
            let grad = try Tensor.zeros(inShape, dtype: dt)
            let share = counted == 0 ? 0 : -(try g.item()) / Double(counted)
            for (i, label) in y.enumerated() where label >= 0 { grad.setElement(i * c + label, share) }
            return [grad]
        }
    }
}

/// −log p[y] for log-probabilities (a model ending in `log_softmax`).
public struct NLL: LossRule {
    public let ignoreIndex: Int?

    public init(ignoreIndex: Int? = nil) { self.ignoreIndex = ignoreIndex }

    public var summary: String { ignoreIndex.map { "NLL(ignore_index \($0 + 1))" } ?? "NLL" }
    public var config: [String: Double] { ignoreIndex.map { ["ignore_index": Double($0 + 1)] } ?? [:] }
    public var targets: LossTargets { .classIndices }
    public var ignoredLabel: Int? { ignoreIndex }
    public var operation: String { "nll" }
    public func loss(_ scores: Tensor, _ targets: Tensor) throws -> Tensor {
        try scores.negativeLogLikelihood(labels: targets, ignoreIndex: ignoreIndex)
    }

    public static let kind = LossKind("NLL", signature: "nn.NLL([{ignore_index=}])", help: """
        The negative log-likelihood, mean over the rows: loss(logp, labels) = −mean logp[label],
        for a model whose last step is log_softmax (with it, the cross-entropy; nn.SoftmaxCrossEntropy
        does both in one stable pass). Classes are the last dimension ([N, C] or [N, T, C]); labels
        equal to ignore_index count for nothing.
          local l = nn.NLL()(scores:log_softmax(2), y)
        """, options: [.init("ignore_index", .number)]) { a in
        Loss(NLL(ignoreIndex: try a.ignoredLabel()))
    }
}
