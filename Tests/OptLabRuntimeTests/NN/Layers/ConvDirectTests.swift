import Testing
import CKernels
@testable import OptLabRuntime

/// The direct convolution kernels (stride 1, "same" padding, f32; AVX-512)
/// against the plain loops and against the f64 GEMM path, whose gradients
/// the finite-difference tests check. On a CPU without AVX-512 the same
/// calls run the GEMM path, and the tests check that instead.
@Suite(.serialized) struct ConvDirectTests {
    static let onAVX512 = String(cString: optlab_isa()) == "avx512"

    /// Shapes with partial vectors (5×7, 14×14 = 12¼ vectors), rows that a
    /// vector crosses, output counts that are not a multiple of the kernel's
    /// block of 8, a 1×1 image (only the centre tap inside), 5×5 kernels on
    /// an image shorter than the kernel, and the demo's two layers.
    static let shapes: [(n: Int, c: Int, o: Int, h: Int, w: Int, k: Int)] = [
        (2, 3, 13, 5, 7, 3), (2, 4, 9, 14, 14, 3), (3, 1, 32, 28, 28, 3), (1, 16, 64, 14, 14, 3),
        (1, 2, 8, 1, 1, 3), (2, 2, 3, 9, 11, 5), (2, 3, 10, 3, 17, 5), (1, 5, 17, 16, 16, 3),
    ]

    static func tensors(_ s: (n: Int, c: Int, o: Int, h: Int, w: Int, k: Int), seed: UInt64) throws -> (Tensor, Tensor, Tensor) {
        let g = Generator(seed: seed)
        return (try Tensor.randn([s.n, s.c, s.h, s.w], generator: g),
                try Tensor.randn([s.o, s.c, s.k, s.k], std: 0.3, generator: g),
                try Tensor.randn([s.o], generator: g))
    }

    /// The largest magnitude of a reference: f32 sums of many terms are off
    /// by a few ulps of their terms' size, which a small (cancelled) sum does
    /// not show; errors are measured relative to this.
    static func scale(_ values: [Double]) -> Double { values.reduce(0) { Swift.max($0, Swift.abs($1)) } }

    @Test(arguments: shapes.indices)
    func forwardMatchesThePlainLoops(i: Int) throws {
        let s = Self.shapes[i]
        let (x, w, b) = try Self.tensors(s, seed: UInt64(10 + i))
        let G = ConvGeometry(n: s.n, c: s.c, h: s.h, w: s.w, o: s.o, kernel: (s.k, s.k), stride: (1, 1), padding: (s.k / 2, s.k / 2))
        #expect(G.direct == Self.onAVX512)
        let y = try x.conv2d(weight: w, bias: b, stride: 1, padding: s.k / 2)
        #expect(y.dtype == .f32 && y.shape == [s.n, s.o, s.h, s.w])
        // the loops in f64 on the same f32 values: only the f32 sums' rounding differs
        let want = try Naive.conv2d(x.to(.f64), w.to(.f64), b.to(.f64), stride: 1, pad: s.k / 2)
        expectClose(y.toDoubles(), want, tolerance: 1e-5, floor: Self.scale(want))
    }

    /// dx, dW and db of L = Σ y ⊙ R against the f64 GEMM path's.
    @Test(arguments: shapes.indices)
    func gradientsMatchTheGEMMPathInF64(i: Int) throws {
        let s = Self.shapes[i]
        let (x, w, b) = try Self.tensors(s, seed: UInt64(30 + i))
        let r = try Tensor.randn([s.n, s.o, s.h, s.w], generator: Generator(seed: UInt64(50 + i)))
        func grads(_ dtype: DType) throws -> [[Double]] {
            let leaves = try [x, w, b].map { try $0.to(dtype).clone().requiringGrad() }
            try leaves[0].conv2d(weight: leaves[1], bias: leaves[2], stride: 1, padding: s.k / 2).mul(r.to(dtype)).sum().backward()
            return leaves.map { $0.grad!.toDoubles() }
        }
        let direct = try grads(.f32), reference = try grads(.f64)
        for (d, ref) in zip(direct, reference) { expectClose(d, ref, tolerance: 1e-5, floor: Self.scale(ref)) }
    }

    /// NaNs reach exactly the outputs whose window holds them: a lane outside
    /// the image (across a row's end, above, below) is never read. NaNs sit
    /// in the first and last columns and rows, where a wrong mask would carry
    /// them into the next row's or the previous row's outputs.
    @Test(arguments: [3, 5])
    func nansReachOnlyTheirWindows(k: Int) throws {
        let (n, c, o, h, w) = (2, 2, 9, 7, 10)
        var values = (0..<(n * c * h * w)).map { Float(($0 * 7) % 11) / 11 - 0.5 }
        for (img, ci, y, xx) in [(0, 0, 0, 9), (0, 1, 3, 0), (1, 0, 6, 9), (1, 1, 2, 9), (1, 1, 6, 0)] {
            values[((img * c + ci) * h + y) * w + xx] = .nan
        }
        let x = try Tensor(shape: [n, c, h, w], values)
        let wt = try Tensor.randn([o, c, k, k], generator: Generator(seed: 3)), b = try Tensor.zeros([o])
        let y = try x.conv2d(weight: wt, bias: b, stride: 1, padding: k / 2).toDoubles()
        let want = try Naive.conv2d(x.to(.f64), wt.to(.f64), b.to(.f64), stride: 1, pad: k / 2)
        #expect(y.indices.filter { y[$0].isNaN } == want.indices.filter { want[$0].isNaN })
        #expect(want.contains(where: \.isNaN) && want.contains { !$0.isNaN })
    }

    /// Padding adds nothing, not 0·w: an infinite weight reaches exactly the
    /// outputs whose tap lies inside the image (the plain loops' rule), where
    /// 0·∞ would put NaN in every output of the image's border.
    @Test func paddingIsNotMultiplied() throws {
        guard Self.onAVX512 else { return }   // the GEMM path multiplies its zero padding
        let (n, c, o, h, w, k) = (1, 2, 3, 6, 9, 3)
        let x = try Tensor.randn([n, c, h, w], generator: Generator(seed: 81)).add(4)   // no zeros
        var weights = try [Float](Tensor.randn([o, c, k, k], generator: Generator(seed: 82)))
        weights[(1 * c + 0) * 9 + 0] = .infinity   // output 1, channel 0, tap (0, 0)
        let wt = try Tensor(shape: [o, c, k, k], weights), b = try Tensor.zeros([o])
        let y = try x.conv2d(weight: wt, bias: b, stride: 1, padding: 1).toDoubles()
        let want = try Naive.conv2d(x.to(.f64), wt.to(.f64), b.to(.f64), stride: 1, pad: 1)
        #expect(y.indices.filter { !y[$0].isFinite } == want.indices.filter { !want[$0].isFinite })
        #expect(y.allSatisfy { !$0.isNaN })
        #expect(want.filter { $0.isInfinite }.count == (h - 1) * (w - 1))
    }

    /// The direct path and the GEMM path agree in f32, and the direct path
    /// gives the same bits at 1 and 2 threads (its sums' order depends on
    /// the shapes only).
    @Test func directAgreesWithGEMMAndWithItselfAcrossThreads() throws {
        let s = (n: 6, c: 8, o: 12, h: 14, w: 14, k: 3)
        let (x, w, b) = try Self.tensors(s, seed: 70)
        let r = try Tensor.randn([s.n, s.o, s.h, s.w], generator: Generator(seed: 71))
        func run() throws -> [[UInt32]] {
            let leaves = try [x, w, b].map { try $0.clone().requiringGrad() }
            let y = try leaves[0].conv2d(weight: leaves[1], bias: leaves[2], stride: 1, padding: 1)
            try y.mul(r).sum().backward()
            return try ([y] + leaves.map { $0.grad! }).map { try [Float]($0).map(\.bitPattern) }
        }
        let saved = Parallel.threads
        defer { Parallel.threads = saved }
        Parallel.threads = 1
        let one = try run()
        Parallel.threads = 2
        let two = try run()
        for (i, name) in ["y", "dx", "dW", "db"].enumerated() {
            let (a, b) = (one[i], two[i])
            #expect(a == b, "\(name): \(zip(a, b).filter { $0 != $1 }.count) of \(a.count) differ between 1 and 2 threads")
        }
        ConvGeometry.allowDirect = false
        defer { ConvGeometry.allowDirect = true }
        let gemm = try run()
        for (d, g) in zip(two, gemm) {
            let (dv, gv) = (d.map { Double(Float(bitPattern: $0)) }, g.map { Double(Float(bitPattern: $0)) })
            expectClose(dv, gv, tolerance: 1e-5, floor: Self.scale(gv))
        }
    }

    /// Strides, other paddings and f64 keep the GEMM path.
    @Test func onlySameStrideOneConvolutionsAreDirect() {
        func geometry(k: Int, stride: Int, pad: Int) -> ConvGeometry {
            ConvGeometry(n: 1, c: 1, h: 8, w: 8, o: 1, kernel: (k, k), stride: (stride, stride), padding: (pad, pad))
        }
        #expect(geometry(k: 3, stride: 1, pad: 1).direct == Self.onAVX512)
        #expect(geometry(k: 5, stride: 1, pad: 2).direct == Self.onAVX512)
        #expect(!geometry(k: 3, stride: 2, pad: 1).direct)
        #expect(!geometry(k: 3, stride: 1, pad: 0).direct)
        #expect(!geometry(k: 7, stride: 1, pad: 3).direct)
        #expect(!geometry(k: 1, stride: 1, pad: 0).direct)
    }
}
