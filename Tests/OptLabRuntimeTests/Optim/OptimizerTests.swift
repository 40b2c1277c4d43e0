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
