import Testing
@testable import OptLabRuntime

/// sin … square against numpy (scipy's erf through math.erf) in f64, their
/// gradients against finite differences, the rounding functions' zero
/// gradient and half-to-even rule, and i32 inputs promoted as PyTorch does.
@Suite struct MathTests {
    @Test func valuesMatchNumpy() throws {
        let x = try f64([4, 6], seed: 11).mul(2)
        let ref = try NumpyOracle.run("""
        import math
        out = dict(sin=np.sin(x), cos=np.cos(x), floor=np.floor(x), ceil=np.ceil(x), round=np.round(x), trunc=np.trunc(x),
                   log1p=np.log1p(np.abs(x)), expm1=np.expm1(x), erf=np.vectorize(math.erf)(x),
                   rsqrt=1/np.sqrt(np.abs(x)), reciprocal=1/x, square=np.square(x))
        """, ["x": x])
        let ops: [(String, (Tensor) throws -> Tensor)] = [
            ("sin", { try $0.sin() }), ("cos", { try $0.cos() }), ("floor", { try $0.floor() }), ("ceil", { try $0.ceil() }),
            ("round", { try $0.round() }), ("trunc", { try $0.trunc() }), ("log1p", { try $0.abs().log1p() }),
            ("expm1", { try $0.expm1() }), ("erf", { try $0.erf() }), ("rsqrt", { try $0.abs().rsqrt() }),
            ("reciprocal", { try $0.reciprocal() }), ("square", { try $0.square() }),
        ]
        for (name, f) in ops {
            try expectClose(f(x).toDoubles(), ref[name]!.toDoubles(), tolerance: 1e-14)
        }
    }

    @Test func smallArgumentsKeepTheirDigits() throws {
        let x = try Tensor.from([1e-12, -1e-15], dtype: .f64)
        expectClose(try x.log1p().toDoubles(), [1e-12 - 5e-25, -1e-15 - 5e-31], tolerance: 1e-15)
        expectClose(try x.expm1().toDoubles(), [1e-12 + 5e-25, -1e-15 + 5e-31], tolerance: 1e-15)
    }

    @Test func roundingIsHalfToEvenAndHasNoGradient() throws {
        let x = try Tensor.from([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5], dtype: .f64)
        #expect(try x.round().toDoubles() == [-2, -2, -0, 0, 2, 2])
        for f in [{ (t: Tensor) in try t.floor() }, { try $0.ceil() }, { try $0.round() }, { try $0.trunc() }] {
            let leaf = try x.clone().requiringGrad()
            try f(leaf).sum().backward()
            #expect(leaf.grad?.toDoubles() == [Double](repeating: 0, count: 6))
        }
    }

    @Test func gradientsMatchFiniteDifferences() throws {
        let x = try f64([3, 5], seed: 12)
        let positive = try x.abs().add(0.3)
        try expectGradientsMatch([x]) { try $0[0].sin() }
        try expectGradientsMatch([x]) { try $0[0].cos() }
        try expectGradientsMatch([positive]) { try $0[0].log1p() }
        try expectGradientsMatch([x]) { try $0[0].expm1() }
        try expectGradientsMatch([x]) { try $0[0].erf() }
        try expectGradientsMatch([positive]) { try $0[0].rsqrt() }
        try expectGradientsMatch([positive]) { try $0[0].reciprocal() }
        try expectGradientsMatch([x]) { try $0[0].square() }
    }

    @Test func integersArePromoted() throws {
        let i = try Tensor.from([1, 4, 9], dtype: .i32)
        #expect(try i.rsqrt().dtype == .f32)
        expectClose(try i.rsqrt().toDoubles(), [1, 0.5, 1.0 / 3], tolerance: 1e-7)
        #expect(try i.floor().dtype == .i32 && i.floor().toDoubles() == [1, 4, 9])
        #expect(try i.square().toDoubles() == [1, 16, 81])
    }
}
