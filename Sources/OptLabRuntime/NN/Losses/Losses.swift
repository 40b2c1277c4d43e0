/// Data losses, each averaged over the batch, and the L2 regularisation term
/// kept apart from them (so a gradient check can test each on its own).
public enum Loss: Sendable, Equatable {
    /// −log softmax(s)[y], fused and stable.
    case softmaxCrossEntropy
    /// The same against targets smoothed towards uniform: (1 − ε)·onehot +
    /// ε/C (Szegedy et al. 2016; PyTorch's `label_smoothing`).
    case smoothedSoftmaxCrossEntropy(smoothing: Double)
    /// Weston–Watkins: Σ_{j≠y} max(0, s_j − s_y + margin).
    case multiclassSVM(margin: Double)
    /// Mean of (prediction − target)² over all elements (PyTorch's MSELoss).
    case mse

    public var name: String {
        switch self {
        case .softmaxCrossEntropy: return "SoftmaxCrossEntropy"
        case .smoothedSoftmaxCrossEntropy(let e): return "SoftmaxCrossEntropy(label_smoothing \(e))"
        case .multiclassSVM(let m): return "MulticlassSVM(margin \(m))"
        case .mse: return "MSE"
        }
    }

    /// The loss at initialisation when scores are near zero, for the sanity
    /// check: ln C for softmax, margin·(C−1) for the SVM.
    public func chanceLoss(classes: Int) -> Double? {
        switch self {
        case .softmaxCrossEntropy, .smoothedSoftmaxCrossEntropy: return Foundation.log(Double(classes))
        case .multiclassSVM(let m): return m * Double(classes - 1)
        case .mse: return nil
        }
    }

    /// - Parameters:
    ///   - scores: [N, C] for the classification losses; any shape for MSE.
    ///   - targets: N labels (0-based) for classification; a tensor of the scores' shape for MSE.
    public func callAsFunction(_ scores: Tensor, _ targets: Tensor) throws -> Tensor {
        switch self {
        case .softmaxCrossEntropy:
            return try scores.softmaxCrossEntropy(labels: targets)
        case .smoothedSoftmaxCrossEntropy(let e):
            return try scores.softmaxCrossEntropy(labels: targets, smoothing: e)
        case .multiclassSVM(let margin):
            return try scores.multiclassSVM(labels: targets, margin: margin)
        case .mse:
            guard targets.shape == scores.shape else {
                throw RuntimeError(.shape, "MSE", "prediction \(describe(scores.shape)) and target \(describe(targets.shape)) differ")
            }
            let d = try scores.sub(targets)
            return try d.mul(d).mean()
        }
    }
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

/// ½·λ·Σ w² over the weights of `model` (matrices and filters; biases and
/// BatchNorm parameters only when `includeBiases`), the regularisation
/// term of the notes, returned on its own.
public func l2Penalty(_ model: Module, strength: Double, includeBiases: Bool = false) throws -> Tensor {
    var total: Tensor?
    for (name, p) in model.namedParameters() where includeBiases || (p.rank >= 2 && !name.hasSuffix("bias")) {
        let term = try p.mul(p).sum()
        total = try total.map { try $0.add(term) } ?? term
    }
    let dtype = model.parameters().first?.dtype ?? .f32
    return try (total ?? Tensor.scalar(0, dtype: dtype)).mul(0.5 * strength)
}

import Foundation
