/// L-BFGS for full-batch problems (Nocedal & Wright, Algorithms 7.4 and 3.5):
/// the direction from the last `history` pairs (s, y) by the two-loop
/// recursion, the step from a line search satisfying the strong Wolfe
/// conditions
///
/// ```
/// f(x + t·d) ≤ f(x) + c1·t·∇f·d,   |∇f(x + t·d)·d| ≤ c2·|∇f·d|   (c1 = 1e-4, c2 = 0.9)
/// ```
/// `step(closure)` runs up to `maxIterations` iterations; the closure
/// computes the loss with gradients in the parameters' `.grad`.
public final class LBFGS {
    public let parameters: [Tensor]
    public let history: Int
    public let maxIterations: Int
    public let toleranceGrad: Double, toleranceChange: Double
    public var learningRate: Double
    /// Pairs of the curvature history, most recent last.
    var s: [[Double]] = [], y: [[Double]] = []
    public private(set) var evaluations = 0

    public init(_ parameters: [Tensor], learningRate: Double = 1, history: Int = 10, maxIterations: Int = 20,
                toleranceGrad: Double = 1e-7, toleranceChange: Double = 1e-9) throws {
        guard learningRate > 0, history > 0, maxIterations > 0, toleranceGrad >= 0, toleranceChange >= 0 else {
            throw RuntimeError(.argument, "LBFGS", "lr, history and max_iter must be positive, tolerances non-negative")
        }
        for p in parameters where !p.dtype.isFloatingPoint {
            throw RuntimeError(.dtype, "LBFGS", "parameter \(p.name ?? "") is i32; only f32 and f64 parameters can be optimized")
        }
        (self.parameters, self.history, self.maxIterations) = (parameters, history, maxIterations)
        (self.toleranceGrad, self.toleranceChange, self.learningRate) = (toleranceGrad, toleranceChange, learningRate)
    }

    // MARK: flat vectors

    func flatParameters() -> [Double] { parameters.flatMap { $0.toDoubles() } }

    func setParameters(_ x: [Double]) throws {
        var o = 0
        for p in parameters {
            try p.copy(from: Tensor.from(Array(x[o..<(o + p.count)]), shape: p.shape, dtype: .f64))
            o += p.count
        }
    }

    /// f(x) and ∇f(x): sets the parameters, zeroes the gradients, runs the closure.
    func evaluate(_ x: [Double], _ closure: () throws -> Double) throws -> (Double, [Double]) {
        try setParameters(x)
        for p in parameters { p.zeroGrad() }
        let f = try closure()
        evaluations += 1
        guard f.isFinite else { throw RuntimeError(.argument, "LBFGS", "the closure returned \(f.isNaN ? "nan" : "inf")") }
        let g = parameters.flatMap { p in p.grad?.toDoubles() ?? [Double](repeating: 0, count: p.count) }
        return (f, g)
    }

    /// Runs up to `maxIterations` iterations; returns the final loss.
    @discardableResult
    public func step(_ closure: () throws -> Double) throws -> Double {
        var x = flatParameters()
        var (f, g) = try evaluate(x, closure)
        for k in 0..<maxIterations {
            if (g.map(Swift.abs).max() ?? 0) <= toleranceGrad { break }
            let d = direction(g)
            var gtd = dot(g, d)
            var dir = d
            if gtd > -1e-15 {  // not a descent direction: restart from steepest descent
                s.removeAll(); y.removeAll()
                dir = g.map { -$0 }
                gtd = dot(g, dir)
            }
            let t0 = k == 0 && s.isEmpty ? Swift.min(1, 1 / g.reduce(0) { $0 + Swift.abs($1) }) * learningRate : learningRate
            let (t, fNew, gNew) = try strongWolfe(x, f, g, dir, gtd, t0, closure)
            let xNew = zip(x, dir).map { $0 + t * $1 }
            let sk = zip(xNew, x).map { $0 - $1 }, yk = zip(gNew, g).map { $0 - $1 }
            if dot(sk, yk) > 1e-10 {
                s.append(sk); y.append(yk)
                if s.count > history { s.removeFirst(); y.removeFirst() }
            }
            let change = Swift.abs(fNew - f), moved = sk.map(Swift.abs).max() ?? 0
            (x, f, g) = (xNew, fNew, gNew)
            if change < toleranceChange || moved <= toleranceChange { break }
        }
        try setParameters(x)
        return f
    }

    /// −H·g by the two-loop recursion, with H0 = (s·y)/(y·y)·I.
    func direction(_ g: [Double]) -> [Double] {
        var q = g
        var alpha = [Double](repeating: 0, count: s.count)
        for i in stride(from: s.count - 1, through: 0, by: -1) {
            let rho = 1 / dot(y[i], s[i])
            alpha[i] = rho * dot(s[i], q)
            for j in q.indices { q[j] -= alpha[i] * y[i][j] }
        }
        if let sl = s.last, let yl = y.last {
            let gamma = dot(sl, yl) / dot(yl, yl)
            for j in q.indices { q[j] *= gamma }
        }
        for i in 0..<s.count {
            let rho = 1 / dot(y[i], s[i])
            let beta = rho * dot(y[i], q)
            for j in q.indices { q[j] += s[i][j] * (alpha[i] - beta) }
        }
        return q.map { -$0 }
    }

    /// Bracketing then zoom (Nocedal & Wright 3.5/3.6) with cubic interpolation.
    func strongWolfe(_ x: [Double], _ f0: Double, _ g0: [Double], _ d: [Double], _ gtd0: Double, _ tInit: Double,
                     _ closure: () throws -> Double) throws -> (Double, Double, [Double]) {
        let c1 = 1e-4, c2 = 0.9
        func phi(_ t: Double) throws -> (Double, [Double], Double) {
            let (f, g) = try evaluate(zip(x, d).map { $0 + t * $1 }, closure)
            return (f, g, dot(g, d))
        }
        var tPrev = 0.0, fPrev = f0, gtdPrev = gtd0, gPrev = g0
        var t = tInit
        for i in 0..<25 {
            let (f, g, gtd) = try phi(t)
            if f > f0 + c1 * t * gtd0 || (i > 0 && f >= fPrev) {
                return try zoom(lo: (tPrev, fPrev, gtdPrev, gPrev), hi: (t, f, gtd, g), f0: f0, gtd0: gtd0, c1: c1, c2: c2, phi: phi)
            }
            if Swift.abs(gtd) <= -c2 * gtd0 { return (t, f, g) }
            if gtd >= 0 {
                return try zoom(lo: (t, f, gtd, g), hi: (tPrev, fPrev, gtdPrev, gPrev), f0: f0, gtd0: gtd0, c1: c1, c2: c2, phi: phi)
            }
            (tPrev, fPrev, gtdPrev, gPrev) = (t, f, gtd, g)
            t = Swift.min(t * 10, cubicMinimum(tPrev, fPrev, gtdPrev, t * 10, f, gtd, bounds: (t * 1.01, t * 10)))
        }
        let (f, g, _) = try phi(t)
        return (t, f, g)
    }

    typealias Point = (t: Double, f: Double, gtd: Double, g: [Double])

    func zoom(lo: Point, hi: Point, f0: Double, gtd0: Double, c1: Double, c2: Double,
              phi: (Double) throws -> (Double, [Double], Double)) throws -> (Double, Double, [Double]) {
        var lo = lo, hi = hi
        for _ in 0..<30 {
            let (a, b) = (Swift.min(lo.t, hi.t), Swift.max(lo.t, hi.t))
            if b - a < 1e-12 * Swift.max(1, b) { break }
            var t = cubicMinimum(lo.t, lo.f, lo.gtd, hi.t, hi.f, hi.gtd, bounds: (a, b))
            if t - a < 0.1 * (b - a) || b - t < 0.1 * (b - a) { t = (a + b) / 2 }  // keep away from the ends
            let (f, g, gtd) = try phi(t)
            if f > f0 + c1 * t * gtd0 || f >= lo.f {
                hi = (t, f, gtd, g)
            } else {
                if Swift.abs(gtd) <= -c2 * gtd0 { return (t, f, g) }
                if gtd * (hi.t - lo.t) >= 0 { hi = lo }
                lo = (t, f, gtd, g)
            }
        }
        return (lo.t, lo.f, lo.g)
    }

    /// The minimiser of the cubic through two points with slopes, clamped to bounds.
    func cubicMinimum(_ x1: Double, _ f1: Double, _ g1: Double, _ x2: Double, _ f2: Double, _ g2: Double,
                      bounds: (Double, Double)) -> Double {
        let d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
        let sq = d1 * d1 - g1 * g2
        guard sq >= 0, x1 != x2 else { return (bounds.0 + bounds.1) / 2 }
        let d2 = (x2 > x1 ? 1.0 : -1.0) * sq.squareRoot()
        let t = x2 - (x2 - x1) * (g2 + d2 - d1) / (g2 - g1 + 2 * d2)
        guard t.isFinite else { return (bounds.0 + bounds.1) / 2 }
        return Swift.min(Swift.max(t, bounds.0), bounds.1)
    }

    func dot(_ a: [Double], _ b: [Double]) -> Double {
        var s = 0.0
        for i in a.indices { s += a[i] * b[i] }
        return s
    }
}
