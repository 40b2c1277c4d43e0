import CKernels
import Foundation

/// What the optimizer's insides show after a step (`opt:probes()`,
/// `train.fit{probes =}`): per parameter its gradient, its update, the
/// norms of its state and its effective rate, and each rule's own
/// quantities; per step whether clipping fired and SAM's perturbation.
///
/// The update's norm and the weights' are summed during the step itself;
/// everything else is read from the gradients and state the step left, when
/// asked for, so an optimizer nobody probes pays nothing.
public struct OptimizerProbes: Sendable {
    /// Per parameter (named as the model names it), its probes by key.
    public var parameters: [(name: String, values: [String: Double])] = []
    /// The step's: "clipped" (1 or 0), "grad_norm_total" before clipping, "sam_perturbation_norm".
    public var step: [String: Double] = [:]

    /// The families a caller may pick, and the keys each gives.
    public static let families: [String: String] = [
        "grad": "grad_norm (now), grad_norm_unclipped (before clipping)",
        "update": "update_norm, update_rms, update_ratio, weight_norm",
        "state": "<state>_norm for each state tensor (m, v, velocity, ...)",
        "effective_lr": "effective_lr (mean; _min, _max for adaptive rules: lr/(√v̂+ε)), effective_lr_scale_invariant (lr/‖w‖²)",
        "rule": "the rule's own: Muon's orthogonality_residual, Schedule-Free's average_weight, Adafactor's relative_step",
    ]
}

extension Optimizer {
    /// The probes of the last step, of `families` (all when nil).
    public func probes(families: Set<String>? = nil) throws -> OptimizerProbes {
        if let unknown = families?.first(where: { OptimizerProbes.families[$0] == nil }) {
            throw RuntimeError(.argument, "probes", "no probe family '\(unknown)' (there are \(OptimizerProbes.families.keys.sorted().joined(separator: ", ")))")
        }
        func wants(_ f: String) -> Bool { families?.contains(f) ?? true }
        var out = OptimizerProbes()
        for group in groups {
            let lr = learningRate * group.learningRateScale
            for i in group.indices {
                let p = parameters[i]
                var v: [String: Double] = [:]
                // (summed during this step's update when the optimizer records them)
                let fused = lastProbeNorms[i].flatMap { $0.step == steps ? $0 : nil }
                if wants("grad") {
                    if let n = fused?.gradient { v["grad_norm"] = n } else if let g = p.grad { v["grad_norm"] = Optimizer.norm(try g.to(p.dtype)) }
                    if let raw = lastClip?.norms[i] { v["grad_norm_unclipped"] = raw }
                }
                if wants("update") {
                    v["update_norm"] = lastUpdateNorms[i]
                    v["update_rms"] = lastUpdateNorms[i] / Double(Swift.max(p.count, 1)).squareRoot()
                    v["update_ratio"] = updateRatios[i]
                    v["weight_norm"] = lastParameterNorms[i]
                }
                // an adaptive rule's rate pass also sums its second moment's squares (that state's norm)
                let rates = wants("effective_lr") ? try group.rule.effectiveRate(state[i], lr: lr, t: steps) : [:]
                let stateNorms = Set(group.rule.stateNames.map { $0 + "_norm" })
                if wants("state") {
                    for (k, (name, s)) in zip(group.rule.stateNames, state[i]).enumerated() where s.count > 1 {
                        v[name + "_norm"] = rates[name + "_norm"] ?? (k == 0 ? fused?.firstState : nil) ?? Optimizer.norm(s)
                    }
                }
                if wants("effective_lr") {
                    for (k, x) in rates where !stateNorms.contains(k) { v[k] = x }
                    if p.rank >= 2, lastParameterNorms[i] > 0 { v["effective_lr_scale_invariant"] = lr / (lastParameterNorms[i] * lastParameterNorms[i]) }
                }
                if wants("rule") {
                    for (k, x) in try group.rule.probes(p, grad: p.grad, state: state[i], lr: lr, t: steps) { v[k] = x }
                }
                out.parameters.append((p.name ?? "#\(i + 1)", v))
            }
        }
        if let clip = lastClip { out.step["clipped"] = clip.clipped ? 1 : 0; out.step["grad_norm_total"] = clip.total }
        if sharpness != nil { out.step["sam_perturbation_norm"] = lastPerturbationNorm }
        return out
    }

    /// Clips the gradients' global norm to `maxNorm` and remembers, for the
    /// probes, each one's norm before and whether it fired.
    @discardableResult
    public func clipGradients(maxNorm: Double) throws -> Double {
        guard maxNorm > 0, maxNorm.isFinite else { throw RuntimeError(.argument, "clip_grad_norm", "max_norm must be positive, got \(maxNorm)") }
        var norms = [Double?](repeating: nil, count: parameters.count)
        var total = 0.0
        for (i, p) in parameters.enumerated() {
            guard let g = p.grad else { continue }
            let n = Optimizer.norm(g)
            norms[i] = n
            total += n * n
        }
        let norm = total.squareRoot(), coefficient = maxNorm / (norm + 1e-6)
        if coefficient < 1 { for p in parameters { p.grad?.scaleInPlace(coefficient) } }
        lastClip = ClipRecord(norms: norms, total: norm, clipped: coefficient < 1)
        return norm
    }
}

/// What the last clipping saw: each gradient's norm before it, their global
/// norm, and whether it scaled them.
struct ClipRecord {
    let norms: [Double?]
    let total: Double
    let clipped: Bool
}

extension UpdateRule {
    /// The rate each element effectively steps with: `lr` for a rule that
    /// does not adapt it (SGD, momentum, sign-based and orthogonalised rules).
    public func effectiveRate(_ state: [Tensor], lr: Double, t: Int) throws -> [String: Double] { ["effective_lr": lr] }
    /// The rule's own quantities (none by default).
    public func probes(_ x: Tensor, grad: Tensor?, state: [Tensor], lr: Double, t: Int) throws -> [String: Double] { [:] }
}

/// lr/(√(v/correction) + eps) over the elements of a second-moment state:
/// mean, least and largest, as effective_lr, effective_lr_min, effective_lr_max.
/// The rate falls as v grows, so its least and largest come from v's largest
/// and least; f32 runs a CKernels vector loop (a Swift loop cost a fifth of
/// an MLP step).
func adaptiveRate(_ v: Tensor, lr: Double, correction: Double, eps: Double, root: Bool = true, normKey: String? = nil) throws -> [String: Double] {
    guard v.count > 0 else { return [:] }
    func rate(_ x: Double) -> Double {
        let d = x / correction
        return lr / ((root ? d.squareRoot() : d) + eps)
    }
    var out: [String: Double]
    var squares = 0.0
    if v.dtype == .f32 {
        // a large moment is cut across the threads (a square root and a division an element:
        // on one thread, the most of what the probes add to an MLP's step), the pieces combined in order
        let n = v.count, pieces = n >= 2 * Optimizer.grain ? Parallel.threads : 1
        let p = v.ptr(Float.self), (c, e) = (Float(1 / correction), Float(eps))
        var parts = [(sum: Double, lo: Float, hi: Float, squares: Double)](repeating: (0, .infinity, -.infinity, 0), count: pieces)
        parts.withUnsafeMutableBufferPointer { slots in
            let base = slots.baseAddress!
            Parallel.forEach(pieces) { i in
                let (start, end) = (i * n / pieces, (i + 1) * n / pieces)
                var part = (sum: 0.0, lo: Float.infinity, hi: -Float.infinity, squares: 0.0)
                if end > start { optlab_rate_statistics_f32(p + start, end - start, c, e, root ? 1 : 0, &part.sum, &part.lo, &part.hi, &part.squares) }
                base[i] = part
            }
        }
        let sum = parts.reduce(0) { $0 + $1.sum }
        let (lo, hi) = (parts.map(\.lo).min()!, parts.map(\.hi).max()!)
        squares = parts.reduce(0) { $0 + $1.squares }
        out = ["effective_lr": lr * sum / Double(n), "effective_lr_min": rate(Double(hi)), "effective_lr_max": rate(Double(lo))]
    } else {
        let p = v.ptr(Double.self)
        var (sum, lo, hi) = (0.0, Double.infinity, -Double.infinity)
        for j in 0..<v.count {
            let d = p[j] / correction
            sum += 1 / ((root ? d.squareRoot() : d) + eps)
            lo = Swift.min(lo, p[j])
            hi = Swift.max(hi, p[j])
            squares += p[j] * p[j]
        }
        out = ["effective_lr": lr * sum / Double(v.count), "effective_lr_min": rate(hi), "effective_lr_max": rate(lo)]
    }
    // the state's norm from the same pass (the probes' "state" family takes it from here)
    if let normKey { out[normKey] = squares.squareRoot() }
    return out
}
