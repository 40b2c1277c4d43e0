import Foundation

/// Learning-rate annealing, acting on an optimizer's `learningRate`. Each
/// schedule is stepped once per unit (an epoch by default, or an iteration)
/// and sets lr from lr0 = the optimizer's rate when the schedule was made:
///
/// ```
/// step:    lr = lr0 · factor^⌊t / every⌋
/// exp:     lr = lr0 · e^(−k·t)
/// inv:     lr = lr0 / (1 + k·t)
/// cosine:  lr = lr0 · t/warmup during warm-up, then
///          lr_min + ½(lr0 − lr_min)(1 + cos(π·(t − warmup)/(total − warmup)))
/// plateau: lr ·= factor when the watched metric has not improved for
///          `patience` steps (then waits `cooldown` steps), never below `min`
/// ```
public final class Schedule {
    public enum Kind: Equatable, Sendable {
        case step(every: Int, factor: Double)
        case exponential(k: Double)
        case inverse(k: Double)
        case warmupCosine(warmup: Int, total: Int, minimum: Double)
        case plateau(factor: Double, patience: Int, cooldown: Int, minimum: Double, mode: PlateauMode, threshold: Double)
    }

    public enum PlateauMode: String, Sendable { case max, min }
    public enum Unit: String, Sendable { case epoch, iteration }

    public let kind: Kind
    public let unit: Unit
    public let optimizer: Optimizer
    public let initialRate: Double
    /// Steps taken (t).
    public internal(set) var t = 0
    var best: Double?
    var badSteps = 0, cooling = 0

    public init(_ kind: Kind, optimizer: Optimizer, unit: Unit = .epoch) throws {
        switch kind {
        case .step(let every, let factor):
            guard every > 0, factor > 0 else { throw RuntimeError(.argument, "step_decay", "every must be positive and factor positive") }
        case .exponential(let k), .inverse(let k):
            guard k >= 0, k.isFinite else { throw RuntimeError(.argument, "schedule", "k must be non-negative, got \(k)") }
        case .warmupCosine(let warmup, let total, let minimum):
            guard warmup >= 0, total > warmup, minimum >= 0 else {
                throw RuntimeError(.argument, "warmup_cosine", "needs 0 ≤ warmup < total and a non-negative minimum")
            }
        case .plateau(let factor, let patience, let cooldown, let minimum, _, _):
            guard factor > 0, factor < 1, patience >= 0, cooldown >= 0, minimum >= 0 else {
                throw RuntimeError(.argument, "plateau", "needs 0 < factor < 1 and non-negative patience, cooldown and min")
            }
        }
        self.kind = kind
        self.unit = unit
        self.optimizer = optimizer
        initialRate = optimizer.learningRate
        if case .warmupCosine(let warmup, _, _) = kind, warmup > 0 { optimizer.learningRate = initialRate / Double(warmup) }
    }

    /// The learning rate the closed form gives at step t (not for plateau).
    public func rate(at t: Int) -> Double {
        let lr0 = initialRate, tt = Double(t)
        switch kind {
        case .step(let every, let factor): return lr0 * Foundation.pow(factor, Double(t / every))
        case .exponential(let k): return lr0 * Foundation.exp(-k * tt)
        case .inverse(let k): return lr0 / (1 + k * tt)
        case .warmupCosine(let warmup, let total, let minimum):
            if t < warmup { return lr0 * Double(t + 1) / Double(warmup) }
            let p = Swift.min(1, Double(t - warmup) / Double(total - warmup))
            return minimum + 0.5 * (lr0 - minimum) * (1 + Foundation.cos(Double.pi * p))
        case .plateau: return optimizer.learningRate
        }
    }

    /// Advances one unit; `metric` (e.g. validation accuracy) drives plateau.
    public func step(metric: Double? = nil) throws {
        t += 1
        guard case .plateau(let factor, let patience, let cooldown, let minimum, let mode, let threshold) = kind else {
            optimizer.learningRate = rate(at: t)
            return
        }
        guard let metric, metric.isFinite else {
            throw RuntimeError(.argument, "plateau", "step needs the watched metric (a finite number)")
        }
        let improved = best.map { mode == .max ? metric > $0 + threshold : metric < $0 - threshold } ?? true
        if improved { best = metric; badSteps = 0 } else { badSteps += 1 }
        if cooling > 0 { cooling -= 1; badSteps = 0; return }
        if badSteps > patience {
            // PyTorch's ReduceLROnPlateau eps (1e-8): a change smaller than that is not made
            let next = Swift.max(minimum, optimizer.learningRate * factor)
            if optimizer.learningRate - next > 1e-8 { optimizer.learningRate = next }
            cooling = cooldown
            badSteps = 0
        }
    }
}

/// A momentum schedule: mu grows linearly from `start` to `end` over `steps`
/// (the notes' 0.5 annealed to 0.99).
public struct MomentumSchedule: Sendable {
    public let start: Double, end: Double, steps: Int
    public init(start: Double, end: Double, steps: Int) throws {
        guard start >= 0, end < 1, start <= end, steps > 0 else {
            throw RuntimeError(.argument, "momentum_schedule", "needs 0 ≤ start ≤ end < 1 and positive steps")
        }
        (self.start, self.end, self.steps) = (start, end, steps)
    }
    public func momentum(at t: Int) -> Double { start + (end - start) * Swift.min(1, Double(t) / Double(steps)) }
}
