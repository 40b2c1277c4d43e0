import Foundation

/// The softmax cross-entropy loss, fused: one stable pass forward, and the
/// gradient (softmax − target) / N in one pass back.
extension Tensor {
    /// Mean over the batch of the cross-entropy between softmax(scores) and
    /// the target t_i = (1 − ε)·onehot(y_i) + ε/C (ε = `smoothing`, 0 by
    /// default: −log softmax(scores)[label]).
    ///
    /// ```
    /// log p_i,j = s_i,j − m_i − log Σ_k exp(s_i,k − m_i),  m_i = max_k s_i,k
    /// L = −(1/N) Σ_i [ (1 − ε) log p_i,y_i + (ε/C) Σ_j log p_i,j ]
    /// dL/ds_i,j = (p_i,j − t_i,j) / N
    /// ```
    /// - Parameters:
    ///   - labels: N class indices, 0-based (i32 or integral floats).
    ///   - smoothing: ε in [0, 1).
    public func softmaxCrossEntropy(labels: Tensor, smoothing: Double = 0) throws -> Tensor {
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
        guard smoothing >= 0, smoothing < 1 else {
            throw RuntimeError(.argument, "softmax_cross_entropy", "smoothing must be in [0, 1), got \(smoothing)")
        }
        let y = try labels.checkedIndices(bound: c, op: "softmax_cross_entropy")
        // the target's weight on the label and on every class (the label's total is onLabel + uniform)
        let onLabel = 1 - smoothing, uniform = smoothing / Double(c)
        let probs = try Tensor(uninitialized: shape, dtype: dtype)
        let L = ReductionLayout(shape, dim: 1, keepDim: true)
        var loss = 0.0
        if dtype == .f32 {
            softmaxKernel(L, ptr(Float.self), probs.ptr(Float.self), log: true)
            let p = probs.ptr(Float.self)
            for i in 0..<n { loss -= onLabel * Double(p[i * c + y[i]]) }
            if smoothing > 0 { for i in 0..<n * c { loss -= uniform * Double(p[i]) } }
            for i in 0..<n * c { p[i] = Float.exp(p[i]) }
        } else {
            softmaxKernel(L, ptr(Double.self), probs.ptr(Double.self), log: true)
            let p = probs.ptr(Double.self)
            for i in 0..<n { loss -= onLabel * p[i * c + y[i]] }
            if smoothing > 0 { for i in 0..<n * c { loss -= uniform * p[i] } }
            for i in 0..<n * c { p[i] = Double.exp(p[i]) }
        }
        let out = Tensor.scalar(loss / Double(n), dtype: dtype)
        return Tensor.record("softmax_cross_entropy", out, [self]) { g, _ in
            let scale = try g.item() / Double(n)
            let grad = try probs.clone()
            if grad.dtype == .f32 {
                let p = grad.ptr(Float.self), s = Float(scale), on = Float(onLabel), u = Float(uniform)
                for i in 0..<n { p[i * c + y[i]] -= on }
                if smoothing > 0 { for i in 0..<n * c { p[i] -= u } }
                for i in 0..<n * c { p[i] *= s }
            } else {
                let p = grad.ptr(Double.self)
                for i in 0..<n { p[i * c + y[i]] -= onLabel }
                if smoothing > 0 { for i in 0..<n * c { p[i] -= uniform } }
                for i in 0..<n * c { p[i] *= scale }
            }
            return [grad]
        }
    }
}

/// −log softmax(s)[y] (fused and stable), or against targets smoothed
/// towards uniform, (1 − ε)·onehot + ε/C (Szegedy et al. 2016; PyTorch's
/// `label_smoothing`).
public struct SoftmaxCrossEntropy: LossRule {
    public let smoothing: Double

    public init(smoothing: Double = 0) { self.smoothing = smoothing }

    public var summary: String { smoothing == 0 ? "SoftmaxCrossEntropy" : "SoftmaxCrossEntropy(label_smoothing \(smoothing))" }
    public var config: [String: Double] { smoothing == 0 ? [:] : ["label_smoothing": smoothing] }
    public var targets: LossTargets { .classIndices }
    public var operation: String { "softmax_cross_entropy" }
    /// ln C: uniform probabilities at initialisation.
    public func chanceLoss(classes: Int) -> Double? { Foundation.log(Double(classes)) }
    public func loss(_ scores: Tensor, _ targets: Tensor) throws -> Tensor {
        try scores.softmaxCrossEntropy(labels: targets, smoothing: smoothing)
    }

    public static let kind = LossKind("SoftmaxCrossEntropy", signature: "nn.SoftmaxCrossEntropy([{label_smoothing=0}])", help: """
        The softmax cross-entropy loss, mean over the batch: loss(scores, labels)
        with N×C scores and labels in 1..C. At initialisation it is about ln(C).
        label_smoothing = ε in [0, 1) trains towards (1 − ε)·onehot + ε/C, as
        PyTorch's option of that name.
          local loss_fn = nn.SoftmaxCrossEntropy(); local l = loss_fn(model(x), y)
          nn.SoftmaxCrossEntropy{label_smoothing = 0.1}
        """, options: [.init("label_smoothing", .number, default: 0, range: .halfOpen(0, 1))]) { a in
        Loss(SoftmaxCrossEntropy(smoothing: a.number("label_smoothing", default: 0)))
    }
}

extension Loss {
    public static let softmaxCrossEntropy = Loss(SoftmaxCrossEntropy())
    public static func smoothedSoftmaxCrossEntropy(smoothing: Double) -> Loss { Loss(SoftmaxCrossEntropy(smoothing: smoothing)) }
}
