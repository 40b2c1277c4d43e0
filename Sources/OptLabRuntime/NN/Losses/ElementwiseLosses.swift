/// The elementwise losses of torch.nn, mean over all elements, on a
/// prediction and a target of one shape: L1, Huber, SmoothL1, BCEWithLogits
/// and KLDiv (log-probabilities against probabilities). Built from
/// differentiable ops, so their gradients are PyTorch's (the kinks of |x|
/// included: 0 at 0, as sign gives).
enum ValueLoss {
    /// A prediction and a target of one shape, or an error naming the loss.
    static func check(_ op: String, _ scores: Tensor, _ targets: Tensor) throws {
        guard targets.shape == scores.shape else {
            throw RuntimeError(.shape, op, "prediction \(describe(scores.shape)) and target \(describe(targets.shape)) differ")
        }
    }
}

/// Mean |prediction − target| (PyTorch's L1Loss).
public struct L1: LossRule {
    public init() {}
    public var summary: String { "L1" }
    public var targets: LossTargets { .values }
    public var operation: String { "L1" }
    public func loss(_ scores: Tensor, _ targets: Tensor) throws -> Tensor {
        try ValueLoss.check("L1", scores, targets)
        return try scores.sub(targets).abs().mean()
    }
    public static let kind = LossKind("L1", signature: "nn.L1()", help: "Mean absolute error over all elements: loss(prediction, target).") { _ in Loss(L1()) }
}

/// ½d² where |d| < δ, else δ(|d| − ½δ), mean over elements (PyTorch's HuberLoss).
public struct Huber: LossRule {
    public let delta: Double
    public init(delta: Double = 1) { self.delta = delta }
    public var summary: String { "Huber(delta \(delta))" }
    public var config: [String: Double] { ["delta": delta] }
    public var targets: LossTargets { .values }
    public var operation: String { "Huber" }
    public func loss(_ scores: Tensor, _ targets: Tensor) throws -> Tensor {
        try ValueLoss.check("Huber", scores, targets)
        let d = try scores.sub(targets), a = try d.abs()
        let inside = try a.compare(.lt, .scalar(delta, dtype: a.dtype)).detach()
        return try d.square().mul(0.5).where(inside, a.sub(0.5 * delta).mul(delta)).mean()
    }
    public static let kind = LossKind("Huber", signature: "nn.Huber([{delta=1}])", help: """
        ½·d² where |d| < delta, else delta·(|d| − ½·delta), d = prediction − target, mean over all elements
        (PyTorch's HuberLoss).
          local loss_fn = nn.Huber{delta = 0.5}
        """, options: [.init("delta", .number, default: 1, range: .open(0, .infinity))]) { a in
        Loss(Huber(delta: a.number("delta", default: 1)))
    }
}

/// ½d²/β where |d| < β, else |d| − ½β, mean over elements (PyTorch's SmoothL1Loss).
public struct SmoothL1: LossRule {
    public let beta: Double
    public init(beta: Double = 1) { self.beta = beta }
    public var summary: String { "SmoothL1(beta \(beta))" }
    public var config: [String: Double] { ["beta": beta] }
    public var targets: LossTargets { .values }
    public var operation: String { "SmoothL1" }
    /// Huber's with delta = beta, divided by beta (the identity PyTorch's docs state).
    public func loss(_ scores: Tensor, _ targets: Tensor) throws -> Tensor {
        try ValueLoss.check("SmoothL1", scores, targets)
        return try Huber(delta: beta).loss(scores, targets).div(beta)
    }
    public static let kind = LossKind("SmoothL1", signature: "nn.SmoothL1([{beta=1}])", help: """
        ½·d²/beta where |d| < beta, else |d| − ½·beta, d = prediction − target, mean over all elements
        (PyTorch's SmoothL1Loss).
          local loss_fn = nn.SmoothL1()
        """, options: [.init("beta", .number, default: 1, range: .open(0, .infinity))]) { a in
        Loss(SmoothL1(beta: a.number("beta", default: 1)))
    }
}

/// Binary cross-entropy on logits z against targets y in [0, 1], computed
/// stably: (1 − y)·z + (1 + (p − 1)·y)·log(1 + e^(−z)), p the positive
/// weight (PyTorch's BCEWithLogitsLoss with a scalar pos_weight).
public struct BCEWithLogits: LossRule {
    public let positiveWeight: Double
    public init(positiveWeight: Double = 1) { self.positiveWeight = positiveWeight }
    public var summary: String { positiveWeight == 1 ? "BCEWithLogits" : "BCEWithLogits(pos_weight \(positiveWeight))" }
    public var config: [String: Double] { ["pos_weight": positiveWeight] }
    public var targets: LossTargets { .values }
    public var operation: String { "BCEWithLogits" }
    public func loss(_ scores: Tensor, _ targets: Tensor) throws -> Tensor {
        try ValueLoss.check("BCEWithLogits", scores, targets)
        let y = try targets.to(scores.dtype)
        // log(1 + e^(−z)) = softplus(−z), stable for either sign
        let logTerm = try scores.neg().softplus()
        let weight = try y.mul(positiveWeight - 1).add(1)
        return try y.neg().add(1).mul(scores).add(weight.mul(logTerm)).mean()
    }
    public static let kind = LossKind("BCEWithLogits", signature: "nn.BCEWithLogits([{pos_weight=1}])", help: """
        Binary cross-entropy of logits against targets in [0, 1], mean over all elements, computed stably
        (PyTorch's BCEWithLogitsLoss); pos_weight weighs the positive targets' term.
          local loss_fn = nn.BCEWithLogits{pos_weight = 3}
        """, options: [.init("pos_weight", .number, default: 1, range: .open(0, .infinity))]) { a in
        Loss(BCEWithLogits(positiveWeight: a.number("pos_weight", default: 1)))
    }
}

/// Σ target·(log target − input) over each row, mean over the rows (PyTorch's
/// KLDivLoss with reduction "batchmean", its mathematically right one): the
/// input holds log-probabilities, the target probabilities (a 0 contributes 0).
public struct KLDiv: LossRule {
    public init() {}
    public var summary: String { "KLDiv" }
    public var targets: LossTargets { .values }
    public var operation: String { "KLDiv" }
    public func loss(_ scores: Tensor, _ targets: Tensor) throws -> Tensor {
        try ValueLoss.check("KLDiv", scores, targets)
        let t = try targets.to(scores.dtype)
        let positive = try t.compare(.gt, .scalar(0, dtype: t.dtype)).detach()
        // (0·log 0 is 0: the log is taken of 1 where the target is 0)
        let logT = try t.where(positive, .scalar(1, dtype: t.dtype)).log()
        let rows = scores.rank == 0 ? 1 : scores.shape[0]
        return try t.mul(logT.sub(scores)).sum().div(Double(rows))
    }
    public static let kind = LossKind("KLDiv", signature: "nn.KLDiv()", help: """
        Kullback–Leibler divergence of the target distribution from the input's: the input holds
        log-probabilities, the target probabilities; summed over each row, mean over rows (PyTorch's
        KLDivLoss with reduction = "batchmean").
          local loss_fn = nn.KLDiv();  local l = loss_fn(scores:log_softmax(2), scores:softmax(2):detach())
        """) { _ in Loss(KLDiv()) }
}
