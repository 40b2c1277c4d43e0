import Foundation
import Testing
@testable import OptLabRuntime

/// Muon's Newton–Schulz iteration: the direct way and the Gram-space way
/// against the iteration written as plain tensor ops (torch's order), and
/// the syrk/gemm pieces it is built from against plain products.
@Suite struct NewtonSchulzTests {
    static let k = MuonRule.coefficients

    /// torch's `_zeropower_via_newtonschulz` as tensor ops, on a wide matrix already scaled.
    static func plain(_ x0: Tensor, steps: Int) throws -> Tensor {
        var x = x0
        for _ in 0..<steps {
            let a = try x.matmul(x.t())
            let b = try a.mul(k.b).add(a.matmul(a).mul(k.c))
            x = try x.mul(k.a).add(b.matmul(x))
        }
        return x
    }

    static func scaled(_ r: Int, _ s: Int, dtype: DType, seed: UInt64) throws -> Tensor {
        let g = try Tensor.randn([r, s], dtype: .f64, generator: Generator(seed: seed))
        return try g.div(g.norm().item()).to(dtype)
    }

    static func worst(_ a: Tensor, _ b: Tensor) -> Double {
        zip(a.toDoubles(), b.toDoubles()).map { Swift.abs($0 - $1) }.max() ?? .infinity
    }

    @Test func bothWaysEqualThePlainIterationInF64() throws {
        // (96×300: products large enough to be cut across threads)
        for (r, s) in [(16, 40), (7, 7), (3, 50), (96, 300)] {
            let x = try Self.scaled(r, s, dtype: .f64, seed: UInt64(r * 100 + s))
            let want = try Self.plain(x, steps: 5)
            let direct = try NewtonSchulz.direct(x.clone(), r, s, steps: 5, Self.k)
            let gram = try NewtonSchulz.inGramSpace(x.clone(), r, s, steps: 5, Self.k)
            #expect(Self.worst(direct, want) < 1e-12, "direct \(r)×\(s): \(Self.worst(direct, want))")
            #expect(Self.worst(gram, want) < 1e-12, "Gram space \(r)×\(s): \(Self.worst(gram, want))")
        }
    }

    @Test func gramSpaceInF32StaysNearTheF64Iteration() throws {
        // a gradient of low rank (rank 4 of 32 rows), as a small batch gives, with tiny singular values
        let u = try Tensor.randn([32, 4], dtype: .f64, generator: Generator(seed: 7))
        let v = try Tensor.randn([4, 96], dtype: .f64, generator: Generator(seed: 8))
        let noise = try Tensor.randn([32, 96], dtype: .f64, generator: Generator(seed: 9)).mul(1e-4)
        let g = try u.matmul(v).add(noise)
        let x64 = try g.div(g.norm().item())
        let want = try Self.plain(x64, steps: 5)
        let got = try NewtonSchulz.inGramSpace(x64.to(.f32), 32, 96, steps: 5, Self.k)
        let direct = try NewtonSchulz.direct(x64.to(.f32), 32, 96, steps: 5, Self.k)
        // Gram space squares the small singular values, which f32 then holds only to ~1e-7 of
        // the largest: its error (1.8e-4 here, entries ~0.1) is ~50× the direct way's (3.6e-6),
        // and far below torch's bfloat16 iteration's on this matrix (0.12, measured with torch 2.15)
        let (gramOff, directOff) = (Self.worst(got, want), Self.worst(direct, want))
        #expect(directOff < 1e-5, "f32 direct way off by \(directOff)")
        #expect(gramOff < 5e-4, "f32 Gram space off by \(gramOff)")
    }

    @Test func theWayIsChosenByItsWork() {
        #expect(NewtonSchulz.gramIsCheaper(256, 784, steps: 5))
        #expect(!NewtonSchulz.gramIsCheaper(256, 256, steps: 5))
        #expect(!NewtonSchulz.gramIsCheaper(256, 784, steps: 1))
    }

    @Test func orthogonaliseTransposesTallMatricesAndScales() throws {
        let g = try Tensor.randn([30, 12], dtype: .f64, generator: Generator(seed: 3)).mul(5)
        let got = try NewtonSchulz.orthogonalise(g, steps: 5, eps: 1e-7, coefficients: Self.k)
        let want = try Self.plain(g.t().div(g.norm().item()), steps: 5).t()
        #expect(got.shape == [30, 12])
        #expect(Self.worst(got, want) < 1e-12)
    }

    @Test func syrkEqualsTheProductWithItsTransposeWholeOrCut() throws {
        for n in [5, 64, 200] {
            let a = try Tensor.randn([n, 70], dtype: .f64, generator: Generator(seed: UInt64(n)))
            let c0 = try Tensor.randn([n, n], dtype: .f64, generator: Generator(seed: 99))
            let c = try c0.add(c0.t())
            let want = try a.matmul(a.t()).mul(0.7).add(c.mul(-2))
            for split in [false, true] {
                let got = try c.clone()
                try Tensor.syrk(a, into: got, n: n, k: 70, alpha: 0.7, beta: -2, split: split)
                #expect(Self.worst(got, want) < 1e-11, "n \(n), cut \(split): \(Self.worst(got, want))")
                // f32: the lower triangle mirrored by CKernels' tiles
                let got32 = try c.to(.f32)
                try Tensor.syrk(a.to(.f32), into: got32, n: n, k: 70, alpha: 0.7, beta: -2, split: split)
                #expect(Self.worst(got32, want) < 1e-3, "f32, n \(n), cut \(split): \(Self.worst(got32, want))")
            }
        }
    }

    /// H·P for H and P polynomials in one symmetric matrix (as the Gram-space
    /// iterates are): the upper triangle computed, the lower mirrored.
    @Test func symmetricProductEqualsThePlainProductWholeOrCut() throws {
        for (n, dtype, tolerance) in [(5, DType.f64, 1e-12), (64, .f64, 1e-12), (200, .f64, 1e-12), (200, .f32, 1e-4), (256, .f32, 1e-4)] {
            let g = try Tensor.randn([n, n], dtype: .f64, generator: Generator(seed: UInt64(n)))
            let s0 = try g.add(g.t()).div(Double(n).squareRoot())
            let h = try s0.mul(0.5).add(s0.matmul(s0).mul(-0.25)), p = try s0.matmul(s0).add(s0.mul(2))
            let c = try s0.mul(3)
            let want = try h.matmul(p).mul(0.7).add(c.mul(-2))
            for split in [false, true] {
                let got = try c.to(dtype).clone()  // (`to` its own dtype is the same tensor)
                try Tensor.symmetricProduct(h.to(dtype), p.to(dtype), into: got, n: n, alpha: 0.7, beta: -2, split: split)
                #expect(Self.worst(got, want) < tolerance, "n \(n), \(dtype), cut \(split): \(Self.worst(got, want))")
                let values = got.toDoubles()
                #expect((0..<n).allSatisfy { i in (0..<i).allSatisfy { j in values[i * n + j] == values[j * n + i] } }, "symmetric, n \(n), cut \(split)")
            }
        }
    }
}
