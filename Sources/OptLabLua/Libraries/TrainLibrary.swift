import Foundation
import CLua
import CLuaBridge
import OptLabCharts
import Foundation
import OptLabRuntime

/// The `train` module: the training loop and accuracy.
enum TrainLibrary {
    static let summary = "train.fit: the training loop with validation, checkpoints, history"

    static let functions: [LuaFunction] = [
        LuaFunction("fit", "train.fit{model=, loss=, optimizer=, train=, val=, epochs=10, batch=256, reg=0, ...}", """
        Trains model on train with minibatches. Each epoch it measures the model
        in evaluation mode on a 1,000-example sample of train and on val: the
        accuracy for class labels (the argmax of the scores; a single-logit model
        is right where the logit's sign matches the label) and the loss; a
        regression set (data.dataset(x, y, {targets = "values"})) has only the
        loss. With val, it keeps the parameters of the best epoch (highest val
        accuracy, or lowest val loss for regression); without val it keeps the last
        (h.kept says which). The loss must fit the targets (class labels or values).
        loss is a loss object or function(scores, labels). Options: epochs (may be
        fractional: 0.5 is half an epoch), schedule (stepped each epoch, or
        iteration; a list {s1, s2} for schedules of different hyperparameters), reg (L2 strength), seed (batch order), average (an optim.EMA or
        optim.Polyak updated after every step), momentum = {start = 0.5, ["end"] =
        0.99, epochs = 5} (annealed per epoch), stop_above = 3 (stop when the loss
        passes 3× its initial value), clip (the gradients' global norm), accumulate = k
        (k batches' gradients per optimizer step, each loss divided by k; not with optim.SAM),
        skip_nonfinite = true (a step whose loss or gradient is NaN or infinite is skipped and
        counted in h.skipped, up to 10 in a row, or the number given; then the run stops), monitor =
        {sharpness = {every = 100, batch = 256, iters = 20}} (the loss Hessian's top eigenvalue on a fixed
        batch every so many steps, beside 2/lr, the edge of stability, and under Adam the top eigenvalue of D·H,
        D = 1/(√v̂ + ε), beside (2 + 2β₁)/((1 − β₁)·lr): h.sharpness and the run page;
        noise_scale = {every = 100, small = batch, big = 8·batch, rounds = 4, decay = 0.9}: the gradient noise scale
        B_simple from moving averages of tr(Σ) and |G|², h.noise_scale and the run page), probes =
        true or a list of families ("grad", "update", "state", "effective_lr", "rule"; see
        opt:probes) logged with every step record as probe/<key>/<parameter>, log =
        "runs/name" (a new folder; a previous run there is continued with resume =
        true or replaced with overwrite = true; config.json with every setting,
        metrics.jsonl every log_every = 1 iterations, checkpoints named with their
        score, ep005_val0.8812.safetensors, of which the best keep = 3 and the last
        stay, resume.safetensors after each epoch), resume = true (carry on from
        log's resume.safetensors), budget = the budget hp.search gives a trial (its
        epochs, stop_above, resume, the trial's folder as the default log, and a
        report that may stop a trial far behind the others), keep_best=true, test =
        a data set measured once at the end with the kept parameters (h.test_acc),
        train_sample=1000, quiet=false, augment = {flip = true, shift = 2} (each
        training image mirrored with probability 1/2 and moved up to 2 pixels each
        way, drawn anew every batch; images [N, C, H, W]). The optimizer must hold
        the model's parameters (a subset is fine). Stops with a message naming the
        step and the cause if the loss becomes NaN or infinite. The model ends in
        the mode it started in. Returns the history: h.loss (per iteration),
        h.train_acc, h.val_acc, h.train_loss, h.val_loss, h.lr (per epoch), h.best
        ({epoch =, val_acc = or val_loss =}, nil without val), h.kept ("best" or
        "last"), h.stopped (why a budget stopped it), h.resumed_from, h.skipped.
          local h = train.fit{model = model, loss = nn.SoftmaxCrossEntropy(),
            optimizer = optim.SGD(model, {lr = 0.05, momentum = 0.9}), train = tr, val = val, epochs = 5}
        """, options: fitOptions) { a in try fit(a, distilling: false) },
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
        """, options: distillOptions) { a in try fit(a, distilling: true) },
        .primitive("lr_find", as: "train.lr_find") { a in
            let o = try a.options(1, allowed: ["model", "loss", "optimizer", "train", "start", "stop", "steps", "batch", "smooth",
                                               "diverge", "clip", "seed", "seeds", "file", "log"])
            guard let model = try object(a, o, "model", Kind.module, Module.self) else { throw a.argumentError(1, "option 'model' is required") }
            guard let optimizer = try object(a, o, "optimizer", Kind.optimizer, Optimizer.self) else { throw a.argumentError(1, "option 'optimizer' is required") }
            guard let data = try object(a, o, "train", Kind.dataset, DatasetBox.self)?.data else { throw a.argumentError(1, "option 'train' is required") }
            var opts = RangeTest.Options()
            opts.start = try o.number("start", default: opts.start)
            opts.stop = try o.number("stop", default: opts.stop)
            opts.steps = try o.integer("steps", default: opts.steps)
            opts.batchSize = try o.integer("batch", default: opts.batchSize)
            opts.smoothing = try o.number("smooth", default: opts.smoothing)
            opts.divergence = try o.number("diverge", default: opts.divergence)
            if o.has("clip") { opts.clip = try o.number("clip", default: 1) }
            let seed = try o.integer("seed", default: 0), count = try o.integer("seeds", default: 1)
            guard count >= 1, count <= 100 else { throw a.argumentError(1, "option 'seeds' must be 1…100, got \(count)") }
            let sweeps = try RangeTest.run(model: model, loss: try loss(a, o).0, optimizer: optimizer, train: data, options: opts,
                                           seeds: (0..<count).map { UInt64(bitPattern: Int64(seed + $0)) })
            // every seed's smoothed curve against the rate, on a log axis: the file asked for, and the notebook's picture
            let longest = sweeps.max { $0.rates.count < $1.rates.count }!
            var plot = try TerminalPlot(series: sweeps.map { s in
                ("seed \(Int64(bitPattern: s.seed))", s.smoothed + [Double](repeating: .nan, count: longest.rates.count - s.smoothed.count))
            })
            plot.xValues = longest.rates
            plot.logX = true
            plot.xLabel = "learning rate"
            let svg = try MonitorLibrary.svg(plot, title: "learning-rate range test (smoothed loss)", yLabel: "smoothed loss")
            if let file = o.value("file")?.string { try AtomicFile.write(Array(svg.utf8), to: file, op: "train.lr_find") }
            let (result, summary) = rangeTestResult(sweeps, svg: svg)
            if let dir = o.value("log")?.string {
                // for the run's page: the first seed's curve and every seed's suggestions
                let first = sweeps[0]
                func picks(_ s: RangeTest.Suggestions) -> [String: Any] {
                    ["steepest": s.steepest ?? NSNull(), "min10": s.minimumOverTen ?? NSNull(), "valley": s.valley ?? NSNull()]
                }
                try RunFolder.writeMeasurement(.rangeTest, into: dir, record: [
                    "summary": summary, "svg": svg, "lrs": RunFolder.jsonNumbers(first.rates), "losses": RunFolder.jsonNumbers(first.losses),
                    "smoothed": RunFolder.jsonNumbers(first.smoothed), "suggestions": picks(first.suggestions),
                    "seeds": sweeps.map { ["seed": Int(Int64(bitPattern: $0.seed)), "suggestions": picks($0.suggestions)] as [String: Any] },
                ], op: "train.lr_find")
            }
            return [result]
        },
        LuaFunction("accuracy", "train.accuracy(model, dataset [, {flip = false}])", """
            The fraction of dataset the model classifies right (evaluation mode).
            flip = true averages each image's class probabilities with its mirror
            image's (for a model trained with augment = {flip = true}).
            """) { a in
            let o = try a.options(3, allowed: ["flip"])
            return [.number(try accuracy(try a.module(1), try a.dataset(2), flip: try o.bool("flip", default: false)))]
        },
    ]


    /// train.lr_find's result: the first seed's curve and suggestions, every
    /// seed's suggestions, their spread, and a report with the curve drawn.
    static func rangeTestResult(_ sweeps: [RangeTest.Sweep], svg: String) -> (LuaValue, summary: String) {
        func suggestions(_ s: RangeTest.Suggestions) -> LuaValue {
            .record([("steepest", s.steepest.map { .number($0) } ?? .nil), ("min10", s.minimumOverTen.map { .number($0) } ?? .nil),
                     ("valley", s.valley.map { .number($0) } ?? .nil)])
        }
        let first = sweeps[0]
        var lines = [String(format: "learning-rate range test: %d steps from %.0e, %@", first.rates.count, first.rates.first ?? 0,
                            first.stopped ?? "to the last rate")]
        let kinds: [(String, KeyPath<RangeTest.Suggestions, Double?>)] = [("steepest", \.steepest), ("min10", \.minimumOverTen), ("valley", \.valley)]
        var spread: [(String, LuaValue)] = []
        for (name, key) in kinds {
            let values = sweeps.compactMap { $0.suggestions[keyPath: key] }
            guard let v = first.suggestions[keyPath: key] else { lines.append("  \(name): (curve too short)"); continue }
            var line = "  " + name.padding(toLength: 9, withPad: " ", startingAt: 0) + String(format: "lr = %.3g", v)
            if sweeps.count > 1, let lo = values.min(), let hi = values.max() {
                line += String(format: "   (%d seeds: %.3g … %.3g, %.3g× apart)", sweeps.count, lo, hi, hi / lo)
                spread.append((name, .array([.number(lo), .number(hi)])))
            }
            lines.append(line)
        }
        let summary = lines.joined(separator: "\n")
        if let plot = try? { () throws -> TerminalPlot in
            var p = try TerminalPlot(series: [("smoothed loss", first.smoothed)], width: 60, height: 12)
            p.xValues = first.rates
            p.logX = true
            p.xLabel = "learning rate"
            return p
        }() { lines.append(plot.description) }
        var fields: [(String, LuaValue)] = [
            ("lrs", .array(first.rates.map { .number($0) })), ("losses", .array(first.losses.map { .number($0) })),
            ("smoothed", .array(first.smoothed.map { .number($0) })), ("suggestions", suggestions(first.suggestions)),
            ("stopped", first.stopped.map { .string($0) } ?? .nil),
            ("seeds", .array(sweeps.map { .record([("seed", .integer(Int(Int64(bitPattern: $0.seed)))), ("suggestions", suggestions($0.suggestions))]) })),
            ("report", .string(lines.joined(separator: "\n"))), ("svg", .string(svg)),
        ]
        if !spread.isEmpty { fields.append(("spread", .record(spread))) }
        return (.record(fields), summary)
    }

    /// The loss function, its name, and the targets it takes (nil for a Lua function).
    static func loss(_ a: LuaArgs, _ o: LuaOptions) throws -> (Trainer.LossFunction, String, LossTargets?) {
        switch o.value("loss") {
        case .object(let obj, kind: Kind.loss)?:
            guard let box = obj as? LossBox else { break }
            return ({ scores, labels in try box.loss(scores, labels) }, box.loss.name, box.loss.targets)
        case .function(let ref)?:
            let state = a.state
            // class labels reach Lua 1-based, values as they are
            return ({ scores, targets in try state.callLoss(ref, scores, targets.dtype == .i32 ? try targets.add(1) : targets) }, "lua function", nil)
        default: break
        }
        throw a.argumentError(1, "option 'loss' must be a loss (nn.SoftmaxCrossEntropy(), …) or a function(scores, labels)")
    }

    static func history(_ h: TrainingHistory) -> LuaValue {
        .record([
            ("loss", .array(h.loss.map { .number($0) })),
            ("train_acc", .array(h.trainAccuracy.map { .number($0) })),
            ("val_acc", .array(h.validationAccuracy.map { .number($0) })),
            ("train_loss", .array(h.trainLoss.map { .number($0) })),
            ("val_loss", .array(h.validationLoss.map { .number($0) })),
            ("lr", .array(h.learningRate.map { .number($0) })),
            ("update_ratio", .array(h.updateRatio.map { .number($0) })),
            ("best", best(h)),
            ("kept", .string(h.keptBest ? "best" : "last")),
            ("seconds", .number(h.seconds)),
            ("stopped", h.stopped.map { .string($0) } ?? .nil),
            ("resumed_from", h.resumedFrom.map { .integer($0) } ?? .nil),
            ("skipped", .integer(h.skippedSteps)),
            ("test_acc", h.testAccuracy.map { .number($0) } ?? .nil),
            ("noise_scale", h.noiseScale.isEmpty ? .nil : .array(h.noiseScale.map {
                .record([("step", .integer($0.step)), ("value", .number($0.value)), ("raw", .number($0.raw)), ("batch", .integer($0.batch))]) })),
            ("sharpness", h.sharpness.isEmpty ? .nil : .array(h.sharpness.map { s in
                var fields: [(String, LuaValue)] = [("step", .integer(s.step)), ("value", .number(s.value)), ("edge", .number(s.edge))]
                if let p = h.preconditionedSharpness.first(where: { $0.step == s.step }) {
                    fields += [("preconditioned", .number(p.value)), ("preconditioned_edge", .number(p.edge))]
                }
                return .record(fields) })),
        ])
    }

    /// The best validation epoch and its score; nil without a validation set
    /// (then no epoch is "best": the last parameters are kept).
    static func best(_ h: TrainingHistory) -> LuaValue {
        guard h.bestEpoch > 0 else { return .nil }
        var fields: [(String, LuaValue)] = [("epoch", .integer(h.bestEpoch))]
        if h.bestValidationAccuracy.isFinite { fields.append(("val_acc", .number(h.bestValidationAccuracy))) }
        if let l = h.bestValidationLoss { fields.append(("val_loss", .number(l))); fields.append(("val_ppl", .number(Foundation.exp(l)))) }
        return .record(fields)
    }

    /// One plain line per epoch (what an embedding host or a pipe sees).
    static func plainProgress(_ p: TrainingProgress) {
        guard p.event == .epoch else { return }
        print(ProgressText.epochLine(p))
        fflush(nil)   // every stream: a pipe or a log file sees each epoch as it ends
    }
}

extension BindingState {
    /// train.last: the history of the latest train.fit, however it ended.
    func keepLastHistory(_ h: TrainingHistory) throws {
        guard trainModule != 0 else { return }
        try setField(trainModule, "last", TrainLibrary.history(h))
    }

    /// Calls a Lua function of no arguments that returns a number or a one-element tensor.
    func callScalar(_ ref: LuaReference, op: String) throws -> Double {
        guard let L else { throw LuaFaceError(.failed, "the Lua state is closed") }
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        lua_rawgeti(L, OPTLAB_REGISTRYINDEX, lua_Integer(ref.ref))
        let results = try callTop(arguments: [], results: 1)
        guard case .argument(let slot)? = results.first else { throw LuaFaceError(.failed, "the loss function must return a number", function: op) }
        if let t = tensor(at: slot) {
            guard t.count == 1 else { throw LuaFaceError(.failed, "the loss function must return one number, got \(t.count) elements", function: op) }
            return try t.item()
        }
        guard let v = try read(slot, depth: 0).number else { throw LuaFaceError(.failed, "the loss function must return a number", function: op) }
        return v
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
        if let l = r.validationLoss { fields.append(("val_loss", .number(l))) }
        let results = try callTop(arguments: [.record(fields)], results: 1)
        guard case .argument(let slot)? = results.first else { return nil }
        switch try read(slot, depth: 0) {
        case .string(let why): return why
        case .bool(true): return "stopped by the budget's report"
        default: return nil
        }
    }
}
