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
    /// Told of progress a few times an epoch; a non-nil answer stops training
    /// there (the answer says why) with the best parameters so far.
    public var report: ((TrainingReport) throws -> String?)?

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
        (self.model, self.loss, self.optimizer, self.schedule) = (model, loss, optimizer, schedule)
        (self.train, self.validation, self.options) = (train, validation, options)
    }

    public func fit() throws -> TrainingHistory {
        var h = TrainingHistory()
        let generator = Generator(seed: options.seed)
        let run = try options.runDirectory.map { try RunFolder($0) }
        try run?.writeConfig(config())
        // TensorBoard event files beside metrics.jsonl.
        let board = try options.runDirectory.map { try TensorBoardWriter(directory: $0) }
        let perEpoch = (train.count + options.batchSize - 1) / options.batchSize
        let lastCount = Swift.max(1, Int((options.lastEpochFraction * Double(perEpoch)).rounded(.up)))
        let total = perEpoch * (options.epochs - 1) + lastCount
        let start = Date()
        var best: [Tensor]?
        var firstEpoch = 1
        if options.resume, let dir = options.runDirectory,
           let (state, saved) = try ResumeState.restore(self, generator: generator, from: dir) {
            (h, best, firstEpoch) = (state.history, saved, state.epoch + 1)
            h.resumedFrom = state.epoch
            try run?.log(["resumed_from_epoch": Double(state.epoch), "iteration": Double(h.loss.count)])
        }
        let previousSeconds = h.seconds
        let stepsBefore = h.loss.count
        let marks = Swift.max(1, Swift.min(options.reportsPerEpoch, perEpoch))
        // The mean loss since the last report (the history already holds every value).
        var reportedUpTo = h.loss.count
        func lossSinceReport() -> Double {
            let recent = h.loss[reportedUpTo...]
            reportedUpTo = h.loss.count
            return recent.reduce(0, +) / Double(Swift.max(recent.count, 1))
        }
        let trainSample = try train.take(Swift.min(options.trainAccuracySample, train.count))
        model.train()
        // Layer statistics each epoch come from the last training batch's pass.
        let watched = model as? Sequential
        if run != nil { watched?.watch() }
        defer { if run != nil { watched?.watch(false) } }
        training: for epoch in stride(from: firstEpoch, through: options.epochs, by: 1) {
            if let m = options.momentumSchedule { optimizer.momentum = m.momentum(at: epoch - 1) }
            let limit = epoch == options.epochs ? lastCount : perEpoch
            for (i, batch) in try train.batches(size: options.batchSize, shuffle: true, generator: generator).enumerated() {
                if i >= limit { break }
                if Trainer.interruptCheck?() == true {
                    model.evaluate()
                    throw RuntimeError(.interrupted, "train.fit", "interrupted at epoch \(epoch), iteration \(i + 1)")
                }
                optimizer.zeroGrad()
                var l = try loss(model(batch.inputs), batch.labels)
                if options.reg > 0 { l = try l.add(l2Penalty(model, strength: options.reg)) }
                let value = try l.item()
                let step = h.loss.count + 1
                guard value.isFinite else {
                    model.evaluate()
                    let shown = value.isNaN ? "nan" : (value > 0 ? "inf" : "-inf")
                    throw RuntimeError(.diverged, "train.fit", "the loss became \(shown) at epoch \(epoch), iteration \(i + 1) (step \(step)); the learning rate (\(optimizer.learningRate)) is probably too high")
                }
                if let factor = options.stopAbove, let first = h.loss.first, value > factor * first {
                    model.evaluate()
                    throw RuntimeError(.diverged, "train.fit", String(format: "the loss exploded to %.4g at epoch %d, iteration %d, above %g× its initial %.4g; the learning rate is probably too high", value, epoch, i + 1, factor, first))
                }
                try l.backward()
                try optimizer.step()
                for a in averages { try a.update() }
                if let s = schedule, s.unit == .iteration { try s.step() }
                h.loss.append(value)
                if let report, marks > 1, (i + 1) < limit, (i + 1) * marks / perEpoch != i * marks / perEpoch {
                    let mean = lossSinceReport()
                    let at = Double(epoch - 1) + Double((i + 1) * marks / perEpoch) / Double(marks)
                    if let why = try report(TrainingReport(at: at, epoch: epoch, loss: mean, trainAccuracy: nil, validationAccuracy: nil)) {
                        h.stopped = why
                        break training
                    }
                }
                if step % options.logEvery == 0 {
                    var record: [String: Double] = ["iteration": Double(step), "epoch": Double(epoch), "loss": value, "lr": optimizer.learningRate]
                    for (p, r) in zip(optimizer.parameters, optimizer.updateRatios) { record["ratio/" + (p.name ?? "?")] = r }
                    try run?.log(record)
                    for (k, v) in record where k != "iteration" && k != "epoch" { try board?.scalar(k, v, step: step) }
                }
                let elapsed = Date().timeIntervalSince(start)
                progress?(TrainingProgress(event: .iteration, epoch: epoch, epochs: options.epochs, iteration: i + 1,
                                           iterationsPerEpoch: perEpoch, loss: value, trainAccuracy: h.trainAccuracy.last,
                                           validationAccuracy: h.validationAccuracy.last, learningRate: optimizer.learningRate,
                                           elapsed: elapsed, remaining: elapsed / Double(Swift.max(1, step - stepsBefore)) * Double(total - step)))
            }
            // The last training batch's pass, before evaluation replaces it.
            var layerRecord: [String: Double] = [:]
            if let board, let acts = watched?.lastActivations, let layers = watched?.children {
                for (i, (a, c)) in zip(acts, layers).enumerated() {
                    let values = a.toDoubles()
                    try board.histogram("activations/\(i + 1) \(c.module.summary)", values, step: h.loss.count)
                    if let hist = try? Histogram(values.filter { $0.isFinite }, bins: 30) {
                        try run?.logHistogram(epoch: epoch, layer: "\(i + 1) \(c.module.summary)", hist)
                    }
                    if let g = a.grad { try board.histogram("gradients/\(i + 1) \(c.module.summary)", g.toDoubles(), step: h.loss.count) }
                }
            }
            if run != nil, let watched, let stats = try? LayerStatistics(watched) {
                for r in stats.rows {
                    layerRecord["layer\(r.index)/act_mean"] = r.mean
                    layerRecord["layer\(r.index)/act_std"] = r.std
                    if let g = r.gradientStd { layerRecord["layer\(r.index)/grad_std"] = g }
                    if let d = r.dead { layerRecord["layer\(r.index)/dead"] = d }
                    if let s = r.saturated { layerRecord["layer\(r.index)/saturated"] = s }
                }
            }
            let trainAcc = try accuracy(model, trainSample)
            let valAcc = try validation.map { try accuracy(model, $0) }
            model.train()
            h.trainAccuracy.append(trainAcc)
            if let valAcc { h.validationAccuracy.append(valAcc) }
            h.learningRate.append(optimizer.learningRate)
            let score = valAcc ?? trainAcc
            if score > h.bestValidationAccuracy {
                h.bestValidationAccuracy = score
                h.bestEpoch = epoch
                best = try model.parameters().map { try $0.detach().clone() }
            }
            let epochLoss = h.loss.suffix(limit).reduce(0, +) / Double(Swift.min(limit, h.loss.count))
            var record: [String: Double] = ["epoch": Double(epoch), "iteration": Double(h.loss.count), "loss": epochLoss,
                                            "train_acc": trainAcc, "lr": optimizer.learningRate,
                                            "time": Date().timeIntervalSince(start)]
            if let valAcc { record["val_acc"] = valAcc }
            for (k, v) in layerRecord { record[k] = v }
            try run?.log(record)
            if let board {
                for key in ["train_acc", "val_acc", "loss"] { if let v = record[key] { try board.scalar(key == "loss" ? "epoch_loss" : key, v, step: h.loss.count) } }
                for (name, p) in model.namedParameters() { try board.histogram("weights/" + name, p.toDoubles(), step: h.loss.count) }
                if let img = try? WeightImage.render(model) {
                    try board.image("weights/first_layer", png: img.png, width: img.width, height: img.height, channels: img.channels, step: h.loss.count)
                }
            }
            try run?.checkpoint(model, epoch: epoch, score: score)
            if let s = schedule, s.unit == .epoch { try s.step(metric: score) }
            let elapsed = Date().timeIntervalSince(start)
            h.seconds = previousSeconds + elapsed
            if let dir = options.runDirectory {
                try ResumeState.save(self, epoch: epoch, history: h, best: best, generator: generator, to: dir)
            }
            progress?(TrainingProgress(event: .epoch, epoch: epoch, epochs: options.epochs, iteration: perEpoch,
                                       iterationsPerEpoch: perEpoch, loss: epochLoss, trainAccuracy: trainAcc,
                                       validationAccuracy: valAcc, learningRate: optimizer.learningRate, elapsed: elapsed,
                                       remaining: elapsed / Double(epoch - firstEpoch + 1) * Double(options.epochs - epoch)))
            if let report {
                let mean = lossSinceReport()
                let at = Double(epoch - 1) + Double(limit) / Double(perEpoch)
                if let why = try report(TrainingReport(at: at, epoch: epoch, loss: mean, trainAccuracy: trainAcc, validationAccuracy: valAcc)) {
                    h.stopped = why
                    break training
                }
            }
        }
        if options.keepBest, let best {
            for (p, b) in zip(model.parameters(), best) { try p.copy(from: b) }
        }
        model.evaluate()
        h.seconds = previousSeconds + Date().timeIntervalSince(start)
        return h
    }

    func config() throws -> [String: Any] {
        var c: [String: Any] = [
            "epochs": options.epochs, "batch": options.batchSize, "reg": options.reg, "seed": options.seed,
            "optimizer": optimizer.rule.name, "lr": schedule?.initialRate ?? optimizer.learningRate,
            "schedule": schedule.map { String(describing: $0.kind) } ?? "none", "weight_decay": optimizer.weightDecay,
            "model": ModuleSpec(model).dictionary, "parameters": model.parameterCount,
            "train_size": train.count, "val_size": validation?.count ?? 0,
            "versions": ["optlab": optlabVersion, "openblas": "system"],
        ]
        for (k, v) in configExtras { c[k] = v }
        return c
    }
}

/// The version recorded in run folders.
public let optlabVersion = "0.1.0"

/// Fraction of `data` the model classifies right (evaluation mode, no graph).
public func accuracy(_ model: Module, _ data: Dataset, batchSize: Int = 1000) throws -> Double {
    guard data.count > 0 else { return 0 }
    let wasTraining = model.isTraining
    model.evaluate()
    defer { model.train(wasTraining) }
    var right = 0
    try Tensor.withNoGrad {
        for b in try data.batches(size: batchSize) {
            let predicted = try model(b.inputs).argmax(dim: 1)
            right += Int(try predicted.compare(.eq, b.labels).sum().item())
        }
    }
    return Double(right) / Double(data.count)
}
