import CLua
import Glibc
import OptLabRuntime

/// The `optim` module: update rules, schedules, parameter averages.
enum OptimLibrary {
    static let summary = "update rules (SGD to Muon, Lion, Schedule-Free, SAM), optim.Multi, schedules, EMA"

    /// `optim.<Rule>(params, {lr=, weight_decay=, ...})`, made from the rule's
    /// declaration (`UpdateRuleKind`): its options, defaults and help.
    static func constructor(_ kind: UpdateRuleKind) -> LuaFunction {
        LuaFunction(kind.name, kind.signature, kind.help + groupsHelp, options: kind.optionNames + ["lr", "weight_decay"]) { a in
            try a.noArguments(after: 2)
            let optionNames = kind.options.flatMap { [$0.name] + $0.aliases } + ["lr", "weight_decay"]
            let o = try a.options(2, allowed: optionNames)
            guard o.has("lr") || kind.defaultLearningRate != nil else { throw a.argumentError(2, "option 'lr' (the learning rate) is required") }
            var defaults = ConstructorArguments(layer: "optim." + kind.name)
            try o.read(kind.options, into: &defaults)
            let lr = try o.number("lr", default: kind.defaultLearningRate ?? 0)
            let decay = try o.number("weight_decay", default: kind.defaultWeightDecay)
            let specs: [Optimizer.GroupSpec]
            if let groups = try parameterGroups(a, 1) {
                // each group: its own options over the optimizer's
                specs = try groups.enumerated().map { k, fields in
                    try groupSpec(a, fields, kind: kind, over: defaults, lr: lr, decay: decay, place: "group \(k + 1)")
                }
            } else {
                specs = [Optimizer.GroupSpec(try a.parameters(1), rule: try kind.make(defaults), learningRate: lr, weightDecay: decay,
                                             decoupled: kind.decouples(defaults), declaredName: kind.name)]
            }
            let opt = try Optimizer(specs, learningRate: lr)
            opt.declaredName = kind.name
            return [.object(opt, kind: Kind.optimizer)]
        }
    }

    /// One group of an optimizer from its table, {params = {...}, lr =, weight_decay =, <the rule's
    /// options>}, over `defaults` (the optimizer's options); `place` names it in messages ("group 2").
    static func groupSpec(_ a: LuaArgs, _ fields: [String: LuaValue], kind: UpdateRuleKind, over defaults: ConstructorArguments,
                          lr: Double, decay: Double, also extra: [String] = [], place: String) throws -> Optimizer.GroupSpec {
        let allowed = ["params"] + extra + kind.optionNames + ["lr", "weight_decay"]
        for key in fields.keys where !allowed.contains(key) {
            throw LuaFaceError(.failed, OptionNames.unknown(key, allowed: allowed, place: place))
        }
        var args = defaults
        let g = LuaOptions(values: fields, args: a, index: 1)
        try g.read(kind.options, into: &args)
        guard let params = fields["params"], case .array(let items) = params else {
            throw a.argumentError(1, "\(place) needs params = a table of tensors")
        }
        let tensors = try items.enumerated().map { i, v -> Tensor in
            guard let t = v.tensor else { throw a.argumentError(1, "\(place): params entry \(i + 1) is \(v.typeName), expected a tensor") }
            return t
        }
        return Optimizer.GroupSpec(tensors, rule: try kind.make(args), learningRate: try g.number("lr", default: lr),
                                   weightDecay: try g.number("weight_decay", default: decay), decoupled: kind.decouples(args),
                                   declaredName: kind.name)
    }

    static let groupsHelp = """

        Parameter groups: params may be a list of groups, each {params = {...}, lr =, weight_decay =, ...}
        overriding the options given after it; schedules move every group's rate together.
          optim.SGD({{params = model[1]:parameters(), lr = 0.1}, {params = model[3]:parameters()}}, {lr = 0.01, momentum = 0.9})
        """

    /// A list of parameter groups ({params = ..., lr = ...}, ...), or nil for a plain list or a model.
    static func parameterGroups(_ a: LuaArgs, _ i: Int) throws -> [[String: LuaValue]]? {
        guard a.type(i) == LUA_TTABLE, case .array(let items) = try a.value(i),
              case .record(let first)? = items.first, first.contains(where: { $0.0 == "params" }) else { return nil }
        return try items.enumerated().map { k, v in
            guard case .record(let f) = v else { throw a.argumentError(i, "group \(k + 1) is \(v.typeName), expected {params = ..., ...}") }
            return Dictionary(f, uniquingKeysWith: { x, _ in x })
        }
    }

    static let functions: [LuaFunction] = UpdateRules.all.map(constructor) + Schedules.all.map(constructor) + others

    static let others: [LuaFunction] = [multi, select, sam, updateBatchNorm] + composition + basics

    /// `optim.update_bn(model, data [, {batch =}])`: torch's swa_utils.update_bn.
    static let updateBatchNorm = LuaFunction("update_bn", "optim.update_bn(model, data [, {batch=256}])", """
        Recomputes every BatchNorm layer's running mean and variance for the weights the model
        holds now (an EMA or Polyak average copied in, Schedule-Free's x): the plain average over
        data's batches (a data set, in order, or a tensor of inputs) of each batch's statistics,
        as torch's swa_utils.update_bn. Modes and momenta are restored; returns the number of
        BatchNorm layers (0: none, nothing run).
          optim.update_bn(model, tr, {batch = 128})
        """) { a in
        try a.noArguments(after: 3)
        let model = try a.module(1)
        let o = try a.options(3, allowed: ["batch"])
        let size = try o.integer("batch", default: 256)
        guard size > 0 else { throw a.argumentError(3, "option 'batch' must be a positive size, got \(size)") }
        let batches: [Tensor]
        if let ds = a.state.object(at: 2, kind: Kind.dataset, as: DatasetBox.self)?.data {
            batches = try ds.batches(size: size).map(\.inputs)
        } else if let x = a.state.tensor(at: 2) {
            guard x.rank > 0, x.shape[0] > 0 else { throw a.argumentError(2, "inputs with at least one example expected, got shape \(x.shape)") }
            batches = try stride(from: 0, to: x.shape[0], by: size).map { try x.narrow(dim: 0, start: $0, length: Swift.min(size, x.shape[0] - $0)) }
        } else {
            throw a.typeError(2, expected: "data set or tensor of inputs")
        }
        return [.integer(try model.recomputeBatchNormStatistics(batches))]
    }

    /// `optim.SAM(opt, {rho =, adaptive =})`: the optimizer made sharpness-aware.
    static let sam = LuaFunction("SAM", "optim.SAM(opt, {rho=0.05, adaptive=false})", """
        Sharpness-aware minimisation (Foret et al. 2021; adaptive: ASAM, Kwon et al. 2021; as
        github.com/davda54/sam): each step takes the gradient again at w + rho·g/‖g‖ (adaptive:
        rho·w²·g/‖|w|·g‖) and opt's own rule steps from w with it. Makes opt sharpness-aware and
        returns it. train.fit runs the two passes itself; by hand, opt:step(closure).
          local opt = optim.SAM(optim.SGD(model, {lr = 0.05, momentum = 0.9}), {rho = 0.05})
        """) { a in
        try a.noArguments(after: 2)
        let opt = try a.optimizer(1)
        let o = try a.options(2, allowed: ["rho", "adaptive"])
        opt.sharpness = try SharpnessAware(rho: try o.number("rho", default: 0.05), adaptive: try o.bool("adaptive", default: false))
        return [.argument(1)]
    }

    /// `optim.Multi{{params =, opt =, lr =, ...}, ...}`: one optimizer whose groups have rules of their own.
    static let multi = LuaFunction("Multi", "optim.Multi{{params = ..., opt = optim.Muon, lr = ..., <its options>}, ...}", """
        One optimizer made of several rules, each over its own parameters: every part names its rule
        (opt = optim.Muon or "Muon") and takes that rule's options, rate and weight decay. Stepping,
        zero_grad, save/load, ratios, schedules (every part's rate moves in proportion) and train.fit
        treat it as one optimizer. optim.select picks the parameters of a part.
          local matrices, rest = optim.select(model, {ndim = 2})
          local opt = optim.Multi{{params = matrices, opt = optim.Muon, lr = 0.02},
                                  {params = rest, opt = optim.AdamW, lr = 3e-4, weight_decay = 0}}
        """) { a in
        try a.noArguments(after: 1)
        guard case .array(let items) = try a.value(1), !items.isEmpty else {
            throw a.argumentError(1, "expected a list of parts {{params = ..., opt = ..., lr = ...}, ...}")
        }
        var specs: [Optimizer.GroupSpec] = []
        for (k, item) in items.enumerated() {
            guard case .record(let pairs) = item else { throw a.argumentError(1, "part \(k + 1) is \(item.typeName), expected {params = ..., opt = ..., ...}") }
            let fields = Dictionary(pairs, uniquingKeysWith: { x, _ in x })
            guard let ruleName = fields["opt"]?.string else {
                throw a.argumentError(1, "part \(k + 1) needs opt = an update rule (optim.AdamW or \"AdamW\"), got \(fields["opt"]?.typeName ?? "nil")")
            }
            guard let kind = UpdateRules.registry.named(ruleName) else {
                throw a.argumentError(1, "part \(k + 1): no update rule '\(ruleName)' (built in: \(UpdateRules.all.map(\.name).joined(separator: ", ")))")
            }
            guard fields["lr"] != nil || kind.defaultLearningRate != nil else { throw a.argumentError(1, "part \(k + 1) (\(ruleName)) needs lr") }
            specs.append(try groupSpec(a, fields, kind: kind, over: ConstructorArguments(layer: "optim." + ruleName),
                                       lr: kind.defaultLearningRate ?? 0, decay: kind.defaultWeightDecay, also: ["opt"],
                                       place: "part \(k + 1) (\(ruleName))"))
        }
        let opt = try Optimizer(specs, learningRate: specs[0].learningRate)
        opt.declaredName = "Multi"
        return [.object(opt, kind: Kind.optimizer)]
    }

    /// `optim.select(model, {...})`: the parameters a part of an optimizer takes, and the rest.
    static let select = LuaFunction("select", "optim.select(model, {ndim=, min_ndim=, kind=, name=, not_kind=})", """
        The model's parameters that match every criterion given, then the rest (both in the
        model's order): ndim (exactly), min_ndim, kind (the owning layer's type, a name or a list:
        "Linear", {"Linear", "Conv2d"}), not_kind (owners to leave out: {"Embedding", "LayerNorm"}),
        name (a glob on the parameter's name, "*.weight"). Muon takes the 2-d weights of the hidden
        layers; embeddings, norms, biases and the output layer usually go to AdamW.
          local matrices, rest = optim.select(model, {ndim = 2, kind = "Linear"})
        """) { a in
        try a.noArguments(after: 2)
        let model = try a.module(1)
        let o = try a.options(2, allowed: ["ndim", "min_ndim", "kind", "name", "not_kind"])
        func words(_ key: String) throws -> [String]? {
            guard let v = o.value(key), !v.isNil else { return nil }
            if let s = v.string { return [s] }
            if case .array(let items) = v, let list = Optional(items.compactMap(\.string)), list.count == items.count { return list }
            throw a.argumentError(2, "option '\(key)' must be a layer type or a list of them, got \(v.typeName)")
        }
        let ndim = try o.optionalNumber("ndim").map(Int.init), minimum = try o.optionalNumber("min_ndim").map(Int.init)
        let kinds = try words("kind"), excluded = try words("not_kind")
        let pattern = o.has("name") ? try o.string("name", default: "*") : nil
        var chosen: [LuaValue] = [], rest: [LuaValue] = []
        for (name, tensor, owner) in model.parametersWithOwners() {
            var keep = true
            if let ndim, tensor.rank != ndim { keep = false }
            if let minimum, tensor.rank < minimum { keep = false }
            if let kinds, !kinds.contains(owner.typeName) { keep = false }
            if let excluded, excluded.contains(owner.typeName) { keep = false }
            if let pattern, fnmatch(pattern, name, 0) != 0 { keep = false }
            if keep { chosen.append(.tensor(tensor)) } else { rest.append(.tensor(tensor)) }
        }
        return [.array(chosen), .array(rest)]
    }

    static let basics: [LuaFunction] = [
        LuaFunction("clip_grad_norm", "optim.clip_grad_norm(params, max_norm)", """
        Scales every gradient by max_norm/(‖g‖ + 1e-6) when their global L2 norm ‖g‖ is above
        max_norm (PyTorch's clip_grad_norm_); returns ‖g‖ before clipping. train.fit{clip = 5} does it each step.
          loss:backward(); optim.clip_grad_norm(model, 5); opt:step()
        """) { a in
            try a.noArguments(after: 2)
            return [.number(try clipGradientNorm(try a.parameters(1), maxNorm: try a.number(2)))]
        },
        LuaFunction("LBFGS", "optim.LBFGS(params, {lr=1, history=100, max_iter=20, max_eval=max_iter*5//4, tolerance_grad=1e-7, tolerance_change=1e-9, line_search=\"strong_wolfe\"})", """
        L-BFGS for full-batch problems: torch.optim.LBFGS's algorithm, iteration for
        iteration. opt:step(closure) runs up to max_iter iterations and max_eval
        closure calls; closure() returns the loss (a tensor: L-BFGS calls backward on
        it unless the closure already did). line_search = "none" takes fixed steps of
        lr (PyTorch's default; optlab's is the strong-Wolfe search). step returns the
        loss before the first iteration (as PyTorch) and the loss at the last iterate.
          local opt = optim.LBFGS(model, {history = 10})
          local before, after = opt:step(function() return loss_fn(model(X), Y) end)
        """) { a in
            let o = try a.options(2, allowed: ["lr", "history", "max_iter", "max_eval", "tolerance_grad", "tolerance_change", "line_search"])
            let search = try o.string("line_search", default: "strong_wolfe")
            guard let lineSearch = LBFGS.LineSearch(rawValue: search) else {
                throw a.argumentError(2, "option 'line_search' must be \"strong_wolfe\" or \"none\", not \"\(search)\"")
            }
            let maxIterations = try o.integer("max_iter", default: 20)
            return [.object(try LBFGS(try a.parameters(1), learningRate: try o.number("lr", default: 1), history: try o.integer("history", default: 100),
                                      maxIterations: maxIterations, maxEvaluations: try o.integer("max_eval", default: maxIterations * 5 / 4),
                                      toleranceGrad: try o.number("tolerance_grad", default: 1e-7),
                                      toleranceChange: try o.number("tolerance_change", default: 1e-9), lineSearch: lineSearch), kind: Kind.lbfgs)]
        },
        LuaFunction("EMA", "optim.EMA(model, {decay=0.999})", """
        An exponential moving average of the parameters: avg:update() after each
        step, avg:model() a copy of the model with the averages for evaluation.
        """) { a in
            let o = try a.options(2, allowed: ["decay"])
            return [.object(try ParameterAverage(try a.module(1), kind: .ema(decay: try o.number("decay", default: 0.999))), kind: Kind.average)]
        },
        LuaFunction("Polyak", "optim.Polyak(model)", "The plain running mean of every iterate of the parameters (update()/model() as EMA).") { a in
            [.object(try ParameterAverage(try a.module(1), kind: .polyak), kind: Kind.average)]
        },
    ]

    /// `optim.<schedule>(opt, {options..., unit=})`, made from the schedule's
    /// declaration (`ScheduleKind`); `unit` is every schedule's ("epoch" or "iteration").
    static func constructor(_ kind: ScheduleKind) -> LuaFunction {
        LuaFunction(kind.name, kind.signature, kind.help, options: kind.optionNames + scheduleOptions) { a in
            try a.noArguments(after: 2)
            let optimizer = try a.optimizer(1)
            let o = try a.options(2, allowed: kind.optionNames + scheduleOptions)
            var args = ConstructorArguments(layer: "optim." + kind.name)
            try o.read(kind.options, into: &args)
            return [try scheduleObject(try kind.make(args), optimizer, o, a, defaultUnit: kind.traits.defaultUnit)]
        }
    }

    /// The options every schedule takes: what it steps in, and what it drives.
    static let scheduleOptions = ["unit", "hyperparameter"]

    static func scheduleObject(_ rule: some ScheduleRule, _ optimizer: Optimizer, _ o: LuaOptions, _ a: LuaArgs,
                               defaultUnit: Schedule.Unit, initialRate: Double? = nil, hyperparameter: String? = nil) throws -> LuaValue {
        let unitName = try o.string("unit", default: defaultUnit.rawValue)
        guard let unit = Schedule.Unit(rawValue: unitName) else {
            throw a.argumentError(o.index, "option 'unit' must be \"epoch\" or \"iteration\", got \"\(unitName)\"")
        }
        let driven = try hyperparameter ?? o.string("hyperparameter", default: "lr")
        return .object(ScheduleBox(try Schedule(rule, optimizer: optimizer, unit: unit, hyperparameter: driven, initialRate: initialRate)),
                       kind: Kind.schedule)
    }

    /// The schedules in the table at `i`, all on `optimizer`, stepping in one unit and driving one hyperparameter.
    static func scheduleParts(_ a: LuaArgs, _ i: Int, on optimizer: Optimizer) throws -> [Schedule] {
        guard a.type(i) == LUA_TTABLE else { throw a.typeError(i, expected: "table of schedules") }
        let n = Int(luaL_len(a.L, Int32(i)))
        guard n > 0 else { throw a.argumentError(i, "at least one schedule expected, got an empty table") }
        var parts: [Schedule] = []
        for k in 1...n {
            lua_rawgeti(a.L, Int32(i), lua_Integer(k))
            defer { lua_settop(a.L, lua_gettop(a.L) - 1) }
            guard let box = a.state.object(at: lua_gettop(a.L), kind: Kind.schedule, as: ScheduleBox.self) else {
                throw a.argumentError(i, "entry \(k) is not a schedule (make it with optim.cosine(opt, {...}) and the like)")
            }
            let s = box.schedule
            guard s.optimizer === optimizer else { throw a.argumentError(i, "entry \(k) schedules another optimizer") }
            guard try s.rule.rate(at: 0, initial: 1) != nil else {
                throw a.argumentError(i, "entry \(k) (\(s.rule.name)) follows a watched metric: it cannot be composed")
            }
            if let first = parts.first, first.unit != s.unit || first.hyperparameter != s.hyperparameter {
                throw a.argumentError(i, "entry \(k) steps per \(s.unit.rawValue) and drives \(s.hyperparameter), entry 1 per \(first.unit.rawValue) and \(first.hyperparameter): compose like with like (train.fit takes a list of schedules for different ones)")
            }
            parts.append(s)
        }
        return parts
    }

    static let composition: [LuaFunction] = [
        LuaFunction("sequence", "optim.sequence(opt, {sched1, sched2, ...}, {milestones = {...}})", """
        torch's SequentialLR: sched1 until the first milestone, then sched2 started again from
        its step 0, and so on (one milestone fewer than schedules). Every part starts from the
        rate the optimizer had when the first part was made.
          local warm = optim.linear(opt, {start = 0.01, stop = 1, total = 5, unit = "iteration"})
          local decay = optim.cosine(opt, {total = 95, unit = "iteration"})
          local sched = optim.sequence(opt, {warm, decay}, {milestones = {5}})
        """) { a in
            try a.noArguments(after: 3)
            let opt = try a.optimizer(1)
            let parts = try scheduleParts(a, 2, on: opt)
            let o = try a.options(3, allowed: ["milestones"])
            guard case .array(let items)? = o.value("milestones") ?? .array([]), items.allSatisfy({ $0.number != nil }) else {
                throw a.argumentError(3, "option 'milestones' must be a list of steps")
            }
            let milestones = items.compactMap(\.number).map { Int($0) }
            let rule = SequentialSchedule(parts.map(\.rule), milestones: milestones)
            return [try scheduleObject(rule, opt, LuaOptions(values: [:], args: a, index: 3), a, defaultUnit: parts[0].unit,
                                       initialRate: parts[0].initialRate, hyperparameter: parts[0].hyperparameter)]
        },
        LuaFunction("chain", "optim.chain(opt, {sched1, sched2, ...})", """
        torch's ChainedScheduler: every schedule at once, their factors multiplied
        (rate = lr0 · Π sched_i(t)/lr0), from the rate the optimizer had when the first was made.
          local sched = optim.chain(opt, {optim.constant(opt, {factor = 0.1, total = 2}), optim.step_decay(opt, {every = 1, factor = 0.9})})
        """) { a in
            try a.noArguments(after: 2)
            let opt = try a.optimizer(1)
            let parts = try scheduleParts(a, 2, on: opt)
            return [try scheduleObject(ChainedSchedule(parts.map(\.rule)), opt, LuaOptions(values: [:], args: a, index: 2), a,
                                       defaultUnit: parts[0].unit, initialRate: parts[0].initialRate, hyperparameter: parts[0].hyperparameter)]
        },
        LuaFunction("lambda", "optim.lambda(opt, f [, {unit=\"epoch\", hyperparameter=\"lr\"}])", """
        torch's LambdaLR: the rate at step t (from 0) is the optimizer's rate when made times
        f(t). Any hyperparameter: hyperparameter = "weight_decay" scales that instead.
          local sched = optim.lambda(opt, function(t) return 0.95 ^ t end)
        """) { a in
            try a.noArguments(after: 3)
            let opt = try a.optimizer(1)
            guard a.type(2) == LUA_TFUNCTION, case .function(let f) = try a.state.read(2, depth: 0, keepTables: true) else {
                throw a.typeError(2, expected: "function of the step")
            }
            let o = try a.options(3, allowed: scheduleOptions)
            let call = LuaCallback(f)
            let rule = LambdaSchedule { t in
                guard let v = try call([.integer(t)]).first?.number else {
                    throw RuntimeError(.argument, "optim.lambda", "the function must return a number (the factor at step \(t))")
                }
                return v
            }
            return [try scheduleObject(rule, opt, o, a, defaultUnit: .epoch)]
        },
    ]

    static let methods: [LuaFunction] = [
        LuaFunction("step", "opt:step([closure])", """
        Updates every parameter that has a gradient. An optim.SAM optimizer takes a closure that
        computes the loss again and calls backward: it runs it at the perturbed weights, then steps
        (another optimizer runs the closure once, then steps, as torch's step(closure)).
          opt:step(function() local l = loss_fn(model(x), y); l:backward(); return l end)
        """) { a in
            let opt = try a.optimizer(1)
            if a.isNoneOrNil(2) {
                guard opt.sharpness == nil else {
                    throw a.argumentError(2, "a SAM optimizer needs the loss at the perturbed weights: opt:step(function() local l = loss(model(x), y); l:backward(); return l end)")
                }
                try opt.step()
                return []
            }
            guard a.type(2) == LUA_TFUNCTION else { throw a.typeError(2, expected: "function") }
            if opt.sharpness != nil {
                try opt.sharpnessPass { _ = try a.call(2, [], results: 1) }
            } else {
                _ = try a.call(2, [], results: 1)   // torch's step(closure): the closure's gradients, then the step
            }
            try opt.step()
            return []
        },
        LuaFunction("zero_grad", "opt:zero_grad()", "Forgets every parameter's gradient.") { a in
            try a.optimizer(1).zeroGrad()
            return []
        },
        LuaFunction("lr", "opt:lr()", "The current learning rate.") { a in [.number(try a.optimizer(1).learningRate)] },
        LuaFunction("eval_params", "opt:eval_params()", """
        Moves the parameters to the weights to evaluate: a Schedule-Free rule's average x (train.fit
        does this before each evaluation). Nothing for other rules. opt:train_params() moves them back.
          opt:eval_params(); print(train.accuracy(model, val)); opt:train_params()
        """) { a in try a.optimizer(1).evaluationWeights(); return [] },
        LuaFunction("train_params", "opt:train_params()", """
        Moves the parameters back to the weights a Schedule-Free rule steps from (y), after
        opt:eval_params(); a step refuses to run before it. Nothing for other rules.
        """) { a in try a.optimizer(1).trainingWeights(); return [] },
        LuaFunction("set_lr", "opt:set_lr(v)", "Sets the learning rate.") { a in
            let v = try a.number(2)
            guard v > 0, v.isFinite else { throw a.argumentError(2, "learning rate must be positive, got \(v)") }
            try a.optimizer(1).learningRate = v
            return []
        },
        LuaFunction("probes", "opt:probes([families])", """
        The optimizer's insides after the last step: per parameter name its gradient norm (and
        before clipping), update norm and RMS, update/weight ratio, weight norm, the norm of each
        state tensor (m_norm, v_norm, velocity_norm...), the effective rate (adaptive rules: mean,
        min and max of lr/(√v̂+ε); lr/‖w‖² for scale-invariant weights) and the rule's own
        (Muon's orthogonality_residual, Schedule-Free's average_weight, Adafactor's
        relative_step); p.step has clipped, grad_norm_total and SAM's perturbation norm.
        families picks some of "grad", "update", "state", "effective_lr", "rule".
          local p = opt:probes(); print(p.parameters["1.weight"].update_rms)
        """) { a in
            let o = try a.optimizer(1)
            var families: Set<String>?
            if !a.isNoneOrNil(2) {
                guard case .array(let items) = try a.value(2) else { throw a.typeError(2, expected: "list of probe families") }
                families = Set(items.compactMap(\.string))
            }
            let p = try o.probes(families: families)
            let params = p.parameters.map { name, values in (name, LuaValue.record(values.sorted { $0.key < $1.key }.map { ($0.key, .number($0.value)) })) }
            return [.record([("parameters", .record(params)), ("step", .record(p.step.sorted { $0.key < $1.key }.map { ($0.key, .number($0.value)) }))])]
        },
        LuaFunction("hyperparameters", "opt:hyperparameters([group])", """
        The hyperparameters of a group (the first by default) by option name, with lr and
        weight_decay: what the optimizer steps with now (schedules may have moved them).
          print(opt:hyperparameters().lr)
        """) { a in
            let o = try a.optimizer(1)
            let k = a.isNoneOrNil(2) ? 1 : try a.integer(2)
            guard k >= 1, k <= o.groups.count else { throw a.argumentError(2, "group 1 to \(o.groups.count) expected, got \(k)") }
            let g = o.groups[k - 1]
            var fields = g.rule.hyperparameters.map { ($0.key, LuaValue.number($0.value)) }
            fields += [("lr", .number(o.learningRate * g.learningRateScale)), ("weight_decay", .number(g.weightDecay))]
            return [.record(fields.sorted { $0.0 < $1.0 })]
        },
        LuaFunction("set_hyperparameter", "opt:set_hyperparameter(name, value)", """
        Sets a hyperparameter (an option of the rule, lr or weight_decay) in every group that has it,
        as a schedule with hyperparameter = name would.
          opt:set_hyperparameter("weight_decay", 0)
        """) { a in
            let o = try a.optimizer(1)
            let name = try a.string(2), v = try a.number(3)
            let values = o.hyperparameterValues(name)
            guard values.contains(where: { $0 != nil }) else {
                let has = (["lr", "weight_decay"] + o.rule.hyperparameters.keys.sorted()).joined(separator: ", ")
                throw a.argumentError(2, "the optimizer has no hyperparameter '\(name)' (it has \(has))")
            }
            if name == "lr" { guard v > 0, v.isFinite else { throw a.argumentError(3, "learning rate must be positive, got \(v)") } }
            try o.setHyperparameter(name, values.map { $0 == nil ? nil : v })
            return []
        },
        LuaFunction("set_momentum", "opt:set_momentum(mu)", "Sets momentum (for a momentum schedule).") { a in
            let mu = try a.number(2)
            guard mu >= 0, mu < 1 else { throw a.argumentError(2, "momentum must be in [0, 1)") }
            try a.optimizer(1).momentum = mu
            return []
        },
        LuaFunction("ratios", "opt:ratios()", "Per parameter name, ‖update‖/‖weight‖ of the last step (the notes want ~1e-3).") { a in
            let o = try a.optimizer(1)
            return [.record(zip(o.parameters, o.updateRatios).enumerated().map { i, pr in (pr.0.name ?? "#\(i + 1)", .number(pr.1)) })]
        },
        LuaFunction("save", "opt:save(path)", "Writes the optimizer's state (so training resumes on the same trajectory).") { a in
            try a.optimizer(1).save(to: try a.string(2))
            return []
        },
        LuaFunction("load", "opt:load(path)", "Restores state written by opt:save.") { a in
            try a.optimizer(1).load(from: try a.string(2))
            return []
        },
    ]

    static let meta: [LuaFunction] = [
        LuaFunction("__tostring", "", "") { a in
            let o = try a.optimizer(1)
            if o.declaredName == "Multi" {
                let parts = o.groups.map { "\($0.declaredName ?? $0.rule.name) \($0.indices.count)" }.joined(separator: ", ")
                return [.string("optim.Multi(\(parts) parameters; lr \(o.learningRate), \(o.steps) steps)")]
            }
            let plain = "optim.\(o.rule.name)(lr \(o.learningRate), \(o.parameters.count) parameters, \(o.steps) steps)"
            if let sam = o.sharpness { return [.string("optim.SAM(\(plain), rho \(sam.rho)\(sam.adaptive ? ", adaptive" : ""))")] }
            return [.string(plain)]
        },
    ]

    static let scheduleMeta: [LuaFunction] = [
        LuaFunction("__tostring", "", "") { a in
            let s = try a.object(1, kind: Kind.schedule, as: ScheduleBox.self).schedule
            return [.string("optim.\(s.summary), \(s.t) \(s.unit.rawValue)\(s.t == 1 ? "" : "s") stepped")]
        },
    ]

    static let scheduleMethods: [LuaFunction] = [
        LuaFunction("step", "sched:step([metric])", "Advances one unit; reduce-on-plateau needs the watched metric.") { a in
            let s = try a.object(1, kind: Kind.schedule, as: ScheduleBox.self).schedule
            try s.step(metric: a.isNoneOrNil(2) ? nil : try a.number(2))
            return []
        },
        LuaFunction("lr_at", "sched:lr_at(t)", """
        The rate the schedule gives at step t (counted as the schedule counts its steps,
        from 0: the rate it set when made), without touching the optimizer: a preview.
          local lrs = {}; for t = 0, 99 do lrs[#lrs + 1] = sched:lr_at(t) end
        """) { a in
            let s = try a.object(1, kind: Kind.schedule, as: ScheduleBox.self).schedule
            let t = try a.integer(2)
            guard t >= 0 else { throw a.argumentError(2, "a step from 0 expected, got \(t)") }
            guard let r = try s.rule.rate(at: t, initial: s.initialRate) else {
                throw a.argumentError(1, "\(s.rule.name) follows the watched metric: it has no rate as a function of the step")
            }
            return [.number(r)]
        },
        LuaFunction("lr", "sched:lr()", "The optimizer's current learning rate.") { a in
            [.number(try a.object(1, kind: Kind.schedule, as: ScheduleBox.self).schedule.optimizer.learningRate)]
        },
    ]

    static let lbfgsMethods: [LuaFunction] = [
        LuaFunction("step", "opt:step(closure)", "Runs L-BFGS iterations on closure(); returns the loss before them and the loss at the last iterate (nil when line_search = \"none\" skipped its evaluation).") { a in
            let opt = try a.object(1, kind: Kind.lbfgs, as: LBFGS.self)
            guard a.type(2) == LUA_TFUNCTION else { throw a.typeError(2, expected: "function") }
            let f = try opt.step {
                let results = try a.call(2, [], results: 1)
                defer { lua_settop(a.L, Int32(a.count) - Int32(results.count)) }
                guard case .argument(let slot)? = results.first else { throw LuaFaceError(.failed, "the closure returned nothing", function: "LBFGS") }
                if let t = a.state.tensor(at: slot) {
                    if t.requiresGrad && opt.parameters.allSatisfy({ $0.grad == nil }) { try t.backward() }
                    return try t.item()
                }
                var ok: Int32 = 0
                let v = lua_tonumberx(a.L, slot, &ok)
                guard ok != 0 else { throw LuaFaceError(.failed, "the closure must return the loss (a tensor or a number)", function: "LBFGS") }
                return v
            }
            return [.number(f), opt.lastLoss.map { .number($0) } ?? .nil]
        },
        LuaFunction("zero_grad", "opt:zero_grad()", "Forgets every parameter's gradient, as the other optimizers' zero_grad.") { a in
            for p in try a.object(1, kind: Kind.lbfgs, as: LBFGS.self).parameters { p.zeroGrad() }
            return []
        },
        LuaFunction("evaluations", "opt:evaluations()", "How many times the closure has been evaluated.") { a in
            [.integer(try a.object(1, kind: Kind.lbfgs, as: LBFGS.self).evaluations)]
        },
        LuaFunction("iterations", "opt:iterations()", "How many L-BFGS iterations have run, over every step.") { a in
            [.integer(try a.object(1, kind: Kind.lbfgs, as: LBFGS.self).iterations)]
        },
    ]

    static let averageMethods: [LuaFunction] = [
        LuaFunction("update", "avg:update()", "Folds the current parameters into the average.") { a in
            try a.object(1, kind: Kind.average, as: ParameterAverage.self).update()
            return []
        },
        LuaFunction("model", "avg:model()", "A copy of the model holding the averaged parameters.") { a in
            [.module(try a.object(1, kind: Kind.average, as: ParameterAverage.self).model())]
        },
    ]
}
