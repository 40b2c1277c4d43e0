import Testing
@testable import OptLabRuntime

@Suite struct ElementwiseTests {
    @Test func binaryOpsMatchNumpyWithBroadcasting() throws {
        let a = try f64([4, 1, 3], seed: 1), b = try f64([5, 3], seed: 2).abs().add(0.5)
        let ref = try NumpyOracle.run("""
        out = dict(add=a+b, sub=a-b, mul=a*b, div=a/b, pow=np.abs(a)**b, max=np.maximum(a,b), min=np.minimum(a,b),
                   gt=(a>b).astype(np.float64), le=(a<=b).astype(np.float64))
        """, ["a": a, "b": b])
        try expectClose(a.add(b).toDoubles(), ref["add"]!.toDoubles(), tolerance: 1e-15)
        try expectClose(a.sub(b).toDoubles(), ref["sub"]!.toDoubles(), tolerance: 1e-15)
        try expectClose(a.mul(b).toDoubles(), ref["mul"]!.toDoubles(), tolerance: 1e-15)
        try expectClose(a.div(b).toDoubles(), ref["div"]!.toDoubles(), tolerance: 1e-15)
        try expectClose(a.abs().pow(b).toDoubles(), ref["pow"]!.toDoubles(), tolerance: 1e-14)
        try expectClose(a.maximum(b).toDoubles(), ref["max"]!.toDoubles(), tolerance: 0)
        try expectClose(a.minimum(b).toDoubles(), ref["min"]!.toDoubles(), tolerance: 0)
        try expectClose(a.compare("gt", b).toDoubles(), ref["gt"]!.toDoubles(), tolerance: 0)
        try expectClose(a.compare("le", b).toDoubles(), ref["le"]!.toDoubles(), tolerance: 0)
        #expect(try a.add(b).shape == [4, 5, 3])
    }

    @Test func unaryOpsMatchNumpy() throws {
        let x = try f64([3, 7], seed: 3).mul(3)
        let ref = try NumpyOracle.run("""
        out = dict(exp=np.exp(x), log=np.log(np.abs(x)), sqrt=np.sqrt(np.abs(x)), tanh=np.tanh(x),
                   sig=1/(1+np.exp(-x)), relu=np.maximum(x,0), leaky=np.where(x>0,x,0.1*x), clamp=np.clip(x,-1,0.5),
                   sq=x**2, cube=x**3, neg=-x)
        """, ["x": x])
        try expectClose(x.exp().toDoubles(), ref["exp"]!.toDoubles(), tolerance: 1e-15)
        try expectClose(x.abs().log().toDoubles(), ref["log"]!.toDoubles(), tolerance: 1e-15)
        try expectClose(x.abs().sqrt().toDoubles(), ref["sqrt"]!.toDoubles(), tolerance: 1e-15)
        try expectClose(x.tanh().toDoubles(), ref["tanh"]!.toDoubles(), tolerance: 1e-15)
        try expectClose(x.sigmoid().toDoubles(), ref["sig"]!.toDoubles(), tolerance: 1e-15)
        try expectClose(x.relu().toDoubles(), ref["relu"]!.toDoubles(), tolerance: 0)
        try expectClose(x.leakyRelu(0.1).toDoubles(), ref["leaky"]!.toDoubles(), tolerance: 1e-15)
        try expectClose(x.clamp(min: -1, max: 0.5).toDoubles(), ref["clamp"]!.toDoubles(), tolerance: 0)
        try expectClose(x.pow(2).toDoubles(), ref["sq"]!.toDoubles(), tolerance: 1e-15)
        try expectClose(x.pow(3).toDoubles(), ref["cube"]!.toDoubles(), tolerance: 1e-14)
        try expectClose(x.neg().toDoubles(), ref["neg"]!.toDoubles(), tolerance: 0)
    }

    @Test func sigmoidIsStableAtTheExtremes() throws {
        let x = try Tensor.from([-1000, -30, 0, 30, 1000], dtype: .f32)
        let y = try x.sigmoid().toDoubles()
        #expect(y[0] == 0 && y[4] == 1 && y[2] == 0.5)
        #expect(y.allSatisfy { $0.isFinite })
    }

    @Test func float32KernelsAgreeWithFloat64() throws {
        let x = try f64([1000], seed: 4)
        let x32 = try x.to(.f32)
        for (name, f) in [("exp", { (t: Tensor) in try t.exp() }), ("tanh", { try $0.tanh() }),
                          ("mul", { try $0.mul($0) }), ("sigmoid", { try $0.sigmoid() })] as [(String, (Tensor) throws -> Tensor)] {
            let a = try f(x32).toDoubles(), b = try f(x).toDoubles()
            #expect(try f(x32).dtype == .f32, "\(name)")
            expectClose(a, b, tolerance: 1e-6, floor: 1e-6)
        }
    }

    @Test func binaryGradientsMatchFiniteDifferences() throws {
        let a = try f64([3, 4], seed: 5), b = try f64([4], seed: 6)
        try expectGradientsMatch([a, b]) { try $0[0].add($0[1]) }
        try expectGradientsMatch([a, b]) { try $0[0].sub($0[1]) }
        try expectGradientsMatch([a, b]) { try $0[0].mul($0[1]) }
        try expectGradientsMatch([a, try b.abs().add(0.5)]) { try $0[0].div($0[1]) }
        try expectGradientsMatch([try a.abs().add(0.5), try f64([3, 1], seed: 7)]) { try $0[0].pow($0[1]) }
        try expectGradientsMatch([a, b]) { try $0[0].maximum($0[1]) }
        try expectGradientsMatch([a, b]) { try $0[0].minimum($0[1]) }
        try expectGradientsMatch([a, try f64([3, 4], seed: 8), try f64([3, 4], seed: 9)]) {
            try $0[1].where($0[0].compare("gt", .scalar(0, dtype: .f64)), $0[2])
        }
    }

    /// `where` against a plain Swift loop: masks of every dtype (NaN counts as
    /// non-zero, as in numpy), operands of the result's shape or single values,
    /// infinities kept (no mask·a arithmetic), lengths on both sides of the
    /// parallel threshold; the broadcasting path and a scalar operand's gradient.
    @Test func whereSelectsWithoutArithmetic() throws {
        for n in [1, 7, 65_537, 131_075] {
            let g = Generator(seed: UInt64(n))
            let maskValues = try [Float](Tensor.randn([n], generator: g)).enumerated().map { i, v in i % 11 == 3 ? Float.nan : v > 0 ? 1 : 0 }
            var aValues = try [Float](Tensor.randn([n], generator: g)), bValues = try [Float](Tensor.randn([n], generator: g))
            aValues[0] = .infinity; bValues[n - 1] = -.infinity
            let a = try Tensor(shape: [n], aValues), b = try Tensor(shape: [n], bValues)
            for mask in [try Tensor(shape: [n], maskValues), try Tensor(shape: [n], maskValues).to(.f64), try Tensor(shape: [n], maskValues.map { $0.isNaN ? 1 : $0 }).to(.i32)] {
                let chosen = maskValues.map { $0 != 0 }
                #expect(try [Float](a.where(mask, b)) == zip(chosen, zip(aValues, bValues)).map { $0 ? $1.0 : $1.1 }, "n \(n), \(mask.dtype)")
                #expect(try [Float](a.where(mask, .scalar(2))) == zip(chosen, aValues).map { $0 ? $1 : 2 })
                #expect(try [Float](Tensor.scalar(-1).where(mask, b)) == zip(chosen, bValues).map { $0 ? -1 : $1 })
                #expect(try [Float](Tensor.scalar(-1).where(mask, .scalar(5))) == chosen.map { $0 ? -1 : 5 })
            }
        }
        // broadcasting: a [2,1] mask against [2,3] operands
        let m = try Tensor(shape: [2, 1], [1, 0] as [Float]), x = try Tensor(shape: [2, 3], [1, 2, 3, 4, 5, 6] as [Float])
        #expect(try [Float](x.where(m, x.neg())) == [1, 2, 3, -4, -5, -6])
        // mixed dtypes promote: f32 values, an f64 other
        #expect(try x.where(m, .scalar(0, dtype: .f64)).dtype == .f64)
        try expectGradientsMatch([try f64([3, 4], seed: 11), try f64([1], seed: 12)]) {
            try $0[0].where($0[0].compare("gt", .scalar(0, dtype: .f64)), $0[1])
        }
    }

    @Test func unaryGradientsMatchFiniteDifferences() throws {
        // Points kept away from kinks (|x| ≥ 0.05) so a centered difference is valid.
        let raw = try f64([2, 5], seed: 10)
        let x = try raw.add(raw.sign().mul(0.05))
        try expectGradientsMatch([x]) { try $0[0].neg() }
        try expectGradientsMatch([x]) { try $0[0].exp() }
        try expectGradientsMatch([try x.abs()]) { try $0[0].log() }
        try expectGradientsMatch([try x.abs()]) { try $0[0].sqrt() }
        try expectGradientsMatch([x]) { try $0[0].abs() }
        try expectGradientsMatch([x]) { try $0[0].tanh() }
        try expectGradientsMatch([x]) { try $0[0].sigmoid() }
        try expectGradientsMatch([x]) { try $0[0].relu() }
        try expectGradientsMatch([x]) { try $0[0].leakyRelu(0.2) }
        try expectGradientsMatch([x]) { try $0[0].clamp(min: -0.7, max: 0.3) }
        try expectGradientsMatch([x]) { try $0[0].pow(3) }
        try expectGradientsMatch([x]) { try $0[0].pow(2) }
        // Linear, so a large h is exact; a small one would measure f32 rounding instead.
        try expectGradientsMatch([x], h: 1e-2, tolerance: 1e-5) { try $0[0].to(.f32).to(.f64) }
    }

    @Test func dtypesPromoteAndIntegersWrap() throws {
        let i = try Tensor(int32: [Int32.max, 5])
        let f = try Tensor([Float(0.5), 1.5])
        #expect(try i.add(f).dtype == .f32)
        #expect(try f.add(try f64([2], seed: 1)).dtype == .f64)
        #expect(try i.add(try Tensor(int32: [1, 1])).toInt32s() == [Int32.min, 6])  // wraps, never traps
        #expect(try i.div(try Tensor(int32: [2, 2])).dtype == .f32)                   // true division
        #expect(try Tensor(int32: [7]).div(2).toDoubles() == [3.5])
    }

    @Test func badShapesAndDtypesThrowClearErrors() throws {
        let a = try Tensor.zeros([2, 3]), b = try Tensor.zeros([4])
        #expect(throws: RuntimeError(.shape, "add", "shapes [2,3] and [4] do not broadcast (dimension 2: 3 vs 4)")) { try a.add(b) }
        #expect(throws: RuntimeError(.dtype, "exp", "expected f32 or f64, got i32 (convert with to(\"f32\"))")) {
            try Tensor(int32: [1]).exp()
        }
        #expect(throws: RuntimeError.self) { try a.clamp(min: 1, max: 0) }
        #expect(throws: RuntimeError.self) { try a.compare("approx", a) }
    }
}
