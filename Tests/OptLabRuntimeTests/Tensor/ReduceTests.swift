import Testing
@testable import OptLabRuntime

@Suite struct ReduceTests {
    @Test func reductionsMatchNumpy() throws {
        let x = try f64([3, 4, 5], seed: 11)
        let ref = try NumpyOracle.run("""
        out = dict(s=x.sum(), s0=x.sum(0), s1=x.sum(1), s2=x.sum(2), m1=x.mean(1), mx2=x.max(2), mn0=x.min(0),
                   am2=x.argmax(2).astype(np.int32), ai1=x.argmin(1).astype(np.int32),
                   v=x.var(ddof=1), sd2=x.std(2, ddof=1), vp=x.var(0), n=np.linalg.norm(x.ravel()))
        """, ["x": x])
        try expectClose([x.sum().item()], ref["s"]!.toDoubles(), tolerance: 1e-14)
        try expectClose(x.sum(dim: 0).toDoubles(), ref["s0"]!.toDoubles(), tolerance: 1e-14)
        try expectClose(x.sum(dim: 1).toDoubles(), ref["s1"]!.toDoubles(), tolerance: 1e-14)
        try expectClose(x.sum(dim: -1).toDoubles(), ref["s2"]!.toDoubles(), tolerance: 1e-14)
        try expectClose(x.mean(dim: 1).toDoubles(), ref["m1"]!.toDoubles(), tolerance: 1e-14)
        try expectClose(x.max(dim: 2).toDoubles(), ref["mx2"]!.toDoubles(), tolerance: 0)
        try expectClose(x.min(dim: 0).toDoubles(), ref["mn0"]!.toDoubles(), tolerance: 0)
        #expect(try x.argmax(dim: 2).toInt32s() == ref["am2"]!.toInt32s())
        #expect(try x.argmin(dim: 1).toInt32s() == ref["ai1"]!.toInt32s())
        try expectClose([x.variance().item()], ref["v"]!.toDoubles(), tolerance: 1e-13)
        try expectClose(x.std(dim: 2).toDoubles(), ref["sd2"]!.toDoubles(), tolerance: 1e-13)
        try expectClose(x.variance(dim: 0, correction: 0).toDoubles(), ref["vp"]!.toDoubles(), tolerance: 1e-13)
        try expectClose([x.norm().item()], ref["n"]!.toDoubles(), tolerance: 1e-14)
        #expect(try x.sum(dim: 1, keepDim: true).shape == [3, 1, 5])
    }

    @Test func float32SumOfAMillionStaysAccurate() throws {
        // Σ 1..2^20 accumulated element by element in f32 drifts far; the
        // blocked SIMD sum with a Double carry stays within f32 precision.
        let n = 1 << 20
        let x = try Tensor.arange(1, Double(n + 1), dtype: .f32)
        let exact = Double(n) * Double(n + 1) / 2
        var naive: Float = 0
        for v in x.toFloats() { naive += v }
        let ours = try x.sum().item()
        #expect(Swift.abs(ours - exact) / exact < 1e-7)
        #expect(Swift.abs(Double(naive) - exact) / exact > 100 * Swift.abs(ours - exact) / exact)
    }

    @Test func reductionGradientsMatchFiniteDifferences() throws {
        let x = try f64([3, 4], seed: 12)
        try expectGradientsMatch([x]) { try $0[0].sum() }
        try expectGradientsMatch([x]) { try $0[0].sum(dim: 0) }
        try expectGradientsMatch([x]) { try $0[0].sum(dim: 1, keepDim: true) }
        try expectGradientsMatch([x]) { try $0[0].mean() }
        try expectGradientsMatch([x]) { try $0[0].mean(dim: 1) }
        try expectGradientsMatch([x]) { try $0[0].max() }
        try expectGradientsMatch([x]) { try $0[0].max(dim: 1) }
        try expectGradientsMatch([x]) { try $0[0].min(dim: 0) }
        try expectGradientsMatch([x]) { try $0[0].variance() }
        try expectGradientsMatch([x]) { try $0[0].std(dim: 1) }
        try expectGradientsMatch([x]) { try $0[0].norm() }
    }

    @Test func nanIsNeverHiddenByMax() throws {
        let x = try Tensor.from([1, .nan, 3])
        #expect(try x.max().item().isNaN)
        #expect(try x.relu().toDoubles()[1].isNaN)
    }

    @Test func reductionErrors() throws {
        let x = try Tensor.zeros([2, 3])
        #expect(throws: RuntimeError(.argument, "sum", "dimension 2 is out of range for a tensor of shape [2,3]")) { try x.sum(dim: 2) }
        #expect(throws: RuntimeError.self) { try Tensor.zeros([0]).max() }
        #expect(throws: RuntimeError.self) { try Tensor.zeros([1]).variance() }
    }
}
