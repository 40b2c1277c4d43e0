import OptLabRuntime

/// `train.fit` and `train.distill`: the options read into a `Trainer`, the
/// training run, and the history handed back (kept in `train.last` however
/// it ended).
extension TrainLibrary {
    static let fitOptions = ["model", "loss", "optimizer", "schedule", "train", "val", "epochs", "batch", "reg", "seed",
                             "log", "keep_best", "train_sample", "quiet", "average", "momentum", "stop_above", "resume", "budget", "clip", "skip_nonfinite", "probes", "monitor",
                             "overwrite", "test", "augment", "log_every", "keep", "accumulate"]
    static let distillOptions = fitOptions.filter { $0 != "model" && $0 != "loss" } + ["teacher", "student", "temperature", "alpha"]

    /// train.fit, and train.distill (the student trained on the teacher's softened probabilities).
    static func fit(_ a: LuaArgs, distilling: Bool) throws -> [LuaValue] {
        let o = try a.options(1, allowed: distilling ? distillOptions : fitOptions)
        let budget = try SearchBudget(a, o)
        var opts = try budget.trainerOptions(a, o)
        try readTrainingOptions(a, o, into: &opts)
        let trainer = try makeTrainer(a, o, options: opts, distilling: distilling)
        if let avg = try object(a, o, "average", Kind.average, ParameterAverage.self) { trainer.averages = [avg] }
        if !(try o.bool("quiet", default: budget.quiet)) { trainer.progress = a.state.progressHandler ?? plainProgress }
        if let ref = budget.report {
            let state = a.state
            trainer.report = { r in try state.callReport(ref, r) }
        }
        return try run(trainer, a, folder: opts.runDirectory)
    }

    /// An option that must be an object of `kind`, or nil when it is absent.
    static func object<T: AnyObject>(_ a: LuaArgs, _ o: LuaOptions, _ key: String, _ kind: String, _ t: T.Type) throws -> T? {
        guard let v = o.value(key), !v.isNil else { return nil }
        guard case .object(let obj, kind: kind) = v, let typed = obj as? T else {
            throw a.argumentError(1, "option '\(key)' must be a \(kind.lowercased()), got \(v.typeName)")
        }
        return typed
    }

    /// `schedule =`: one schedule, or a list of them (each driving its own hyperparameter).
    static func schedules(_ a: LuaArgs, _ o: LuaOptions) throws -> [Schedule] {
        guard let v = o.value("schedule"), !v.isNil else { return [] }
        if case .array(let items) = v {
            let list = try items.map { item -> Schedule in
                guard case .object(let obj, kind: Kind.schedule) = item, let box = obj as? ScheduleBox else {
                    throw a.argumentError(1, "option 'schedule' must be a schedule or a list of schedules, got a list holding \(item.typeName)")
                }
                return box.schedule
            }
            let driven = list.map(\.hyperparameter)
            guard Set(driven).count == driven.count else {
                throw a.argumentError(1, "option 'schedule': two schedules drive \(driven.first { h in driven.filter { $0 == h }.count > 1 }!) (compose them with optim.chain or optim.sequence)")
            }
            return list
        }
        return try object(a, o, "schedule", Kind.schedule, ScheduleBox.self).map { [$0.schedule] } ?? []
    }

    /// `monitor = {noise_scale = {every =, small =, big =, rounds =, decay =}}` (or true for the defaults).
    static func noiseScaleOptions(_ a: LuaArgs, _ v: LuaValue) throws -> NoiseScaleOptions {
        var n = NoiseScaleOptions()
        if case .bool(true) = v { return n }
        guard case .record(let pairs) = v else { throw a.argumentError(1, "option 'monitor.noise_scale' must be true or {every =, small =, big =, rounds =, decay =}") }
        for (k, value) in pairs {
            if k == "decay" {
                guard let d = value.number, d >= 0, d < 1 else { throw a.argumentError(1, "monitor.noise_scale.decay must lie in [0, 1), got \(value.number.map { "\($0)" } ?? value.typeName)") }
                n.decay = d
                continue
            }
            guard let x = value.number, x >= 1, x <= 1e7, x == x.rounded() else {
                throw a.argumentError(1, "monitor.noise_scale.\(k) must be a positive whole number, got \(value.number.map { "\($0)" } ?? value.typeName)")
            }
            switch k {
            case "every": n.every = Int(x)
            case "small": n.small = Int(x)
            case "big": n.big = Int(x)
            case "rounds":
                guard x >= 2 else { throw a.argumentError(1, "monitor.noise_scale.rounds must be at least 2") }
                n.rounds = Int(x)
            default: throw a.argumentError(1, "monitor.noise_scale takes every, small, big, rounds and decay, got '\(k)'")
            }
        }
        if let s = n.small, let b = n.big, b <= s { throw a.argumentError(1, "monitor.noise_scale: big (\(b)) must be more than small (\(s))") }
        return n
    }

    /// The loop's own options: batch, regularisation, clipping, seed, the
    /// kept parameters, the training sample, augmentation and momentum.
    static func readTrainingOptions(_ a: LuaArgs, _ o: LuaOptions, into opts: inout Trainer.Options) throws {
        opts.batchSize = try o.integer("batch", default: 256)
        opts.reg = try o.number("reg", default: 0)
        if o.has("clip") {
            let c = try o.number("clip", default: 0)
            guard c > 0 else { throw a.argumentError(1, "option 'clip' must be a positive gradient norm, got \(c)") }
            opts.clip = c
        }
        if let v = o.value("skip_nonfinite"), !v.isNil {
            if case .bool(let on) = v { opts.skipNonFinite = on ? 10 : 0 } else {
                let n = try o.integer("skip_nonfinite", default: 0)
                guard n >= 0 else { throw a.argumentError(1, "option 'skip_nonfinite' must be true, false or the most steps to skip in a row, got \(n)") }
                opts.skipNonFinite = n
            }
        }
        if let v = o.value("probes"), !v.isNil {
            switch v {
            case .bool(let on): opts.probes = on ? Set(OptimizerProbes.families.keys) : nil
            case .array(let items):
                let names = try items.map { item -> String in
                    guard let s = item.string, OptimizerProbes.families[s] != nil else {
                        throw a.argumentError(1, "option 'probes' lists families of \(OptimizerProbes.families.keys.sorted().joined(separator: ", ")), got \(item.string.map { "'\($0)'" } ?? item.typeName)")
                    }
                    return s
                }
                opts.probes = Set(names)
            default: throw a.argumentError(1, "option 'probes' must be true or a list of families, got \(v.typeName)")
            }
        }
        let monitor = try o.record("monitor", allowed: ["sharpness", "noise_scale"])
        if let v = monitor?["noise_scale"], !v.isNil { opts.noiseScale = try noiseScaleOptions(a, v) }
        if let m = monitor, let v = m["sharpness"], !v.isNil {
            guard case .record(let pairs) = v else { throw a.argumentError(1, "option 'monitor.sharpness' must be {every = n, batch = m, iters = k}") }
            var sharp = SharpnessOptions()
            for (k, value) in pairs {
                guard let n = value.number, n >= 1, n <= 1e7, n == n.rounded() else {
                    throw a.argumentError(1, "monitor.sharpness.\(k) must be a positive whole number, got \(value.typeName == "number" ? "\(value.number!)" : value.typeName)")
                }
                switch k {
                case "every": sharp.every = Int(n)
                case "batch": sharp.batch = Int(n)
                case "iters": sharp.iterations = Int(n)
                default: throw a.argumentError(1, "monitor.sharpness takes every, batch and iters, got '\(k)'")
                }
            }
            opts.sharpness = sharp
        }
        opts.accumulate = try o.integer("accumulate", default: 1)
        guard opts.accumulate >= 1 else { throw a.argumentError(1, "option 'accumulate' must be a positive number of batches per step, got \(opts.accumulate)") }
        opts.seed = UInt64(bitPattern: Int64(try o.integer("seed", default: 0)))
        opts.keepBest = try o.bool("keep_best", default: true)
        opts.trainAccuracySample = try o.integer("train_sample", default: 1000)
        opts.logEvery = try o.integer("log_every", default: 1)
        guard opts.logEvery >= 1 else { throw a.argumentError(1, "option 'log_every' must be a positive number of iterations, got \(opts.logEvery)") }
        opts.keep = try o.integer("keep", default: 3)
        guard opts.keep >= 1 else { throw a.argumentError(1, "option 'keep' must be a positive number of checkpoints, got \(opts.keep)") }
        if let d = try o.record("augment", allowed: ["flip", "shift"]) {
            var flip = false
            if let f = d["flip"] { guard case .bool(let b) = f else { throw a.argumentError(1, "augment.flip must be true or false") }; flip = b }
            let shift = d["shift"]?.number ?? 0
            guard shift >= 0, shift < 1000, shift == shift.rounded() else {
                throw a.argumentError(1, "augment.shift must be a whole number of pixels, 0 or more, got \(shift)")
            }
            opts.augment = try Augmentation(flip: flip, shift: Int(shift))
        }
        if let d = try o.record("momentum", allowed: ["start", "end", "epochs"]) {
            guard let s = d["start"]?.number, let e = d["end"]?.number, let n = d["epochs"]?.number else {
                throw a.argumentError(1, "option 'momentum' must be {start = 0.5, ['end'] = 0.99, epochs = n}")
            }
            opts.momentumSchedule = try MomentumSchedule(start: s, end: e, steps: Int(n))
        }
    }

    /// The trainer: model (or student), optimizer, data, schedule and loss;
    /// for distillation the teacher's softened probabilities in the loss.
    static func makeTrainer(_ a: LuaArgs, _ o: LuaOptions, options opts: Trainer.Options, distilling: Bool) throws -> Trainer {
        let modelKey = distilling ? "student" : "model"
        guard let model = try object(a, o, modelKey, Kind.module, Module.self) else { throw a.argumentError(1, "option '\(modelKey)' is required") }
        if case .object(_, kind: Kind.lbfgs)? = o.value("optimizer") {
            throw a.argumentError(1, "option 'optimizer' is L-BFGS, a full-batch method that train.fit's minibatches would mislead (its line search "
                                  + "compares losses of one batch); run it yourself: opt:step(function() return loss_fn(model(X), Y) end)")
        }
        guard let optimizer = try object(a, o, "optimizer", Kind.optimizer, Optimizer.self) else {
            throw a.argumentError(1, "option 'optimizer' is required")
        }
        guard let train = try object(a, o, "train", Kind.dataset, DatasetBox.self)?.data else { throw a.argumentError(1, "option 'train' is required") }
        let (lossFunction, lossName, lossTargets): (Trainer.LossFunction, String, LossTargets?) = distilling
            ? ({ scores, labels in try scores.softmaxCrossEntropy(labels: labels) }, "distillation", .classIndices)
            : try loss(a, o)
        let trainer = try Trainer(model: model, loss: lossFunction, optimizer: optimizer,
                                  schedules: try schedules(a, o),
                                  train: train, validation: try object(a, o, "val", Kind.dataset, DatasetBox.self)?.data, options: opts)
        trainer.configExtras = ["loss": lossName]
        trainer.lossTargets = lossTargets
        trainer.test = try object(a, o, "test", Kind.dataset, DatasetBox.self)?.data
        if distilling { try distill(a, o, into: trainer, student: model) }
        return trainer
    }

    /// train.distill's loss: α·T²·KL(teacher at T ‖ student at T) + (1 − α)·CE.
    static func distill(_ a: LuaArgs, _ o: LuaOptions, into trainer: Trainer, student: Module) throws {
        guard let teacher = try object(a, o, "teacher", Kind.module, Module.self) else {
            throw a.argumentError(1, "option 'teacher' is required (a model or an nn.Ensemble)")
        }
        guard teacher !== student else { throw a.argumentError(1, "the teacher and the student must be different models") }
        let temperature = try o.number("temperature", default: 4), alpha = try o.number("alpha", default: 0.9)
        guard temperature > 0, temperature.isFinite else { throw a.argumentError(1, "temperature must be positive, got \(temperature)") }
        guard alpha >= 0, alpha <= 1 else { throw a.argumentError(1, "alpha must be in [0, 1], got \(alpha)") }
        trainer.configExtras["teacher"] = teacher.summary
        trainer.configExtras["temperature"] = Histogram.short(temperature)
        trainer.configExtras["alpha"] = Histogram.short(alpha)
        trainer.batchLoss = { x, scores, labels in
            try Distillation.loss(scores: scores, softTargets: try Distillation.softTargets(teacher, x, temperature: temperature),
                                  labels: labels, temperature: temperature, alpha: alpha)
        }
    }

    /// Trains; the history goes back to Lua and into train.last, also when
    /// Ctrl-C or a NaN loss stopped it (nothing is lost).
    static func run(_ trainer: Trainer, _ a: LuaArgs, folder: String?) throws -> [LuaValue] {
        do {
            let h = try trainer.fit()
            try a.state.keepLastHistory(h)
            return [history(h)]
        } catch let e as RuntimeError where e.kind == .interrupted || e.kind == .diverged {
            guard let h = trainer.lastHistory else { throw e }
            try a.state.keepLastHistory(h)
            // a sweep's worker is a process the user cannot reach: point at the trial's folder only
            if case .worker? = a.state.sweepRole, let folder {
                throw RuntimeError(e.kind, e.op, e.message + "; the history so far (\(h.loss.count) iterations) is in \(folder) (metrics.jsonl)")
            }
            let where_ = folder.map { " and \($0)" } ?? ""
            throw RuntimeError(e.kind, e.op, e.message + "; the history so far (\(h.loss.count) iterations) is in train.last\(where_)")
        }
    }
}
