/// An optimizer: a rule, the parameters it updates, their per-parameter
/// state, and the learning rate that schedules change.
///
/// ```swift
/// let opt = try Optimizer(model.parameters(), rule: .nesterov(mu: 0.9), learningRate: 1e-2)
/// opt.zeroGrad(); try loss.backward(); try opt.step()
/// ```
public final class Optimizer {
    public let parameters: [Tensor]
    public let rule: any UpdateRule
    public var learningRate: Double
    /// L2 weight decay added to the gradient (λ·x), or, when `decoupled`, taken
    /// from the weights directly (x −= lr·λ·x, AdamW).
    public let weightDecay: Double
    public let decoupled: Bool
    /// For rules with a momentum: a new mu (a momentum schedule sets it).
    public var momentum: Double?
    /// Steps taken so far (Adam's t is this after the step).
    public private(set) var steps = 0
    /// Per parameter, ‖update‖ and ‖x‖ of the last step: the update/weight
    /// ratio the notes suggest watching (~1e-3) needs no extra pass.
    public private(set) var lastUpdateNorms: [Double]
    public private(set) var lastParameterNorms: [Double]
    var state: [[Tensor]]

    public init(_ parameters: [Tensor], rule: some UpdateRule, learningRate: Double, weightDecay: Double = 0,
                decoupled: Bool = false) throws {
        guard learningRate > 0, learningRate.isFinite else {
            throw RuntimeError(.argument, rule.name, "learning rate must be positive and finite, got \(learningRate)")
        }
        guard weightDecay >= 0 else { throw RuntimeError(.argument, rule.name, "weight decay must be non-negative, got \(weightDecay)") }
        try rule.validate()
        for p in parameters where !p.dtype.isFloatingPoint {
            throw RuntimeError(.dtype, rule.name, "parameter \(p.name ?? "") is i32; only f32 and f64 parameters can be optimized")
        }
        self.parameters = parameters
        self.rule = rule
        self.learningRate = learningRate
        self.weightDecay = weightDecay
        self.decoupled = decoupled
        state = try parameters.map { p in try rule.stateNames.map { _ in try Tensor.zeros(like: p) } }
        lastUpdateNorms = Array(repeating: 0, count: parameters.count)
        lastParameterNorms = Array(repeating: 0, count: parameters.count)
    }

    public func zeroGrad() {
        for p in parameters { p.zeroGrad() }
    }

    /// One update of every parameter that has a gradient.
    public func step() throws {
        steps += 1
        let effective: any UpdateRule = momentum.flatMap { rule.withMomentum($0) } ?? rule
        for (i, p) in parameters.enumerated() {
            guard let grad = p.grad else { continue }
            var g = try grad.to(p.dtype)
            if weightDecay > 0 && !decoupled { g = try Tensor.withNoGrad { try g.add(p.mul(weightDecay)) } }
            if weightDecay > 0 && decoupled { p.scaleInPlace(1 - learningRate * weightDecay) }
            guard g.shape == p.shape else {
                throw RuntimeError(.shape, rule.name, "gradient of shape \(describe(g.shape)) for parameter \(p.name ?? "#\(i + 1)") of shape \(describe(p.shape))")
            }
            let sq: Double
            if p.dtype == .f32 {
                sq = effective.apply(p.ptr(Float.self), g.ptr(Float.self), state[i].map { $0.ptr(Float.self) },
                                     count: p.count, lr: learningRate, t: steps)
                lastParameterNorms[i] = Tensor.sumSquares(p.ptr(Float.self), p.count).squareRoot()
            } else {
                sq = effective.apply(p.ptr(Double.self), g.ptr(Double.self), state[i].map { $0.ptr(Double.self) },
                                     count: p.count, lr: learningRate, t: steps)
                lastParameterNorms[i] = Tensor.sumSquares(p.ptr(Double.self), p.count).squareRoot()
            }
            lastUpdateNorms[i] = sq.squareRoot()
            p.bumpVersion()
        }
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
        for (i, s) in state.enumerated() {
            for (k, t) in zip(rule.stateNames, s) { out.append(("\(i + 1).\(k)", t)) }
        }
        return out
    }

    public var stateScalars: [String: String] {
        var d = ["steps": String(steps), "lr": String(learningRate.bitPattern), "rule": rule.name]
        if let m = momentum { d["momentum"] = String(m.bitPattern) }
        return d
    }

    public func loadState(tensors: [(name: String, tensor: Tensor)], scalars: [String: String]) throws {
        guard scalars["rule"] == rule.name else {
            throw RuntimeError(.argument, "load_state", "state is for \(scalars["rule"] ?? "?"), this optimizer is \(rule.name)")
        }
        let byName = Dictionary(tensors.map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
        for (i, s) in state.enumerated() {
            for (k, t) in zip(rule.stateNames, s) {
                guard let src = byName["\(i + 1).\(k)"] else { throw RuntimeError(.argument, "load_state", "missing state \(i + 1).\(k)") }
                try t.copy(from: src)
            }
        }
        steps = Int(scalars["steps"] ?? "") ?? 0
        if let lr = UInt64(scalars["lr"] ?? "") { learningRate = Double(bitPattern: lr) }
        momentum = UInt64(scalars["momentum"] ?? "").map { Double(bitPattern: $0) }
    }

    public func save(to path: String) throws {
        try SafeTensors.save(stateTensors(), metadata: stateScalars, to: path)
    }

    public func load(from path: String) throws {
        let f = try SafeTensors.load(path)
        try loadState(tensors: f.tensors, scalars: f.metadata)
    }
}
