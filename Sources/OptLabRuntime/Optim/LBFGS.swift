/// L-BFGS for full-batch problems, the algorithm of `torch.optim.LBFGS`
/// (PyTorch 2.x, itself a port of Schmidt's minFunc): the direction from the
/// last `history` curvature pairs by the two-loop recursion, the step from a
/// strong-Wolfe line search (c1 = 1e-4, c2 = 0.9, at most 25 evaluations,
/// cubic interpolation) or a fixed step of `lr`.
///
/// Following PyTorch exactly, iteration by iteration, is the point: a user
/// porting a script sees the same evaluations, the same iterates and the same
/// stopping reasons, so a difference in results is a difference in the model.
/// Like PyTorch, the state (history, last direction and step, iteration count)
/// carries over from one `step` call to the next.
public final class LBFGS {
    public enum LineSearch: String, Sendable { case strongWolfe = "strong_wolfe", none }

    public let parameters: [Tensor]
    public let history: Int
    public let maxIterations: Int, maxEvaluations: Int
    public let toleranceGrad: Double, toleranceChange: Double
    public let lineSearch: LineSearch
    public var learningRate: Double
    /// Closure evaluations over every `step` call.
    public private(set) var evaluations = 0
    /// Iterations over every `step` call (PyTorch's `n_iter`).
    public private(set) var iterations = 0
    /// The loss at the last accepted iterate (nil when the last iteration of
    /// a fixed-step run was not evaluated, as PyTorch skips that evaluation).
    public private(set) var lastLoss: Double?

    // The state PyTorch keeps in `self.state`, in its names.
    var oldDirections: [[Double]] = [], oldSteps: [[Double]] = [], rho: [Double] = []
    var hDiagonal = 1.0
    var direction: [Double] = [], stepLength = 0.0
    var previousGradient: [Double] = []

    /// `maxEvaluations` defaults to PyTorch's `max_iter * 5 / 4`.
    public init(_ parameters: [Tensor], learningRate: Double = 1, history: Int = 100, maxIterations: Int = 20,
                maxEvaluations: Int? = nil, toleranceGrad: Double = 1e-7, toleranceChange: Double = 1e-9,
                lineSearch: LineSearch = .strongWolfe) throws {
        let maxEvaluations = maxEvaluations ?? maxIterations * 5 / 4
        guard learningRate > 0, history > 0, maxIterations > 0, maxEvaluations > 0, toleranceGrad >= 0, toleranceChange >= 0 else {
            throw RuntimeError(.argument, "LBFGS", "lr, history, max_iter and max_eval must be positive, tolerances non-negative")
        }
        for p in parameters where !p.dtype.isFloatingPoint {
            throw RuntimeError(.dtype, "LBFGS", "parameter \(p.name ?? "") is i32; only f32 and f64 parameters can be optimized")
        }
        (self.parameters, self.history, self.maxIterations, self.maxEvaluations) = (parameters, history, maxIterations, maxEvaluations)
        (self.toleranceGrad, self.toleranceChange, self.learningRate, self.lineSearch) = (toleranceGrad, toleranceChange, learningRate, lineSearch)
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
        guard !f.isNaN else { throw RuntimeError(.diverged, "LBFGS", "the closure returned nan") }
        let g = parameters.flatMap { p in p.grad?.toDoubles() ?? [Double](repeating: 0, count: p.count) }
        return (f, g)
    }

    /// Runs up to `maxIterations` iterations (and `maxEvaluations` closure
    /// calls); returns the loss at the parameters it started from, as PyTorch.
    /// When the closure throws, the parameters are left at the last accepted
    /// iterate, not at a point the line search was trying.
    @discardableResult
    public func step(_ closure: () throws -> Double) throws -> Double {
        var x = flatParameters()
        do { return try iterate(&x, closure) } catch {
            try? setParameters(x)
            throw error
        }
    }

    func iterate(_ x: inout [Double], _ closure: () throws -> Double) throws -> Double {
        var (loss, g) = try evaluate(x, closure)
        let originalLoss = loss
        lastLoss = loss
        var currentEvaluations = 1
        if maxAbs(g) <= toleranceGrad { return originalLoss }

        var n = 0
        while n < maxIterations {
            n += 1
            iterations += 1
            if iterations == 1 {
                direction = g.map { -$0 }
                oldDirections = []; oldSteps = []; rho = []
                hDiagonal = 1
            } else {
                remember(s: direction.map { $0 * stepLength }, y: zip(g, previousGradient).map { $0 - $1 })
                direction = twoLoop(g)
            }
            previousGradient = g
            let previousLoss = loss
            stepLength = iterations == 1 ? Swift.min(1, 1 / g.reduce(0) { $0 + Swift.abs($1) }) * learningRate : learningRate
            let gtd = dot(g, direction)
            if gtd > -toleranceChange { break }  // not a descent direction

            var lineEvaluations = 0
            switch lineSearch {
            case .strongWolfe:
                // PyTorch gives the line search what is left of max_eval
                let result = try strongWolfe(x, stepLength, direction, loss, g, gtd, closure, maxSteps: maxEvaluations - currentEvaluations)
                (loss, g, stepLength, lineEvaluations) = (result.f, result.g, result.t, result.evaluations)
                x = moved(x, stepLength, direction)
                lastLoss = loss
            case .none:
                x = moved(x, stepLength, direction)
                lastLoss = nil
                if n != maxIterations {  // PyTorch skips the evaluation after the last iteration
                    (loss, g) = try evaluate(x, closure)
                    lineEvaluations = 1
                    lastLoss = loss
                }
            }
            currentEvaluations += lineEvaluations
            if n == maxIterations || currentEvaluations >= maxEvaluations { break }
            if maxAbs(g) <= toleranceGrad { break }
            if maxAbs(direction) * Swift.abs(stepLength) <= toleranceChange { break }
            if Swift.abs(loss - previousLoss) < toleranceChange { break }
        }
        try setParameters(x)
        return originalLoss
    }

    func moved(_ x: [Double], _ t: Double, _ d: [Double]) -> [Double] { zip(x, d).map { $0 + t * $1 } }

    /// Keeps the pair (s, y) when its curvature s·y is positive enough, the
    /// oldest pair dropped past `history`; rescales the initial Hessian.
    func remember(s: [Double], y: [Double]) {
        let ys = dot(y, s)
        guard ys > 1e-10 else { return }
        if oldDirections.count == history { oldDirections.removeFirst(); oldSteps.removeFirst(); rho.removeFirst() }
        oldDirections.append(y); oldSteps.append(s); rho.append(1 / ys)
        hDiagonal = ys / dot(y, y)
    }

    /// −H·g by the two-loop recursion with H0 = hDiagonal·I.
    func twoLoop(_ g: [Double]) -> [Double] {
        var q = g.map { -$0 }
        var alpha = [Double](repeating: 0, count: oldDirections.count)
        for i in stride(from: oldDirections.count - 1, through: 0, by: -1) {
            alpha[i] = dot(oldSteps[i], q) * rho[i]
            for j in q.indices { q[j] -= alpha[i] * oldDirections[i][j] }
        }
        for j in q.indices { q[j] *= hDiagonal }
        for i in oldDirections.indices {
            let beta = dot(oldDirections[i], q) * rho[i]
            for j in q.indices { q[j] += (alpha[i] - beta) * oldSteps[i][j] }
        }
        return q
    }

    // MARK: the strong-Wolfe line search (PyTorch's `_strong_wolfe`)
    // Its tolerance on the bracket's width is PyTorch's fixed 1e-9, not the
    // optimizer's tolerance_change (PyTorch does not pass that one on).

    struct Point { var t: Double, f: Double, g: [Double], gtd: Double }

    func strongWolfe(_ x: [Double], _ tInitial: Double, _ d: [Double], _ f: Double, _ g: [Double], _ gtd: Double,
                     _ closure: () throws -> Double, c1: Double = 1e-4, c2: Double = 0.9, maxSteps: Int = 25,
                     toleranceChange: Double = 1e-9)
        throws -> (f: Double, g: [Double], t: Double, evaluations: Int) {
        let dNorm = maxAbs(d)
        var evaluations = 0
        func at(_ t: Double) throws -> Point {
            let (fNew, gNew) = try evaluate(moved(x, t, d), closure)
            evaluations += 1
            return Point(t: t, f: fNew, g: gNew, gtd: dot(gNew, d))
        }
        var new = try at(tInitial)
        var previous = Point(t: 0, f: f, g: g, gtd: gtd)
        var bracket: [Point] = []
        var done = false
        var steps = 0
        // Bracketing: grow the step by cubic extrapolation until a point fails
        // sufficient decrease, satisfies the curvature condition, or turns uphill.
        while steps < maxSteps {
            if new.f > f + c1 * new.t * gtd || (steps > 1 && new.f >= previous.f) { bracket = [previous, new]; break }
            if Swift.abs(new.gtd) <= -c2 * gtd { bracket = [new]; done = true; break }
            if new.gtd >= 0 { bracket = [previous, new]; break }
            let t = cubicMinimum(previous, new, bounds: (new.t + 0.01 * (new.t - previous.t), new.t * 10))
            previous = new
            new = try at(t)
            steps += 1
        }
        if steps == maxSteps { bracket = [Point(t: 0, f: f, g: g, gtd: gtd), new] }

        // Zoom: shrink the bracket until a point satisfies both conditions.
        var low = 0, high = 1
        if bracket.count == 2 && bracket[0].f > bracket[1].f { (low, high) = (1, 0) }
        var insufficientProgress = false
        while !done && steps < maxSteps {
            if Swift.abs(bracket[1].t - bracket[0].t) * dNorm < toleranceChange { break }
            var t = cubicMinimum(bracket[0], bracket[1], bounds: nil)
            let (lo, hi) = (Swift.min(bracket[0].t, bracket[1].t), Swift.max(bracket[0].t, bracket[1].t))
            let eps = 0.1 * (hi - lo)
            if Swift.min(hi - t, t - lo) < eps {  // too close to an end of the bracket
                if insufficientProgress || t >= hi || t <= lo {
                    t = Swift.abs(t - hi) < Swift.abs(t - lo) ? hi - eps : lo + eps
                    insufficientProgress = false
                } else {
                    insufficientProgress = true
                }
            } else {
                insufficientProgress = false
            }
            let point = try at(t)
            steps += 1
            if point.f > f + c1 * t * gtd || point.f >= bracket[low].f {
                bracket[high] = point
                (low, high) = bracket[0].f <= bracket[1].f ? (0, 1) : (1, 0)
            } else {
                if Swift.abs(point.gtd) <= -c2 * gtd {
                    done = true
                } else if point.gtd * (bracket[high].t - bracket[low].t) >= 0 {
                    bracket[high] = bracket[low]
                }
                bracket[low] = point
            }
        }
        let best = bracket.count == 1 ? bracket[0] : bracket[low]
        return (best.f, best.g, best.t, evaluations)
    }

    /// The minimiser of the cubic through two points with their slopes,
    /// clamped to `bounds` (by default the interval between the points);
    /// the middle of the bounds when the cubic has no minimum.
    func cubicMinimum(_ a: Point, _ b: Point, bounds: (Double, Double)?) -> Double {
        let (x1, f1, g1, x2, f2, g2) = (a.t, a.f, a.gtd, b.t, b.f, b.gtd)
        let (lower, upper) = bounds ?? (x1 <= x2 ? (x1, x2) : (x2, x1))
        let d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
        let square = d1 * d1 - g1 * g2
        guard square >= 0 else { return (lower + upper) / 2 }
        let d2 = square.squareRoot()
        let t = x1 <= x2 ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
                         : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
        return Swift.min(Swift.max(t, lower), upper)
    }

    func maxAbs(_ a: [Double]) -> Double { a.reduce(0) { Swift.max($0, Swift.abs($1)) } }

    func dot(_ a: [Double], _ b: [Double]) -> Double {
        var s = 0.0
        for i in a.indices { s += a[i] * b[i] }
        return s
    }
}
