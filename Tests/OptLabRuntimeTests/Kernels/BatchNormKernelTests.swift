import Testing
@testable import OptLabRuntime

/// The fused NCHW BatchNorm kernel against the definition written with tensor
/// ops (permute to channels-last, mean, biased variance, affine), and its
/// parameters' gradients against finite differences.
@Suite struct BatchNormKernelTests {
    /// y = γ·(x − μ)/√(σ² + ε) + β per channel, from tensor ops.
    static func reference(_ x: Tensor, _ gamma: Tensor, _ beta: Tensor, eps: Double = 1e-5) throws -> Tensor {
        let c = x.shape[1]
        let rows = x.rank == 4 ? try x.permute([0, 2, 3, 1]).reshape([-1, c]) : x
        let y = try rows.sub(rows.mean(dim: 0)).div(rows.variance(dim: 0, correction: 0).add(eps).sqrt()).mul(gamma).add(beta)
        guard x.rank == 4 else { return y }
        return try y.reshape([x.shape[0], x.shape[2], x.shape[3], c]).permute([0, 3, 1, 2])
    }

    // planes of 45, 1, 221 and 1600 elements (over the kernels' 1024-element chunk)
    @Test(arguments: [[7, 3, 5, 9], [33, 4], [2, 5, 1, 1], [3, 2, 17, 13], [2, 3, 40, 40]])
    func matchesTheDefinitionWithItsGradients(_ shape: [Int]) throws {
        for dtype in [DType.f64, .f32] {
            let bn = try BatchNorm(shape[1], dtype: dtype)
            let g = Generator(seed: 5)
            try bn.parameter(0).copy(from: Tensor.randn([shape[1]], dtype: dtype, generator: g).add(1))
            try bn.parameter(1).copy(from: Tensor.randn([shape[1]], dtype: dtype, generator: g))
            let x = try Tensor.randn(shape, dtype: dtype, generator: g).mul(3).add(5).requiringGrad()
            let upstream = try Tensor.randn(shape, dtype: dtype, generator: g)
            let y = try bn(x)
            try y.mul(upstream).sum().backward()
            let (dx, dgamma, dbeta) = (x.grad!, bn.parameter(0).grad!, bn.parameter(1).grad!)

            let x2 = try x.detach().clone().requiringGrad()
            let gamma = try bn.parameter(0).detach().clone().requiringGrad(), beta = try bn.parameter(1).detach().clone().requiringGrad()
            let want = try Self.reference(x2, gamma, beta)
            try want.mul(upstream).sum().backward()
            let tol = dtype == .f64 ? 1e-10 : 2e-4
            expectClose(y.toDoubles(), want.toDoubles(), tolerance: tol, floor: 1)
            expectClose(dx.toDoubles(), x2.grad!.toDoubles(), tolerance: tol, floor: 1)
            expectClose(dgamma.toDoubles(), gamma.grad!.toDoubles(), tolerance: tol, floor: 1)
            expectClose(dbeta.toDoubles(), beta.grad!.toDoubles(), tolerance: tol, floor: 1)
        }
    }

    @Test func parameterGradientsMatchFiniteDifferences() throws {
        let x = try f64([4, 3, 2, 5], seed: 21)
        let upstream = try f64([4, 3, 2, 5], seed: 22)
        try expectGradientsMatch([try f64([3], seed: 23), try f64([3], seed: 24)], tolerance: 1e-6) { p in
            let bn = try BatchNorm(3, dtype: .f64)
            bn.parameterSlots[0].tensor = p[0]
            bn.parameterSlots[1].tensor = p[1]
            return try bn(x).mul(upstream).sum()
        }
    }

    @Test func evaluationUsesTheRunningStatisticsAndPassesGradients() throws {
        let bn = try BatchNorm(2, dtype: .f64)
        let x = try f64([6, 2, 3, 3], seed: 31).mul(2).add(1)
        _ = try bn(x)
        // running: 10% of the batch's mean, and of its unbiased variance plus 90% of 1
        let rows = try x.permute([0, 2, 3, 1]).reshape([-1, 2])
        expectClose(bn.buffer(0).toDoubles(), try rows.mean(dim: 0).mul(0.1).toDoubles(), tolerance: 1e-12, floor: 1)
        expectClose(bn.buffer(1).toDoubles(), try rows.variance(dim: 0, correction: 1).mul(0.1).add(0.9).toDoubles(), tolerance: 1e-12)
        bn.evaluate()
        let scale = try bn.parameter(0).div(bn.buffer(1).add(1e-5).sqrt())
        let want = try x.sub(bn.buffer(0).reshape([1, 2, 1, 1])).mul(scale.reshape([1, 2, 1, 1])).add(bn.parameter(1).reshape([1, 2, 1, 1]))
        expectClose(try bn(x).toDoubles(), want.toDoubles(), tolerance: 1e-12, floor: 1)
        try expectGradientsMatch([x], tolerance: 1e-6) { try bn($0[0]).mul($0[0]).sum() }
    }

    @Test func theSameBitsFromRunToRunAtAFixedThreadCount() throws {
        let x = try Tensor.randn([16, 8, 12, 12], generator: Generator(seed: 41))
        func once() throws -> [Float] {
            let bn = try BatchNorm(8)
            let xi = try x.detach().clone().requiringGrad()
            try bn(xi).pow(2).sum().backward()
            return try [Float](xi.grad!) + [Float](bn.parameter(0).grad!)
        }
        let first = try once()
        for _ in 0..<3 { #expect(try once() == first) }
    }
}
