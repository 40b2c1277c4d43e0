import Foundation

/// What `Trainer.fit` reports as it goes.
public struct TrainingProgress: Sendable {
    public enum Event: Sendable { case iteration, epoch }
    public let event: Event
    public let epoch: Int, epochs: Int
    public let iteration: Int, iterationsPerEpoch: Int
    public let loss: Double
    public let trainAccuracy: Double?, validationAccuracy: Double?
    /// The validation loss at an epoch's end (what a regression run is measured by).
    public var validationLoss: Double?
    /// A language model's run (token blocks): measured by the validation loss and its perplexity.
    public var isLanguageModel = false
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
    public var validationLoss: Double?
}

/// The history `fit` returns: the training loss per iteration, and per epoch
/// what each epoch's evaluation measured: the accuracies (on a sample of the
/// training set and on the validation set; for class labels only) and the
/// losses (the same sets, in evaluation mode).
public struct TrainingHistory: Sendable {
    public var loss: [Double] = []
    public var trainAccuracy: [Double] = []
    public var validationAccuracy: [Double] = []
    /// The loss on the training sample and on the validation set, per epoch.
    public var trainLoss: [Double] = []
    public var validationLoss: [Double] = []
    public var learningRate: [Double] = []
    /// The largest update/weight ratio of a weight (not a parameter that
    /// started at zero) at each epoch's last step: 0 when nothing moved.
    public var updateRatio: [Double] = []
    /// The epoch whose parameters were best on the validation set (0: none, without one).
    public var bestEpoch = 0
    public var bestValidationAccuracy = -Double.infinity
    public var bestValidationLoss: Double?
    /// The parameters the model ends with: the best validation epoch's, or
    /// the last epoch's (without a validation set, or with keep_best = false).
    public var keptBest = false
    public var seconds = 0.0
    /// Why training ended before its last epoch (a watcher stopped it).
    public var stopped: String?
    /// The epoch a resumed run carried on from.
    public var resumedFrom: Int?
    /// Steps skipped for a non-finite loss or gradient (skip_nonfinite).
    public var skippedSteps = 0
    /// Accuracy on the test set given to fit, with the parameters fit ends with.
    public var testAccuracy: Double?
    /// The sharpness measured during training (train.fit's monitor = {sharpness = ...}): step, λ_max, 2/η.
    public var sharpness: [(step: Int, value: Double, edge: Double)] = []
    /// Under Adam: the top eigenvalue of D·H (D from Adam's second moments) and Adam's edge (2 + 2β₁)/((1 − β₁)η).
    public var preconditionedSharpness: [(step: Int, value: Double, edge: Double)] = []
    /// The gradient noise scale measured during training (monitor = {noise_scale = ...}): step, averaged B_simple, this measurement's, the batch size.
    public var noiseScale: [(step: Int, value: Double, raw: Double, batch: Int)] = []
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
        /// Log the loss to metrics.jsonl (and TensorBoard) every this many iterations.
        public var logEvery = 1
        /// Checkpoints kept: the best `keep` by the validation score, and the last.
        public var keep = 3
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
        /// Batches whose gradients add up before each optimizer step (gradient
        /// accumulation): each batch's loss is divided by this, so for a mean loss
        /// the step is the one a batch this many times larger would give. An
        /// epoch's last step takes what is left.
        public var accumulate = 1
        /// Skip a step whose loss or gradient is not finite (optax's
        /// apply_if_finite), up to this many in a row; then the run stops with
        /// the cause as without it. 0: the first one stops the run.
        public var skipNonFinite = 0
        /// The optimizer's probe families logged with every step record (nil: none).
        public var probes: Set<String>?
        /// The Hessian's top eigenvalue on a fixed batch every so many steps (`SharpnessObserver`).
        public var sharpness: SharpnessOptions?
        /// The gradient noise scale every so many steps (`NoiseScaleObserver`).
        public var noiseScale: NoiseScaleOptions?
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
    /// The schedules train.fit steps (one per hyperparameter they drive, usually the rate's alone).
    let schedules: [Schedule]
    /// Steps skipped for a non-finite loss or gradient: in a row now, and in all.
    var skippedInARow = 0, skippedTotal = 0
    /// The first: the rate's, in config.json's "lr" and "schedule".
    var schedule: Schedule? { schedules.first }
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
    /// What the loss compares the scores with, when it is known (a built-in
    /// loss): a loss that does not fit the data's targets is refused at the start.
    public var lossTargets: LossTargets?
    /// The name the loss goes by in messages ("nn.SoftmaxCrossEntropy").
    var lossName: String { (configExtras["loss"].map { "nn." + $0.split(separator: "(").first.map(String.init)! }) ?? "the loss" }

    public convenience init(model: Module, loss: @escaping LossFunction, optimizer: Optimizer, schedule: Schedule? = nil,
                train: Dataset, validation: Dataset?, options: Options) throws {
        try self.init(model: model, loss: loss, optimizer: optimizer, schedules: schedule.map { [$0] } ?? [], train: train,
                      validation: validation, options: options)
    }

    public init(model: Module, loss: @escaping LossFunction, optimizer: Optimizer, schedules: [Schedule],
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
        (self.model, self.loss, self.optimizer, self.schedules) = (model, loss, optimizer, schedules)
        (self.train, self.validation, self.options) = (train, validation, options)
    }

    /// The loop: minibatches in a seeded order, the step, and at each epoch's
    /// end the accuracies and the best parameters. Everything else (the run
    /// log, TensorBoard, checkpoints, the resume state, progress, a search's
    /// reports) is an observer of it, in `observers()`.
    public func fit() throws -> TrainingHistory {
        try checkSetUp()
        let run = TrainingRun(trainer: self)
        defer { run.history.seconds = run.previousSeconds + run.elapsed; lastHistory = run.history }
        if options.resume, let dir = options.runDirectory,
           let (state, saved) = try ResumeState.restore(self, generator: run.generator, from: dir) {
            (run.history, run.best, run.firstEpoch, run.skip) = (state.history, saved, state.epoch + 1, state.iteration)
            run.bestScore = state.bestScore
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
        // the mode the model came in, given back however fit ends
        let wasTraining = model.isTraining
        defer { model.train(wasTraining) }
        // probed every step: the gradient and moment norms summed during the update
        let recorded = optimizer.recordsProbeNorms
        optimizer.recordsProbeNorms = recorded || options.probes != nil
        defer { optimizer.recordsProbeNorms = recorded }
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
            // (a Schedule-Free rule steps from y and is evaluated, checkpointed and kept at x)
            try optimizer.trainingWeights()
            let order = train.epochOrder(run.generator)
            run.iteration = skip
            for i in skip..<limit {
                var batch = try train.batch(i, of: order, size: options.batchSize)
                if let aug = options.augment, !aug.isIdentity {
                    let draws = aug.draws(count: batch.labels.count, seed: options.seed, epoch: epoch, batch: i + 1)
                    batch.inputs = try Augmentation.apply(batch.inputs, draws)
                }
                if Trainer.interruptCheck?() == true {
                    throw RuntimeError(.interrupted, "train.fit", "interrupted at epoch \(epoch), iteration \(i + 1)")
                }
                let closes = (i + 1) % options.accumulate == 0 || i + 1 == limit
                let value = try step(batch, epoch: epoch, iteration: i + 1, history: run.history,
                                     opens: i % options.accumulate == 0 || i == skip || skippedInARow > 0, closes: closes)
                run.iteration = i + 1
                run.history.skippedSteps = skippedTotal
                // a skipped step has no loss to record (it may be nan): the next batch opens afresh
                guard let value else { continue }
                run.history.loss.append(value)
                for o in watchers {
                    if let why = try o.stepped(run) { run.history.stopped = why; break training }
                }
            }
            if let w = watched { lastTrainingPass = (w.lastActivations, w.lastInnerActivations) }
            for o in watchers { try o.beforeEvaluation(run) }
            try optimizer.evaluationWeights()
            try run.evaluate(trainSample: trainSample)
            model.train()
            try run.recordEpoch()
            for o in watchers { try o.epochEnded(run) }
            // (a fractional last epoch is not an epoch's end: a resumed run steps its schedule once, at the real end)
            for s in schedules where s.unit == .epoch && !run.isPartialEpoch { try s.step(metric: run.score) }
            run.history.seconds = run.previousSeconds + run.elapsed
            for o in watchers {
                if let why = try o.epochCommitted(run) { run.history.stopped = why; break training }
            }
        }
        if options.keepBest, let best = run.best {
            for (p, b) in zip(model.parameters(), best) { try p.copy(from: b) }
            run.history.keptBest = true
        }
        if let test, test.isClassification { run.history.testAccuracy = try accuracy(model, test) }
        } catch {
            run.failure = error   // for the run folder's status.json
            throw error
        }
        run.history.seconds = run.previousSeconds + run.elapsed
        return run.history
    }

    /// What must hold before any step: the optimizer holds parameters of this
    /// model (one built for another model trains nothing), and the loss takes
    /// the targets the data has.
    func checkSetUp() throws {
        let trained = model.parameters().filter(\.requiresGrad)
        if trained.isEmpty && !model.parameters().isEmpty {
            throw RuntimeError(.argument, "train.fit", "none of the model's \(model.parameters().count) parameters requires a gradient (all frozen): nothing would train")
        }
        if optimizer.sharpness != nil && options.accumulate > 1 {
            throw RuntimeError(.argument, "train.fit", "accumulate = \(options.accumulate) with a SAM optimizer: its second pass would see only the last batch; "
                               + "use a larger batch instead")
        }
        let held = Set(optimizer.parameters.map(ObjectIdentifier.init))
        let missing = trained.filter { !held.contains(ObjectIdentifier($0)) }.count
        if !trained.isEmpty && missing == trained.count {
            throw RuntimeError(.argument, "train.fit", "the optimizer holds none of the model's \(trained.count) parameters: "
                               + "was it built for another model? Build it for this one, e.g. optim.SGD(model, {lr = ...})")
        }
        if let targets = lossTargets {
            switch (targets, train.isClassification) {
            case (.classIndices, false):
                throw RuntimeError(.argument, "train.fit", "\(lossName) needs class labels, but the training set's targets are values "
                                   + "(a regression set): use a loss for values, such as nn.MSE()")
            case (.values, true):
                throw RuntimeError(.argument, "train.fit", "\(lossName) compares the scores with targets of their shape, but the training set "
                                   + "has class labels: use a classification loss (nn.SoftmaxCrossEntropy()), or build the set with "
                                   + "data.dataset(x, y, {targets = \"values\"})")
            default: break
            }
        }
    }

    /// One minibatch: the loss (data + L2), its checks, backward, the update,
    /// the averages and a per-iteration schedule. Returns the loss.
    /// One batch's forward and backward pass; the optimizer steps when it `closes`
    /// an accumulation of `options.accumulate` batches (every batch without one).
    func step(_ batch: (inputs: Tensor, labels: Tensor), epoch: Int, iteration i: Int, history h: TrainingHistory,
              opens: Bool = true, closes: Bool = true) throws -> Double? {
        if opens { optimizer.zeroGrad() }
        let l = try objective(batch)
        let value = try l.item()
        guard value.isFinite else {
            let shown = value.isNaN ? "nan" : (value > 0 ? "inf" : "-inf")
            let at = "the loss became \(shown) at epoch \(epoch), iteration \(i) (step \(h.loss.count + 1))"
            try skipOrStop(at, batch, h)
            return nil
        }
        if let factor = options.stopAbove, let first = h.loss.first, value > factor * first {
            throw RuntimeError(.diverged, "train.fit", String(format: "the loss exploded to %.4g at epoch %d, iteration %d, above %g× its initial %.4g; the learning rate is probably too high", value, epoch, i, factor, first))
        }
        try (options.accumulate > 1 ? l.div(Double(options.accumulate)) : l).backward()
        guard closes else { return value }
        // SAM: the gradient again at the worst nearby weights, then back to w for the step
        try optimizer.sharpnessPass { try objective(batch).backward() }
        if options.skipNonFinite > 0, !gradientsAreFinite() {
            try skipOrStop("a gradient became nan or inf at epoch \(epoch), iteration \(i)", batch, h)
            return value
        }
        skippedInARow = 0
        if let c = options.clip { try optimizer.clipGradients(maxNorm: c) }
        try optimizer.step()
        for a in averages { try a.update() }
        for s in schedules where s.unit == .iteration { try s.step() }
        return value
    }

    /// With skip_nonfinite, counts a skipped step (and its gradients are
    /// dropped); past the allowed run of them, or without it, stops the run
    /// with the cause.
    func skipOrStop(_ what: String, _ batch: (inputs: Tensor, labels: Tensor), _ h: TrainingHistory) throws {
        guard options.skipNonFinite > 0, skippedInARow < options.skipNonFinite else {
            let after = options.skipNonFinite > 0 ? " (after \(skippedInARow) skipped steps in a row)" : ""
            throw RuntimeError(.diverged, "train.fit", what + after + "; " + nonFiniteCause(batch))
        }
        skippedInARow += 1
        skippedTotal += 1
        optimizer.zeroGrad()
    }

    /// Whether every gradient is finite (one pass over them, summed as squares).
    func gradientsAreFinite() -> Bool {
        optimizer.parameters.allSatisfy { p in
            guard let g = p.grad else { return true }
            return Optimizer.norm(g).isFinite
        }
    }

    /// What a step minimises on a batch: the loss, plus the L2 penalty when `reg` is set.
    func objective(_ batch: (inputs: Tensor, labels: Tensor)) throws -> Tensor {
        let l = try batchLoss.map { try $0(batch.inputs, model(batch.inputs), batch.labels) } ?? loss(model(batch.inputs), batch.labels)
        return options.reg > 0 ? try l.add(l2Penalty(model, strength: options.reg)) : l
    }

    /// Why a loss is not finite: the batch's inputs or targets hold a
    /// non-finite value (then the data is the cause, not the rate), or the
    /// parameters already do, or else the learning rate is probably too high.
    func nonFiniteCause(_ batch: (inputs: Tensor, labels: Tensor)) -> String {
        guard let source = NonFiniteSource.find(inputs: batch.inputs, targets: batch.labels, model: model) else {
            return "the inputs, targets and parameters were finite: the learning rate (\(optimizer.learningRate)) is probably too high"
        }
        if case .parameter(let name, _) = source {
            return "the parameter \(name) was already not finite before this step: an earlier step blew up (the learning rate, \(optimizer.learningRate), is probably too high)"
        }
        return source.text(of: "the batch") + ": the data is the cause, not the learning rate"
    }

    /// Who watches this run, in the order they hear of each event: the
    /// report comes last, so an epoch that stops training is still logged,
    /// checkpointed and resumable.
    func observers() throws -> [TrainingObserver] {
        var list: [TrainingObserver] = []
        // first: the step's record (the run folder's) includes what it measured
        if let s = options.sharpness { list.append(SharpnessObserver(s)) }
        if let n = options.noiseScale { list.append(NoiseScaleObserver(n)) }
        if let dir = options.runDirectory {
            list.append(try RunLogObserver(RunFolder(dir), config: try config()))
            list.append(try TensorBoardObserver(directory: dir))
            list.append(CheckpointObserver(directory: dir))
        }
        if let progress { list.append(ProgressObserver(progress)) }
        if let report { list.append(ReportObserver(report)) }
        return list
    }

    /// config.json: every setting the run was made with, typed (booleans as
    /// booleans), so it can be made again from its folder alone: the
    /// optimizer's hyperparameters, the schedule's, each layer's arguments
    /// (its init scheme included) and train.fit's options.
    func config() throws -> [String: Any] {
        let o = options
        var c: [String: Any] = [
            "epochs": Double(o.epochs - 1) + o.lastEpochFraction, "batch": o.batchSize, "reg": o.reg, "seed": o.seed,
            "optimizer": optimizer.rule.name, "lr": schedules.first { $0.hyperparameter == "lr" }?.initialRate ?? optimizer.learningRate,
            "optimizer_settings": optimizer.settings, "weight_decay": optimizer.weightDecay,
            "schedule": schedules.isEmpty ? "none" : schedules.map(\.summary).joined(separator: "; "),
            "model": ModuleSpec(model).record, "parameters": model.parameterCount,
            "train_size": train.count, "val_size": validation?.count ?? 0, "test_size": test?.count ?? 0,
            "targets": train.blocks != nil ? "tokens" : train.isClassification ? "classes" : "values",
            "augment": o.augment.map { ["flip": $0.flip, "shift": $0.shift] as [String: Any] } ?? "none",
            "keep_best": o.keepBest, "keep": o.keep, "train_sample": o.trainAccuracySample, "log_every": o.logEvery,
            "resume": o.resume, "versions": ["optlab": optlabVersion, "openblas": "system"],
        ]
        let settings = schedules.map { s -> [String: Any] in
            var d: [String: Any] = s.rule.config
            d["name"] = s.rule.name
            d["unit"] = s.unit.rawValue
            if s.hyperparameter != "lr" { d["hyperparameter"] = s.hyperparameter }
            return d
        }
        if settings.count == 1 { c["schedule_settings"] = settings[0] } else if settings.count > 1 { c["schedule_settings"] = settings }
        if let b = train.blocks { c["block"] = b.length; c["vocabulary"] = train.classes }
        if let clip = o.clip { c["clip"] = clip }
        if let f = o.stopAbove { c["stop_above"] = f }
        if let m = o.momentumSchedule { c["momentum"] = ["start": m.start, "end": m.end, "epochs": m.steps] }
        if !averages.isEmpty { c["average"] = averages.map(\.settings) }
        for (k, v) in configExtras { c[k] = v }
        return c
    }
}

/// The version recorded in run folders.
public let optlabVersion = "0.1.0"
