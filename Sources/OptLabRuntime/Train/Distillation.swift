import Foundation

/// Hinton, Vinyals and Dean (2015): a student learns the teacher's class
/// probabilities softened at temperature T, mixed with the true labels:
///
///     loss = α·T²·KL(p_T ‖ q_T) + (1 − α)·CE(z_s, y)
///
/// with p_T = softmax(z_t / T) (for an ensemble, its members' softened
/// probabilities averaged, as the paper distils an ensemble), q_T =
/// softmax(z_s / T), both averaged over the batch. T² keeps the soft
/// term's gradient, T·(q_T − p_T), on the scale of the hard one's as T grows.
public enum Distillation {
    /// The teacher's softened probabilities for inputs x, without a graph, in evaluation mode.
    public static func softTargets(_ teacher: Module, _ x: Tensor, temperature: Double) throws -> Tensor {
        let wasTraining = teacher.isTraining
        teacher.evaluate()
        defer { teacher.train(wasTraining) }
        return try Tensor.withNoGrad {
            guard let ensemble = teacher as? Ensemble else { return try teacher(x).div(temperature).softmax(dim: -1) }
            var sum: Tensor?
            for (_, m) in ensemble.children {
                let p = try m(x).div(temperature).softmax(dim: -1)
                sum = try sum.map { try $0.add(p) } ?? p
            }
            return try sum!.div(Double(ensemble.children.count))
        }
    }

    /// The loss above for a batch: the student's scores, the teacher's soft targets, the labels (0-based).
    public static func loss(scores: Tensor, softTargets p: Tensor, labels: Tensor, temperature T: Double, alpha: Double) throws -> Tensor {
        guard scores.rank == 2, p.rank == 2 else {
            throw RuntimeError(.shape, "train.distill", "the teacher and the student must give [batch, classes] scores, got \(p.shape) and \(scores.shape)")
        }
        guard scores.shape == p.shape else {
            throw RuntimeError(.shape, "train.distill", "the teacher gives \(p.shape[1]) classes and the student \(scores.shape[1]); they must agree")
        }
        let n = Double(scores.shape[0])
        let logQ = try scores.div(T).logSoftmax(dim: -1)
        // KL = Σ p log p − Σ p log q; the first term has no gradient and is added as a number
        let entropyPart = p.toDoubles().reduce(0) { $0 + ($1 > 0 ? $1 * Foundation.log($1) : 0) } / n
        let soft = try p.mul(logQ).sum().div(-n).add(entropyPart)
        var total = try soft.mul(alpha * T * T)
        if alpha < 1 { total = try total.add(try scores.softmaxCrossEntropy(labels: labels).mul(1 - alpha)) }
        return total
    }
}
