import Foundation

/// What `Trainer.fit` reports as it goes.
public struct TrainingProgress: Sendable {
    public enum Event: Sendable { case iteration, epoch }
    public let event: Event
    public let epoch: Int, epochs: Int
    public let iteration: Int, iterationsPerEpoch: Int
    public let loss: Double
    public let trainAccuracy: Double?, validationAccuracy: Double?
    public let learningRate: Double
    public let elapsed: Double
    /// Estimated seconds to the end.
    public let remaining: Double
}

/// What `fit` tells a watcher (a search's pruner) a few times an epoch and at
/// each epoch's end: `at` counts epochs (0.25, 0.5, …, 1, 1.25, …); `loss` is
/// the mean over the iterations since the last report.
public struct TrainingReport: Sendable {
    public let at: Double
    public let epoch: Int
    public let loss: Double
    public let trainAccuracy: Double?, validationAccuracy: Double?
}

/// The history `fit` returns: loss per iteration, accuracies per epoch.
public struct TrainingHistory: Sendable {
    public var loss: [Double] = []
    public var trainAccuracy: [Double] = []
    public var validationAccuracy: [Double] = []
    public var learningRate: [Double] = []
    public var bestEpoch = 0
    public var bestValidationAccuracy = -Double.infinity
    public var seconds = 0.0
    /// Why training ended before its last epoch (a watcher stopped it).
    public var stopped: String?
    /// The epoch a resumed run carried on from.
    public var resumedFrom: Int?
    /// Accuracy on the test set given to fit, with the parameters fit ends with.
    public var testAccuracy: Double?
}

/// CS231n's Solver, done once: minibatch SGD over a training set with any
/// optimizer and schedule, validation each epoch, the best parameters kept.
public final class Trainer {
    public struct Options: Sendable {
        public var epochs = 10
        public var batchSize = 256
        /// L2 strength λ: the loss is data loss + ½λΣw² (weights, not biases).
        public var reg = 0.0
        public var seed: UInt64 = 0
        /// Training accuracy is measured on this many training examples (the notes' sample).
        public var trainAccuracySample = 1000
        /// A folder for config.json, metrics.jsonl and checkpoints.
        public var runDirectory: String?
        /// Log the loss to metrics.jsonl every this many iterations.
        public var logEvery = 10
        /// Restore the best validation parameters at the end.
        public var keepBest = true
        /// Momentum annealed per epoch (the notes' 0.5 → 0.99), for momentum and Nesterov.
        public var momentumSchedule: MomentumSchedule?
        /// Stop when the loss passes this multiple of the first iteration's
        /// (a search's first stage uses 3: an exploding trial is not worth finishing).
        public var stopAbove: Double?
        /// Carry on from the run folder's resume.safetensors when there is one.
        public var resume = false
        /// The share of its iterations the last epoch runs (0 < f ≤ 1): a
        /// search's coarse stage may train "for 1 epoch or even less".
        public var lastEpochFraction = 1.0
        /// How many times an epoch `report` hears of the loss (and once more with the accuracies).
        public var reportsPerEpoch = 4
        /// Clip the gradients' global norm to this before each step.
        public var clip: Double?
        /// Log into a folder that holds other files than a run's.
        public var overwrite = false
        /// Random flips and shifts of each training image, drawn per batch.
        public var augment: Augmentation?
        public init() {}
    }

    public typealias LossFunction = (Tensor, Tensor) throws -> Tensor

    /// Set by a host (the REPL's Ctrl-C); checked every iteration.
    nonisolated(unsafe) public static var interruptCheck: (() -> Bool)?

    let model: Module
    let loss: LossFunction
    let optimizer: Optimizer
    let schedule: Schedule?
    let train: Dataset
    let validation: Dataset?
    let options: Options
    /// Parameter averages (EMA, Polyak) updated after every step.
    public var averages: [ParameterAverage] = []
    /// Extra entries for config.json (what the host knows: loss name, script).
    public var configExtras: [String: String] = [:]
    public var progress: ((TrainingProgress) -> Void)?
    /// A loss that also needs the batch's inputs (distillation's teacher runs on them); replaces `loss` when set.
    public var batchLoss: ((_ inputs: Tensor, _ scores: Tensor, _ labels: Tensor) throws -> Tensor)?
    /// Told of progress a few times an epoch; a non-nil answer stops training
    /// there (the answer says why) with the best parameters so far.
    public var report: ((TrainingReport) throws -> String?)?
    /// The history as far as it got, also when fit threw (Ctrl-C, a NaN stop).
    public private(set) var lastHistory: TrainingHistory?
    /// Measured once, at the end, with the parameters kept (the best ones by default).
    public var test: Dataset?

    public init(model: Module, loss: @escaping LossFunction, optimizer: Optimizer, schedule: Schedule? = nil,
                train: Dataset, validation: Dataset?, options: Options) throws {
        guard options.epochs > 0, options.batchSize > 0 else {
            throw RuntimeError(.argument, "train.fit", "epochs and batch must be positive (got \(options.epochs), \(options.batchSize))")
        }
        guard options.lastEpochFraction > 0, options.lastEpochFraction <= 1 else {
            throw RuntimeError(.argument, "train.fit", "the last epoch's fraction must be in (0, 1], got \(options.lastEpochFraction)")
        }
        guard options.reg >= 0 else { throw RuntimeError(.argument, "train.fit", "reg must be non-negative, got \(options.reg)") }
        guard train.count > 0 else { throw RuntimeError(.argument, "train.fit", "the training set is empty") }
        if let dir = options.runDirectory { try RunFolder.checkLogFolder(dir, overwrite: options.overwrite, resume: options.resume) }
        (self.model, self.loss, self.optimizer, self.schedule) = (model, loss, optimizer, schedule)
        (self.train, self.validation, self.options) = (train, validation, options)
    }

    /// The loop: minibatches in a seeded order, the step, and at each epoch's
    /// end the accuracies and the best parameters. Everything else (the run
    /// log, TensorBoard, checkpoints, the resume state, progress, a search's
    /// reports) is an observer of it, in `observers()`.
    public func fit() throws -> TrainingHistory {
        let run = TrainingRun(trainer: self)
        defer { run.history.seconds = run.previousSeconds + run.elapsed; lastHistory = run.history }
        if options.resume, let dir = options.runDirectory,
           let (state, saved) = try ResumeState.restore(self, generator: run.generator, from: dir) {
            (run.history, run.best, run.firstEpoch, run.skip) = (state.history, saved, state.epoch + 1, state.iteration)
            run.history.resumedFrom = state.epoch
        }
        run.previousSeconds = run.history.seconds
        run.stepsBefore = run.history.loss.count
        let watchers = try observers()
        // Layer statistics come from the last training batch's pass; that pass
        // stays for monitor.layers after fit (evaluation passes do not replace it).
        let watched = run.watched, wasWatching = watched?.watching ?? false
        var lastTrainingPass: (acts: [Tensor]?, inner: [(module: ObjectIdentifier, output: Tensor)])?
        watched?.watch()
        defer {
            watched?.watching = wasWatching
            if let pass = lastTrainingPass { watched?.lastActivations = pass.acts; watched?.lastInnerActivations = pass.inner }
        }
        for o in watchers { try o.began(run) }
        defer { for o in watchers { o.ended(run) } }
        let trainSample = try train.take(Swift.min(options.trainAccuracySample, train.count))
        model.train()
        do {
        training: for epoch in stride(from: run.firstEpoch, through: options.epochs, by: 1) {
            run.epoch = epoch
            if let m = options.momentumSchedule { optimizer.momentum = m.momentum(at: epoch - 1) }
            let limit = run.iterations(inEpoch: epoch)
            // A run resumed mid-epoch takes up its epoch's order where it stopped;
            // one already past this budget has nothing left to do.
            let skip = epoch == run.firstEpoch ? run.skip : 0
            if skip > limit { break training }
            run.epochGenerator = run.generator.state
            let order = run.generator.permutation(train.count)
            run.iteration = skip
            for i in skip..<limit {
                var batch = try train.batch(i, of: order, size: options.batchSize)
                if let aug = options.augment, !aug.isIdentity {
                    let draws = aug.draws(count: batch.labels.count, seed: options.seed, epoch: epoch, batch: i + 1)
                    batch.inputs = try Augmentation.apply(batch.inputs, draws)
                }
                if Trainer.interruptCheck?() == true {
                    model.evaluate()
                    throw RuntimeError(.interrupted, "train.fit", "interrupted at epoch \(epoch), iteration \(i + 1)")
                }
                let value = try step(batch, epoch: epoch, iteration: i + 1, history: run.history)
                run.history.loss.append(value)
                run.iteration = i + 1
                for o in watchers {
                    if let why = try o.stepped(run) { run.history.stopped = why; break training }
                }
            }
            if let w = watched { lastTrainingPass = (w.lastActivations, w.lastInnerActivations) }
            for o in watchers { try o.beforeEvaluation(run) }
            run.trainAccuracy = try accuracy(model, trainSample)
            run.validationAccuracy = try validation.map { try accuracy(model, $0) }
            model.train()
            run.history.trainAccuracy.append(run.trainAccuracy)
            if let v = run.validationAccuracy { run.history.validationAccuracy.append(v) }
            run.history.learningRate.append(optimizer.learningRate)
            if run.score > run.history.bestValidationAccuracy {
                run.history.bestValidationAccuracy = run.score
                run.history.bestEpoch = epoch
                run.best = try model.parameters().map { try $0.detach().clone() }
            }
            for o in watchers { try o.epochEnded(run) }
            // (a fractional last epoch is not an epoch's end: a resumed run steps its schedule once, at the real end)
            if let s = schedule, s.unit == .epoch, !run.isPartialEpoch { try s.step(metric: run.score) }
            run.history.seconds = run.previousSeconds + run.elapsed
            for o in watchers {
                if let why = try o.epochCommitted(run) { run.history.stopped = why; break training }
            }
        }
        if options.keepBest, let best = run.best {
            for (p, b) in zip(model.parameters(), best) { try p.copy(from: b) }
        }
        if let test { run.history.testAccuracy = try accuracy(model, test) }
        } catch {
            run.failure = error   // for the run folder's status.json
            throw error
        }
        model.evaluate()
        run.history.seconds = run.previousSeconds + run.elapsed
        return run.history
    }

    /// One minibatch: the loss (data + L2), its checks, backward, the update,
    /// the averages and a per-iteration schedule. Returns the loss.
    func step(_ batch: (inputs: Tensor, labels: Tensor), epoch: Int, iteration i: Int, history h: TrainingHistory) throws -> Double {
        optimizer.zeroGrad()
        var l = try batchLoss.map { try $0(batch.inputs, model(batch.inputs), batch.labels) } ?? loss(model(batch.inputs), batch.labels)
        if options.reg > 0 { l = try l.add(l2Penalty(model, strength: options.reg)) }
        let value = try l.item()
        guard value.isFinite else {
            model.evaluate()
            let shown = value.isNaN ? "nan" : (value > 0 ? "inf" : "-inf")
            throw RuntimeError(.diverged, "train.fit", "the loss became \(shown) at epoch \(epoch), iteration \(i) (step \(h.loss.count + 1)); the learning rate (\(optimizer.learningRate)) is probably too high")
        }
        if let factor = options.stopAbove, let first = h.loss.first, value > factor * first {
            model.evaluate()
            throw RuntimeError(.diverged, "train.fit", String(format: "the loss exploded to %.4g at epoch %d, iteration %d, above %g× its initial %.4g; the learning rate is probably too high", value, epoch, i, factor, first))
        }
        try l.backward()
        if let c = options.clip { try clipGradientNorm(optimizer.parameters, maxNorm: c) }
        try optimizer.step()
        for a in averages { try a.update() }
        if let s = schedule, s.unit == .iteration { try s.step() }
        return value
    }

    /// Who watches this run, in the order they hear of each event: the
    /// report comes last, so an epoch that stops training is still logged,
    /// checkpointed and resumable.
    func observers() throws -> [TrainingObserver] {
        var list: [TrainingObserver] = []
        if let dir = options.runDirectory {
            list.append(try RunLogObserver(RunFolder(dir), config: try config()))
            list.append(try TensorBoardObserver(directory: dir))
            list.append(CheckpointObserver(directory: dir))
        }
        if let progress { list.append(ProgressObserver(progress)) }
        if let report { list.append(ReportObserver(report)) }
        return list
    }

    func config() throws -> [String: Any] {
        var c: [String: Any] = [
            "epochs": options.epochs, "batch": options.batchSize, "reg": options.reg, "seed": options.seed,
            "optimizer": optimizer.rule.name, "lr": schedule?.initialRate ?? optimizer.learningRate,
            "schedule": schedule?.summary ?? "none", "weight_decay": optimizer.weightDecay,
            "model": ModuleSpec(model).dictionary, "parameters": model.parameterCount,
            "train_size": train.count, "val_size": validation?.count ?? 0,
            "augment": options.augment.map { ["flip": $0.flip, "shift": $0.shift] as [String: Any] } ?? "none",
            "versions": ["optlab": optlabVersion, "openblas": "system"],
        ]
        for (k, v) in configExtras { c[k] = v }
        return c
    }
}

/// The version recorded in run folders.
public let optlabVersion = "0.1.0"

/// Fraction of `data` the model classifies right (evaluation mode, no graph).
/// With `flip`, each image's class probabilities are averaged with those of
/// its mirror image: test-time augmentation for a model trained with
/// `augment.flip`, which has learnt both orientations.
public func accuracy(_ model: Module, _ data: Dataset, batchSize: Int = 1000, flip: Bool = false) throws -> Double {
    guard data.count > 0 else { return 0 }
    let wasTraining = model.isTraining
    model.evaluate()
    defer { model.train(wasTraining) }
    var right = 0
    try Tensor.withNoGrad {
        for b in try data.batches(size: batchSize) {
            var scores = try model(b.inputs)
            if flip {
                guard b.inputs.rank == 4 else {
                    throw RuntimeError(.shape, "train.accuracy", "flip needs images [N, C, H, W], got inputs of shape \(describe(b.inputs.shape))")
                }
                let draws = [Augmentation.Draw](repeating: .init(flip: true, dy: 0, dx: 0), count: b.inputs.shape[0])
                let mirrored = try model(Augmentation.apply(b.inputs, draws))
                scores = try scores.softmax(dim: 1).add(mirrored.softmax(dim: 1))
            }
            let predicted = try scores.argmax(dim: 1)
            right += Int(try predicted.compare(.eq, b.labels).sum().item())
        }
    }
    return Double(right) / Double(data.count)
}
