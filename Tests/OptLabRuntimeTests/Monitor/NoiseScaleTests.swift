import Foundation
import Testing
@testable import OptLabRuntime

/// The noise scale on linear regression, where every example's gradient is
/// known in closed form: g_i = 2·x_i·(x_iᵀw − y_i) for the loss (xᵀw − y)²,
/// so |G|² and tr(Σ) of the data set (the population the batches are drawn
/// from, with replacement) are exact, and B_simple = tr(Σ)/|G|² must lie
/// within three of the estimate's stated standard errors.
@Suite struct NoiseScaleTests {
    @Test func linearRegressionsNoiseScaleIsWithinItsStatedError() throws {
        let g = Generator(seed: 12)
        let (n, d) = (2000, 10)
        let x = try Tensor.randn([n, d], dtype: .f64, generator: g)
        let wStar = try Tensor.randn([d, 1], dtype: .f64, generator: g)
        let y = try x.matmul(wStar).add(Tensor.randn([n, 1], dtype: .f64, generator: g).mul(0.5))
        let model = try Sequential([Linear(d, 1, bias: false)])
        try model.to(.f64)
        let w = model.parameters()[0]
        try Tensor.withNoGrad { try w.copy(from: wStar.t().add(Tensor.randn([1, d], dtype: .f64, generator: g).mul(0.3))) }
        let data = try Dataset(inputs: x, values: y)
        let loss: Trainer.LossFunction = { s, t in let e = try s.sub(t); return try e.mul(e).mean() }

        // the exact population values from the per-example gradients
        let residual = try x.matmul(w.t()).sub(y)                       // [n, 1]
        let perExample = try x.mul(residual).mul(2)                      // [n, d]
        let mean = try perExample.mean(dim: 0, keepDim: true)
        let gradSq = try mean.mul(mean).sum().item()
        let centred = try perExample.sub(mean)
        let trace = try centred.mul(centred).sum().item() / Double(n)
        let exact = trace / gradSq

        let before = w.toDoubles()
        let e = try NoiseScale.estimate(model: model, loss: loss, data: data, small: 8, big: 128, steps: 200, seed: 3)
        #expect(Swift.abs(e.bSimple - exact) <= 3 * e.standardError, "B_simple \(e.bSimple) ± \(e.standardError) vs exact \(exact)")
        #expect(e.standardError < 0.25 * exact, "the error is small enough to mean something: \(e.standardError)")
        #expect(w.toDoubles() == before, "the parameters are not changed")
        #expect(w.grad == nil, "their gradients are as they were")
    }

    @Test func badArgumentsAreErrors() throws {
        let model = try Sequential([Linear(2, 1)])
        let data = try Dataset(inputs: Tensor.zeros([4, 2]), values: Tensor.zeros([4, 1]))
        let loss: Trainer.LossFunction = { s, t in try s.sub(t).mul(s.sub(t)).mean() }
        #expect(throws: RuntimeError.self) { try NoiseScale.estimate(model: model, loss: loss, data: data, small: 8, big: 8, steps: 5) }
        #expect(throws: RuntimeError.self) { try NoiseScale.estimate(model: model, loss: loss, data: data, small: 2, big: 4, steps: 1) }
    }
}
