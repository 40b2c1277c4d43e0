import Foundation

/// The softmax cross-entropy loss, fused: one stable pass forward, and the
/// gradient (softmax − target) / K in one pass back.
extension Tensor {
    /// Mean over the counted rows of the cross-entropy between softmax(scores)
    /// and the target t_i = (1 − ε)·onehot(y_i) + ε/C (ε = `smoothing`, 0 by
    /// default: −log softmax(scores)[label]).
    ///
    /// ```
    /// log p_i,j = s_i,j − m_i − log Σ_k exp(s_i,k − m_i),  m_i = max_k s_i,k
    /// L = −(1/K) Σ_i [ (1 − ε) log p_i,y_i + (ε/C) Σ_j log p_i,j ]
    /// dL/ds_i,j = (p_i,j − t_i,j) / K
    /// ```
    /// - Parameters:
    ///   - labels: one class index (0-based; i32 or integral floats) per row of
    ///     the scores, whose classes are their last dimension: [N, C] scores
    ///     take N labels, a language model's [N, T, V] logits [N, T] targets.
    ///   - smoothing: ε in [0, 1).
    ///   - ignoreIndex: rows whose label is this are left out (K counts the
    ///     others; PyTorch's `ignore_index`: padding in a batch of sequences).
    public func softmaxCrossEntropy(labels: Tensor, smoothing: Double = 0, ignoreIndex: Int? = nil) throws -> Tensor {
        let op = "softmax_cross_entropy"
        try requireFloat(op)
        let (rows, y) = try classRows(labels, op: op, ignoreIndex: ignoreIndex)
        guard smoothing >= 0, smoothing < 1 else {
            throw RuntimeError(.argument, op, "smoothing must be in [0, 1), got \(smoothing)")
        }
        let (n, c) = (rows.shape[0], rows.shape[1])
        let counted = y.reduce(0) { $0 + ($1 >= 0 ? 1 : 0) }
        // the target's weight on the label and on every class (the label's total is onLabel + uniform)
        let onLabel = 1 - smoothing, uniform = smoothing / Double(c)
        let probs = try Tensor(uninitialized: rows.shape, dtype: dtype)
        let L = ReductionLayout(rows.shape, dim: 1, keepDim: true)
        func forward<T: FloatElement>(_: T.Type) -> Double {
            softmaxKernel(L, rows.ptr(T.self), probs.ptr(T.self), log: true)
            let p = probs.ptr(T.self)
            var loss = 0.0
            for i in 0..<n where y[i] >= 0 {
                loss -= onLabel * Double(p[i * c + y[i]])
                if smoothing > 0 { for j in 0..<c { loss -= uniform * Double(p[i * c + j]) } }
            }
            for i in 0..<n * c { p[i] = T.exp(p[i]) }
            return loss
        }
        let loss = dtype == .f32 ? forward(Float.self) : forward(Double.self)
        // PyTorch's mean over no counted rows: 0/0
        let out = Tensor.scalar(counted == 0 ? .nan : loss / Double(counted), dtype: dtype)
        let inShape = shape
        return Tensor.record(op, out, [self]) { g, _ in
            let scale = counted == 0 ? 0 : try g.item() / Double(counted)
            let grad = try probs.clone()
            func backward<T: FloatElement>(_: T.Type) {
                let p = grad.ptr(T.self), s = T(scale), on = T(onLabel), u = T(uniform)
                for i in 0..<n {
                    let row = p + i * c
                    guard y[i] >= 0 else { for j in 0..<c { row[j] = 0 }; continue }
                    row[y[i]] -= on
                    for j in 0..<c { row[j] = (row[j] - u) * s }
                }
            }
            if grad.dtype == .f32 { backward(Float.self) } else { backward(Double.self) }
            return [try grad.reshape(inShape)]
        }
    }

    /// The scores as rows [M, C] (classes last) and one checked label per row,
    /// −1 where it is `ignoreIndex`: what the classification losses share.
    func classRows(_ labels: Tensor, op: String, ignoreIndex: Int?) throws -> (Tensor, [Int]) {
        guard rank >= 2 else {
            throw RuntimeError(.shape, op, "expected scores of shape [N, C] (or [N, T, C]: classes last), got \(describe(shape))")
        }
        let c = shape[rank - 1], n = count / Swift.max(c, 1)
        let rowShape = Array(shape.dropLast())
        let labelsFit = rank == 2 ? labels.count == n && labels.rank <= 2 : labels.shape == rowShape
        guard labelsFit else {
            throw RuntimeError(.shape, op, "expected labels of shape \(describe(rowShape)) for scores \(describe(shape)), got \(describe(labels.shape))")
        }
        guard n > 0, c > 0 else {
            throw RuntimeError(.shape, op, "empty batch or no classes: scores \(describe(shape))")
        }
        var y = [Int]()
        y.reserveCapacity(n)
        for i in 0..<n {
            let v = labels.element(i)
            if let ignoreIndex, v == Double(ignoreIndex) { y.append(-1); continue }
            guard v.rounded() == v, v >= 0, v < Double(c) else {
                throw RuntimeError(.argument, op, "label \(v) at position \(i) is out of range 0..<\(c)")
            }
            y.append(Int(v))
        }
        return (try reshape([n, c]), y)
    }
}

/// −log softmax(s)[y] (fused and stable), or against targets smoothed
/// towards uniform, (1 − ε)·onehot + ε/C (Szegedy et al. 2016; PyTorch's
/// `label_smoothing`). Classes are the scores' last dimension, so a
/// language model's [N, T, V] logits take [N, T] targets as they are.
public struct SoftmaxCrossEntropy: LossRule {
    public let smoothing: Double
    /// 0-based (the Lua option is the label as Lua writes it).
    public let ignoreIndex: Int?

    public init(smoothing: Double = 0, ignoreIndex: Int? = nil) { (self.smoothing, self.ignoreIndex) = (smoothing, ignoreIndex) }

    public var summary: String {
        var settings: [String] = []
        if smoothing != 0 { settings.append("label_smoothing \(smoothing)") }
        if let i = ignoreIndex { settings.append("ignore_index \(i + 1)") }
        return settings.isEmpty ? "SoftmaxCrossEntropy" : "SoftmaxCrossEntropy(\(settings.joined(separator: ", ")))"
    }
    public var config: [String: Double] {
        var c: [String: Double] = [:]
        if smoothing != 0 { c["label_smoothing"] = smoothing }
        if let i = ignoreIndex { c["ignore_index"] = Double(i + 1) }
        return c
    }
    public var targets: LossTargets { .classIndices }
    public var ignoredLabel: Int? { ignoreIndex }
    public var operation: String { "softmax_cross_entropy" }
    /// ln C: uniform probabilities at initialisation.
    public func chanceLoss(classes: Int) -> Double? { Foundation.log(Double(classes)) }
    public func loss(_ scores: Tensor, _ targets: Tensor) throws -> Tensor {
        try scores.softmaxCrossEntropy(labels: targets, smoothing: smoothing, ignoreIndex: ignoreIndex)
    }

    public static let kind = LossKind("SoftmaxCrossEntropy", signature: "nn.SoftmaxCrossEntropy([{label_smoothing=0, ignore_index=}])", help: """
        The softmax cross-entropy loss, mean over the batch: loss(scores, labels)
        with N×C scores and labels in 1..C. At initialisation it is about ln(C).
        Classes are the last dimension: a language model's [N, T, V] logits take
        [N, T] targets (the mean is per token). label_smoothing = ε in [0, 1)
        trains towards (1 − ε)·onehot + ε/C, as PyTorch's option of that name;
        labels equal to ignore_index (padding) count for nothing.
          local loss_fn = nn.SoftmaxCrossEntropy(); local l = loss_fn(model(x), y)
          nn.SoftmaxCrossEntropy{label_smoothing = 0.1, ignore_index = 0}
        """, options: [.init("label_smoothing", .number, default: 0, range: .halfOpen(0, 1)), .init("ignore_index", .number)]) { a in
        Loss(SoftmaxCrossEntropy(smoothing: a.number("label_smoothing", default: 0), ignoreIndex: try a.ignoredLabel()))
    }
}

extension Loss {
    public static let softmaxCrossEntropy = Loss(SoftmaxCrossEntropy())
    public static func smoothedSoftmaxCrossEntropy(smoothing: Double) -> Loss { Loss(SoftmaxCrossEntropy(smoothing: smoothing)) }
}
