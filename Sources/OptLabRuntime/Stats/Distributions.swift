import Foundation

/// The distributions the comparisons of runs need: the normal and Student's
/// t, their tails and quantiles. Tails are computed directly (not as 1 − cdf),
/// so a p-value of 1e-12 keeps its digits.
public enum Distributions {
    /// P(Z ≤ z) for a standard normal Z.
    public static func normalCDF(_ z: Double) -> Double { 0.5 * erfc(-z / 2.0.squareRoot()) }

    /// P(Z > z).
    public static func normalSF(_ z: Double) -> Double { 0.5 * erfc(z / 2.0.squareRoot()) }

    /// The z with P(Z ≤ z) = p.
    public static func normalQuantile(_ p: Double) -> Double { invert(p) { normalCDF($0) } }

    /// P(T > t) for Student's t with df degrees of freedom (df > 0, not
    /// necessarily whole: Welch's test gives fractional ones).
    public static func studentSF(_ t: Double, df: Double) -> Double {
        if t.isNaN || df.isNaN || df <= 0 { return .nan }
        if t.isInfinite { return t > 0 ? 0 : 1 }
        let x = df / (df + t * t)
        let tail = 0.5 * regularizedBeta(x, df / 2, 0.5)   // P(|T| > |t|) / 2
        return t > 0 ? tail : 1 - tail
    }

    /// P(T ≤ t).
    public static func studentCDF(_ t: Double, df: Double) -> Double { studentSF(-t, df: df) }

    /// The t with P(T ≤ t) = p.
    public static func studentQuantile(_ p: Double, df: Double) -> Double { invert(p) { studentCDF($0, df: df) } }

    /// The regularised incomplete beta function I_x(a, b), by its continued
    /// fraction (evaluated by Lentz's method) on the side of x where it
    /// converges quickly.
    public static func regularizedBeta(_ x: Double, _ a: Double, _ b: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let logFront = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x)
        if x < (a + 1) / (a + b + 2) { return exp(logFront) * betaFraction(x, a, b) / a }
        return 1 - exp(logFront) * betaFraction(1 - x, b, a) / b
    }

    private static func betaFraction(_ x: Double, _ a: Double, _ b: Double) -> Double {
        let tiny = 1e-300
        func guarded(_ v: Double) -> Double { abs(v) < tiny ? tiny : v }
        var c = 1.0
        var d = 1 / guarded(1 - (a + b) * x / (a + 1))
        var h = d
        for m in 1...10_000 {
            let m = Double(m), m2 = 2 * m
            let even = m * (b - m) * x / ((a + m2 - 1) * (a + m2))
            d = 1 / guarded(1 + even * d); c = guarded(1 + even / c); h *= d * c
            let odd = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1))
            d = 1 / guarded(1 + odd * d); c = guarded(1 + odd / c)
            let step = d * c
            h *= step
            if abs(step - 1) < 1e-16 { break }
        }
        return h
    }

    /// The x with cdf(x) = p for an increasing cdf: a bracket grown until it
    /// holds p, then bisection to the last bit (these are called a few times
    /// per comparison, never in a loop over data).
    private static func invert(_ p: Double, _ cdf: (Double) -> Double) -> Double {
        if p.isNaN || p < 0 || p > 1 { return .nan }
        if p == 0 { return -.infinity }
        if p == 1 { return .infinity }
        var lo = -1.0, hi = 1.0
        while cdf(lo) > p && lo > -1e300 { lo *= 2 }
        while cdf(hi) < p && hi < 1e300 { hi *= 2 }
        for _ in 0..<2000 {
            let mid = lo / 2 + hi / 2
            if mid == lo || mid == hi { break }
            if cdf(mid) < p { lo = mid } else { hi = mid }
        }
        return lo / 2 + hi / 2
    }
}
