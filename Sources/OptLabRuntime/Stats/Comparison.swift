import Foundation

/// Two sets of runs compared: the difference of their means (a − b), its
/// bootstrap confidence interval, and Welch's t-test, or the paired t-test
/// when the runs pair up (the same seeds on both sides).
public struct Comparison: Sendable {
    public let a: Summary
    public let b: Summary
    public let paired: Bool
    public let level: Double
    /// mean(a) − mean(b).
    public let difference: Double
    /// The percentile bootstrap interval of the difference at `level`.
    public let interval: (lo: Double, hi: Double)
    /// The t-based interval at `level` (Welch's or the paired one).
    public let tInterval: (lo: Double, hi: Double)
    public let t: Double
    public let df: Double
    /// The two-sided p-value of t.
    public let p: Double
    /// The seeds per side at which a difference of this size would be
    /// significant at 1 − level with 80% power (nil when there is no
    /// difference or no spread to judge it by).
    public let seedsNeeded: Int?
    public let resamples: Int

    /// Compares a with b. paired needs equal counts (element i of a pairs
    /// with element i of b). At least two values a side are needed.
    public init(_ a: [Double], _ b: [Double], paired: Bool, level: Double = 0.95, resamples: Int = 10_000, seed: UInt64 = 0) throws {
        let op = "stats.compare"
        guard a.count >= 2, b.count >= 2 else {
            throw RuntimeError(.argument, op, "needs at least two values a side to judge their spread, got \(a.count) and \(b.count)")
        }
        guard !(a + b).contains(where: { !$0.isFinite }) else {
            throw RuntimeError(.argument, op, "every value must be a finite number (a run that failed has no metric: leave it out and say so)")
        }
        guard level > 0, level < 1 else { throw RuntimeError(.argument, op, "level must lie in (0, 1), got \(level)") }
        guard resamples >= 100, resamples <= 10_000_000 else { throw RuntimeError(.argument, op, "resamples must lie in 100...10000000, got \(resamples)") }
        if paired && a.count != b.count {
            throw RuntimeError(.argument, op, "paired runs need as many values a side, got \(a.count) and \(b.count)")
        }
        self.a = Summary(a)
        self.b = Summary(b)
        self.paired = paired
        self.level = level
        self.resamples = resamples
        difference = self.a.mean - self.b.mean
        let alpha = 1 - level
        let se: Double
        if paired {
            let d = Summary(zip(a, b).map { $0 - $1 })
            se = d.sem
            df = Double(d.n - 1)
            seedsNeeded = Comparison.seedsNeeded(effect: abs(d.mean) / d.std, alpha: alpha, paired: true)
        } else {
            let va = self.a.variance / Double(a.count), vb = self.b.variance / Double(b.count)
            se = (va + vb).squareRoot()
            // Welch–Satterthwaite; both variances zero leaves one degree of freedom per side
            df = va + vb > 0 ? (va + vb) * (va + vb) / (va * va / Double(a.count - 1) + vb * vb / Double(b.count - 1)) : Double(a.count + b.count - 2)
            let pooled = ((self.a.variance + self.b.variance) / 2).squareRoot()
            seedsNeeded = Comparison.seedsNeeded(effect: abs(difference) / pooled, alpha: alpha, paired: false)
        }
        if se > 0 {
            t = difference / se
            p = 2 * Distributions.studentSF(abs(t), df: df)
        } else {
            // no spread on either side: identical values differ by nothing, others certainly
            t = difference == 0 ? 0 : (difference > 0 ? .infinity : -.infinity)
            p = difference == 0 ? 1 : 0
        }
        let q = Distributions.studentQuantile(1 - alpha / 2, df: df)
        tInterval = (difference - q * se, difference + q * se)
        interval = Comparison.bootstrap(a, b, paired: paired, alpha: alpha, resamples: resamples, seed: seed)
    }

    /// The percentile bootstrap of the difference of means: each resample
    /// draws every side's values with replacement (paired: the pairs'
    /// differences), and the interval is the resampled differences' alpha/2
    /// and 1 − alpha/2 quantiles (linear interpolation between order
    /// statistics, numpy's default).
    static func bootstrap(_ a: [Double], _ b: [Double], paired: Bool, alpha: Double, resamples: Int, seed: UInt64) -> (lo: Double, hi: Double) {
        let g = Generator(seed: seed)
        func resampledMean(_ v: [Double]) -> Double {
            var s = 0.0
            for _ in v.indices { s += v[g.below(v.count)] }
            return s / Double(v.count)
        }
        let diffs = zip(a, b).map { $0 - $1 }
        var stats = [Double](repeating: 0, count: resamples)
        for r in 0..<resamples {
            stats[r] = paired ? resampledMean(diffs) : resampledMean(a) - resampledMean(b)
        }
        stats.sort()
        return (quantile(stats, alpha / 2), quantile(stats, 1 - alpha / 2))
    }

    /// The q-quantile of sorted values, interpolated linearly.
    static func quantile(_ sorted: [Double], _ q: Double) -> Double {
        let h = q * Double(sorted.count - 1)
        let i = Int(h.rounded(.down))
        let frac = h - Double(i)
        return i + 1 < sorted.count ? sorted[i] + frac * (sorted[i + 1] - sorted[i]) : sorted[i]
    }

    /// The smallest n (per side) at which a two-sided t-test at alpha has 80%
    /// power against a standardised effect: power ≈ Φ(effect·√(n/k) − t₁₋α/₂,df)
    /// with k = 2 and df = 2n − 2 for two samples, k = 1 and df = n − 1 paired
    /// (the normal approximation to the noncentral t; within one seed of the
    /// exact answer over the effects a comparison of runs meets).
    public static func seedsNeeded(effect: Double, alpha: Double, paired: Bool, power: Double = 0.8) -> Int? {
        guard effect.isFinite, effect > 0 else { return nil }
        let zPower = Distributions.normalQuantile(power)
        // the normal test's n is a lower bound (t's quantile exceeds z's): start there
        let k = paired ? 1.0 : 2.0
        let lower = k * Foundation.pow((Distributions.normalQuantile(1 - alpha / 2) + zPower) / effect, 2)
        guard lower < 100_000 else { return nil }
        for n in Swift.max(2, Int(lower.rounded(.down)))...100_000 {
            let df = paired ? Double(n - 1) : Double(2 * n - 2)
            let shift = effect * (Double(n) / (paired ? 1 : 2)).squareRoot()
            if shift - Distributions.studentQuantile(1 - alpha / 2, df: df) >= zPower { return n }
        }
        return nil
    }
}

/// The speedrun's rule: is the mean of the values below (or above) a target?
/// A one-sided z-test when σ is known, else a one-sided t-test.
public struct TargetTest: Sendable {
    public let summary: Summary
    public let target: Double
    public let below: Bool
    /// z, or t when σ was estimated.
    public let statistic: Double
    /// nil for a z-test.
    public let df: Double?
    /// The one-sided p-value: small when the mean is convincingly on the target's good side.
    public let p: Double

    public init(_ values: [Double], target: Double, sigma: Double?, below: Bool) throws {
        let op = below ? "stats.below_target" : "stats.above_target"
        guard !values.contains(where: { !$0.isFinite }), target.isFinite else {
            throw RuntimeError(.argument, op, "the values and the target must be finite numbers")
        }
        if let sigma {
            guard sigma > 0, sigma.isFinite else { throw RuntimeError(.argument, op, "sigma must be a positive number, got \(sigma)") }
            guard !values.isEmpty else { throw RuntimeError(.argument, op, "needs at least one value") }
        } else {
            guard values.count >= 2 else {
                throw RuntimeError(.argument, op, "needs at least two values to estimate σ (or pass sigma =), got \(values.count)")
            }
        }
        summary = Summary(values)
        self.target = target
        self.below = below
        let sign = below ? 1.0 : -1.0   // the statistic is negative on the good side
        if let sigma {
            statistic = (summary.mean - target) / (sigma / Double(values.count).squareRoot())
            df = nil
            p = Distributions.normalCDF(sign * statistic)
        } else {
            let se = summary.sem
            statistic = se > 0 ? (summary.mean - target) / se : (summary.mean == target ? 0 : (summary.mean > target ? .infinity : -.infinity))
            df = Double(values.count - 1)
            p = se > 0 ? Distributions.studentCDF(sign * statistic, df: df!) : (sign * statistic < 0 ? 0 : (statistic == 0 ? 0.5 : 1))
        }
    }
}
