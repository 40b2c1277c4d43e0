import Testing
import CKernels
@testable import OptLabRuntime

/// The f32 LSTM's packed-panel products and vector cells (AVX-512) against
/// the f64 LSTM, whose BLAS path the PyTorch fixtures and the finite
/// differences check; and the same bits at 1 and 2 threads. Sizes cover
/// partial panels (20 and 70 units are not multiples of 16 or 64), row
/// counts that are not multiples of the kernel's 6, and a step large
/// enough to be split over the threads. Without AVX-512 the same calls
/// run the BLAS path, and the tests check that instead.
@Suite(.serialized) struct RecurrentProductTests {
    static let shapes: [(n: Int, t: Int, input: Int, hidden: Int)] = [(7, 5, 3, 20), (13, 4, 8, 70), (12, 3, 16, 128), (1, 2, 4, 16)]

    /// Outputs, final states and every gradient of a two-layer LSTM under
    /// a fixed weighting of its outputs, as doubles.
    static func run(_ layer: LSTM, _ s: (n: Int, t: Int, input: Int, hidden: Int), dtype: DType, seed: UInt64) throws -> [[Double]] {
        let g = Generator(seed: seed)
        let x = try Tensor.randn([s.n, s.t, s.input], generator: g).to(dtype).requiringGrad()
        let h0 = try Tensor.randn([2, s.n, s.hidden], generator: g).to(dtype).requiringGrad()
        let c0 = try Tensor.randn([2, s.n, s.hidden], generator: g).to(dtype).requiringGrad()
        let (r, rh, rc) = (try Tensor.randn([s.n, s.t, s.hidden], generator: g).to(dtype),
                           try Tensor.randn([2, s.n, s.hidden], generator: g).to(dtype),
                           try Tensor.randn([2, s.n, s.hidden], generator: g).to(dtype))
        for p in layer.parameters() { p.grad = nil }
        let (out, states) = try layer.run(x, initial: [h0, c0])
        try out.mul(r).sum().add(states[0].mul(rh).sum()).add(states[1].mul(rc).sum()).backward()
        return try ([out] + states + [x.grad!, h0.grad!, c0.grad!] + layer.parameters().map { $0.grad! }).map { $0.toDoubles() }
    }

    static func layers(_ s: (n: Int, t: Int, input: Int, hidden: Int)) throws -> (LSTM, LSTM) {
        let single = try LSTM(s.input, s.hidden, layers: 2, dtype: .f32)
        let double = try LSTM(s.input, s.hidden, layers: 2, dtype: .f64)
        for (a, b) in zip(double.parameters(), single.parameters()) { try a.copy(from: b) }
        return (single, double)
    }

    @Test(arguments: shapes.indices)
    func f32AgreesWithF64(i: Int) throws {
        let s = Self.shapes[i]
        let (single, double) = try Self.layers(s)
        let got = try Self.run(single, s, dtype: .f32, seed: UInt64(80 + i))
        let want = try Self.run(double, s, dtype: .f64, seed: UInt64(80 + i))
        let names = ["outputs", "h", "c", "dx", "dh0", "dc0"] + double.namedParameters().map { "d" + $0.name }
        for (k, name) in names.enumerated() {
            let scale = want[k].reduce(0) { Swift.max($0, Swift.abs($1)) }
            let worst = zip(got[k], want[k]).map { Swift.abs($0 - $1) }.max() ?? 0
            #expect(worst <= 2e-5 * Swift.max(scale, 1), "\(name) of \(s): off by \(worst) (largest value \(scale))")
        }
    }

    @Test func theSameBitsAtOneAndTwoThreads() throws {
        let s = Self.shapes[2]
        let (single, _) = try Self.layers(s)
        let saved = Parallel.threads
        defer { Parallel.threads = saved }
        Parallel.threads = 1
        let one = try Self.run(single, s, dtype: .f32, seed: 90)
        Parallel.threads = 2
        let two = try Self.run(single, s, dtype: .f32, seed: 90)
        for (k, (a, b)) in zip(one, two).enumerated() {
            #expect(a.map(\.bitPattern) == b.map(\.bitPattern), "result \(k): \(zip(a, b).filter { $0 != $1 }.count) of \(a.count) differ")
        }
    }

    /// The panel product itself against a plain sum, for every row count up
    /// to two register blocks and ragged groups.
    @Test func panelProductMatchesAPlainSum() throws {
        guard optlab_panels_available() != 0 else { return }
        let k = 37
        let g = Generator(seed: 5)
        let a = try [Float](Tensor.randn([13, k], generator: g)), panel = try [Float](Tensor.randn([k, 64], generator: g))
        let valid: [Int32] = [16, 9, 0, 1]
        for m in 1...13 {
            var c = [Float](repeating: .nan, count: m * 80)
            a.withUnsafeBufferPointer { ap in panel.withUnsafeBufferPointer { pp in valid.withUnsafeBufferPointer { v in c.withUnsafeMutableBufferPointer { cp in
                optlab_panel_product_f32(ap.baseAddress, k, m, pp.baseAddress, k, cp.baseAddress, 80, 20, v.baseAddress)
            } } } }
            for r in 0..<m {
                for group in 0..<4 {
                    for u in 0..<16 {
                        let got = c[r * 80 + group * 20 + u]
                        if u >= Int(valid[group]) { #expect(got.isNaN, "m \(m): lane \(u) of group \(group) was written"); continue }
                        let want = (0..<k).reduce(0.0) { $0 + Double(a[r * k + $1]) * Double(panel[$1 * 64 + group * 16 + u]) }
                        #expect(Swift.abs(Double(got) - want) <= 1e-5 * 10, "m \(m), row \(r), group \(group), lane \(u): \(got) vs \(want)")
                    }
                }
            }
        }
    }
}
