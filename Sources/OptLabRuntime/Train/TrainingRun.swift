import Foundation

/// What observers see of a run in progress.
final class TrainingRun {
    let trainer: Trainer
    let generator: Generator
    var history = TrainingHistory()
    /// The last step record made, kept for the other observers at the same step (the probes are read once).
    var lastStepRecord: (step: Int, record: [String: Double])?
    /// The best parameters so far, by the validation score (none without a validation set).
    var best: [Tensor]?
    var bestScore = -Double.infinity
    var firstEpoch = 1
    /// Iterations of `firstEpoch` a resumed run had already taken.
    var skip = 0
    /// The batch-order generator as the current epoch began (before its
    /// shuffle): what a run saved mid-epoch resumes from.
    var epochGenerator: Generator.State?
    var epoch = 0
    /// The iteration within the epoch just taken (from 1).
    var iteration = 0
    /// The epoch's evaluation: accuracies (class labels only) and losses, on
    /// the training sample and on the validation set.
    var trainAccuracy: Double?
    var validationAccuracy: Double?
    var trainLoss: Double?
    var validationLoss: Double?
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

    /// The score the best parameters are kept by, higher is better: the
    /// validation accuracy, or for a regression set minus the validation
    /// loss; nil without a validation set (the last parameters are kept).
    var score: Double? {
        guard let v = trainer.validation else { return nil }
        // a language model is judged by its validation loss (perplexity), not its next-token accuracy
        if v.blocks != nil { return validationLoss.map { -$0 } }
        return validationAccuracy ?? validationLoss.map { -$0 }
    }

    /// What names the epoch's checkpoint (`ep005_val0.8812`): the validation
    /// accuracy or loss, else the training sample's, never one for the other.
    var checkpointScore: (metric: CheckpointName.Metric, value: Double) {
        if trainer.validation?.blocks != nil, let v = validationLoss { return (.validationLoss, v) }
        if let v = validationAccuracy { return (.validationAccuracy, v) }
        if let v = validationLoss { return (.validationLoss, v) }
        if let t = trainAccuracy { return (.trainAccuracy, t) }
        return (.trainLoss, trainLoss ?? .nan)
    }

    /// Measures the epoch: on the training sample and on the validation set.
    /// The loss is measured with a built-in loss, and always for a regression
    /// set (its only measure); a script's own loss function for class labels
    /// is called for training steps only (it may count them, or cost).
    func evaluate(trainSample: Dataset) throws {
        let t = trainer
        let loss = t.lossTargets != nil || !t.train.isClassification ? t.loss : nil
        let onTrain = try OptLabRuntime.evaluate(t.model, trainSample, loss: loss)
        (trainAccuracy, trainLoss) = (onTrain.accuracy, onTrain.loss)
        let onValidation = try t.validation.map { try OptLabRuntime.evaluate(t.model, $0, loss: loss) }
        (validationAccuracy, validationLoss) = (onValidation?.accuracy, onValidation?.loss)
    }

    /// The epoch's evaluation into the history, and its parameters kept when they are the best so far.
    func recordEpoch() throws {
        if let a = trainAccuracy { history.trainAccuracy.append(a) }
        if let v = validationAccuracy { history.validationAccuracy.append(v) }
        if let l = trainLoss { history.trainLoss.append(l) }
        if let l = validationLoss { history.validationLoss.append(l) }
        history.learningRate.append(trainer.optimizer.learningRate)
        let opt = trainer.optimizer
        history.updateRatio.append(zip(opt.updateRatios, opt.startedAtZero).filter { !$0.1 }.map(\.0).max() ?? 0)
        guard let s = score, s > bestScore else { return }
        bestScore = s
        history.bestEpoch = epoch
        if let v = validationAccuracy { history.bestValidationAccuracy = v }
        history.bestValidationLoss = validationLoss
        best = try trainer.model.parameters().map { try $0.detach().clone() }
    }
    var step: Int { history.loss.count }
    /// Training on token blocks: the validation loss (perplexity) is the measure.
    var isLanguageModel: Bool { trainer.train.blocks != nil }
    var elapsed: Double { Date().timeIntervalSince(started) }
    /// The mean loss of the epoch just ended.
    var epochLoss: Double {
        let n = iterations(inEpoch: epoch)
        return history.loss.suffix(n).reduce(0, +) / Double(Swift.min(n, history.loss.count))
    }
    /// The model as a watched Sequential, whose layer outputs the logs read.
    var watched: Sequential? { trainer.model as? Sequential }
}
