import Foundation

/// Sharpness during training: every `every` steps, the top eigenvalue of
/// the loss's Hessian on one fixed batch of the training set (Lanczos,
/// `Hessian.top`), beside 2/η for the optimizer's current rate. Gradient
/// descent on a quadratic diverges once λ_max > 2/η; on networks full-batch
/// training drives λ_max up to 2/η and holds it there (the edge of
/// stability, Cohen et al. 2021). Recorded in the history (h.sharpness),
/// and with a run folder in metrics.jsonl as "sharpness" and
/// "sharpness_edge" on that step's record, which the run page draws.
/// Under a rule with a diagonal preconditioner (`UpdateRule.preconditioner`:
/// Adam, AdamW) it also measures the preconditioned sharpness, the top
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
        let lr = trainer.optimizer.learningRate
        let scaling = try preconditioning(trainer.optimizer, for: parameters)
        // one measurement for both spectra (the centre's gradient is shared); one-sided
        // products, one gradient each, are ample for Lanczos to 1e-3
        let (top, pre) = try Hessian.measure(parameters, op: "train.fit sharpness", loss: { try loss(try model(batch.inputs), batch.labels) }) { h in
            h.forward = true
            let top = try h.top(1, iterations: options.iterations, tolerance: 1e-3, seed: UInt64(run.step))
            guard let (s, _) = scaling else { return (top, nil as Hessian.Spectrum?) }
            h.scaling = s
            return (top, try h.top(1, iterations: options.iterations, tolerance: 1e-3, seed: UInt64(run.step) &+ 1))
        }
        run.history.sharpness.append((step: run.step, value: top.eigenvalues[0], edge: 2 / lr))
        if let pre, let (_, factor) = scaling {
            run.history.preconditionedSharpness.append((step: run.step, value: pre.eigenvalues[0], edge: factor / lr))
        }
        return nil
    }

    /// D^½ per parameter from the rule's own preconditioner (`UpdateRule.preconditioner`),
    /// with its stability factor, when every group has one and they share the factor.
    func preconditioning(_ optimizer: Optimizer, for parameters: [Tensor]) throws -> ([Tensor], Double)? {
        var byTensor: [ObjectIdentifier: Tensor] = [:], factor: Double?
        for g in optimizer.groups {
            for i in g.indices {
                guard let p = try g.rule.preconditioner(optimizer.state[i], t: optimizer.steps), factor ?? p.stabilityFactor == p.stabilityFactor else {
                    return nil
                }
                factor = p.stabilityFactor
                byTensor[ObjectIdentifier(optimizer.parameters[i])] = try p.diagonal.sqrt()
            }
        }
        guard let factor else { return nil }
        var out: [Tensor] = []
        for p in parameters {
            guard let s = byTensor[ObjectIdentifier(p)] else { return nil }
            out.append(s)
        }
        return (out, factor)
    }
}

/// train.fit's `monitor = {sharpness = {every =, batch =, iters =}}`.
public struct SharpnessOptions: Sendable {
    public var every = 100, batch = 256, iterations = 20
    public init(every: Int = 100, batch: Int = 256, iterations: Int = 20) { (self.every, self.batch, self.iterations) = (every, batch, iterations) }
}
