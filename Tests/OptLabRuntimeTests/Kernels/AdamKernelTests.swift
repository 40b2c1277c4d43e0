import CKernels
import Foundation
import Testing
@testable import OptLabRuntime

/// Adam's f32 vector kernel against the rule's own formula in Swift (the
/// generic `update`, scalar IEEE operations): the same parameters and
/// moments bit for bit, on every instruction set, at odd lengths and
/// offsets, with NaN and infinities among the gradients; Σu² close.
@Suite struct AdamKernelTests {
    static func inputs(_ n: Int, seed: UInt64) -> (x: [Float], g: [Float], m: [Float], v: [Float]) {
        let gen = Generator(seed: seed)
        func r(_ scale: Double) -> [Float] { (0..<n).map { _ in Float(gen.normal() * scale) } }
        var g = r(1)
        if n > 40 { g[3] = .nan; g[17] = .infinity; g[31] = -.infinity; g[39] = 0; g[40] = .leastNonzeroMagnitude }
        return (r(1), g, r(0.1), r(0.01).map { $0 * $0 })
    }

    @Test(arguments: [0, 1, 2])
    func theKernelGivesTheFormulasBits(_ level: Int32) {
        let rule = AdamRule(beta1: 0.9, beta2: 0.999, eps: 1e-8)
        for (n, offset) in [(1, 0), (15, 1), (16, 0), (17, 3), (1000, 0), (4111, 5), (9000, 2)] {
            for t in [1, 7] {
                let a = AdamKernelTests.inputs(n + offset, seed: UInt64(n * 31 + t))
                var (x1, m1, v1) = (a.x, a.m, a.v), (x2, m2, v2) = (a.x, a.m, a.v)
                let g = a.g
                let sq1 = x1.withUnsafeMutableBufferPointer { x in m1.withUnsafeMutableBufferPointer { m in v1.withUnsafeMutableBufferPointer { v in
                    g.withUnsafeBufferPointer { g in
                        rule.update(x.baseAddress! + offset, g.baseAddress! + offset, [m.baseAddress! + offset, v.baseAddress! + offset],
                                    count: n, lr: 1e-3, t: t)
                    } } } }
                var k = optlab_adam(beta1: 0.9, beta2: 0.999, eps: 1e-8, lr: 1e-3,
                                    correction1: Float(1 - pow(0.9, Double(t))), correction2: Float(1 - pow(0.999, Double(t))))
                let sq2 = x2.withUnsafeMutableBufferPointer { x in m2.withUnsafeMutableBufferPointer { m in v2.withUnsafeMutableBufferPointer { v in
                    g.withUnsafeBufferPointer { g in
                        optlab_adam_f32_as(level, x.baseAddress! + offset, g.baseAddress! + offset, m.baseAddress! + offset, v.baseAddress! + offset, n, &k)
                    } } } }
                #expect(x1.map(\.bitPattern) == x2.map(\.bitPattern), "x, n \(n), offset \(offset), t \(t), level \(level)")
                #expect(m1.map(\.bitPattern) == m2.map(\.bitPattern), "m, n \(n)")
                #expect(v1.map(\.bitPattern) == v2.map(\.bitPattern), "v, n \(n)")
                #expect(sq1.isNaN == sq2.isNaN && (sq1.isNaN || abs(sq1 - sq2) <= 1e-5 * abs(sq1)), "Σu² \(sq1) vs \(sq2), n \(n)")
            }
        }
    }

    @Test func everyInstructionSetGivesTheSameSumToo() {
        let a = AdamKernelTests.inputs(10_001, seed: 5)
        var k = optlab_adam(beta1: 0.9, beta2: 0.999, eps: 1e-8, lr: 1e-2, correction1: 0.1, correction2: 0.001)
        let g = a.g.map { $0.isFinite ? $0 : 0.5 }
        let sums = (0...2).map { level -> Double in
            var (x, m, v) = (a.x, a.m, a.v)
            return optlab_adam_f32_as(Int32(level), &x, g, &m, &v, g.count, &k)
        }
        #expect(sums[0].bitPattern == sums[1].bitPattern && sums[1].bitPattern == sums[2].bitPattern, "\(sums)")
    }
}

/// SGD momentum's and Nesterov's f32 kernel against the rules' Swift
/// formulas: the same parameters and velocities bit for bit on every
/// instruction set, at odd lengths and offsets.
@Suite struct MomentumKernelTests {
    @Test(arguments: [0, 1, 2])
    func theKernelGivesTheFormulasBits(_ level: Int32) {
        for nesterov in [false, true] {
            let rule: any UpdateRule = nesterov ? NesterovRule(mu: 0.9) : MomentumRule(mu: 0.9)
            for (n, offset) in [(1, 0), (15, 1), (17, 3), (4111, 5), (9000, 2)] {
                let a = AdamKernelTests.inputs(n + offset, seed: UInt64(n * 7 + offset))
                var (x1, v1) = (a.x, a.m), (x2, v2) = (a.x, a.m)
                let g = a.g
                let sq1 = x1.withUnsafeMutableBufferPointer { x in v1.withUnsafeMutableBufferPointer { v in g.withUnsafeBufferPointer { g in
                    rule.update(x.baseAddress! + offset, g.baseAddress! + offset, [v.baseAddress! + offset], count: n, lr: 1e-2, t: 1)
                } } }
                let sq2 = x2.withUnsafeMutableBufferPointer { x in v2.withUnsafeMutableBufferPointer { v in g.withUnsafeBufferPointer { g in
                    optlab_adaptive_rule_f32_as(level, nesterov ? 7 : 6, x.baseAddress! + offset, g.baseAddress! + offset, v.baseAddress! + offset,
                                                v.baseAddress! + offset, n, [0.9, 1e-2])
                } } }
                #expect(x1.map(\.bitPattern) == x2.map(\.bitPattern), "x, n \(n), nesterov \(nesterov), level \(level)")
                #expect(v1.map(\.bitPattern) == v2.map(\.bitPattern), "v, n \(n), nesterov \(nesterov), level \(level)")
                #expect(sq1 == sq2 || (sq1.isNaN && sq2.isNaN) || abs(sq1 - sq2) <= 1e-5 * abs(sq1), "Σu² \(sq1) vs \(sq2), n \(n)")  // ±inf among the gradients
            }
        }
    }
}

/// Adagrad's, RMSprop's, Adamax's, Adadelta's, ASGD's and NAdam's f32 kernels against the rules' Swift
/// formulas: the same parameters and state bit for bit on every instruction
/// set, at odd lengths and offsets, with NaN and infinities among the gradients.
@Suite struct AdaptiveRuleKernelTests {
    /// RAdam's constants at step t, worked from the paper's ρ_t (not from the rule's own helper).
    static func radam(_ t: Int) -> [Float] {
        let (b1, b2) = (0.9, 0.999)
        let c2 = 1 - Foundation.pow(b2, Double(t)), rhoInf = 2 / (1 - b2) - 1
        let rho = rhoInf - 2 * Double(t) * Foundation.pow(b2, Double(t)) / c2
        let r = rho > 5 ? ((rho - 4) * (rho - 2) * rhoInf / ((rhoInf - 4) * (rhoInf - 2) * rho)).squareRoot() : 0
        return [1e-2, Float(1 - Foundation.pow(b1, Double(t))), 1 - Float(b1), Float(b2), 1e-8, Float(c2.squareRoot()), Float(r), rho > 5 ? 1 : 0]
    }

    @Test(arguments: [0, 1, 2])
    func theKernelsGiveTheFormulasBits(_ level: Int32) {
        #expect(AdaptiveRuleKernelTests.radam(1)[7] == 0 && AdaptiveRuleKernelTests.radam(10)[7] == 1, "both branches are tested")
        // ASGD at step 1 (ax = x) and at step 5 past t0 = 2 (ax averages, μ = 1/2)
        let eta5 = 1e-2 / Foundation.pow(1 + 1e-4 * 1e-2 * 4, 0.75)
        let rules: [(Int32, any UpdateRule, [Float], Int)] = [
            (0, AdagradRule(eps: 1e-8), [1e-2, 1e-8], 1),
            (1, RMSpropRule(decay: 0.99, eps: 1e-8), [1e-2, 1e-8, 0.99], 1),
            (2, AdamaxRule(beta1: 0.9, beta2: 0.999, eps: 1e-8), [Float(1e-2 / (1 - 0.9)), 1e-8, 1 - Float(0.9), 0.999], 1),
            (3, AdadeltaRule(rho: 0.9, eps: 1e-6), [1e-2, 1e-6, 0.9], 1),
            (4, ASGDRule(lambd: 1e-4, alpha: 0.75, t0: 1e6), [Float(1 - 1e-4 * 1e-2), 1e-2, 1, 1], 1),
            (4, ASGDRule(lambd: 1e-4, alpha: 0.75, t0: 2), [Float(1 - 1e-4 * eta5), Float(eta5), 0.5, 0], 5),
            // RAdam before its rectification applies (t = 1: ρ_1 = 1) and after (t = 10: ρ_10 ≈ 9)
            (8, RAdamRule(beta1: 0.9, beta2: 0.999, eps: 1e-8), Self.radam(1), 1),
            (8, RAdamRule(beta1: 0.9, beta2: 0.999, eps: 1e-8), Self.radam(10), 10),
        ]
        for (code, rule, k, step) in rules {
            for (n, offset) in [(1, 0), (15, 1), (17, 3), (4111, 5), (9000, 2)] {
                let a = AdamKernelTests.inputs(n + offset, seed: UInt64(n * 13 + offset))
                var (x1, s01, s11) = (a.x, a.v, a.v.map { $0 + 0.5 }), (x2, s02, s12) = (a.x, a.v, a.v.map { $0 + 0.5 })
                let g = a.g
                let sq1 = x1.withUnsafeMutableBufferPointer { x in s01.withUnsafeMutableBufferPointer { s0 in s11.withUnsafeMutableBufferPointer { s1 in
                    g.withUnsafeBufferPointer { g in
                        rule.update(x.baseAddress! + offset, g.baseAddress! + offset,
                                    [2, 3, 8].contains(code) ? [s0.baseAddress! + offset, s1.baseAddress! + offset] : [s0.baseAddress! + offset],
                                    count: n, lr: 1e-2, t: step)
                    } } } }
                let sq2 = x2.withUnsafeMutableBufferPointer { x in s02.withUnsafeMutableBufferPointer { s0 in s12.withUnsafeMutableBufferPointer { s1 in
                    g.withUnsafeBufferPointer { g in
                        optlab_adaptive_rule_f32_as(level, code, x.baseAddress! + offset, g.baseAddress! + offset, s0.baseAddress! + offset,
                                                    s1.baseAddress! + offset, n, k)
                    } } } }
                let what = "\(rule.name), n \(n), level \(level)"
                #expect(x1.map(\.bitPattern) == x2.map(\.bitPattern), "x, \(what)")
                #expect(s01.map(\.bitPattern) == s02.map(\.bitPattern), "state 1, \(what)")
                #expect(s11.map(\.bitPattern) == s12.map(\.bitPattern), "state 2, \(what)")
                #expect(sq1 == sq2 || (sq1.isNaN && sq2.isNaN) || abs(sq1 - sq2) <= 1e-5 * abs(sq1), "Σu² \(sq1) vs \(sq2), \(what)")
            }
        }
    }

    /// NAdam's elementwise part (its scales come from the running product, here given).
    @Test(arguments: [0, 1, 2])
    func nadamsKernelGivesTheFormulasBits(_ level: Int32) {
        let (b1, b2, eps, c2, a, b) = (0.9, 0.999, 1e-8, 1 - 0.999 * 0.999, 1.3e-3, 2.1e-3)
        let k: [Float] = [Float(a), Float(b), 1 - Float(b1), Float(b2), Float(eps), Float(c2)]
        for (n, offset) in [(1, 0), (15, 1), (17, 3), (4111, 5), (9000, 2)] {
            let d = AdamKernelTests.inputs(n + offset, seed: UInt64(n * 17 + offset))
            var (x1, m1, v1) = (d.x, d.m, d.v), (x2, m2, v2) = (d.x, d.m, d.v)
            let g = d.g
            let sq1 = x1.withUnsafeMutableBufferPointer { x in m1.withUnsafeMutableBufferPointer { m in v1.withUnsafeMutableBufferPointer { v in
                g.withUnsafeBufferPointer { g in
                    NAdamRule.pass(x.baseAddress! + offset, g.baseAddress! + offset, [m.baseAddress! + offset, v.baseAddress! + offset], n,
                                   beta1: b1, beta2: b2, eps: eps, c2: c2, gradScale: a, meanScale: b)
                } } } }
            let sq2 = x2.withUnsafeMutableBufferPointer { x in m2.withUnsafeMutableBufferPointer { m in v2.withUnsafeMutableBufferPointer { v in
                g.withUnsafeBufferPointer { g in
                    optlab_adaptive_rule_f32_as(level, 5, x.baseAddress! + offset, g.baseAddress! + offset, m.baseAddress! + offset,
                                                v.baseAddress! + offset, n, k)
                } } } }
            #expect(x1.map(\.bitPattern) == x2.map(\.bitPattern), "x, n \(n), level \(level)")
            #expect(m1.map(\.bitPattern) == m2.map(\.bitPattern), "m, n \(n)")
            #expect(v1.map(\.bitPattern) == v2.map(\.bitPattern), "v, n \(n)")
            #expect(sq1 == sq2 || (sq1.isNaN && sq2.isNaN) || abs(sq1 - sq2) <= 1e-5 * abs(sq1), "Σu² \(sq1) vs \(sq2), n \(n)")
        }
    }
}

/// Adafactor's factored row step in CKernels against its Swift formula, bit for bit on every instruction set.
@Suite struct AdafactorKernelTests {
    @Test(arguments: [Int32(0), 1, 2])
    func theKernelGivesTheFormulasBits(_ level: Int32) {
        let gen = Generator(seed: 21)
        for n in [1, 15, 16, 17, 100, 513] {
            let g = (0..<n).map { _ in Float(gen.normal()) }
            // column moments, some tiny enough that the floor wins
            let c = (0..<n).map { j in j % 7 == 0 ? Float(1e-38) : Float(gen.uniform() + 0.01) }
            let (r, mean, floor) = (Float(0.37), Float(0.52), Float(1e-30))
            let want = zip(g, c).map { g, c in 1 / Swift.max(r * c / mean, floor).squareRoot() * g }
            var got = [Float](repeating: 0, count: n)
            let sum = optlab_adafactor_row_f32_as(level, g, c, &got, n, r, mean, floor)
            #expect(got.map(\.bitPattern) == want.map(\.bitPattern), "n \(n), level \(level)")
            let exact = want.reduce(0.0) { $0 + Double($1) * Double($1) }
            #expect(Swift.abs(sum - exact) <= 1e-6 * exact, "Σu², n \(n), level \(level)")
        }
    }
}
