import Testing
@testable import OptLabRuntime

@Suite struct MatmulTests {
    @Test func productsMatchNumpy() throws {
        let a = try f64([5, 7], seed: 20), b = try f64([7, 3], seed: 21)
        let ba = try f64([2, 5, 7], seed: 22), bb = try f64([2, 7, 3], seed: 23), v = try f64([7], seed: 24)
        let ref = try NumpyOracle.run("out = dict(ab=a@b, bab=ba@bb, bab2=ba@b, av=a@v, vb=v@b, vv=v@v)",
                                      ["a": a, "b": b, "ba": ba, "bb": bb, "v": v])
        try expectClose(a.matmul(b).toDoubles(), ref["ab"]!.toDoubles(), tolerance: 1e-13)
        try expectClose(ba.matmul(bb).toDoubles(), ref["bab"]!.toDoubles(), tolerance: 1e-13)
        try expectClose(ba.matmul(b).toDoubles(), ref["bab2"]!.toDoubles(), tolerance: 1e-13)
        try expectClose(a.matmul(v).toDoubles(), ref["av"]!.toDoubles(), tolerance: 1e-13)
        try expectClose(v.matmul(b).toDoubles(), ref["vb"]!.toDoubles(), tolerance: 1e-13)
        try expectClose([v.matmul(v).item()], ref["vv"]!.toDoubles(), tolerance: 1e-13)
        #expect(try ba.matmul(b).shape == [2, 5, 3])
    }

    @Test func float32GoesThroughSgemm() throws {
        let a = try f64([64, 32], seed: 25), b = try f64([32, 16], seed: 26)
        let c32 = try a.to(.f32).matmul(b.to(.f32))
        #expect(c32.dtype == .f32)
        expectClose(c32.toDoubles(), try a.matmul(b).toDoubles(), tolerance: 1e-4, floor: 1e-3)
    }

    @Test func gradientsMatchFiniteDifferences() throws {
        try expectGradientsMatch([try f64([4, 3], seed: 27), try f64([3, 5], seed: 28)]) { try $0[0].matmul($0[1]) }
        try expectGradientsMatch([try f64([2, 4, 3], seed: 29), try f64([2, 3, 5], seed: 30)]) { try $0[0].matmul($0[1]) }
        try expectGradientsMatch([try f64([2, 4, 3], seed: 31), try f64([3, 5], seed: 32)]) { try $0[0].matmul($0[1]) }
        try expectGradientsMatch([try f64([3], seed: 33), try f64([3, 2], seed: 34)]) { try $0[0].matmul($0[1]) }
    }

    @Test func misalignedShapesSayWhy() throws {
        let a = try Tensor.zeros([64, 100]), b = try Tensor.zeros([10, 100])
        #expect(throws: RuntimeError(.shape, "matmul", "shapes [64,100] and [10,100] do not align (inner 100 vs 10)")) {
            try a.matmul(b)
        }
        #expect(throws: RuntimeError.self) { try Tensor.zeros([2, 2, 2, 2]).matmul(a) }
        #expect(throws: RuntimeError.self) { try Tensor(int32: [1, 2]).matmul(Tensor(int32: [1, 2])) }
    }

    @Test func emptyInnerDimensionGivesZeros() throws {
        #expect(try Tensor.ones([2, 0]).matmul(Tensor.ones([0, 3])).toDoubles() == [0, 0, 0, 0, 0, 0])
    }
}
