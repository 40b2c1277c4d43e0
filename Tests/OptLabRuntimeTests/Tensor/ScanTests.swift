import Testing
@testable import OptLabRuntime

/// cumsum … softplus against numpy in f64 and finite differences; sort's
/// stability and NaN order; cumprod's gradient through zeros.
@Suite struct ScanTests {
    @Test func valuesMatchNumpy() throws {
        let x = try f64([3, 5], seed: 41), y = try f64([3, 5], seed: 42)
        let ref = try NumpyOracle.run("""
        import math
        erf = np.vectorize(math.erf)
        out = dict(cumsum=np.cumsum(x, axis=1), cumprod=np.cumprod(x, axis=0), sort=np.sort(x, axis=1),
                   argsort=np.argsort(x, axis=1, kind="stable").astype(np.float64), top=-np.sort(-x, axis=1)[:, :2],
                   lerp=x + 0.3 * (y - x), gelu=0.5 * x * (1 + erf(x / np.sqrt(2))),
                   gelutanh=0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3))),
                   silu=x / (1 + np.exp(-x)), softplus=np.where(2 * x > 1, x, np.log1p(np.exp(2 * x)) / 2))
        """, ["x": x, "y": y])
        try expectClose(x.cumsum(dim: 1).toDoubles(), ref["cumsum"]!.toDoubles(), tolerance: 1e-14)
        try expectClose(x.cumprod(dim: 0).toDoubles(), ref["cumprod"]!.toDoubles(), tolerance: 1e-14)
        try expectClose(x.sort(dim: 1).values.toDoubles(), ref["sort"]!.toDoubles(), tolerance: 0)
        try expectClose(x.sort(dim: 1).indices.toDoubles(), ref["argsort"]!.toDoubles(), tolerance: 0)
        try expectClose(x.topk(2, dim: 1).values.toDoubles(), ref["top"]!.toDoubles(), tolerance: 0)
        try expectClose(x.lerp(y, weight: .scalar(0.3, dtype: .f64)).toDoubles(), ref["lerp"]!.toDoubles(), tolerance: 1e-14)
        try expectClose(x.gelu().toDoubles(), ref["gelu"]!.toDoubles(), tolerance: 1e-14)
        try expectClose(x.gelu(tanh: true).toDoubles(), ref["gelutanh"]!.toDoubles(), tolerance: 1e-14)
        try expectClose(x.silu().toDoubles(), ref["silu"]!.toDoubles(), tolerance: 1e-14)
        try expectClose(x.softplus(beta: 2, threshold: 1).toDoubles(), ref["softplus"]!.toDoubles(), tolerance: 1e-14)
    }

    @Test func sortIsStableAndPutsNaNWherePyTorchDoes() throws {
        let x = try Tensor.from([2, .nan, 1, 2, 1], dtype: .f64)
        #expect(try x.sort().indices.toDoubles() == [2, 4, 0, 3, 1], "ties in their order, NaN last ascending")
        #expect(try x.sort(descending: true).indices.toDoubles() == [1, 0, 3, 2, 4], "NaN first descending")
        #expect(try x.topk(1, largest: false).indices.toDoubles() == [2])
        #expect(throws: RuntimeError.self) { try x.topk(6) }
    }

    @Test func scatterAndIndexAdd() throws {
        let base = try f64([3, 2], seed: 43)
        let index = try Tensor.from([2, 0, 2, 1], dtype: .i32).reshape([4, 1]).expand([4, 2])
        let src = try f64([4, 2], seed: 44)
        let ref = try NumpyOracle.run("""
        o = b.copy(); np.add.at(o, (i.astype(int), np.arange(2)[None, :].repeat(4, 0)), s)
        p = b.copy(); np.add.at(p, [2, 0], 0.5 * s[:2])
        out = dict(scatter=o, index=p)
        """, ["b": base, "i": try index.to(.f64), "s": src])
        try expectClose(base.scatterAdd(dim: 0, index, src).toDoubles(), ref["scatter"]!.toDoubles(), tolerance: 1e-15)
        try expectClose(base.indexAdd(dim: 0, Tensor.from([2, 0], dtype: .i32), src.narrow(dim: 0, start: 0, length: 2), alpha: 0.5).toDoubles(),
                        ref["index"]!.toDoubles(), tolerance: 1e-15)
        #expect(throws: RuntimeError.self) { try base.scatterAdd(dim: 0, Tensor.from([3], dtype: .i32).reshape([1, 1]), try f64([1, 1], seed: 1)) }
    }

    @Test func gradientsMatchFiniteDifferences() throws {
        let x = try f64([3, 4], seed: 45), y = try f64([3, 4], seed: 46)
        try expectGradientsMatch([x]) { try $0[0].cumsum(dim: 1) }
        try expectGradientsMatch([x]) { try $0[0].cumprod(dim: 1) }
        // a zero in the line: the gradient still holds (no division by x)
        let z = try x.clone(); z.setElement(5, 0)
        try expectGradientsMatch([z]) { try $0[0].cumprod(dim: 1) }
        try expectGradientsMatch([x]) { try $0[0].sort(dim: 1, descending: true).values }
        try expectGradientsMatch([x]) { try $0[0].topk(2, dim: 0).values }
        try expectGradientsMatch([x, y]) { try $0[0].lerp($0[1], weight: .scalar(0.25, dtype: .f64)) }
        try expectGradientsMatch([x]) { try $0[0].gelu() }
        try expectGradientsMatch([x]) { try $0[0].gelu(tanh: true) }
        try expectGradientsMatch([x]) { try $0[0].silu() }
        try expectGradientsMatch([x]) { try $0[0].mul(5).softplus(beta: 1, threshold: 3) }
        let index = try Tensor.from([1, 0, 1, 2], dtype: .i32).reshape([1, 4])
        try expectGradientsMatch([x, try f64([1, 4], seed: 47)]) { try $0[0].scatterAdd(dim: 0, index, $0[1]) }
        try expectGradientsMatch([x, try f64([2, 4], seed: 48)]) { try $0[0].indexAdd(dim: 0, Tensor.from([2, 2], dtype: .i32), $0[1], alpha: 3) }
    }
}
