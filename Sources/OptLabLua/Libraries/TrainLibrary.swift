import CLua
import CLuaBridge
import OptLabRuntime

/// The `train` module: the training loop and accuracy.
enum TrainLibrary {
    static let summary = "train.fit: the training loop with validation, checkpoints, history"

    static let fitOptions = ["model", "loss", "optimizer", "schedule", "train", "val", "epochs", "batch", "reg", "seed",
                             "log", "keep_best", "train_sample", "quiet", "average", "momentum", "stop_above", "resume", "budget", "clip", "overwrite", "test", "augment"]

    static let functions: [LuaFunction] = [
        LuaFunction("fit", "train.fit{model=, loss=, optimizer=, train=, val=, epochs=10, batch=256, reg=0, ...}", """
        Trains model on train with minibatches, measuring train accuracy (on a
        1,000-example sample) and val accuracy each epoch, and keeps the best
        parameters by val accuracy. loss is a loss object or function(scores,
        labels). Options: epochs (may be fractional: 0.5 is half an epoch),
        schedule (stepped each epoch, or iteration), reg (L2 strength), seed
        (batch order), average (an optim.EMA or optim.Polyak updated after every
        step), momentum = {start = 0.5, ["end"] = 0.99, epochs = 5} (annealed per
        epoch), stop_above = 3 (stop when the loss passes 3× its initial value),
        log = "runs/name" (a new folder; a previous run there is continued with
        resume = true or replaced with overwrite = true; config.json, metrics.jsonl, checkpoints
        ep005_val0.8812.safetensors, resume.safetensors after each epoch),
        resume = true (carry on from log's resume.safetensors), budget = the
        budget hp.search gives a trial (its epochs, stop_above, resume, the
        trial's folder as the default log, and a report that may stop a trial
        far behind the others), keep_best=true, test = a data set measured once at
        the end with the kept parameters (h.test_acc, and the report's header),
        train_sample=1000, quiet=false, augment = {flip = true, shift = 2} (each
        training image mirrored with probability 1/2 and moved up to 2 pixels each
        way, drawn anew every batch; images [N, C, H, W]). Stops with a message naming the step if
        the loss becomes NaN or infinite. Returns the history: h.loss (per
        iteration), h.train_acc, h.val_acc, h.lr (per epoch), h.best, h.stopped
        (why a budget stopped it), h.resumed_from (the epoch it carried on from).
          local h = train.fit{model = model, loss = nn.SoftmaxCrossEntropy(),
            optimizer = optim.SGD(model, {lr = 0.05, momentum = 0.9}), train = tr, val = val, epochs = 5}
        """) { a in try fit(a, distilling: false) },
        LuaFunction("distill", "train.distill{teacher=, student=, temperature=4, alpha=0.9, optimizer=, train=, ...}", """
        Distillation (Hinton et al. 2015): trains student on the teacher's class
        probabilities softened at temperature T (KL at T, scaled by T²) mixed with
        the true labels: alpha·T²·KL + (1 − alpha)·cross-entropy. The teacher (a
        model or an nn.Ensemble, whose members' softened probabilities are
        averaged) runs in evaluation mode without recording gradients. Every
        other option is train.fit's (epochs, val, schedule, log, average, budget,
        test, ...); loss is the distillation loss. Returns the student's history.
          local e = nn.Ensemble.top(5, "runs/search")
          local h = train.distill{teacher = e, student = small, optimizer = optim.Adam(small),
            train = tr, val = val, epochs = 20, temperature = 4, alpha = 0.9}
        """) { a in try fit(a, distilling: true) },
        LuaFunction("accuracy", "train.accuracy(model, dataset [, {flip = false}])", """
            The fraction of dataset the model classifies right (evaluation mode).
            flip = true averages each image's class probabilities with its mirror
            image's (for a model trained with augment = {flip = true}).
            """) { a in
            let o = try a.options(3, allowed: ["flip"])
            return [.number(try accuracy(try a.module(1), try a.dataset(2), flip: try o.bool("flip", default: false)))]
        },
    ]


    static let distillOptions = fitOptions.filter { $0 != "model" && $0 != "loss" } + ["teacher", "student", "temperature", "alpha"]

    /// train.fit, and train.distill (the student trained on the teacher's softened probabilities).
    static func fit(_ a: LuaArgs, distilling: Bool) throws -> [LuaValue] {
        let o = try a.options(1, allowed: distilling ? distillOptions : fitOptions)
        func object<T: AnyObject>(_ key: String, _ kind: String, _ t: T.Type) throws -> T? {
            guard let v = o.value(key), !v.isNil else { return nil }
            guard case .object(let obj, kind: kind) = v, let typed = obj as? T else {
                throw a.argumentError(1, "option '\(key)' must be a \(kind.lowercased()), got \(v.typeName)")
            }
            return typed
        }
        guard let model = try object(distilling ? "student" : "model", Kind.module, Module.self) else {
            throw a.argumentError(1, "option '\(distilling ? "student" : "model")' is required")
        }
        var teacher: Module?
        if distilling {
            guard let t = try object("teacher", Kind.module, Module.self) else { throw a.argumentError(1, "option 'teacher' is required (a model or an nn.Ensemble)") }
            guard t !== model else { throw a.argumentError(1, "the teacher and the student must be different models") }
            teacher = t
        }
        guard let optimizer = try object("optimizer", Kind.optimizer, Optimizer.self) else {
            throw a.argumentError(1, "option 'optimizer' is required")
        }
        guard let train = try object("train", Kind.dataset, DatasetBox.self)?.data else { throw a.argumentError(1, "option 'train' is required") }
        let val = try object("val", Kind.dataset, DatasetBox.self)?.data
        let test = try object("test", Kind.dataset, DatasetBox.self)?.data
        let schedule = try object("schedule", Kind.schedule, ScheduleBox.self)?.schedule
        let (lossFunction, lossName): (Trainer.LossFunction, String) = distilling
            ? ({ scores, labels in try scores.softmaxCrossEntropy(labels: labels) }, "distillation")
            : try loss(a, o)
        let temperature = try o.number("temperature", default: 4), alpha = try o.number("alpha", default: 0.9)
        if distilling {
            guard temperature > 0, temperature.isFinite else { throw a.argumentError(1, "temperature must be positive, got \(temperature)") }
            guard alpha >= 0, alpha <= 1 else { throw a.argumentError(1, "alpha must be in [0, 1], got \(alpha)") }
        }
        var opts = Trainer.Options()
        // A search's budget supplies defaults; explicit options win.
        var budget: [String: LuaValue] = [:]
        if let b = o.value("budget"), !b.isNil {
            guard case .record(let fields) = b else { throw a.argumentError(1, "option 'budget' must be the budget table hp.search passes to the trial") }
            budget = Dictionary(fields, uniquingKeysWith: { x, _ in x })
        }
        // Fractional epochs (a coarse stage's "1 epoch or even less"): the last one runs that share of its iterations.
        let epochs = try o.number("epochs", default: budget["epochs"]?.number ?? 10)
        guard epochs > 0, epochs <= 1e6 else { throw a.argumentError(1, "option 'epochs' must be a positive number, got \(epochs)") }
        opts.epochs = Int(epochs.rounded(.up))
        opts.lastEpochFraction = epochs - Double(opts.epochs - 1)
        opts.batchSize = try o.integer("batch", default: 256)
        opts.reg = try o.number("reg", default: 0)
        if o.has("clip") {
            let c = try o.number("clip", default: 0)
            guard c > 0 else { throw a.argumentError(1, "option 'clip' must be a positive gradient norm, got \(c)") }
            opts.clip = c
        }
        opts.seed = UInt64(bitPattern: Int64(try o.integer("seed", default: 0)))
        opts.keepBest = try o.bool("keep_best", default: true)
        opts.trainAccuracySample = try o.integer("train_sample", default: 1000)
        // a search trial's checkpoints and resume state go into its own folder unless it logs elsewhere
        opts.runDirectory = o.has("log") ? try o.string("log", default: "") : budget["dir"]?.string
        // a search trial's folder is hp.search's own, and a trial's script may keep files of its own there
        opts.overwrite = try o.bool("overwrite", default: !budget.isEmpty)
        // A budget's resume applies when there is a run folder to resume from; an explicit resume needs one.
        if try o.bool("resume", default: false) {
            guard opts.runDirectory != nil else { throw a.argumentError(1, "option 'resume' needs log = the run folder to resume from") }
            opts.resume = true
        } else if case .bool(true)? = budget["resume"] {
            opts.resume = opts.runDirectory != nil && !o.has("resume")
        }
        if o.has("stop_above") || budget["stop_above"]?.number != nil {
            let f = try o.number("stop_above", default: budget["stop_above"]?.number ?? 3)
            guard f > 1 else { throw a.argumentError(1, "option 'stop_above' must be a factor above 1, got \(f)") }
            opts.stopAbove = f
        }
        if let d = try o.record("augment", allowed: ["flip", "shift"]) {
            var flip = false
            if let f = d["flip"] { guard case .bool(let b) = f else { throw a.argumentError(1, "augment.flip must be true or false") }; flip = b }
            let shift = d["shift"]?.number ?? 0
            guard shift >= 0, shift < 1000, shift == shift.rounded() else { throw a.argumentError(1, "augment.shift must be a whole number of pixels, 0 or more, got \(shift)") }
            opts.augment = try Augmentation(flip: flip, shift: Int(shift))
        }
        if let d = try o.record("momentum", allowed: ["start", "end", "epochs"]) {
            guard let s = d["start"]?.number, let e = d["end"]?.number, let n = d["epochs"]?.number else {
                throw a.argumentError(1, "option 'momentum' must be {start = 0.5, ['end'] = 0.99, epochs = n}")
            }
            opts.momentumSchedule = try MomentumSchedule(start: s, end: e, steps: Int(n))
        }
        let trainer = try Trainer(model: model, loss: lossFunction, optimizer: optimizer, schedule: schedule,
                                  train: train, validation: val, options: opts)
        trainer.configExtras = ["loss": lossName]
        if let teacher {
            trainer.configExtras["teacher"] = teacher.summary
            trainer.configExtras["temperature"] = Histogram.short(temperature)
            trainer.configExtras["alpha"] = Histogram.short(alpha)
            trainer.batchLoss = { x, scores, labels in
                try Distillation.loss(scores: scores, softTargets: try Distillation.softTargets(teacher, x, temperature: temperature),
                                      labels: labels, temperature: temperature, alpha: alpha)
            }
        }
        trainer.test = test
        if let avg = try object("average", Kind.average, ParameterAverage.self) { trainer.averages = [avg] }
        let quietByBudget: Bool = { if case .bool(true)? = budget["quiet"] { return true }; return false }()
        if !(try o.bool("quiet", default: quietByBudget)) {
            trainer.progress = a.state.progressHandler ?? plainProgress
        }
        if case .function(let ref)? = budget["report"] {
            let state = a.state
            trainer.report = { r in try state.callReport(ref, r) }
        }
        do {
            let h = try trainer.fit()
            try a.state.keepLastHistory(h)
            return [history(h)]
        } catch let e as RuntimeError where e.kind == .interrupted || e.kind == .diverged {
            // nothing lost: the history so far stays in train.last (and in the run folder, if any)
            guard let h = trainer.lastHistory else { throw e }
            try a.state.keepLastHistory(h)
            let folder = opts.runDirectory.map { " and \($0)" } ?? ""
            throw RuntimeError(e.kind, e.op, e.message + "; the history so far (\(h.loss.count) iterations) is in train.last\(folder)")
        }
    }

    static func loss(_ a: LuaArgs, _ o: LuaOptions) throws -> (Trainer.LossFunction, String) {
        switch o.value("loss") {
        case .object(let obj, kind: Kind.loss)?:
            guard let box = obj as? LossBox else { break }
            return ({ scores, labels in try box.loss(scores, labels) }, box.loss.name)
        case .function(let ref)?:
            let state = a.state
            return ({ scores, labels in try state.callLoss(ref, scores, try labels.add(1)) }, "lua function")
        default: break
        }
        throw a.argumentError(1, "option 'loss' must be a loss (nn.SoftmaxCrossEntropy(), …) or a function(scores, labels)")
    }

    static func history(_ h: TrainingHistory) -> LuaValue {
        .record([
            ("loss", .array(h.loss.map { .number($0) })),
            ("train_acc", .array(h.trainAccuracy.map { .number($0) })),
            ("val_acc", .array(h.validationAccuracy.map { .number($0) })),
            ("lr", .array(h.learningRate.map { .number($0) })),
            ("best", .record([("epoch", .integer(h.bestEpoch)), ("val_acc", .number(h.bestValidationAccuracy))])),
            ("seconds", .number(h.seconds)),
            ("stopped", h.stopped.map { .string($0) } ?? .nil),
            ("resumed_from", h.resumedFrom.map { .integer($0) } ?? .nil),
            ("test_acc", h.testAccuracy.map { .number($0) } ?? .nil),
        ])
    }

    /// One plain line per epoch (what an embedding host or a pipe sees).
    static func plainProgress(_ p: TrainingProgress) {
        guard p.event == .epoch else { return }
        print(ProgressText.epochLine(p))
        fflush(nil)   // every stream: a pipe or a log file sees each epoch as it ends
    }
}

/// Progress as text, shared by the plain lines and the REPL's bar.
public enum ProgressText {
    /// The running epoch's line: "epoch 3/10 [=====>    ] loss 0.4123  val 0.8812  ETA 12 s".
    public static func barLine(_ p: TrainingProgress, width: Int) -> String {
        let done = Int(Double(width) * Double(p.iteration) / Double(Swift.max(p.iterationsPerEpoch, 1)))
        let bar = String(repeating: "=", count: done) + (done < width ? ">" : "") + String(repeating: " ", count: Swift.max(0, width - done - 1))
        var line = "epoch \(p.epoch)/\(p.epochs) [\(bar)] loss \(fmt(p.loss, 4))"
        if let v = p.validationAccuracy { line += "  val \(fmt(v, 4))" }
        return line + "  ETA \(duration(p.remaining))"
    }

    public static func epochLine(_ p: TrainingProgress) -> String {
        var s = "epoch \(p.epoch)/\(p.epochs)  loss \(fmt(p.loss, 4))"
        if let t = p.trainAccuracy { s += "  train \(fmt(t, 4))" }
        if let v = p.validationAccuracy { s += "  val \(fmt(v, 4))" }
        s += "  lr \(fmtE(p.learningRate))  \(duration(p.elapsed))"
        return s
    }

    public static func fmt(_ v: Double, _ digits: Int) -> String {
        guard v.isFinite else { return String(describing: v) }
        let scale = Foundation.pow(10.0, Double(digits))
        let r = (v * scale).rounded() / scale
        var s = String(r)
        if let dot = s.firstIndex(of: ".") {
            let decimals = s.distance(from: dot, to: s.endIndex) - 1
            if decimals < digits { s += String(repeating: "0", count: digits - decimals) }
        }
        return s
    }

    public static func fmtE(_ v: Double) -> String {
        guard v > 0, v.isFinite else { return String(v) }
        let e = Int(Foundation.floor(Foundation.log10(v)))
        return fmt(v / Foundation.pow(10.0, Double(e)), 2) + "e" + String(e)
    }

    public static func duration(_ s: Double) -> String {
        let t = Int(s.rounded())
        return t >= 60 ? "\(t / 60)m\(String(format: "%02d", t % 60))s" : String(format: "%.1fs", s)
    }
}

import Foundation

extension BindingState {
    /// train.last: the history of the latest train.fit, however it ended.
    func keepLastHistory(_ h: TrainingHistory) throws {
        guard trainModule != 0 else { return }
        try setField(trainModule, "last", TrainLibrary.history(h))
    }

    /// Calls a Lua loss function; it must return a tensor.
    func callLoss(_ ref: LuaReference, _ scores: Tensor, _ labels: Tensor) throws -> Tensor {
        guard let L else { throw LuaFaceError(.failed, "the Lua state is closed") }
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        lua_rawgeti(L, OPTLAB_REGISTRYINDEX, lua_Integer(ref.ref))
        let results = try callTop(arguments: [.tensor(scores), .tensor(labels)], results: 1)
        guard case .argument(let slot)? = results.first, let t = tensor(at: slot) else {
            throw LuaFaceError(.failed, "the loss function must return a tensor")
        }
        return t
    }

    /// Tells a Lua report function (a search budget's) of training progress;
    /// a string or true back stops training, and says why.
    func callReport(_ ref: LuaReference, _ r: TrainingReport) throws -> String? {
        guard let L else { throw LuaFaceError(.failed, "the Lua state is closed") }
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        lua_rawgeti(L, OPTLAB_REGISTRYINDEX, lua_Integer(ref.ref))
        var fields: [(String, LuaValue)] = [("at", .number(r.at)), ("epoch", .integer(r.epoch)), ("loss", .number(r.loss))]
        if let t = r.trainAccuracy { fields.append(("train_acc", .number(t))) }
        if let v = r.validationAccuracy { fields.append(("val_acc", .number(v))) }
        let results = try callTop(arguments: [.record(fields)], results: 1)
        guard case .argument(let slot)? = results.first else { return nil }
        switch try read(slot, depth: 0) {
        case .string(let why): return why
        case .bool(true): return "stopped by the budget's report"
        default: return nil
        }
    }
}
