import Foundation

/// Sharpness during training: every `every` steps, the top eigenvalue of
/// the loss's Hessian on one fixed batch of the training set (Lanczos,
/// `Hessian.top`), beside 2/η for the optimizer's current rate. Gradient
/// descent on a quadratic diverges once λ_max > 2/η; on networks full-batch
/// training drives λ_max up to 2/η and holds it there (the edge of
/// stability, Cohen et al. 2021). Recorded in the history (h.sharpness),
/// and with a run folder in metrics.jsonl as "sharpness" and
/// "sharpness_edge" on that step's record, which the run page draws.
/// Under Adam or AdamW it also measures the preconditioned sharpness, the top
/// eigenvalue of D·H with D = 1/(√v̂ + ε) from the optimizer's own second
/// moments, against Adam's edge (2 + 2β₁)/((1 − β₁)·η) (38/η for β₁ = 0.9;
/// Cohen et al. 2022, "Adaptive gradient methods at the edge of stability").
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
        // one-sided products: one gradient each, ample for Lanczos to 1e-3
        let top = try Hessian.measure(parameters, op: "train.fit sharpness", loss: { try loss(try model(batch.inputs), batch.labels) }) { h in
            h.forward = true
            return try h.top(1, iterations: options.iterations, tolerance: 1e-3, seed: UInt64(run.step))
        }
        let lr = trainer.optimizer.learningRate
        run.history.sharpness.append((step: run.step, value: top.eigenvalues[0], edge: 2 / lr))
        if let (scaling, beta1) = try adamScaling(trainer.optimizer, for: parameters) {
            let pre = try Hessian.measure(parameters, op: "train.fit sharpness", loss: { try loss(try model(batch.inputs), batch.labels) }) { h in
                h.scaling = scaling
                h.forward = true
                return try h.top(1, iterations: options.iterations, tolerance: 1e-3, seed: UInt64(run.step) &+ 1)
            }
            run.history.preconditionedSharpness.append((step: run.step, value: pre.eigenvalues[0], edge: (2 + 2 * beta1) / ((1 - beta1) * lr)))
        }
        return nil
    }

    /// D^½ per parameter, D = 1/(√(v/(1 − β₂ᵗ)) + ε), when every group is Adam
    /// or AdamW and every parameter has its second moment; with β₁.
    func adamScaling(_ optimizer: Optimizer, for parameters: [Tensor]) throws -> ([Tensor], Double)? {
        guard optimizer.steps > 0, let first = optimizer.groups.first?.rule as? AdamRule else { return nil }
        var byTensor: [ObjectIdentifier: Tensor] = [:]
        for g in optimizer.groups {
            guard let rule = g.rule as? AdamRule, rule.beta1 == first.beta1 else { return nil }
            let correction = 1 - Foundation.pow(rule.beta2, Double(optimizer.steps))
            for i in g.indices {
                guard optimizer.state[i].count == 2 else { return nil }
                let v = try optimizer.state[i][1].to(.f64).toDoubles()
                let d = v.map { 1 / ((($0 / correction)).squareRoot() + rule.eps) }
                byTensor[ObjectIdentifier(optimizer.parameters[i])] = try Tensor.from(d.map { $0.squareRoot() }, shape: optimizer.parameters[i].shape, dtype: .f64)
            }
        }
        var out: [Tensor] = []
        for p in parameters {
            guard let s = byTensor[ObjectIdentifier(p)] else { return nil }
            out.append(s)
        }
        return (out, first.beta1)
    }
}

/// train.fit's `monitor = {sharpness = {every =, batch =, iters =}}`.
public struct SharpnessOptions: Sendable {
    public var every = 100, batch = 256, iterations = 20
    public init(every: Int = 100, batch: Int = 256, iterations: Int = 20) { (self.every, self.batch, self.iterations) = (every, batch, iterations) }
}
