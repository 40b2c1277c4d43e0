import Foundation

/// One hyperparameter's distribution. Bounds are real values:
/// `logUniform(1e-6, 10)` is 10^uniform(−6, 1), not hyperopt's exponent bounds.
public enum Distribution: Equatable, Sendable {
    case logUniform(Double, Double)
    case uniform(Double, Double)
    case integer(Int, Int, log: Bool)
    case choice(Int)   // an index into the choices, which the host keeps

    public init(checking d: Distribution) throws {
        switch d {
        case .logUniform(let lo, let hi):
            guard lo > 0, hi > lo, hi.isFinite else { throw RuntimeError(.argument, "hp.loguniform", "needs 0 < lo < hi, got \(lo.shortDescription), \(hi.shortDescription)") }
        case .uniform(let lo, let hi):
            guard lo.isFinite, hi.isFinite, hi > lo else { throw RuntimeError(.argument, "hp.uniform", "needs lo < hi, got \(lo.shortDescription), \(hi.shortDescription)") }
        case .integer(let lo, let hi, let log):
            guard hi >= lo, !log || lo > 0 else { throw RuntimeError(.argument, "hp.int", "needs lo ≤ hi (and lo > 0 on a log scale), got \(lo), \(hi)") }
        case .choice(let n):
            guard n > 0 else { throw RuntimeError(.argument, "hp.choice", "needs at least one choice") }
        }
        self = d
    }

    public var isLog: Bool {
        switch self {
        case .logUniform: return true
        case .integer(_, _, let log): return log
        default: return false
        }
    }

    /// A value; integers and choice indices come back as whole numbers.
    public func sample(_ g: Generator) -> Double {
        let u = g.uniform()
        switch self {
        case .logUniform(let lo, let hi): return Foundation.exp(Foundation.log(lo) + u * (Foundation.log(hi) - Foundation.log(lo)))
        case .uniform(let lo, let hi): return lo + u * (hi - lo)
        case .integer(let lo, let hi, let log):
            if log {
                let v = Foundation.exp(Foundation.log(Double(lo)) + u * (Foundation.log(Double(hi) + 1) - Foundation.log(Double(lo))))
                return Double(Swift.min(hi, Swift.max(lo, Int(v))))
            }
            return Double(lo + g.below(hi - lo + 1))
        case .choice(let n): return Double(g.below(n))
        }
    }

    /// The coordinate narrowing and border checks work in (log for log scales).
    func coordinate(_ v: Double) -> Double { isLog ? Foundation.log(Swift.max(v, .leastNormalMagnitude)) : v }
    func value(_ c: Double) -> Double { isLog ? Foundation.exp(c) : c }

    var bounds: (Double, Double)? {
        switch self {
        case .logUniform(let lo, let hi), .uniform(let lo, let hi): return (lo, hi)
        case .integer(let lo, let hi, _): return (Double(lo), Double(hi))
        case .choice: return nil
        }
    }

    /// The same kind of distribution over [lo, hi].
    func with(_ lo: Double, _ hi: Double) -> Distribution {
        switch self {
        case .logUniform: return .logUniform(lo, hi)
        case .uniform: return .uniform(lo, hi)
        case .integer(_, _, let log): return .integer(Int(lo.rounded(.down)), Swift.max(Int(lo.rounded(.down)), Int(hi.rounded(.up))), log: log)
        case .choice: return self
        }
    }
}

/// A search space: named distributions, sampled reproducibly from the
/// search seed and the trial number alone.
public struct SearchSpace: Sendable {
    public var parameters: [(name: String, distribution: Distribution)]

    public init(_ parameters: [(name: String, distribution: Distribution)]) { self.parameters = parameters.sorted { $0.name < $1.name } }

    public func sample(seed: UInt64, trial: Int) -> [String: Double] {
        let g = Generator(seed: seed &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(trial) &* 0xBF58_476D_1CE4_E5B9)
        return Dictionary(uniqueKeysWithValues: parameters.map { ($0.name, $0.distribution.sample(g)) })
    }

    /// Coarse to fine: the next stage's space from this stage's trials. The
    /// best finished trials (the top quarter of all the stage's trials,
    /// failed ones counted, at least 2) are spanned with a margin on each
    /// side (in log space for log parameters), inside the old range: 25% of
    /// their span, and at least the spacing of the stage's finished trials
    /// (the old width / (finished + 1)), since n random trials cannot place
    /// the best value more finely than that: two good trials close together
    /// among a handful do not make a range a factor 1.5 wide.
    /// Failed and exploded trials count as information: beyond the best
    /// trials, the nearest one bounds the range from that side (searching
    /// where training blew up is wasted), without pulling the range away
    /// from the good region; but only for a parameter none of whose failed
    /// values lies among the best trials' (one that separates failure from
    /// success). Narrowing on few finished trials warns.
    public func narrowed(to results: [(config: [String: Double], score: Double)], failed: [[String: Double]] = [],
                         margin: Double = 0.25) -> (space: SearchSpace, warnings: [String]) {
        let ranked = results.filter { $0.score.isFinite }.sorted { $0.score > $1.score }
        let lost = failed.count + results.count - ranked.count
        let total = ranked.count + lost
        guard ranked.count >= 2 else {
            return (self, ["only \(ranked.count) of the stage's \(total) trials finished (\(lost) failed or exploded): the range is kept as it was; "
                           + "widen it away from where trials fail, or give the stage more trials"])
        }
        var warnings: [String] = []
        if ranked.count < 4 || 2 * ranked.count <= total {
            warnings.append("narrowed on only \(ranked.count) finished trials (\(lost) of the stage's \(total) failed or exploded): "
                            + "the next range rests on little; more trials in this stage would make it firmer")
        }
        let best = Array(ranked.prefix(Swift.max(2, (total + 3) / 4)))
        let space = SearchSpace(parameters.map { name, d in
            guard let (lo, hi) = d.bounds else { return (name, d) }
            let cs = best.compactMap { $0.config[name] }.map(d.coordinate)
            guard let cmin = cs.min(), let cmax = cs.max() else { return (name, d) }
            let width = d.coordinate(hi) - d.coordinate(lo)
            let reach = Swift.max(margin * (cmax - cmin), width / Double(ranked.count + 1))
            var nlo = Swift.max(d.coordinate(lo), cmin - reach), nhi = Swift.min(d.coordinate(hi), cmax + reach)
            // Failures bound this parameter only when none lies among the best trials' values: then it is
            // what separates them (a rate too high), not a bystander of a failure another parameter caused.
            let bad = failed.compactMap { $0[name] }.map(d.coordinate)
            if !bad.contains(where: { $0 >= cmin && $0 <= cmax }) {
                if let above = bad.filter({ $0 > cmax }).min() { nhi = Swift.min(nhi, above) }
                if let below = bad.filter({ $0 < cmin }).max() { nlo = Swift.max(nlo, below) }
            }
            return (name, d.with(d.value(nlo), d.value(nhi)))
        })
        return (space, warnings)
    }

    /// The same, without its warnings (optlab 0.1's form).
    public func narrowed(to results: [(config: [String: Double], score: Double)], margin: Double = 0.25) -> SearchSpace {
        narrowed(to: results, failed: [], margin: margin).space
    }

    /// The notes' warning at the end of a coarse-to-fine search: the score
    /// still rising toward an edge of the last stage's range (`self`), over
    /// its finished trials in order of the parameter (the best in the outer
    /// quarter and the scores climbing to it: a rank correlation of 0.8 or
    /// more), suggests the best lies beyond it.
    /// Parameters in `skipping` (already warned of) are passed over.
    public func trendWarnings(_ trials: [(config: [String: Double], score: Double)], skipping: Set<String> = []) -> [String] {
        parameters.compactMap { name, d in
            guard !skipping.contains(name), let (lo, hi) = d.bounds else { return nil }
            let points = trials.compactMap { t in t.config[name].map { (d.coordinate($0), t.score) } }.filter { $0.1.isFinite }.sorted { $0.0 < $1.0 }
            guard points.count >= 4, let best = points.max(by: { $0.1 < $1.1 }) else { return nil }
            let (a, b) = (d.coordinate(lo), d.coordinate(hi))
            let rho = SearchSpace.rankCorrelation(points.map(\.0), points.map(\.1))
            let range = "[\(Histogram.short(lo)), \(Histogram.short(hi))]"
            if rho >= 0.8, best.0 >= b - 0.25 * (b - a) {
                return "\(name): the score rises toward the upper edge of this stage's range \(range) (rank correlation \(String(format: "%.2f", rho))); the best may lie above it: widen the range above"
            }
            if rho <= -0.8, best.0 <= a + 0.25 * (b - a) {
                return "\(name): the score rises toward the lower edge of this stage's range \(range) (rank correlation \(String(format: "%.2f", rho))); the best may lie below it: widen the range below"
            }
            return nil
        }
    }

    /// Spearman's rank correlation (ties share their mean rank).
    static func rankCorrelation(_ x: [Double], _ y: [Double]) -> Double {
        func ranks(_ v: [Double]) -> [Double] {
            let order = v.indices.sorted { v[$0] < v[$1] }
            var r = [Double](repeating: 0, count: v.count), i = 0
            while i < order.count {
                var j = i
                while j + 1 < order.count && v[order[j + 1]] == v[order[i]] { j += 1 }
                for k in i...j { r[order[k]] = Double(i + j) / 2 + 1 }
                i = j + 1
            }
            return r
        }
        let (rx, ry) = (ranks(x), ranks(y))
        let n = Double(x.count), mx = rx.reduce(0, +) / n, my = ry.reduce(0, +) / n
        let cov = zip(rx, ry).map { ($0 - mx) * ($1 - my) }.reduce(0, +)
        let vx = rx.map { ($0 - mx) * ($0 - mx) }.reduce(0, +), vy = ry.map { ($0 - my) * ($0 - my) }.reduce(0, +)
        return vx > 0 && vy > 0 ? cov / (vx * vy).squareRoot() : 0
    }

    /// The notes' warning: a best value within 5% (of the range, in log space
    /// for log parameters) of an edge suggests the range should grow that way.
    public func borderWarnings(best config: [String: Double]) -> [String] {
        borders(best: config).map(\.message)
    }

    /// The parameters whose best value sits at an edge, each with its warning.
    public func borders(best config: [String: Double]) -> [(name: String, message: String)] {
        parameters.compactMap { name, d -> (name: String, message: String)? in
            guard let (lo, hi) = d.bounds, let v = config[name] else { return nil }
            let (a, b, c) = (d.coordinate(lo), d.coordinate(hi), d.coordinate(v))
            let near = 0.05 * (b - a)
            if c - a <= near {
                // 0 is often a hard bound (a dropout, a count): then the edge may simply be the best value
                let advice = lo == 0 && !d.isLog ? "if values below 0 make sense, widen the range below; otherwise 0 itself may be best" : "widen the range below"
                return (name, "\(name): the best value \(Histogram.short(v)) is at the lower edge of [\(Histogram.short(lo)), \(Histogram.short(hi))]; \(advice)")
            }
            if b - c <= near { return (name, "\(name): the best value \(Histogram.short(v)) is at the upper edge of [\(Histogram.short(lo)), \(Histogram.short(hi))]; widen the range above") }
            return nil
        }
    }

    /// Grid search, for comparison with random search: levels per parameter
    /// so that the grid has at most `budget` points (every choice when they
    /// fit, numeric levels grown round-robin), each numeric level at the
    /// centre of its cell (in log space for log parameters, so no level sits
    /// on an edge). Returns the levels and, for `index` < their product, the point.
    public func gridLevels(budget: Int) -> [Int] {
        var levels = parameters.map { p -> Int in if case .choice(let n) = p.distribution { return n }; return 1 }
        func product() -> Int { levels.reduce(1) { $0 &* $1 } }
        while product() > Swift.max(1, budget), let i = levels.indices.max(by: { levels[$0] < levels[$1] }), levels[i] > 1 { levels[i] -= 1 }
        let numeric = parameters.indices.filter { parameters[$0].distribution.bounds != nil }
        var grew = true
        while grew {
            grew = false
            for i in numeric where product() / levels[i] * (levels[i] + 1) <= budget {
                levels[i] += 1
                grew = true
            }
        }
        return levels
    }

    public func gridPoint(index: Int, budget: Int) -> [String: Double]? {
        let levels = gridLevels(budget: budget)
        guard index >= 0, index < levels.reduce(1, *) else { return nil }
        var rest = index
        var point: [String: Double] = [:]
        for ((name, d), k) in zip(parameters, levels).reversed() {
            let j = rest % k
            rest /= k
            switch d {
            case .choice: point[name] = Double(j)
            case .integer:
                let (lo, hi) = d.bounds!
                let c = d.coordinate(lo) + (Double(j) + 0.5) / Double(k) * (d.coordinate(hi) - d.coordinate(lo))
                point[name] = Swift.min(hi, Swift.max(lo, d.value(c).rounded()))
            default:
                let (lo, hi) = d.bounds!
                point[name] = d.value(d.coordinate(lo) + (Double(j) + 0.5) / Double(k) * (d.coordinate(hi) - d.coordinate(lo)))
            }
        }
        return point
    }
}
