import Foundation

/// The gradient noise scale during training: every `every` steps, `rounds`
/// pairs of gradients at two batch sizes (`NoiseScale.estimate`: unbiased
/// estimates of tr(Σ) and |G|²), folded into moving averages of each
/// (McCandlish et al. 2018 average the two estimates separately and take the
/// ratio, since the ratio of one noisy measurement is badly biased), bias
/// corrected as Adam's moments are. Recorded in h.noise_scale and, with a
/// run folder, as "noise_scale" (the averaged B_simple), "noise_scale_raw"
/// and "noise_scale_batch" (the batch size trained with) on that step's
/// record, which the run page draws. The model, its gradients and the
/// generator are left as they were: training goes on as without it.
final class NoiseScaleObserver: TrainingObserver {
    let options: NoiseScaleOptions
    private var trace = 0.0, square = 0.0, measurements = 0

    init(_ options: NoiseScaleOptions) { self.options = options }

    func stepped(_ run: TrainingRun) throws -> String? {
        guard run.step % options.every == 0 else { return nil }
        let trainer = run.trainer
        let batch = trainer.options.batchSize
        let small = options.small ?? batch, big = options.big ?? Swift.max(8 * small, small + 1)
        let e = try NoiseScale.estimate(model: trainer.model, loss: trainer.loss, data: trainer.train, small: small, big: big,
                                        steps: options.rounds, seed: trainer.options.seed &+ UInt64(run.step))
        measurements += 1
        trace = options.decay * trace + (1 - options.decay) * e.traceSigma
        square = options.decay * square + (1 - options.decay) * e.gradientSquared
        let correction = 1 - pow(options.decay, Double(measurements))
        run.history.noiseScale.append((step: run.step, value: (trace / correction) / (square / correction), raw: e.bSimple, batch: batch))
        return nil
    }
}

/// train.fit's `monitor = {noise_scale = {every =, small =, big =, rounds =, decay =}}`.
public struct NoiseScaleOptions: Sendable {
    public var every = 100, rounds = 4
    /// The two batch sizes (default: the training batch and 8 times it).
    public var small: Int?, big: Int?
    /// The moving averages' decay per measurement.
    public var decay = 0.9
    public init() {}
}
