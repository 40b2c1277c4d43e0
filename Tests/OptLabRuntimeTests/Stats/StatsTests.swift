import Foundation
import Testing
@testable import OptLabRuntime

/// The statistics behind stats.compare and stats.below_target against
/// SciPy's numbers (Tests/references/stats_scipy.py writes
/// Fixtures/stats_scipy.json) and against hand-worked cases.
@Suite struct StatsTests {
    static func cases(_ key: String) -> [[String: Any]] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/stats_scipy.json")
        let fixture = try! JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        return fixture[key] as! [[String: Any]]
    }
    static func num(_ c: [String: Any], _ k: String) -> Double { (c[k] as! NSNumber).doubleValue }
    static func nums(_ c: [String: Any], _ k: String) -> [Double] { (c[k] as! [NSNumber]).map(\.doubleValue) }

    /// |got − want| within rel of |want| (and within 1e-15 of a want of 0).
    static func close(_ got: Double, _ want: Double, _ rel: Double) -> Bool {
        abs(got - want) <= max(rel * abs(want), want == 0 ? 1e-15 : 0)
    }

    @Test func studentAndNormalEqualSciPys() {
        for c in Self.cases("t") {
            let x = Self.num(c, "x"), df = Self.num(c, "df")
            #expect(Self.close(Distributions.studentSF(x, df: df), Self.num(c, "sf"), 1e-11), "t.sf(\(x), \(df))")
            #expect(Self.close(Distributions.studentCDF(x, df: df), Self.num(c, "cdf"), 1e-11), "t.cdf(\(x), \(df))")
        }
        for c in Self.cases("t_ppf") {
            #expect(Self.close(Distributions.studentQuantile(Self.num(c, "p"), df: Self.num(c, "df")), Self.num(c, "x"), 1e-10))
        }
        for c in Self.cases("normal") {
            #expect(Self.close(Distributions.normalCDF(Self.num(c, "x")), Self.num(c, "cdf"), 1e-13))
            #expect(Self.close(Distributions.normalSF(Self.num(c, "x")), Self.num(c, "sf"), 1e-13))
        }
        for c in Self.cases("normal_ppf") {
            #expect(Self.close(Distributions.normalQuantile(Self.num(c, "p")), Self.num(c, "x"), 1e-12))
        }
    }

    @Test func welchAndPairedTestsEqualSciPys() throws {
        for (key, paired) in [("welch", false), ("paired", true)] {
            for c in Self.cases(key) {
                let r = try Comparison(Self.nums(c, "a"), Self.nums(c, "b"), paired: paired, level: Self.num(c, "level"), resamples: 1000)
                #expect(Self.close(r.t, Self.num(c, "t"), 1e-12), "\(key) t")
                #expect(Self.close(r.df, Self.num(c, "df"), 1e-12), "\(key) df")
                #expect(Self.close(r.p, Self.num(c, "p"), 1e-10), "\(key) p: \(r.p) vs \(Self.num(c, "p"))")
                let ci = Self.nums(c, "ci")
                #expect(Self.close(r.tInterval.lo, ci[0], 1e-10) && Self.close(r.tInterval.hi, ci[1], 1e-10), "\(key) ci \(r.tInterval) vs \(ci)")
            }
        }
    }

    @Test func targetTestsEqualSciPys() throws {
        for c in Self.cases("targets") {
            let sigma = c["sigma"].map { ($0 as! NSNumber).doubleValue }
            let r = try TargetTest(Self.nums(c, "values"), target: Self.num(c, "target"), sigma: sigma, below: c["below"] as! Bool)
            #expect(Self.close(r.statistic, Self.num(c, sigma == nil ? "t" : "z"), 1e-9))
            #expect(Self.close(r.p, Self.num(c, "p"), 1e-9), "p \(r.p) vs \(Self.num(c, "p"))")
            #expect(r.df == (sigma == nil ? Self.num(c, "df") : nil))
        }
    }

    /// The normal approximation to the noncentral t against the exact power.
    @Test func seedsNeededWithinOneOfTheExactPower() {
        for c in Self.cases("seeds_needed") {
            let n = Comparison.seedsNeeded(effect: Self.num(c, "effect"), alpha: Self.num(c, "alpha"), paired: c["paired"] as! Bool)
            let want = (c["n"] as! NSNumber).intValue
            #expect(n != nil && abs(n! - want) <= 1, "effect \(Self.num(c, "effect")): \(String(describing: n)) vs exact \(want)")
        }
        #expect(Comparison.seedsNeeded(effect: 0, alpha: 0.05, paired: false) == nil)
    }

    /// With 200,000 resamples the percentile interval is the exact bootstrap
    /// distribution's quantiles (all 4⁴ × 4⁴ resamples enumerated) to within
    /// a few percent of its spread.
    @Test func bootstrapApproachesTheExactBootstrapDistribution() throws {
        for c in Self.cases("bootstrap") {
            let r = try Comparison(Self.nums(c, "a"), Self.nums(c, "b"), paired: false, resamples: 200_000, seed: 7)
            let sd = Self.num(c, "sd")
            #expect(abs(r.interval.lo - Self.num(c, "lo")) < 0.05 * sd, "lo \(r.interval.lo) vs \(Self.num(c, "lo"))")
            #expect(abs(r.interval.hi - Self.num(c, "hi")) < 0.05 * sd, "hi \(r.interval.hi) vs \(Self.num(c, "hi"))")
        }
        // reproducible from its seed, and a paired bootstrap of constant differences has no width
        let a = [1.0, 2, 3, 4], b = [0.5, 1.5, 2.5, 3.5]
        let x = try Comparison(a, b, paired: false, seed: 3), y = try Comparison(a, b, paired: false, seed: 3)
        #expect(x.interval == y.interval)
        let p = try Comparison(a, b, paired: true)
        #expect(p.interval == (0.5, 0.5) && p.p == 0 && p.t == .infinity)
    }

    @Test func identicalRunsDifferByNothing() throws {
        let v = [0.9, 0.91, 0.89]
        let r = try Comparison(v, v, paired: true)
        #expect(r.difference == 0 && r.p == 1 && r.seedsNeeded == nil)
        let s = Summary([0.1, 0.1, 0.1])
        #expect(s.mean == 0.1 && s.std == 0)
    }

    @Test func badInputIsRefusedWithAReason() {
        #expect(throws: RuntimeError.self) { try Comparison([1], [1, 2], paired: false) }
        #expect(throws: RuntimeError.self) { try Comparison([1, 2, 3], [1, 2], paired: true) }
        #expect(throws: RuntimeError.self) { try Comparison([1, .nan], [1, 2], paired: false) }
        #expect(throws: RuntimeError.self) { try Comparison([1, 2], [1, 2], paired: false, level: 1) }
        #expect(throws: RuntimeError.self) { try TargetTest([1], target: 0, sigma: nil, below: true) }
        #expect(throws: RuntimeError.self) { try TargetTest([1, 2], target: 0, sigma: -1, below: true) }
    }
}
