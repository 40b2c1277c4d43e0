/// The multiclass SVM (Weston–Watkins) loss: Σ_{j≠y} max(0, s_j − s_y + margin),
/// mean over the batch.
public struct MulticlassSVM: LossRule {
    public let margin: Double

    public init(margin: Double = 1) { self.margin = margin }

    public var summary: String { "MulticlassSVM(margin \(margin))" }
    public var config: [String: Double] { ["margin": margin] }
    public var targets: LossTargets { .classIndices }
    public var operation: String { "multiclass_svm" }
    /// margin·(C−1): every wrong class scores about as the right one at initialisation.
    public func chanceLoss(classes: Int) -> Double? { margin * Double(classes - 1) }
    public func loss(_ scores: Tensor, _ targets: Tensor) throws -> Tensor { try scores.multiclassSVM(labels: targets, margin: margin) }

    public static let kind = LossKind("MulticlassSVM", signature: "nn.MulticlassSVM([{margin=1}])", help: """
        The multiclass SVM (hinge) loss, Σ_{j≠y} max(0, s_j − s_y + margin), mean over
        the batch. At initialisation it is about margin·(C−1).
        """, options: [.init("margin", .number, default: 1, range: .positive)]) { a in
        Loss(MulticlassSVM(margin: a.number("margin", default: 1)))
    }
}

extension Loss {
    public static func multiclassSVM(margin: Double) -> Loss { Loss(MulticlassSVM(margin: margin)) }
}

extension Tensor {
    /// The multiclass SVM loss (Weston–Watkins), mean over the batch:
    /// L_i = Σ_{j≠y_i} max(0, s_ij − s_iy_i + Δ). Built from tensor ops, so its
    /// hinge records kinks like any relu.
    public func multiclassSVM(labels: Tensor, margin: Double = 1) throws -> Tensor {
        guard rank == 2, labels.count == shape[0] else {
            throw RuntimeError(.shape, "multiclass_svm", "expected scores [N,C] and N labels, got \(describe(shape)) and \(describe(labels.shape))")
        }
        let y = try labels.reshape([shape[0], 1]).to(.i32)
        _ = try y.checkedIndices(bound: shape[1], op: "multiclass_svm")
        let correct = try gather(dim: 1, y)
        let others = try y.reshape([shape[0]]).oneHot(classes: shape[1], dtype: dtype).neg().add(1)
        return try sub(correct).add(margin).relu().mul(others).sum().div(Double(shape[0]))
    }
}
