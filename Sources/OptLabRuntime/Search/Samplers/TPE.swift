import Foundation

/// The Tree-structured Parzen Estimator (Bergstra et al., 2011) as Optuna
/// 5's TPESampler does it by default: the finished trials split at
/// γ(n) = min(⌈0.1·n⌉, 25) best; on each side a Parzen estimator whose
/// kernels are the observations (and a prior), each kernel a product over
/// the parameters, every parameter in its own space (log for log scales,
/// categorical for choices, a grid of whole numbers for integers), with
/// the bandwidths of Optuna's univariate rule (the "magic clip", endpoints
/// not considered); 24 candidates drawn from the good side's density, and
/// the one with the highest l(x)/g(x) taken.
public enum TPE {
    public static let startupTrials = 10, candidates = 24
    public static let priorWeight = 1.0

    /// How many of n finished trials count as good.
    public static func gamma(_ n: Int) -> Int { Swift.min(Int((0.1 * Double(n)).rounded(.up)), 25) }

    /// Optuna's default_weights: the oldest of more than 25 observations ramp down.
    public static func weights(_ n: Int) -> [Double] {
        guard n >= 25 else { return Array(repeating: 1, count: n) }
        // numpy's linspace(1/n, 1, n − 25)
        let count = n - 25, first = 1.0 / Double(n)
        var ramp: [Double] = []
        for j in 0..<count { ramp.append(count == 1 ? first : first + (1 - first) * Double(j) / Double(count - 1)) }
        return ramp + Array(repeating: 1, count: 25)
    }

    /// A mixture of truncated normals, one kernel per observation and one
    /// for the prior, in the parameter's own coordinate (log for log scales);
    /// on a grid (integers) each value has the mass of its cell. Or, for a
    /// choice, a mixture of categoricals. Values go in and out in the
    /// parameter's units. (One parameter of Optuna 5's `_ParzenEstimator`; `sample` multiplies them.)
    public struct Parzen {
        public var mus: [Double] = [], sigmas: [Double] = [], weights: [Double] = []
        /// The kernels' range in the coordinate (a grid's outer cell edges included).
        public var a = 0.0, b = 1.0
        public var log = false
        /// Integers: low, high and the step of the grid, in the parameter's units.
        public var grid: (low: Double, high: Double, step: Double)?
        /// For a choice: each kernel's probabilities over the choices.
        public var categorical: [[Double]]?

        func t(_ x: Double) -> Double { log ? Foundation.log(x) : x }

        static func mixtureWeights(_ w: [Double]) -> [Double] {
            guard !w.isEmpty else { return [1] }
            let all = w + [TPE.priorWeight], total = all.reduce(0, +)
            return all.map { $0 / total }
        }

        public init(observations: [Double], weights w: [Double], low: Double, high: Double, log: Bool, step: Double?) {
            self.log = log
            if let step { grid = (low, high, step) }
            let s = step ?? 0
            (a, b) = (log ? Foundation.log(low - s / 2) : low - s / 2, log ? Foundation.log(high + s / 2) : high + s / 2)
            let obs = observations.map { log ? Foundation.log($0) : $0 }
            // each kernel's bandwidth: the larger gap to its neighbours (the range's ends count as neighbours)
            let order = obs.indices.sorted { obs[$0] < obs[$1] }
            let ends = [a] + order.map { obs[$0] } + [b]
            var sortedSigmas: [Double] = []
            for i in 1..<(ends.count - 1) {
                let left: Double = ends[i] - ends[i - 1], right: Double = ends[i + 1] - ends[i]
                sortedSigmas.append(Swift.max(left, right))
            }
            if ends.count >= 4 {   // endpoints not considered: the outer kernels take their inner gap
                sortedSigmas[0] = ends[2] - ends[1]
                sortedSigmas[sortedSigmas.count - 1] = ends[ends.count - 2] - ends[ends.count - 3]
            }
            var sig = [Double](repeating: 0, count: obs.count)
            for (k, i) in order.enumerated() { sig[i] = sortedSigmas[k] }
            let maxSigma = b - a, minSigma = (b - a) / Swift.min(100, 1 + Double(obs.count + 1))   // the magic clip
            sigmas = sig.map { Swift.min(Swift.max($0, minSigma), maxSigma) } + [maxSigma]
            mus = obs + [0.5 * (a + b)]
            weights = Parzen.mixtureWeights(w)
            if observations.isEmpty { (mus, sigmas) = ([0.5 * (a + b)], [maxSigma]) }
        }

        public init(choices: Int, observations: [Int], weights w: [Double]) {
            weights = Parzen.mixtureWeights(w)
            guard !observations.isEmpty else {
                categorical = [[Double](repeating: 1 / Double(choices), count: choices)]
                return
            }
            let kernels = observations.count + 1
            var probs = [[Double]](repeating: [Double](repeating: TPE.priorWeight / Double(kernels), count: choices), count: kernels)
            for (i, c) in observations.enumerated() where c >= 0 && c < choices { probs[i][c] += 1 }
            categorical = probs.map { row in let total = row.reduce(0, +); return row.map { $0 / total } }
        }

        static func phi(_ z: Double) -> Double { 0.5 * erfc(-z / 2.0.squareRoot()) }

        /// Kernel k's density at x (on a grid, the mass of x's cell; for a choice, its probability).
        public func componentDensity(_ k: Int, _ x: Double) -> Double {
            if let categorical {
                let c = Int(x), row = categorical[Swift.min(k, categorical.count - 1)]
                return c >= 0 && c < row.count ? row[c] : 0
            }
            let (m, sd) = (mus[k], sigmas[k])
            let z = Parzen.phi((b - m) / sd) - Parzen.phi((a - m) / sd)
            guard z > 0 else { return 0 }
            if let grid {
                let lo = t(Swift.max(x - grid.step / 2, grid.low - grid.step / 2)), hi = t(Swift.min(x + grid.step / 2, grid.high + grid.step / 2))
                return (Parzen.phi((hi - m) / sd) - Parzen.phi((lo - m) / sd)) / z
            }
            let u = (t(x) - m) / sd
            return Foundation.exp(-0.5 * u * u) / (sd * (2 * Double.pi).squareRoot()) / z
        }

        /// log of the mixture's density at x.
        public func logDensity(_ x: Double) -> Double {
            Foundation.log(weights.indices.reduce(0.0) { $0 + weights[$1] * componentDensity($1, x) })
        }

        /// A draw from kernel k: its truncated normal (by rejection; the kernels'
        /// centres lie inside the range, so most draws are kept), onto the grid when there is one.
        public func sample(component k: Int, _ g: Generator) -> Double {
            if let categorical {
                var v = g.uniform(), c = 0
                let row = categorical[Swift.min(k, categorical.count - 1)]
                while c < row.count - 1, v >= row[c] { v -= row[c]; c += 1 }
                return Double(c)
            }
            var y = mus[k]
            for _ in 0..<1000 {
                let draw = mus[k] + sigmas[k] * g.normal()
                if draw >= a && draw <= b { y = draw; break }
            }
            let x = log ? Foundation.exp(y) : y
            guard let grid else { return x }
            return Swift.min(grid.high, Swift.max(grid.low, grid.low + ((x - grid.low) / grid.step).rounded() * grid.step))
        }

        /// A kernel chosen by weight.
        func component(_ g: Generator) -> Int {
            var u = g.uniform(), k = 0
            while k < weights.count - 1, u >= weights[k] { u -= weights[k]; k += 1 }
            return k
        }

    }

    /// A finished (or running) trial: its raw values (choice indices, numbers) and score.
    public struct Observation: Sendable {
        public let values: [String: Double]
        public let score: Double
        public init(values: [String: Double], score: Double) { (self.values, self.score) = (values, score) }
    }

    /// log Σ_k w_k Π_p k_p(x_p): the product mixture over the parameters (the estimators share their kernels and weights).
    static func jointLogDensity(_ parts: [Parzen], _ x: [Double]) -> Double {
        guard let first = parts.first else { return 0 }
        var logs: [Double] = []
        for k in first.weights.indices {
            var v = Foundation.log(first.weights[k])
            for (p, xp) in zip(parts, x) { v += Foundation.log(p.componentDensity(k, xp)) }
            logs.append(v)
        }
        let m = logs.max() ?? -.infinity
        guard m.isFinite else { return m }
        return m + Foundation.log(logs.reduce(0) { $0 + Foundation.exp($1 - m) })
    }

    /// The estimators of one parameter for the good and the bad trials.
    public static func estimators(_ d: Distribution, name: String, good: [Observation], bad: [Observation]) -> (l: Parzen, g: Parzen) {
        func parzen(_ obs: [Observation]) -> Parzen {
            let w = weights(obs.count), values = obs.map { $0.values[name] ?? 0 }
            switch d {
            case .choice(let n): return Parzen(choices: n, observations: values.map { Int($0) }, weights: w)
            case .logUniform(let lo, let hi): return Parzen(observations: values, weights: w, low: lo, high: hi, log: true, step: nil)
            case .uniform(let lo, let hi): return Parzen(observations: values, weights: w, low: lo, high: hi, log: false, step: nil)
            case .integer(let lo, let hi, let log): return Parzen(observations: values, weights: w, low: Double(lo), high: Double(hi), log: log, step: 1)
            }
        }
        return (parzen(good), parzen(bad))
    }

    /// The next trial's raw values. `finished` are the trials with a score
    /// (higher is better) in trial order; `running` were handed out and have
    /// none yet: they count among the bad (the constant liar).
    public static func sample(space s: SearchSpace, finished: [Observation], running: [[String: Double]], seed: UInt64, trial: Int) -> [String: Double] {
        guard finished.count >= startupTrials else { return s.sample(seed: seed, trial: trial) }
        let g = Generator(seed: seed &* 0xD1B5_4A32_D192_ED03 ^ UInt64(trial) &* 0x94D0_49BB_1331_11EB)
        let ranked = finished.indices.sorted { finished[$0].score > finished[$1].score || (finished[$0].score == finished[$1].score && $0 < $1) }
        let nGood = gamma(finished.count)
        let goodSet = Set(ranked.prefix(nGood))
        // each side in trial order (the weights ramp by age)
        let good = finished.indices.filter { goodSet.contains($0) }.map { finished[$0] }
        let bad = finished.indices.filter { !goodSet.contains($0) }.map { finished[$0] } + running.map { Observation(values: $0, score: -.infinity) }
        // Optuna 5's TPE is multivariate: each observation is one kernel over
        // every parameter at once (a product), so the candidates keep the
        // good trials' combinations of values, and l and g are joint densities.
        let parts = s.parameters.map { TPE.estimators($0.distribution, name: $0.name, good: good, bad: bad) }
        let l0 = parts[0].l
        var out: [String: Double] = [:], best = -Double.infinity
        for _ in 0..<candidates {
            let k = l0.component(g)
            let x = parts.map { $0.l.sample(component: k, g) }
            let score = TPE.jointLogDensity(parts.map { $0.l }, x) - TPE.jointLogDensity(parts.map { $0.g }, x)
            if score > best {
                best = score
                for (i, p) in s.parameters.enumerated() { out[p.name] = x[i] }
            }
        }
        return out
    }
}

/// The Tree-structured Parzen Estimator as a search sampler: random for the
/// first 10 finished trials, then `TPE.sample` when each trial is handed out.
public struct TPESampler: SearchSampler {
    public init() {}

    public func point(space: SearchSpace, index: Int, budget: Int, seed: UInt64, trial: Int) -> [String: Double]? { nil }

    public func point(space: SearchSpace, finished: [TPE.Observation], running: [[String: Double]], seed: UInt64, trial: Int) -> [String: Double] {
        TPE.sample(space: space, finished: finished, running: running, seed: seed, trial: trial)
    }

    public static let kind = SamplerKind("tpe", help: """
        The Tree-structured Parzen Estimator (Optuna 5's multivariate TPE) after 10
        random trials; each trial sampled when it is handed out.
        """, adaptive: true) { TPESampler() }
}
