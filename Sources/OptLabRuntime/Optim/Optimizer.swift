/// An optimizer: a rule, the parameters it updates, their per-parameter
/// state, and the learning rate that schedules change.
///
/// ```swift
/// let opt = try Optimizer(model.parameters(), rule: .nesterov(mu: 0.9), learningRate: 1e-2)
/// opt.zeroGrad(); try loss.backward(); try opt.step()
/// ```
public final class Optimizer {
    /// Parameters that share a rule, a rate and a weight decay (PyTorch's
    /// param_groups): `learningRateScale` keeps the group's rate in its ratio
    /// to the optimizer's, so a schedule moves every group's rate together.
    public struct Group {
        public let indices: [Int]
        public internal(set) var rule: any UpdateRule
        public let learningRateScale: Double
        public internal(set) var weightDecay: Double
        /// Weight decay taken from the weights (AdamW's) rather than added to the gradient.
        public let decoupled: Bool
        /// The declaration it was built from ("AdamW"), when it differs from the rule's name.
        public let declaredName: String?
    }

    /// One group as it is asked for: its parameters, rule, rate, weight decay and kind of decay.
    public struct GroupSpec {
        public let parameters: [Tensor]
        public let rule: any UpdateRule
        public let learningRate: Double
        public let weightDecay: Double
        public let decoupled: Bool
        public let declaredName: String?
        public init(_ parameters: [Tensor], rule: any UpdateRule, learningRate: Double, weightDecay: Double = 0, decoupled: Bool = false,
                    declaredName: String? = nil) {
            (self.parameters, self.rule, self.learningRate, self.weightDecay, self.decoupled) = (parameters, rule, learningRate, weightDecay, decoupled)
            self.declaredName = declaredName
        }
    }

    public let parameters: [Tensor]
    /// The first group's rule (every group's, without groups).
    public var rule: any UpdateRule { groups[0].rule }
    public internal(set) var groups: [Group]
    /// The declaration it was built from (`optim.AdamW`'s "AdamW"), when it was
    /// built from one: it names the settings config.json records.
    public var declaredName: String?
    public var learningRate: Double
    /// L2 weight decay added to the gradient (λ·x), or, when `decoupled`, taken
    /// from the weights directly (x −= lr·λ·x, AdamW). The first group's.
    public var weightDecay: Double { groups[0].weightDecay }
    public var decoupled: Bool { groups[0].decoupled }
    /// For rules with a momentum: a new mu (a momentum schedule sets it).
    public var momentum: Double?
    /// Steps taken so far (Adam's t is this after the step).
    public private(set) var steps = 0
    /// Sharpness-aware minimisation's radius, when the optimizer is one (optim.SAM).
    public var sharpness: SharpnessAware?
    /// ‖e‖ of SAM's last perturbation, and what the last clipping saw (for the probes).
    var lastPerturbationNorm = 0.0
    var lastClip: ClipRecord?
    var perturbedParameters: [Tensor] = [], perturbedFrom: [Tensor] = []
    /// True while the parameters hold the weights to evaluate rather than the
    /// ones to train at (a Schedule-Free rule's x rather than y).
    public private(set) var holdsEvaluationWeights = false
    /// Per parameter, ‖update‖ and ‖x‖ of the last step: the update/weight
    /// ratio the notes suggest watching (~1e-3) needs no extra pass.
    public internal(set) var lastUpdateNorms: [Double]
    public internal(set) var lastParameterNorms: [Double]
    /// Set while something probes every step (`train.fit{probes =}`): the
    /// elementwise rules then also sum the gradient's and the first state's
    /// squares as they update, and the probes read those instead of passes of their own.
    public var recordsProbeNorms = false
    /// Per parameter: the step they were summed at, ‖g‖ and the first state's norm.
    var lastProbeNorms: [(step: Int, gradient: Double, firstState: Double?)?]
    var state: [[Tensor]]

    public convenience init(_ parameters: [Tensor], rule: some UpdateRule, learningRate: Double, weightDecay: Double = 0,
                            decoupled: Bool = false) throws {
        try self.init(groups: [(parameters, rule, learningRate, weightDecay)], learningRate: learningRate, decoupled: decoupled)
    }

    /// Groups of parameters, each with its rule, rate and weight decay; `learningRate` is the one schedules change.
    public convenience init(groups specs: [(parameters: [Tensor], rule: any UpdateRule, learningRate: Double, weightDecay: Double)],
                            learningRate: Double, decoupled: Bool = false) throws {
        try self.init(specs.map { GroupSpec($0.parameters, rule: $0.rule, learningRate: $0.learningRate, weightDecay: $0.weightDecay, decoupled: decoupled) },
                      learningRate: learningRate)
    }

    /// Groups each with its own rule, rate, weight decay and kind of decay (`optim.Multi`: Muon
    /// for the matrices beside AdamW for the rest); `learningRate` is the one schedules change.
    public init(_ specs: [GroupSpec], learningRate: Double) throws {
        guard let first = specs.first else { throw RuntimeError(.argument, "optimizer", "needs at least one group of parameters") }
        guard learningRate > 0, learningRate.isFinite else {
            throw RuntimeError(.argument, first.rule.name, "learning rate must be positive and finite, got \(learningRate)")
        }
        var all: [Tensor] = [], groups: [Group] = []
        var seen = Set<ObjectIdentifier>()
        for g in specs {
            guard g.learningRate > 0, g.learningRate.isFinite else {
                throw RuntimeError(.argument, g.rule.name, "learning rate must be positive and finite, got \(g.learningRate)")
            }
            guard g.weightDecay >= 0 else { throw RuntimeError(.argument, g.rule.name, "weight decay must be non-negative, got \(g.weightDecay)") }
            try g.rule.validate()
            for p in g.parameters {
                guard p.dtype.isFloatingPoint else {
                    throw RuntimeError(.dtype, g.rule.name, "parameter \(p.name ?? "") is i32; only f32 and f64 parameters can be optimized")
                }
                guard seen.insert(ObjectIdentifier(p)).inserted else {
                    throw RuntimeError(.argument, g.rule.name, "parameter \(p.name ?? "#\(all.count + 1)") is in two groups")
                }
            }
            groups.append(Group(indices: Array(all.count..<(all.count + g.parameters.count)), rule: g.rule,
                                learningRateScale: g.learningRate / learningRate, weightDecay: g.weightDecay, decoupled: g.decoupled,
                                declaredName: g.declaredName))
            all += g.parameters
        }
        parameters = all
        self.groups = groups
        self.learningRate = learningRate
        var state: [[Tensor]] = Array(repeating: [], count: all.count)
        for g in groups {
            for i in g.indices {
                try g.rule.accept(all[i], name: all[i].name ?? "#\(i + 1)")
                state[i] = try g.rule.initialState(for: all[i].shape, dtype: all[i].dtype)
            }
        }
        self.state = state
        lastUpdateNorms = Array(repeating: 0, count: all.count)
        lastParameterNorms = Array(repeating: 0, count: all.count)
        lastProbeNorms = Array(repeating: nil, count: all.count)
        startedAtZero = all.map { $0.firstNonZero() == nil }
    }

    /// Which parameters were all zero when the optimizer was made (zero-initialised
    /// biases): their norm is what training gave them, so their update/weight
    /// ratio (1 at the first step) says nothing of the learning rate.
    public let startedAtZero: [Bool]

    /// Elements of one parameter below which its update stays on one thread.
    static let grain = 1 << 15

    public func zeroGrad() {
        for p in parameters { p.zeroGrad() }
        lastClip = nil
    }

    /// One update of every parameter that has a gradient and still requires
    /// one (a parameter frozen with `requiringGrad(false)` is left alone).
    public func step() throws {
        if holdsEvaluationWeights {
            throw RuntimeError(.argument, "step", "the parameters hold the weights to evaluate (Schedule-Free's average x): call opt:train_params() before the next step")
        }
        steps += 1
        for group in groups {
            let effective: any UpdateRule = momentum.flatMap { group.rule.withMomentum($0) } ?? group.rule
            let lr = learningRate * group.learningRateScale
            for i in group.indices {
                let p = parameters[i]
                guard p.requiresGrad, let grad = p.grad else { continue }
                try update(i, p, grad, effective, lr: lr, weightDecay: group.weightDecay, decoupled: group.decoupled)
            }
        }
    }

    private func update(_ i: Int, _ p: Tensor, _ grad: Tensor, _ rule: any UpdateRule, lr: Double, weightDecay: Double, decoupled: Bool) throws {
        var g = try grad.to(p.dtype)
        guard g.shape == p.shape else {
            throw RuntimeError(.shape, rule.name, "gradient of shape \(describe(g.shape)) for parameter \(p.name ?? "#\(i + 1)") of shape \(describe(p.shape))")
        }
        let own = rule.decaysWeightsItself
        if weightDecay > 0 && !decoupled && !own { g = try Tensor.withNoGrad { try g.add(p.mul(weightDecay)) } }
        if weightDecay > 0 && decoupled && !own { p.scaleInPlace(1 - lr * weightDecay) }
        if let whole = rule as? WholeTensorRule {
            let sq = try Tensor.withNoGrad { try whole.update(p, g, state[i], lr: lr, t: steps, weightDecay: weightDecay) }
            lastUpdateNorms[i] = sq.squareRoot()
            lastParameterNorms[i] = Optimizer.norm(p)
            p.bumpVersion()
            return
        }
        if let tensorRule = rule as? TensorUpdateRule {
            // a rule on tensors (a Lua one): the update's norm from the change it made
            let before = try Tensor.withNoGrad { try p.clone() }
            try Tensor.withNoGrad { try tensorRule.update(parameter: p, gradient: g, index: i, learningRate: lr, step: steps) }
            lastUpdateNorms[i] = try Tensor.withNoGrad { try p.sub(before).norm().item() }
            lastParameterNorms[i] = try Tensor.withNoGrad { try p.norm().item() }
            p.bumpVersion()
            return
        }
        // A large parameter is updated in contiguous ranges across the threads
        // (each element's update is the same whichever range it is in).
        let t = steps
        // probed: the gradient's norm (as given, before any L2 term is added) and the first state's, in the same pass
        let probing = recordsProbeNorms && g === grad
        let sums = elementwisePass(p, g, state[i], probing: probing, f32: { rule.apply($0, $1, $2, count: $3, lr: lr, t: t) },
                                   f64: { rule.apply($0, $1, $2, count: $3, lr: lr, t: t) })
        lastUpdateNorms[i] = sums.update.squareRoot()
        lastParameterNorms[i] = sums.weight.squareRoot()
        if probing {
            lastProbeNorms[i] = (steps, sums.gradient.squareRoot(), state[i].first?.count == p.count ? sums.firstState.squareRoot() : nil)
        }
        p.bumpVersion()
    }

    /// ‖x‖, its squares summed over the threads as the update is.
    static func norm(_ x: Tensor) -> Double {
        let n = x.count
        if x.dtype == .f32 {
            let p = x.ptr(Float.self)
            return Parallel.sum(n, grain: grain) { r in sumOfSquares(p + r.lowerBound, r.count) }.squareRoot()
        }
        let p = x.ptr(Double.self)
        return Parallel.sum(n, grain: grain) { r in sumOfSquares(p + r.lowerBound, r.count) }.squareRoot()
    }

    /// Whether any group's rule trains and evaluates at different weights.
    public var switchesWeights: Bool { groups.contains { $0.rule is ParameterSwitchingRule } }

    /// Moves the parameters to the weights to evaluate (Schedule-Free's x); nothing for other rules.
    public func evaluationWeights() throws {
        guard !holdsEvaluationWeights else { return }
        for g in groups { if let r = g.rule as? ParameterSwitchingRule { for i in g.indices { try r.toEvaluation(parameters[i], state[i]) } } }
        holdsEvaluationWeights = switchesWeights
    }

    /// Moves them back to the weights training steps from (Schedule-Free's y).
    public func trainingWeights() throws {
        guard holdsEvaluationWeights else { return }
        for g in groups { if let r = g.rule as? ParameterSwitchingRule { for i in g.indices { try r.toTraining(parameters[i], state[i]) } } }
        holdsEvaluationWeights = false
    }

    /// Update/weight norm ratio per parameter after the last step.
    public var updateRatios: [Double] {
        zip(lastUpdateNorms, lastParameterNorms).map { $1 > 0 ? $0 / $1 : 0 }
    }

    // MARK: saving and restoring

    /// The state as named tensors plus scalars: resuming from it continues on
    /// exactly the same trajectory.
    public func stateTensors() -> [(name: String, tensor: Tensor)] {
        var out: [(name: String, tensor: Tensor)] = []
        for g in groups {
            for i in g.indices { for (k, t) in zip(g.rule.stateNames, state[i]) { out.append(("\(i + 1).\(k)", t)) } }
        }
        for g in groups { if let r = g.rule as? TensorUpdateRule { out += r.stateTensors() } }
        return out
    }

    public var stateScalars: [String: String] {
        var d = ["steps": String(steps), "lr": String(learningRate.bitPattern), "rule": rule.name]
        if holdsEvaluationWeights { d["evaluation_weights"] = "1" }
        if let m = momentum { d["momentum"] = String(m.bitPattern) }
        // every group's hyperparameters (a schedule may have moved beta1 or weight decay)
        for (k, g) in groups.enumerated() {
            for (name, v) in g.rule.hyperparameters { d["hp.\(k + 1).\(name)"] = String(v.bitPattern) }
            d["hp.\(k + 1).weight_decay"] = String(g.weightDecay.bitPattern)
        }
        for g in groups { if let r = g.rule as? TensorUpdateRule { for (k, v) in r.stateScalars() { d[k] = v } } }
        return d
    }

    public func loadState(tensors: [(name: String, tensor: Tensor)], scalars: [String: String]) throws {
        guard scalars["rule"] == rule.name else {
            throw RuntimeError(.argument, "load_state", "state is for \(scalars["rule"] ?? "?"), this optimizer is \(rule.name)")
        }
        let byName = Dictionary(tensors.map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
        for g in groups {
            for i in g.indices {
                for (k, t) in zip(g.rule.stateNames, state[i]) {
                    guard let src = byName["\(i + 1).\(k)"] else { throw RuntimeError(.argument, "load_state", "missing state \(i + 1).\(k)") }
                    try t.copy(from: src)
                }
            }
            if let r = g.rule as? TensorUpdateRule { try r.loadState(tensors: tensors, scalars: scalars) }
        }
        steps = Int(scalars["steps"] ?? "") ?? 0
        holdsEvaluationWeights = scalars["evaluation_weights"] == "1"
        if let lr = UInt64(scalars["lr"] ?? "") { learningRate = Double(bitPattern: lr) }
        momentum = UInt64(scalars["momentum"] ?? "").map { Double(bitPattern: $0) }
        for k in groups.indices {
            let saved = (["weight_decay"] + groups[k].rule.hyperparameters.keys).compactMap { name in
                UInt64(scalars["hp.\(k + 1).\(name)"] ?? "").map { (name, Double(bitPattern: $0)) }
            }
            for (name, v) in saved where hyperparameterValues(name)[k] != v {
                var values = [Double?](repeating: nil, count: groups.count)
                values[k] = v
                try setHyperparameter(name, values)
            }
        }
    }

    public func save(to path: String) throws {
        try SafeTensors.save(stateTensors(), metadata: stateScalars, to: path)
    }

    public func load(from path: String) throws {
        let f = try SafeTensors.load(path)
        try loadState(tensors: f.tensors, scalars: f.metadata)
    }
}

extension Optimizer {
    /// What a run's config.json records of the optimizer: its declared name,
    /// the rate and weight decay, and every hyperparameter of its rule by
    /// option name (flags as booleans); each group's when there are several.
    public var settings: [String: Any] {
        let kind = declaredName.flatMap { UpdateRules.registry.named($0) }
        func typed(_ rule: any UpdateRule) -> [String: Any] {
            var s: [String: Any] = [:]
            for (k, v) in rule.hyperparameters {
                let isFlag = kind?.options.first { $0.name == k }?.kind == .flag
                s[k] = isFlag ? (v != 0) as Any : v as Any
            }
            return s
        }
        var s = typed(rule)
        s["name"] = declaredName ?? rule.name
        s["lr"] = learningRate
        s["weight_decay"] = weightDecay
        s["decoupled_weight_decay"] = decoupled
        if groups.count > 1 {
            s["groups"] = groups.map { g -> [String: Any] in
                var d = typed(g.rule)
                d["parameters"] = g.indices.count
                d["lr"] = learningRate * g.learningRateScale
                d["weight_decay"] = g.weightDecay
                d["decoupled_weight_decay"] = g.decoupled
                d["rule"] = g.declaredName ?? g.rule.name
                return d
            }
        }
        return s
    }
}
