import Foundation
import Testing
@testable import OptLabRuntime

/// The update rules transcribed again from the notes, on plain Doubles, as
/// the independent reference for the optimizer's trajectories.
enum Transcribed {
    /// `weightDecay` λ is added to the gradient as λ·x, or with `decoupled`
    /// taken from the weights first, x ·= 1 − lr·λ (AdamW).
    static func run(_ rule: any UpdateRule, lr: Double, x0: [Double], grads: [[Double]], weightDecay: Double = 0,
                    decoupled: Bool = false) -> [Double] {
        var x = x0
        var s1 = [Double](repeating: 0, count: x0.count), s2 = s1
        for (t, g) in grads.enumerated() {
            var dx = g
            for i in x.indices {
                if decoupled { x[i] *= 1 - lr * weightDecay } else { dx[i] += weightDecay * x[i] }
                switch rule {
                case is SGDRule: x[i] += -lr * dx[i]
                case let r as MomentumRule: s1[i] = r.mu * s1[i] - lr * dx[i]; x[i] += s1[i]
                case let r as NesterovRule:
                    let vPrev = s1[i]
                    s1[i] = r.mu * s1[i] - lr * dx[i]
                    x[i] += -r.mu * vPrev + (1 + r.mu) * s1[i]
                case let r as AdagradRule: s1[i] += dx[i] * dx[i]; x[i] += -lr * dx[i] / (s1[i].squareRoot() + r.eps)
                case let r as RMSpropRule:
                    s1[i] = r.decay * s1[i] + (1 - r.decay) * dx[i] * dx[i]
                    x[i] += -lr * dx[i] / (s1[i].squareRoot() + r.eps)
                case let r as AdamRule:
                    let (b1, b2, step) = (r.beta1, r.beta2, Double(t + 1))
                    s1[i] = b1 * s1[i] + (1 - b1) * dx[i]
                    s2[i] = b2 * s2[i] + (1 - b2) * dx[i] * dx[i]
                    x[i] += -lr * (s1[i] / (1 - pow(b1, step))) / ((s2[i] / (1 - pow(b2, step))).squareRoot() + r.eps)
                default: Issue.record("no transcription of \(rule.name)")
                }
            }
        }
        return x
    }
}

@Suite struct OptimizerTests {
    @Test func nesterovInTheNotesFormHasPyTorchsIterates() throws {
        // PyTorch: b = mu·b + g(p); p -= lr·(g(p) + mu·b). The notes' form, with
        // v = -lr·b, gives the same parameters at every step (gradients of
        // f(x) = ½ Σ a_i x_i² taken at the stored parameters in both).
        let a = [1.0, 10, 0.3], lr = 0.02, mu = 0.9
        var p = [1.0, -2, 3], b = [0.0, 0, 0]
        let x = try Tensor.from([1, -2, 3], dtype: .f64).requiringGrad()
        let opt = try Optimizer([x], rule: .nesterov(mu: mu), learningRate: lr)
        for _ in 0..<50 {
            x.grad = try Tensor.from(zip(a, x.toDoubles()).map { $0 * $1 }, dtype: .f64)
            try opt.step()
            for i in 0..<3 {
                let gi = a[i] * p[i]
                b[i] = mu * b[i] + gi
                p[i] -= lr * (gi + mu * b[i])
            }
            expectClose(x.toDoubles(), p, tolerance: 1e-12)
        }
    }

    @Test func weightDecayAndDecoupledDecay() throws {
        let p = try Tensor.from([2], dtype: .f64).requiringGrad()
        let opt = try Optimizer([p], rule: .sgd, learningRate: 0.1, weightDecay: 0.5)
        p.grad = try Tensor.from([1], dtype: .f64)
        try opt.step()
        #expect(Swift.abs(try p.item() - (2 - 0.1 * (1 + 0.5 * 2))) < 1e-15)
        let q = try Tensor.from([2], dtype: .f64).requiringGrad()
        let w = try Optimizer([q], rule: .adam(beta1: 0.9, beta2: 0.999, eps: 1e-8), learningRate: 0.1, weightDecay: 0.5, decoupled: true)
        q.grad = try Tensor.from([1], dtype: .f64)
        try w.step()
        // x·(1 − lr·λ) then Adam's first step of size lr: 2·0.95 − 0.1
        #expect(Swift.abs(try q.item() - (2 * 0.95 - 0.1)) < 1e-6)
    }

    @Test func updateRatiosAreRecordedEachStep() throws {
        let p = try Tensor.from([3, 4], dtype: .f64).requiringGrad()
        let opt = try Optimizer([p], rule: .sgd, learningRate: 0.01)
        p.grad = try Tensor.from([1, 0], dtype: .f64)
        try opt.step()
        // update −0.01·[1, 0]; weights after the step [2.99, 4]
        #expect(Swift.abs(opt.updateRatios[0] - 0.01 / (2.99 * 2.99 + 16).squareRoot()) < 1e-15)
    }

    @Test(arguments: [(MomentumRule(mu: 0.9) as any UpdateRule, 1e-3, 6000), (NesterovRule(mu: 0.9), 1e-3, 6000),
                      (AdamRule(beta1: 0.9, beta2: 0.999, eps: 1e-8), 2e-2, 6000),
                      (RMSpropRule(decay: 0.99, eps: 1e-8), 2e-3, 8000), (AdagradRule(eps: 1e-8), 0.3, 8000)])
    func convergesOnRosenbrock(_ rule: any UpdateRule, _ lr: Double, _ steps: Int) throws {
        // f(x, y) = (1 − x)² + 100 (y − x²)², minimum at (1, 1)
        let p = try Tensor.from([-1.2, 1], dtype: .f64).requiringGrad()
        let opt = try Optimizer([p], rule: rule, learningRate: lr)
        for _ in 0..<steps {
            let (x, y) = (try p.value(at: [0]), try p.value(at: [1]))
            p.grad = try Tensor.from([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)], dtype: .f64)
            try opt.step()
        }
        let (x, y) = (try p.value(at: [0]), try p.value(at: [1]))
        #expect(Swift.abs(x - 1) < 0.05 && Swift.abs(y - 1) < 0.1, "\(rule.name) ended at (\(x), \(y))")
    }

    @Test func badSettingsAreRefused() throws {
        let p = try Tensor.zeros([2]).requiringGrad()
        #expect(throws: RuntimeError.self) { try Optimizer([p], rule: .sgd, learningRate: -1) }
        #expect(throws: RuntimeError.self) { try Optimizer([p], rule: .nesterov(mu: 1), learningRate: 0.1) }
        #expect(throws: RuntimeError.self) { try Optimizer([p], rule: .adagrad(eps: 0), learningRate: 0.1) }
        #expect(throws: RuntimeError.self) { try Optimizer([p], rule: .adam(beta1: 1, beta2: 0.999, eps: 1e-8), learningRate: 0.1) }
        #expect(throws: RuntimeError.self) { try Optimizer([p], rule: .rmsprop(decay: 1.5, eps: 1e-8), learningRate: 0.1) }
        #expect(throws: RuntimeError.self) { try Optimizer([Tensor(int32: [1])], rule: .sgd, learningRate: 0.1) }
    }
}

@Suite struct ScheduleTests {
    func optimizer(_ lr: Double = 0.1) throws -> Optimizer {
        try Optimizer([Tensor.zeros([1]).requiringGrad()], rule: .sgd, learningRate: lr)
    }

    @Test func plateauWaitsPatienceThenCoolsDown() throws {
        let opt = try optimizer(1)
        let s = try Schedule(.plateau(factor: 0.5, patience: 1, cooldown: 1, minimum: 0.2, mode: .max, threshold: 0), optimizer: opt)
        var rates: [Double] = []
        for metric in [0.5, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6] {
            try s.step(metric: metric)
            rates.append(opt.learningRate)
        }
        // Worked by hand: two steps without improvement (> patience 1) halve the
        // rate; the step after a cut is a cooldown step.
        #expect(rates == [1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25])
        #expect(throws: RuntimeError.self) { try s.step() }
    }

    @Test func momentumSchedule() throws {
        let m = try MomentumSchedule(start: 0.5, end: 0.99, steps: 10)
        #expect(m.momentum(at: 0) == 0.5 && Swift.abs(m.momentum(at: 5) - 0.745) < 1e-15 && m.momentum(at: 20) == 0.99)
    }
}

@Suite struct AveragingTests {
    @Test func emaAndPolyakFollowTheirFormulas() throws {
        let model = try Linear(1, 1, bias: false)
        try model.to(.f64)
        let w = model.weight
        try w.fill(0)
        let ema = try ParameterAverage(model, kind: .ema(decay: 0.9))
        let polyak = try ParameterAverage(model, kind: .polyak)
        var e = 0.0
        for v in [1.0, 2, 3] {
            try w.fill(v)
            try ema.update()
            try polyak.update()
            e = 0.9 * e + 0.1 * v
        }
        #expect(Swift.abs(try (ema.model() as? Linear)!.weight.item() - e) < 1e-15)
        #expect(Swift.abs(try (polyak.model() as? Linear)!.weight.item() - 2) < 1e-15)
    }
}

@Suite struct LBFGSTests {
    /// L2-regularised logistic regression (strictly convex) on a small data
    /// set; the optimum is found independently by Newton's method.
    @Test func reachesTheLogisticRegressionOptimumTo1e6() throws {
        let g = Generator(seed: 3)
        let n = 60
        let xs = (0..<n).map { _ in [g.normal(), g.normal()] }
        let ys = xs.map { $0[0] + 0.5 * $0[1] + 0.3 * g.normal() > 0 ? 1.0 : 0.0 }
        let lambda = 0.1
        // Newton: w = [w1, w2, b], loss = mean(log(1+e^z) − y·z) + ½λ(w1² + w2²)
        var w = [0.0, 0, 0]
        for _ in 0..<50 {
            var grad = [0.0, 0, 0], hess = [[Double]](repeating: [0, 0, 0], count: 3)
            for (x, y) in zip(xs, ys) {
                let f = [x[0], x[1], 1.0]
                let z = w[0] * f[0] + w[1] * f[1] + w[2]
                let p = 1 / (1 + Foundation.exp(-z))
                for i in 0..<3 {
                    grad[i] += (p - y) * f[i] / Double(n)
                    for j in 0..<3 { hess[i][j] += p * (1 - p) * f[i] * f[j] / Double(n) }
                }
            }
            for i in 0..<2 { grad[i] += lambda * w[i]; hess[i][i] += lambda }
            w = zip(w, solve3(hess, grad)).map { $0 - $1 }
        }

        let X = try Tensor.from(xs.flatMap { $0 }, shape: [n, 2], dtype: .f64), Y = try Tensor.from(ys, shape: [n, 1], dtype: .f64)
        let W = try Tensor.zeros([2, 1], dtype: .f64).requiringGrad(), b = try Tensor.zeros([1], dtype: .f64).requiringGrad()
        let opt = try LBFGS([W, b], history: 10, maxIterations: 100, toleranceGrad: 1e-12, toleranceChange: 1e-15)
        try opt.step {
            let z = try X.matmul(W).add(b)
            // log(1 + e^z) − y·z, written stably as max(z,0) + log(1 + e^−|z|) − y·z
            let loss = try z.relu().add(z.abs().neg().exp().add(1).log()).sub(Y.mul(z)).mean()
                .add(W.mul(W).sum().mul(0.5 * lambda))
            try loss.backward()
            return try loss.item()
        }
        expectClose(W.toDoubles() + b.toDoubles(), w, tolerance: 1e-6, floor: 1e-3)
    }

    func solve3(_ a: [[Double]], _ b: [Double]) -> [Double] {
        var m = a.enumerated().map { $0.element + [b[$0.offset]] }
        for c in 0..<3 {
            let p = (c..<3).max { Swift.abs(m[$0][c]) < Swift.abs(m[$1][c]) }!
            m.swapAt(c, p)
            for r in 0..<3 where r != c {
                let f = m[r][c] / m[c][c]
                for k in c..<4 { m[r][k] -= f * m[c][k] }
            }
        }
        return (0..<3).map { m[$0][3] / m[$0][$0] }
    }

    @Test func minimisesRosenbrockQuickly() throws {
        let p = try Tensor.from([-1.2, 1], dtype: .f64).requiringGrad()
        let opt = try LBFGS([p], maxIterations: 200, toleranceGrad: 1e-10, toleranceChange: 1e-14)
        try opt.step {
            let (x, y) = (try p.value(at: [0]), try p.value(at: [1]))
            p.grad = try Tensor.from([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)], dtype: .f64)
            return (1 - x) * (1 - x) + 100 * (y - x * x) * (y - x * x)
        }
        expectClose(p.toDoubles(), [1, 1], tolerance: 1e-6)
        #expect(opt.evaluations < 300, "took \(opt.evaluations) evaluations")
    }
}

@Suite struct SpiralConvergenceTests {
    @Test(arguments: [(SGDRule() as any UpdateRule, 1.0), (MomentumRule(mu: 0.9), 0.3), (NesterovRule(mu: 0.9), 0.3), (AdagradRule(eps: 1e-8), 0.3),
                      (RMSpropRule(decay: 0.99, eps: 1e-8), 0.01), (AdamRule(beta1: 0.9, beta2: 0.999, eps: 1e-8), 0.02)])
    func everyRuleTrainsTheSpiralMLP(_ rule: any UpdateRule, _ lr: Double) throws {
        let d = try Datasets.spiral(classes: 3, perClass: 100, seed: 0)
        let model = try Sequential([Linear(2, 100, initialization: .kaiming), ReLU(), Linear(100, 3)])
        let opt = try Optimizer(model.parameters(), rule: rule, learningRate: lr)
        for _ in 0..<500 {
            opt.zeroGrad()
            try Loss.softmaxCrossEntropy(model(d.inputs), d.labels).add(l2Penalty(model, strength: 1e-3)).backward()
            try opt.step()
        }
        #expect(try accuracy(model, d) > 0.9, "\(rule.name)")
    }
}

/// The rules' eight-lane loops against the formulas written per element, bit
/// for bit, at lengths around the lane count and the 256-element flush.
@Suite struct UpdateLaneTests {
    func buffers(_ n: Int, seed: UInt64) -> [[Float]] {
        let g = Generator(seed: seed)
        return (0..<4).map { k in (0..<n).map { _ in Float(g.normal()) * (k == 3 ? 0.01 : 1) + (k == 3 ? 0.02 : 0) } }
    }

    @Test(arguments: [1, 7, 8, 9, 15, 16, 17, 255, 256, 257, 1029])
    func adamLanesEqualTheScalarFormula(_ n: Int) {
        let b = buffers(n, seed: UInt64(n))
        var (x, dx, m, v) = (b[0], b[1], b[2], b[3].map(Swift.abs))
        var (xr, mr, vr) = (x, m, v)
        let rule = AdamRule(beta1: 0.9, beta2: 0.999, eps: 1e-8)
        let sq = x.withUnsafeMutableBufferPointer { xp in
            m.withUnsafeMutableBufferPointer { mp in
                v.withUnsafeMutableBufferPointer { vp in
                    dx.withUnsafeBufferPointer { gp in
                        rule.apply(xp.baseAddress!, gp.baseAddress!, [mp.baseAddress!, vp.baseAddress!], count: n, lr: 1e-3, t: 3)
                    }
                }
            }
        }
        let c1 = Float(1 - 0.9 * 0.9 * 0.9), c2 = Float(1 - 0.999 * 0.999 * 0.999)
        var want = 0.0
        for i in 0..<n {
            mr[i] = 0.9 * mr[i] + (1 - 0.9) * dx[i]
            vr[i] = 0.999 * vr[i] + (1 - 0.999) * dx[i] * dx[i]
            let u = -Float(1e-3) * (mr[i] / c1) / ((vr[i] / c2).squareRoot() + 1e-8)
            xr[i] += u
            want += Double(u * u)
        }
        #expect(x.map(\.bitPattern) == xr.map(\.bitPattern))
        #expect(m.map(\.bitPattern) == mr.map(\.bitPattern) && v.map(\.bitPattern) == vr.map(\.bitPattern))
        #expect(Swift.abs(sq - want) <= 1e-5 * want, "Σu² \(sq) vs \(want)")
    }

    @Test(arguments: [1, 8, 13, 256, 1029])
    func nesterovLanesEqualTheScalarFormula(_ n: Int) {
        let b = buffers(n, seed: UInt64(n) + 99)
        var (x, dx, vel) = (b[0], b[1], b[2])
        var (xr, vr) = (x, vel)
        let rule = NesterovRule(mu: 0.9)
        _ = x.withUnsafeMutableBufferPointer { xp in
            vel.withUnsafeMutableBufferPointer { vp in
                dx.withUnsafeBufferPointer { gp in rule.apply(xp.baseAddress!, gp.baseAddress!, [vp.baseAddress!], count: n, lr: 0.05, t: 1) }
            }
        }
        for i in 0..<n {
            let prev = vr[i]
            vr[i] = 0.9 * vr[i] - 0.05 * dx[i]
            xr[i] += -0.9 * prev + (1 + 0.9) * vr[i]
        }
        #expect(x.map(\.bitPattern) == xr.map(\.bitPattern) && vel.map(\.bitPattern) == vr.map(\.bitPattern))
    }
}
