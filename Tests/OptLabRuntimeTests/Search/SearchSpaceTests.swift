import Foundation
import Testing
@testable import OptLabRuntime

@Suite struct SearchTests {
    @Test func logUniformHasRealBoundsAndLogQuantiles() throws {
        let d = try Distribution(checking: .logUniform(1e-6, 10))
        let g = Generator(seed: 1)
        let xs = (0..<20_000).map { _ in d.sample(g) }.sorted()
        #expect(xs.first! >= 1e-6 && xs.last! <= 10)
        // log10 is uniform on [−6, 1]: the quartiles sit at −4.25, −2.5, −0.75
        for (q, want) in [(0.25, -4.25), (0.5, -2.5), (0.75, -0.75)] {
            #expect(Swift.abs(log10(xs[Int(q * Double(xs.count))]) - want) < 0.05, "quantile \(q)")
        }
        #expect(throws: RuntimeError.self) { try Distribution(checking: .logUniform(0, 1)) }
    }

    @Test func samplesAreReproducibleFromSeedAndTrial() {
        let s = SearchSpace([("lr", .logUniform(1e-5, 1e-1)), ("dropout", .uniform(0, 0.7)), ("width", .integer(16, 512, log: true))])
        #expect(s.sample(seed: 3, trial: 7) == s.sample(seed: 3, trial: 7))
        #expect(s.sample(seed: 3, trial: 7) != s.sample(seed: 3, trial: 8))
        #expect(s.sample(seed: 3, trial: 7) != s.sample(seed: 4, trial: 7))
        let w = s.sample(seed: 1, trial: 1)["width"]!
        #expect(w >= 16 && w <= 512 && w.rounded() == w)
    }

    @Test func choicesAndIntegersAreUniformAcrossTrials() {
        let s = SearchSpace([("act", .choice(3)), ("k", .integer(1, 4, log: false))])
        var counts = [0, 0, 0], ks = [0, 0, 0, 0]
        for t in 1...9000 {
            let c = s.sample(seed: 0, trial: t)
            counts[Int(c["act"]!)] += 1
            ks[Int(c["k"]!) - 1] += 1
        }
        #expect(counts.allSatisfy { Swift.abs($0 - 3000) < 200 }, "\(counts)")
        #expect(ks.allSatisfy { Swift.abs($0 - 2250) < 200 }, "\(ks)")
    }

    @Test func coarseToFineNarrowsAroundAKnownOptimum() {
        // Objective with its optimum at lr = 1e-3 (in log space) and dropout = 0.3.
        func score(_ c: [String: Double]) -> Double { -pow(log10(c["lr"]!) + 3, 2) - 4 * pow(c["dropout"]! - 0.3, 2) }
        var space = SearchSpace([("lr", .logUniform(1e-6, 1)), ("dropout", .uniform(0, 1))])
        var trial = 0
        for stage in 0..<3 {
            let results = (0..<30).map { _ -> (config: [String: Double], score: Double) in
                trial += 1
                let c = space.sample(seed: 11, trial: trial)
                return (c, score(c))
            }
            let before = space
            space = space.narrowed(to: results)
            if case .logUniform(let lo, let hi)? = space.parameters.first(where: { $0.name == "lr" })?.distribution,
               case .logUniform(let lo0, let hi0)? = before.parameters.first(where: { $0.name == "lr" })?.distribution {
                #expect(log10(hi) - log10(lo) < log10(hi0) - log10(lo0), "stage \(stage) narrows lr")
                #expect(lo <= 1e-3 && hi >= 1e-3, "the optimum stays inside")
            }
        }
    }

    @Test func borderWarningsNameTheEdge() {
        let s = SearchSpace([("lr", .logUniform(1e-5, 1e-1)), ("reg", .uniform(0, 1))])
        let w = s.borderWarnings(best: ["lr": 9e-2, "reg": 0.5])
        #expect(w.count == 1 && w[0].contains("lr") && w[0].contains("upper edge"))
        #expect(s.borderWarnings(best: ["lr": 1e-3, "reg": 0.01]).first?.contains("reg: the best value 0.01 is at the lower edge") == true)
    }

    @Test func aBestValueAtZeroMayBeTheBestNotAMisplacedRange() {
        let s = SearchSpace([("dropout", .uniform(0, 0.7)), ("lr", .logUniform(1e-4, 1))])
        let w = s.borderWarnings(best: ["dropout": 0.01, "lr": 1e-2])
        #expect(w.count == 1 && w[0].contains("lower edge") && w[0].contains("otherwise 0 itself may be best"))
    }

    @Test func gridFitsTheBudgetWithCellCentres() {
        let s = SearchSpace([("lr", .logUniform(1e-4, 1)), ("p", .uniform(0, 1)), ("act", .choice(2))])
        // 2 choices, then lr and p grown round-robin while the product stays <= 20: 3 x 3 x 2 = 18
        #expect(s.gridLevels(budget: 20) == [2, 3, 3])   // parameters sorted: act, lr, p
        #expect(s.gridPoint(index: 18, budget: 20) == nil)
        var seen = Set<String>()
        for i in 0..<18 {
            let pt = s.gridPoint(index: i, budget: 20)!
            seen.insert("\(pt["act"]!) \(pt["lr"]!) \(pt["p"]!)")
            // log cell centres: 10^(-4 + 4(j + 1/2)/3); linear ones (j + 1/2)/3
            let j = (log10(pt["lr"]!) + 4) / 4 * 3 - 0.5
            #expect(Swift.abs(j - j.rounded()) < 1e-9)
            let k = pt["p"]! * 3 - 0.5
            #expect(Swift.abs(k - k.rounded()) < 1e-9)
        }
        #expect(seen.count == 18)
        // more choices than the budget: the largest are trimmed until the grid fits
        let c = SearchSpace([("a", .choice(5)), ("b", .choice(4))])
        let levels = c.gridLevels(budget: 6)
        #expect(levels.reduce(1, *) <= 6 && levels.allSatisfy { $0 >= 1 })
        #expect(SearchSpace([("x", .uniform(0, 1))]).gridLevels(budget: 1) == [1])
    }
}

@Suite struct NarrowingTests {
    let space = SearchSpace([("lr", .logUniform(1e-5, 1))])

    @Test func failedTrialsBoundTheNextRangeFromTheirSide() {
        // finished at 1e-4 (score −2), 1e-3 (−1), 0.03 (0, the best); exploded at 0.05, 0.3, 0.9
        let finished: [(config: [String: Double], score: Double)] = [(["lr": 1e-4], -2), (["lr": 1e-3], -1), (["lr": 0.03], 0)]
        let (next, warnings) = space.narrowed(to: finished, failed: [["lr": 0.05], ["lr": 0.3], ["lr": 0.9]])
        guard case .logUniform(let lo, let hi) = next.parameters[0].distribution else { Issue.record("not log-uniform"); return }
        // the best 2 of 6 (1e-3 and 0.03) span 1.48 decades; 3 finished trials in 5 decades place a value to 5/4 = 1.25
        // decades (more than 25% of the span): 10^(−4.25) … 10^(−0.27) = 0.53, then capped at 0.05
        #expect(Swift.abs(lo - pow(10, -4.25)) < 1e-12, "lower \(lo)")
        #expect(Swift.abs(hi - 0.05) < 1e-12, "upper \(hi): the lowest exploded value, not above it")
        #expect(warnings.count == 1 && warnings[0].contains("narrowed on only 3 finished trials (3 of the stage's 6 failed or exploded)"), "\(warnings)")
        // without the failed ones, the same finished trials would give an upper bound above 0.1
        guard case .logUniform(_, let blind) = space.narrowed(to: finished, failed: []).space.parameters[0].distribution else { return }
        #expect(Swift.abs(blind - pow(10, log10(0.03) + 1.25)) < 1e-9, "blind to the failures: \(blind)")
    }

    @Test func twoGoodTrialsAmongAFewDoNotCollapseTheRange() {
        // the notebook's first stage: 4 of 6 finished in 3 decades, the best two at 0.0096 and 0.0111
        let s = SearchSpace([("lr", .logUniform(1e-3, 1))])
        let finished: [(config: [String: Double], score: Double)] = [(["lr": 0.0111], 0.84), (["lr": 0.00958], 0.83),
                                                                       (["lr": 0.0014], 0.76), (["lr": 0.00113], 0.74)]
        let (next, _) = s.narrowed(to: finished, failed: [["lr": 0.231], ["lr": 0.558]])
        guard case .logUniform(let lo, let hi) = next.parameters[0].distribution else { Issue.record("not log-uniform"); return }
        // ±3/5 decade around [0.00958, 0.0111]: 0.0024 … 0.044 (a factor 18, not 1.4), below the exploded 0.231
        #expect(Swift.abs(log10(lo) - (log10(0.00958) - 0.6)) < 1e-9 && Swift.abs(log10(hi) - (log10(0.0111) + 0.6)) < 1e-9, "\(lo) … \(hi)")
    }

    @Test func aFailureBoundsOnlyTheParameterThatSeparatesIt() {
        // both failures at a high lr; their reg values fall below and among the good trials' (reg did not cause them)
        let s = SearchSpace([("lr", .logUniform(1e-3, 1)), ("reg", .logUniform(1e-6, 1e-1))])
        let finished: [(config: [String: Double], score: Double)] = [
            (["lr": 0.0111, "reg": 5.63e-6], 0.84), (["lr": 0.00958, "reg": 4.79e-3], 0.83),
            (["lr": 0.0014, "reg": 6.41e-4], 0.76), (["lr": 0.00113, "reg": 2.75e-6], 0.74)]
        let (next, _) = s.narrowed(to: finished, failed: [["lr": 0.231, "reg": 2.76e-4], ["lr": 0.558, "reg": 5.23e-6]])
        guard case .logUniform(_, let lrHi) = next.parameters[0].distribution,
              case .logUniform(let regLo, _) = next.parameters[1].distribution else { Issue.record("not log-uniform"); return }
        #expect(lrHi < 0.231, "lr: bounded below the failures (\(lrHi))")
        // reg: 5.63e-6 less 5/5 decade (its trials' spacing) would be 5.6e-7, inside the old range at 1e-6; not cut at the failed 5.23e-6
        #expect(Swift.abs(regLo - 1e-6) < 1e-15, "reg's lower bound: \(regLo)")
    }

    @Test func aScoreRisingTowardAStagesEdgeWarns() {
        let stage = SearchSpace([("lr", .logUniform(1e-4, 1e-2))])
        let rising: [(config: [String: Double], score: Double)] = [1.2e-4, 4e-4, 1e-3, 3e-3, 8e-3].map { (["lr": $0], log10($0)) }
        let w = stage.trendWarnings(rising)
        #expect(w.count == 1 && w[0].contains("rises toward the upper edge of this stage's range"), "\(w)")
        #expect(stage.trendWarnings(rising, skipping: ["lr"]).isEmpty, "not twice for a parameter already at the original edge")
        let peaked: [(config: [String: Double], score: Double)] = [1.2e-4, 4e-4, 1e-3, 3e-3, 8e-3].map { (["lr": $0], -abs(log10($0) + 3)) }
        #expect(stage.trendWarnings(peaked).isEmpty, "a peak inside the range: no warning")
    }
}
