import Foundation
import Testing
@testable import OptLabRuntime

/// TPE's Parzen estimators against Optuna 5.0's `_ParzenEstimator` (prior
/// weight 1, magic clip, endpoints not considered, default weights; one
/// parameter, then three in product kernels), as
/// fixed numbers printed by `Tests/references/tpe_optuna.py`; a hand-worked
/// case; and the sampler on a synthetic objective against random search.
@Suite struct TPETests {
    func expectClose(_ got: [Double], _ want: [Double], _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(got.count == want.count, sourceLocation: sourceLocation)
        for (i, (g, w)) in zip(got, want).enumerated() where Swift.abs(g - w) > 1e-9 {
            Issue.record("\(what) at point \(i): \(g), Optuna \(w)", sourceLocation: sourceLocation)
        }
    }

    func parzen(_ d: Distribution, _ observed: [Double]) -> TPE.Parzen {
        let obs = observed.map { TPE.Observation(values: ["x": $0], score: 0) }
        return TPE.estimators(d, name: "x", good: obs, bad: []).l
    }

    @Test func densitiesMatchOptuna() {
        expectClose([0.5, 2, 5, 9.5].map(parzen(.uniform(0, 10), [2, 7]).logDensity),
                    [-2.39219366539853, -2.27798239051395, -2.20928700761159, -2.49921731889199], "uniform")
        expectClose([2e-4, 1e-3, 0.05, 0.5].map(parzen(.logUniform(1e-4, 1), [1e-3, 1e-2]).logDensity),
                    [-2.27697097930424, -1.9519465225161, -2.29498487878228, -2.98493532177592], "loguniform")
        expectClose([1, 3, 10].map(parzen(.integer(1, 10, log: false), [3, 4]).logDensity),
                    [-2.24774701279003, -1.89751726005213, -3.32269099456523], "int")
        expectClose([1, 2, 10, 100].map(parzen(.integer(1, 100, log: true), [2, 50]).logDensity),
                    [-1.68463092998768, -2.35058051449522, -3.89829144361775, -6.36189764376455], "log int")
        expectClose([0, 1, 2].map(parzen(.choice(3), [0, 0]).logDensity),
                    [-0.587786664902119, -1.50407739677627, -1.50407739677627], "choice")
        expectClose([1, 5].map(parzen(.uniform(0, 10), []).logDensity), [-2.3416072925031, -2.2616072925031], "prior only")
        let thirty = (0..<30).map { Double(($0 * 7919) % 101) / 101 }
        expectClose([0.1, 0.5, 0.9].map(parzen(.uniform(0, 1), thirty).logDensity),
                    [0.234755871203454, 0.258318080606244, 0.202716433607473], "30 observations")
    }

    /// Optuna 5's kernels are products over the parameters: the joint density of three parameters.
    @Test func jointDensityMatchesOptuna() {
        let obs = [TPE.Observation(values: ["lr": 1e-3, "n": 3, "act": 0], score: 0), TPE.Observation(values: ["lr": 1e-2, "n": 8, "act": 2], score: 0)]
        let parts = [TPE.estimators(.logUniform(1e-4, 1), name: "lr", good: obs, bad: []).l,
                     TPE.estimators(.integer(1, 10, log: false), name: "n", good: obs, bad: []).l,
                     TPE.estimators(.choice(3), name: "act", good: obs, bad: []).l]
        let points: [[Double]] = [[1e-3, 3, 0], [5e-2, 8, 2], [1e-3, 8, 1]]
        expectClose(points.map { TPE.jointLogDensity(parts, $0) }, [-4.88641774014707, -5.20518803308336, -5.84396855236678], "joint")
    }

    /// By hand: uniform 0…10 observed at 2 and 7. Sorted with the ends:
    /// 0, 2, 7, 10; bandwidths max(gaps) = 5 and 5, the outer ones their
    /// inner gap (5, 5); clipped to [10/4, 10]. Prior at 5 with σ 10.
    /// Weights 1/3 each.
    @Test func bandwidthsAndWeightsByHand() {
        let p = parzen(.uniform(0, 10), [2, 7])
        #expect(p.mus == [2, 7, 5])
        #expect(p.sigmas == [5, 5, 10])
        #expect(p.weights.map { ($0 * 3).rounded() } == [1, 1, 1])
        // one observation at 9: gaps 9 and 1, so σ 9; prior σ 10
        let q = parzen(.uniform(0, 10), [9])
        #expect(q.sigmas == [9, 10])
        // a choice observed as 0 and 2 of 3: kernels (1/3+1)/2 on their own choice, (1/3)/2 elsewhere... each row normalised
        let c = parzen(.choice(3), [0, 2])
        #expect(Swift.abs(exp(c.logDensity(1)) - (1.0 / 3) * (2 * (1.0 / 3) / 2 + 1.0 / 3)) < 1e-12)
    }

    @Test func gammaAndWeightsAreOptunas() {
        #expect([1, 10, 11, 100, 300, 1000].map(TPE.gamma) == [1, 1, 2, 10, 25, 25])
        #expect(TPE.weights(3) == [1, 1, 1])
        let w = TPE.weights(30)   // linspace(1/30, 1, 5) then 25 ones
        #expect(Swift.abs(w[0] - 1.0 / 30) < 1e-15 && Swift.abs(w[4] - 1) < 1e-15 && w.count == 30)
        #expect(Swift.abs(w[1] - (1.0 / 30 + (1 - 1.0 / 30) / 4)) < 1e-15)
    }

    @Test func samplesStayInsideTheirSpaceAndRepeat() {
        let space = SearchSpace([("lr", .logUniform(1e-4, 1)), ("width", .integer(8, 64, log: false)), ("act", .choice(3)), ("n", .integer(1, 1000, log: true))])
        let finished = (1...15).map { t in TPE.Observation(values: space.sample(seed: 1, trial: t), score: Double(t % 5)) }
        for t in 16...40 {
            let a = TPE.sample(space: space, finished: finished, running: [], seed: 9, trial: t)
            #expect(a == TPE.sample(space: space, finished: finished, running: [], seed: 9, trial: t), "the same seed and history give the same trial")
            #expect(a["lr"]! >= 1e-4 && a["lr"]! <= 1)
            #expect(a["width"]! >= 8 && a["width"]! <= 64 && a["width"]! == a["width"]!.rounded())
            #expect(a["n"]! >= 1 && a["n"]! <= 1000 && a["n"]! == a["n"]!.rounded())
            #expect([0, 1, 2].contains(a["act"]!))
        }
    }

    /// Branin-like objective with its optimum inside the space: over 20 seeds,
    /// TPE's best after 40 trials beats random search's in most seeds, and on average.
    @Test func beatsRandomSearchOnASyntheticObjective() {
        let space = SearchSpace([("x", .uniform(-5, 10)), ("y", .uniform(0, 15)), ("lr", .logUniform(1e-5, 1))])
        func score(_ c: [String: Double]) -> Double {
            let (x, y) = (c["x"]!, c["y"]!)
            let b = 5.1 / (4 * Double.pi * Double.pi), cc = 5 / Double.pi, t = 1 / (8 * Double.pi)
            let branin = pow(y - b * x * x + cc * x - 6, 2) + 10 * (1 - t) * cos(x) + 10
            return -(branin + 3 * pow(log10(c["lr"]!) + 2.5, 2))
        }
        var wins = 0, tpeSum = 0.0, randomSum = 0.0
        for seed in 0..<20 {
            var finished: [TPE.Observation] = []
            for t in 1...40 {
                let c = TPE.sample(space: space, finished: finished, running: [], seed: UInt64(seed), trial: t)
                finished.append(TPE.Observation(values: c, score: score(c)))
            }
            let tpeBest = finished.map(\.score).max()!
            let randomBest = (1...40).map { score(space.sample(seed: UInt64(seed) + 1000, trial: $0)) }.max()!
            if tpeBest > randomBest { wins += 1 }
            tpeSum += tpeBest
            randomSum += randomBest
        }
        #expect(wins >= 14, "TPE won \(wins) of 20 seeds")
        #expect(tpeSum > randomSum, "mean best: TPE \(tpeSum / 20), random \(randomSum / 20)")
    }
}
