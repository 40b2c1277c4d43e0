import Foundation

/// Sharpness during training: every `every` steps, the top eigenvalue of
/// the loss's Hessian on one fixed batch of the training set (Lanczos,
/// `Hessian.top`), beside 2/η for the optimizer's current rate. Gradient
/// descent on a quadratic diverges once λ_max > 2/η; on networks full-batch
/// training drives λ_max up to 2/η and holds it there (the edge of
/// stability, Cohen et al. 2021). Recorded in the history (h.sharpness),
/// and with a run folder in metrics.jsonl as "sharpness" and
/// "sharpness_edge" on that step's record, which the run page draws.
/// (For adaptive rules this is the raw sharpness, not the preconditioned one.)
final class SharpnessObserver: TrainingObserver {
    let options: SharpnessOptions
    private var batch: (inputs: Tensor, labels: Tensor)?

    init(_ options: SharpnessOptions) { self.options = options }

    func began(_ run: TrainingRun) throws {
        let data = run.trainer.train
        // a fixed batch, the same at every measurement, drawn from the run's seed
        let order = data.epochOrder(Generator(seed: run.trainer.options.seed &+ 0x5A4B))
        batch = try data.batch(0, of: order, size: Swift.min(options.batch, order.count))
    }

    func stepped(_ run: TrainingRun) throws -> String? {
        guard run.step % options.every == 0, let batch else { return nil }
        let trainer = run.trainer
        let parameters = trainer.model.parameters().filter(\.requiresGrad)
        let loss = trainer.loss, model = trainer.model
        let mode = model.isTraining
        model.evaluate()  // dropout off: the curvature of the function being trained, not of one mask
        defer { model.train(mode) }
        let top = try Hessian.measure(parameters, op: "train.fit sharpness", loss: { try loss(try model(batch.inputs), batch.labels) }) {
            try $0.top(1, iterations: options.iterations, tolerance: 1e-3, seed: UInt64(run.step))
        }
        let lr = trainer.optimizer.learningRate
        run.history.sharpness.append((step: run.step, value: top.eigenvalues[0], edge: 2 / lr))
        return nil
    }
}

/// train.fit's `monitor = {sharpness = {every =, batch =, iters =}}`.
public struct SharpnessOptions: Sendable {
    public var every = 100, batch = 256, iterations = 20
    public init(every: Int = 100, batch: Int = 256, iterations: Int = 20) { (self.every, self.batch, self.iterations) = (every, batch, iterations) }
}
