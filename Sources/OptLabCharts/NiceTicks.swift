import OptLabRuntime
import Foundation

/// Round tick values for an axis ("nice numbers", Heckbert 1990): steps of
/// 1, 2 or 5 times a power of ten on a linear axis; on a log axis, the powers
/// of ten (and 2× and 5× them when the range spans few decades).
public enum NiceTicks {
    /// The nice number near `x`: rounded (for the step) or not below it (for the range).
    static func nice(_ x: Double, round: Bool) -> Double {
        guard x > 0, x.isFinite else { return 1 }
        let e = Foundation.floor(Foundation.log10(x)), f = x / Foundation.pow(10, e)
        let n: Double
        if round { n = f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10 } else { n = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10 }
        return n * Foundation.pow(10, e)
    }

    /// About `count` round ticks covering lo…hi, and the range they span (which contains lo…hi).
    public static func linear(_ lo: Double, _ hi: Double, count: Int = 5) -> (ticks: [Double], lo: Double, hi: Double) {
        var (a, b) = (Swift.min(lo, hi), Swift.max(lo, hi))
        if !(a.isFinite && b.isFinite) { (a, b) = (0, 1) }
        if a == b { let d = a == 0 ? 1 : Swift.abs(a) * 0.1; (a, b) = (a - d, b + d) }
        let step = nice(nice(b - a, round: false) / Double(Swift.max(count - 1, 1)), round: true)
        let first = Foundation.floor(a / step) * step, last = Foundation.ceil(b / step) * step
        var ticks: [Double] = []
        var k = 0.0
        while first + k * step <= last + step * 1e-9, ticks.count < 50 {
            let v = first + k * step
            ticks.append(Swift.abs(v) < step * 1e-9 ? 0 : v)
            k += 1
        }
        return (ticks, first, last)
    }

    /// Ticks for a log axis over lo…hi (both > 0): the decades, with 2 and 5 between when there are few.
    public static func log(_ lo: Double, _ hi: Double) -> (ticks: [Double], lo: Double, hi: Double) {
        var (a, b) = (Swift.min(lo, hi), Swift.max(lo, hi))
        if !(a > 0 && b.isFinite) { (a, b) = (1, 10) }
        var e0 = Foundation.floor(Foundation.log10(a)), e1 = Foundation.ceil(Foundation.log10(b))
        if e0 == e1 { e0 -= 1; e1 += 1 }
        // Tight ranges end at 2× or 5× a decade, not at the decade.
        let mantissas: [Double] = e1 - e0 <= 2 ? [1, 2, 5] : [1]
        var ticks: [Double] = []
        var e = e0
        while e <= e1 {
            for m in mantissas { ticks.append(m * Foundation.pow(10, e)) }
            e += 1
        }
        let below = ticks.last(where: { $0 <= a * (1 + 1e-12) }) ?? ticks[0]
        let above = ticks.first(where: { $0 >= b * (1 - 1e-12) }) ?? ticks[ticks.count - 1]
        if e1 - e0 > 8 {   // many decades: every other one
            ticks = ticks.enumerated().filter { $0.offset % 2 == 0 }.map(\.element)
        }
        return (ticks.filter { $0 >= below * (1 - 1e-12) && $0 <= above * (1 + 1e-12) }, below, above)
    }

    /// A tick's label: as few digits as the step needs ("0.25", "1e-3", "5000", "1.5M" never).
    public static func label(_ v: Double, step: Double) -> String {
        if v == 0 { return "0" }
        let a = Swift.abs(v)
        if a >= 1e5 || a < 1e-3 {
            let e = Int(Foundation.floor(Foundation.log10(a) + 1e-9))
            let m = v / Foundation.pow(10, Double(e))
            let ms = Swift.abs(m - m.rounded()) < 1e-6 ? String(Int(m.rounded())) : String(format: "%.1f", m)
            return ms == "1" ? "1e\(e)" : ms == "-1" ? "-1e\(e)" : "\(ms)e\(e)"
        }
        let decimals = Swift.max(0, Int(Foundation.ceil(-Foundation.log10(Swift.abs(step)) - 1e-9)))
        return String(format: "%.\(Swift.min(decimals, 6))f", v)
    }
}
