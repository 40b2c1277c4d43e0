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

    /// Products cut into pieces across optlab's threads (single-threaded BLAS
    /// calls on row or column blocks) against a plain sum, for every
    /// transposition, with an accumulated C, uneven piece sizes and offsets.
    @Test func productsCutAcrossThreadsMatchAPlainSum() throws {
        for (m, n, k) in [(301, 77, 129), (40, 700, 50)] {
            #expect(Tensor.splitPieces(m: m, n: n, k: k, threads: 2) == 2, "\(m)×\(n)×\(k) is cut at 2 threads")
            for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
                for dtype in [DType.f64, .f32] {
                    let a = try f64([m * k + 3], seed: 40), b = try f64([k * n + 5], seed: 41), c0 = try f64([m * n + 7], seed: 42)
                    let (A, B, C) = (a.toDoubles(), b.toDoubles(), c0.toDoubles())
                    let c = try c0.to(dtype)
                    try Tensor.gemm(a.to(dtype), ta, b.to(dtype), tb, into: c, m: m, n: n, k: k, offsets: (3, 5, 7), accumulate: true, pieces: 2)
                    var want = Array(C[7...])
                    for i in 0..<m {
                        for j in 0..<n {
                            var s = 0.0
                            for l in 0..<k { s += A[3 + (ta ? l * m + i : i * k + l)] * B[5 + (tb ? j * k + l : l * n + j)] }
                            want[i * n + j] += s
                        }
                    }
                    let got = Array(try c.toDoubles()[7...])
                    expectClose(got, want, tolerance: dtype == .f64 ? 1e-12 : 1e-4, floor: 1)  // sums of ~10
                    #expect(Array(try c.toDoubles()[..<7]) == Array(try c0.to(dtype).toDoubles()[..<7]), "nothing before the offset is written")
                }
            }
        }
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
