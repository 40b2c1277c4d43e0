import Foundation
import Testing
@testable import OptLabRuntime

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
