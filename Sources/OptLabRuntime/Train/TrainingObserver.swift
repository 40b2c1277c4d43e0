import Foundation

/// Something that watches `Trainer.fit`: told when the run begins, after
/// every step, before each epoch's evaluation, when the epoch's numbers are
/// in, and when the epoch is final (its schedule stepped: resumable from
/// there). A non-nil answer from `stepped` or `epochCommitted` stops
/// training, and says why. Every hook has a default that does nothing.
protocol TrainingObserver: AnyObject {
    func began(_ run: TrainingRun) throws
    func stepped(_ run: TrainingRun) throws -> String?
    func beforeEvaluation(_ run: TrainingRun) throws
    func epochEnded(_ run: TrainingRun) throws
    func epochCommitted(_ run: TrainingRun) throws -> String?
    func ended(_ run: TrainingRun)
}

extension TrainingObserver {
    func began(_ run: TrainingRun) throws {}
    func stepped(_ run: TrainingRun) throws -> String? { nil }
    func beforeEvaluation(_ run: TrainingRun) throws {}
    func epochEnded(_ run: TrainingRun) throws {}
    func epochCommitted(_ run: TrainingRun) throws -> String? { nil }
    func ended(_ run: TrainingRun) {}
}

/// What observers see of a run in progress.
final class TrainingRun {
    let trainer: Trainer
    let generator: Generator
    var history = TrainingHistory()
    /// The best parameters so far (by validation accuracy, else training accuracy).
    var best: [Tensor]?
    var firstEpoch = 1
    /// Iterations of `firstEpoch` a resumed run had already taken.
    var skip = 0
    /// The batch-order generator as the current epoch began (before its
    /// shuffle): what a run saved mid-epoch resumes from.
    var epochGenerator: Generator.State?
    var epoch = 0
    /// The iteration within the epoch just taken (from 1).
    var iteration = 0
    var trainAccuracy = 0.0
    var validationAccuracy: Double?
    /// Seconds and steps of the run this one resumed.
    var previousSeconds = 0.0
    /// The error that ended training, if one did.
    var failure: Error?
    var stepsBefore = 0
    let started = Date()
    let iterationsPerEpoch: Int
    let totalIterations: Int

    init(trainer: Trainer) {
        self.trainer = trainer
        generator = Generator(seed: trainer.options.seed)
        iterationsPerEpoch = (trainer.train.count + trainer.options.batchSize - 1) / trainer.options.batchSize
        totalIterations = iterationsPerEpoch * (trainer.options.epochs - 1) + Self.lastCount(trainer.options, iterationsPerEpoch)
    }

    private static func lastCount(_ o: Trainer.Options, _ perEpoch: Int) -> Int {
        Swift.max(1, Int((o.lastEpochFraction * Double(perEpoch)).rounded(.up)))
    }

    /// Iterations of `epoch`: all of them but in a fractional last epoch.
    func iterations(inEpoch epoch: Int) -> Int {
        epoch == trainer.options.epochs ? Self.lastCount(trainer.options, iterationsPerEpoch) : iterationsPerEpoch
    }

    /// Whether the current epoch stops short of its end (a fractional budget).
    var isPartialEpoch: Bool { iterations(inEpoch: epoch) < iterationsPerEpoch }
    /// Epochs trained so far, fractional within an epoch (0.5, 1, 1.5, …).
    var at: Double { Double(epoch - 1) + Double(iteration) / Double(iterationsPerEpoch) }

    /// The score the best parameters are kept by.
    var score: Double { validationAccuracy ?? trainAccuracy }
    var step: Int { history.loss.count }
    var elapsed: Double { Date().timeIntervalSince(started) }
    /// The mean loss of the epoch just ended.
    var epochLoss: Double {
        let n = iterations(inEpoch: epoch)
        return history.loss.suffix(n).reduce(0, +) / Double(Swift.min(n, history.loss.count))
    }
    /// The model as a watched Sequential, whose layer outputs the logs read.
    var watched: Sequential? { trainer.model as? Sequential }
}
