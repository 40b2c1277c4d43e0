import CKernels
import Foundation
import Testing
@testable import OptLabRuntime

/// The f32 vector kernels (CKernels) against the correctly rounded value
/// (libm's Double result rounded to Float): at most 2 ulps apart over the
/// whole range of inputs, denormals, ±0, ±inf and NaN included (measured
/// over every 257th bit pattern: 1 for exp, tanh, sigmoid and log); and
/// every instruction set's variant within the same 2 ulps (the vector ones
/// fuse multiply-adds, and AVX-512's are written apart, so they may differ
/// from the baseline in the last bit).
@Suite struct TranscendentalTests {
    /// The distance in ulps between two floats (0 for equal, NaN for NaN).
    static func ulps(_ a: Float, _ b: Float) -> UInt32 {
        if a.isNaN || b.isNaN { return a.isNaN && b.isNaN ? 0 : .max }
        func ordered(_ f: Float) -> Int64 { f.sign == .minus ? -Int64(f.magnitude.bitPattern) : Int64(f.bitPattern) }
        return UInt32(clamping: Swift.abs(ordered(a) - ordered(b)))
    }

    /// Every 1021st bit pattern of all 2³² (so every binade, sign, denormal
    /// range and special value is visited), and the special values themselves.
    static let inputs: [Float] = {
        var xs: [Float] = []
        var bits: UInt64 = 0
        while bits < (1 << 32) { xs.append(Float(bitPattern: UInt32(bits))); bits += 1021 }
        xs += [0, -0.0, .infinity, -.infinity, .nan, .leastNonzeroMagnitude, -.leastNonzeroMagnitude, .leastNormalMagnitude,
               .greatestFiniteMagnitude, -.greatestFiniteMagnitude, 88.72283, 88.72284, -87.33655, -103.27893, -103.97208, -104,
               1e-8, -1e-8, 0.17, 0.35, 9, -9, 20, -20, 1, 2, 0.5, 1.4142135, 1.4142137, 0.70710677, -1.9916904, -2.730673]
        return xs
    }()

    func worst(_ name: String, _ f: (Tensor) throws -> Tensor, _ reference: (Double) -> Double) throws -> (UInt32, Float) {
        let x = try Tensor(shape: [Self.inputs.count], Self.inputs)
        let got = try [Float](f(x))
        var worst: (UInt32, Float) = (0, 0)
        for (v, g) in zip(Self.inputs, got) {
            let want = Float(reference(Double(v)))
            let d = Self.ulps(g, want)
            if d > worst.0 { worst = (d, v) }
        }
        return worst
    }

    @Test func expIsWithinTwoUlps() throws {
        let (d, at) = try worst("exp", { try $0.exp() }, Foundation.exp)
        #expect(d <= 2, "exp: \(d) ulps at \(at)")
    }

    @Test func tanhIsWithinTwoUlps() throws {
        let (d, at) = try worst("tanh", { try $0.tanh() }, Foundation.tanh)
        #expect(d <= 2, "tanh: \(d) ulps at \(at)")
    }

    @Test func sigmoidIsWithinTwoUlps() throws {
        let (d, at) = try worst("sigmoid", { try $0.sigmoid() }) { v in 1 / (1 + Foundation.exp(-v)) }
        #expect(d <= 2, "sigmoid: \(d) ulps at \(at)")
    }

    @Test func logIsWithinTwoUlps() throws {
        let (d, at) = try worst("log", { try $0.log() }, Foundation.log)
        #expect(d <= 2, "log: \(d) ulps at \(at)")
    }

    @Test func specialValues() throws {
        let x = try Tensor(shape: [5], [.infinity, -.infinity, .nan, 0, -0.0] as [Float])
        let e = try [Float](x.exp()), t = try [Float](x.tanh()), s = try [Float](x.sigmoid())
        #expect(e[0] == .infinity && e[1] == 0 && e[2].isNaN && e[3] == 1 && e[4] == 1)
        #expect(t[0] == 1 && t[1] == -1 && t[2].isNaN && t[3] == 0 && t[4] == 0 && t[4].sign == .minus)
        #expect(s[0] == 1 && s[1] == 0 && s[2].isNaN && s[3] == 0.5)
        let l = try [Float](Tensor(shape: [8], [.infinity, -.infinity, .nan, 0, -0.0, -1, 1, .leastNonzeroMagnitude] as [Float]).log())
        #expect(l[0] == .infinity && l[1].isNaN && l[2].isNaN && l[3] == -.infinity && l[4] == -.infinity && l[5].isNaN)
        #expect(l[6] == 0 && l[7] == Float(Foundation.log(Double(Float.leastNonzeroMagnitude))))
        // a denormal result is rounded, not flushed to zero
        #expect(try [Float](Tensor(shape: [1], [-100] as [Float]).exp())[0] == Float(Foundation.exp(-100.0)))
    }

    /// Every family the CPU has (baseline, AVX2, AVX-512: they may differ in
    /// the last bit, the vector ones fusing multiply-adds) within 2 ulps over
    /// the whole range, at odd lengths around every vector width and from a
    /// start past an aligned address; NaN stays NaN.
    @Test(arguments: [0, 1, 2, 3])
    func everyInstructionSetIsWithinTwoUlps(_ op: Int32) throws {
        let xs = Self.inputs
        let references: [(Double) -> Double] = [Foundation.exp, Foundation.tanh, { 1 / (1 + Foundation.exp(-$0)) }, Foundation.log]
        let reference = references[Int(op)]
        for isa in ["baseline", "avx2", "avx512"] {
            for (start, n) in [(0, xs.count), (1, 1), (3, 7), (5, 17), (7, 33), (1, 65)] {
                var got = [Float](repeating: 0, count: n)
                let ran = xs.withUnsafeBufferPointer { p in
                    String(cString: optlab_unary_f32_as(isa, op, p.baseAddress! + start, &got, n))
                }
                var worst: UInt32 = 0, at: Float = 0
                for (v, g) in zip(xs[start..<(start + n)], got) {
                    let d = Self.ulps(g, Float(reference(Double(v))))   // (NaN against NaN is 0)
                    if d > worst { (worst, at) = (d, v) }
                }
                #expect(worst <= 2, "\(ran) op \(op) at \(start), n \(n): \(worst) ulps at \(at)")
            }
        }
    }

    @Test func theTensorPathSplitsOverThreadsWithoutChangingABit() throws {
        for n in [1, 9, 65_537, 131_075] {
            let x = try Tensor.randn([n], generator: Generator(seed: UInt64(n))).mul(8)
            var want = [Float](repeating: 0, count: n)
            _ = try [Float](x).withUnsafeBufferPointer { optlab_unary_f32_as(optlab_isa(), 0, $0.baseAddress!, &want, n) }
            #expect(try [Float](x.exp()).map(\.bitPattern) == want.map(\.bitPattern), "n = \(n)")
            let positive = try x.abs()
            _ = try [Float](positive).withUnsafeBufferPointer { optlab_unary_f32_as(optlab_isa(), 3, $0.baseAddress!, &want, n) }
            #expect(try [Float](positive.log()).map(\.bitPattern) == want.map(\.bitPattern), "log, n = \(n)")
        }
    }
}
