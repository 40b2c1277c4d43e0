import Foundation
import Testing
@testable import OptLabRuntime

/// Hessian-vector products, Lanczos and Hutchinson against closed forms (a
/// quadratic with a known spectrum, DeepOBS's quadratic_deep construction)
/// and against torch.autograd.functional on a small MLP in f64
/// (Tests/references/hessian_torch.py writes Fixtures/hessian_torch.json).
@Suite struct HessianTests {
    /// ½θᵀAθ + bᵀθ with A = Q·diag(d)·Qᵀ: 100 dimensions, 90 eigenvalues in (0, 1), 10 in (30, 60).
    static func quadratic() throws -> (theta: Tensor, a: Tensor, spectrum: [Double], loss: () throws -> Tensor) {
        let g = Generator(seed: 42)
        let d = (0..<100).map { i in i < 90 ? g.uniform() : 30 + 30 * g.uniform() }
        let q = try Tensor.randn([100, 100], dtype: .f64, generator: g).qr().q
        let a = try q.mul(Tensor.from(d, shape: [1, 100], dtype: .f64)).matmul(q.t())
        let b = try Tensor.randn([100, 1], dtype: .f64, generator: g)
        let theta = try Tensor.randn([100, 1], dtype: .f64, generator: g).requiringGrad()
        let loss = { try theta.t().matmul(a.matmul(theta)).mul(0.5).add(b.t().matmul(theta)).sum() }
        return (theta, a, d.sorted(by: >), loss)
    }

    static func relative(_ got: [Double], _ want: [Double]) -> Double {
        let scale = want.map(Swift.abs).max() ?? 1
        return zip(got, want).map { Swift.abs($0 - $1) }.max()! / scale
    }

    @Test func productOnAQuadraticIsAv() throws {
        let (theta, a, _, loss) = try Self.quadratic()
        let v = try Tensor.randn([100, 1], dtype: .f64, generator: Generator(seed: 1))
        let hv = try Hessian.measure([theta], op: "test", loss: loss) { try $0.product([v]) }
        #expect(Self.relative(hv[0].toDoubles(), try a.matmul(v).toDoubles()) < 1e-9)
    }

    @Test func lanczosFindsTheTopOfAKnownSpectrum() throws {
        let (theta, _, spectrum, loss) = try Self.quadratic()
        let before = theta.toDoubles()
        let s = try Hessian.measure([theta], op: "test", loss: loss) { try $0.top(3, iterations: 100, tolerance: 1e-8, seed: 3) }
        #expect(s.converged)
        for i in 0..<3 {
            #expect(Swift.abs(s.eigenvalues[i] - spectrum[i]) <= 1e-6 * spectrum[i], "λ\(i + 1) \(s.eigenvalues[i]) vs \(spectrum[i])")
        }
        #expect(theta.toDoubles() == before, "the parameters are restored")
        #expect(theta.grad == nil)
    }

    @Test func hutchinsonsTraceIsWithinThreeStandardErrors() throws {
        let (theta, _, spectrum, loss) = try Self.quadratic()
        let t = try Hessian.measure([theta], op: "test", loss: loss) { try $0.trace(samples: 200, seed: 5) }
        let exact = spectrum.reduce(0, +)
        #expect(Swift.abs(t.trace - exact) <= 3 * t.standardError, "trace \(t.trace) ± \(t.standardError) vs \(exact)")
        #expect(t.standardError > 0 && t.standardError < 0.2 * exact)
    }

    /// Lanczos run to the dimension makes the quadrature exact: its nodes are
    /// the eigenvalues. Shorter runs still put a tenth of the mass in (30, 60).
    @Test func spectralDensityOfAKnownSpectrum() throws {
        let (theta, _, spectrum, loss) = try Self.quadratic()
        let full = try Hessian.measure([theta], op: "test", loss: loss) { try $0.density(runs: 1, steps: 100, seed: 2) }
        #expect(full.nodes.count == 100)
        for t in full.nodes { #expect(spectrum.contains { Swift.abs($0 - t) <= 1e-6 * Swift.max(1, $0) }, "node \(t) is no eigenvalue") }
        #expect(Swift.abs(full.weights.reduce(0, +) - 1) < 1e-9, "the weights of a run sum to 1")
        let short = try Hessian.measure([theta], op: "test", loss: loss) { try $0.density(runs: 4, steps: 40, seed: 2) }
        #expect(Swift.abs(short.mass(29, 61) - 0.1) < 0.07, "mass in (30, 60): \(short.mass(29, 61))")
        #expect(Swift.abs(short.mass(-1, 1.05) - 0.9) < 0.07, "mass in (0, 1): \(short.mass(-1, 1.05))")
        let (grid, values) = short.smoothed(points: 400)
        let area = zip(grid.dropFirst(), values.dropFirst()).reduce(0) { $0 + $1.1 } * (grid[1] - grid[0])
        #expect(Swift.abs(area - 1) < 0.02, "the smoothed density integrates to 1: \(area)")
    }

    /// The reference script's MLP: the same problem as the optimizer fixtures' (RulesAgainstPyTorchTests builds it).
    static func mlp() throws -> ([Tensor], () throws -> Tensor) {
        let p = try RulesAgainstPyTorchTests.problem("mlp")
        return (p.parameters, p.loss)
    }

    static func fixture() throws -> [String: Any] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/hessian_torch.json")
        return try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
    }

    /// The fixture's v, cut into the parameters' shapes.
    static func fixtureVector(_ f: [String: Any], like params: [Tensor]) throws -> [Tensor] {
        let flat = (f["v"] as! [NSNumber]).map(\.doubleValue)
        var v: [Tensor] = [], at = 0
        for p in params { v.append(try Tensor.from(Array(flat[at..<(at + p.count)]), shape: p.shape, dtype: .f64)); at += p.count }
        return v
    }

    @Test func productOnTheMLPEqualsTorchsHVP() throws {
        let f = try Self.fixture()
        let (params, loss) = try Self.mlp()
        let v = try Self.fixtureVector(f, like: params)
        let hv = try Hessian.measure(params, op: "test", loss: loss) { try $0.product(v) }
        let got = hv.flatMap { $0.toDoubles() }, want = (f["hvp"] as! [NSNumber]).map(\.doubleValue)
        #expect(Self.relative(got, want) < 1e-7, "off by \(Self.relative(got, want))")
    }

    /// One-sided products: one gradient each, within 1e-6 of torch's hvp (the
    /// central difference is within 1e-7); on a quadratic, exact but for rounding.
    @Test func forwardDifferencesAreCloseAtHalfTheGradients() throws {
        let f = try Self.fixture()
        let (params, loss) = try Self.mlp()
        let v = try Self.fixtureVector(f, like: params)
        let (hv, products) = try Hessian.measure(params, op: "test", loss: loss) { h -> ([Tensor], Int) in
            h.forward = true
            let first = try h.product(v)
            _ = try h.product(v)
            return (first, h.products)
        }
        let got = hv.flatMap { $0.toDoubles() }, want = (f["hvp"] as! [NSNumber]).map(\.doubleValue)
        #expect(Self.relative(got, want) < 1e-6, "off by \(Self.relative(got, want))")
        #expect(products == 2)
        let (theta, a, _, qloss) = try Self.quadratic()
        let u = try Tensor.randn([100, 1], dtype: .f64, generator: Generator(seed: 1))
        let qhv = try Hessian.measure([theta], op: "test", loss: qloss) { h in h.forward = true; return try h.product([u]) }
        #expect(Self.relative(qhv[0].toDoubles(), try a.matmul(u).toDoubles()) < 1e-6)
    }

    @Test func spectrumAndTraceOfTheMLPEqualTorchsHessian() throws {
        let f = try Self.fixture()
        let (params, loss) = try Self.mlp()
        let want = (f["eigenvalues"] as! [NSNumber]).map(\.doubleValue)
        let (s, t) = try Hessian.measure(params, op: "test", loss: loss) { h in
            (try h.top(2, iterations: 47, tolerance: 1e-9, seed: 1), try h.trace(samples: 300, seed: 2))
        }
        for i in 0..<2 { #expect(Swift.abs(s.eigenvalues[i] - want[i]) <= 1e-6 * Swift.abs(want[i]), "λ\(i + 1) \(s.eigenvalues[i]) vs \(want[i])") }
        let exact = (f["trace"] as! NSNumber).doubleValue
        #expect(Swift.abs(t.trace - exact) <= 3 * t.standardError, "trace \(t.trace) ± \(t.standardError) vs \(exact)")
    }

    @Test func badInputsAreErrors() throws {
        let (theta, _, _, loss) = try Self.quadratic()
        #expect(throws: RuntimeError.self) { try Hessian.measure([], op: "check.hessian", loss: loss) { _ in 0 } }
        #expect(throws: RuntimeError.self) { try Hessian.measure([theta], op: "check.hessian", loss: loss) { try $0.top(101) } }
        #expect(throws: RuntimeError.self) { try Hessian.measure([theta], op: "check.hvp", loss: { try theta.mul(2) }) { try $0.product([theta]) } }
        let nan = try Tensor.from([Double.nan], shape: [1, 1], dtype: .f64)
        #expect(throws: RuntimeError.self) { try Hessian.measure([theta], op: "check.hvp", loss: { try theta.sum().mul(nan.sum()) }) { try $0.product([theta]) } }
    }
}
