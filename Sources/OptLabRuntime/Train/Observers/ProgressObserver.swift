/// The host's progress display (the REPL's bar, a plain line per epoch):
/// every step and every epoch, with an estimate of the time left.
final class ProgressObserver: TrainingObserver {
    let show: (TrainingProgress) -> Void
    init(_ show: @escaping (TrainingProgress) -> Void) { self.show = show }

    func stepped(_ run: TrainingRun) throws -> String? {
        let o = run.trainer.options, elapsed = run.elapsed
        show(TrainingProgress(event: .iteration, epoch: run.epoch, epochs: o.epochs, iteration: run.iteration,
                              iterationsPerEpoch: run.iterationsPerEpoch, loss: run.history.loss.last ?? 0,
                              trainAccuracy: nil, validationAccuracy: run.isLanguageModel ? nil : run.history.validationAccuracy.last,
                              learningRate: run.trainer.optimizer.learningRate, elapsed: elapsed,
                              remaining: elapsed / Double(Swift.max(1, run.step - run.stepsBefore)) * Double(run.totalIterations - run.step)))
        return nil
    }

    func epochCommitted(_ run: TrainingRun) throws -> String? {
        let o = run.trainer.options, elapsed = run.elapsed
        var p = TrainingProgress(event: .epoch, epoch: run.epoch, epochs: o.epochs, iteration: run.iterationsPerEpoch,
                                 iterationsPerEpoch: run.iterationsPerEpoch, loss: run.epochLoss,
                                 trainAccuracy: run.isLanguageModel ? nil : run.trainAccuracy,
                                 validationAccuracy: run.isLanguageModel ? nil : run.validationAccuracy, learningRate: run.trainer.optimizer.learningRate, elapsed: elapsed,
                                 remaining: elapsed / Double(run.epoch - run.firstEpoch + 1) * Double(o.epochs - run.epoch))
        p.validationLoss = run.validationLoss
        p.isLanguageModel = run.isLanguageModel
        show(p)
        return nil
    }
}
