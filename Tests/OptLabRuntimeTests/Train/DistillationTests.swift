import Foundation
import Testing
@testable import OptLabRuntime

/// The distillation loss and its gradient against a hand computation.
@Suite struct DistillationTests {
    func softmax(_ z: [Double]) -> [Double] {
        let m = z.max()!, e = z.map { Foundation.exp($0 - m) }, s = e.reduce(0, +)
        return e.map { $0 / s }
    }

    @Test func lossAndGradientAreHinton() throws {
        let z: [[Double]] = [[1.0, -0.5, 2.0], [0.3, 0.1, -1.2]]
        let p: [[Double]] = [[0.2, 0.1, 0.7], [0.5, 0.4, 0.1]]
        let labels = [2, 0]
        let T = 3.0, alpha = 0.75, n = 2.0
        let scores = try Tensor.from(z.flatMap { $0 }, dtype: .f64).reshape([2, 3]).requiringGrad()
        let targets = try Tensor.from(p.flatMap { $0 }, dtype: .f64).reshape([2, 3])
        let l = try Distillation.loss(scores: scores, softTargets: targets, labels: try Tensor.from(labels.map(Double.init), dtype: .i32),
                                      temperature: T, alpha: alpha)
        try l.backward()
        // by hand: KL(p ‖ softmax(z/T)) and the cross-entropy, per example, averaged
        var kl = 0.0, ce = 0.0
        var grad: [Double] = []
        for i in 0..<2 {
            let q = softmax(z[i].map { $0 / T }), s = softmax(z[i])
            for c in 0..<3 { kl += p[i][c] * (Foundation.log(p[i][c]) - Foundation.log(q[c])) }
            ce -= Foundation.log(s[labels[i]])
            for c in 0..<3 {
                // d/dz of α·T²·KL/n is α·T·(q − p)/n; of (1 − α)·CE/n is (1 − α)(s − onehot)/n
                grad.append(alpha * T * (q[c] - p[i][c]) / n + (1 - alpha) * (s[c] - (c == labels[i] ? 1 : 0)) / n)
            }
        }
        let want = alpha * T * T * kl / n + (1 - alpha) * ce / n
        let value = try l.item()
        #expect(Swift.abs(value - want) < 1e-12, "loss \(value), by hand \(want)")
        for (g, w) in zip(scores.grad!.toDoubles(), grad) { #expect(Swift.abs(g - w) < 1e-12, "gradient \(g), by hand \(w)") }
    }

    @Test func anEnsembleTeachesItsMembersSoftenedAverage() throws {
        let a = try Linear(2, 3, dtype: .f64), b = try Linear(2, 3, dtype: .f64)
        let x = try Tensor.from([0.5, -1.0, 2.0, 0.25], dtype: .f64).reshape([2, 2])
        let e = try Ensemble([a, b])
        let got = try Distillation.softTargets(e, x, temperature: 2).toDoubles()
        let pa = try a(x).div(2).softmax(dim: -1).toDoubles(), pb = try b(x).div(2).softmax(dim: -1).toDoubles()
        for (g, (u, v)) in zip(got, zip(pa, pb)) { #expect(Swift.abs(g - (u + v) / 2) < 1e-12) }
    }
}
