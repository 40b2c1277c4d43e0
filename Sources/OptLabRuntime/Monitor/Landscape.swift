import Foundation

/// Loss landscapes: the loss along the line between two parameter sets
/// (Goodfellow et al. 2015; the barrier of Frankle et al. 2020), and on a
/// plane through a point along two random filter-normalised directions (Li
/// et al. 2018, "Visualizing the Loss Landscape of Neural Nets"). The
/// parameters are moved for each evaluation and put back afterwards.
public enum Landscape {
    public struct Line {
        public let alphas: [Double], values: [Double]
        /// The largest rise above the straight line between the two ends:
        /// max over α of L(α) − ((1 − α)·L(0) + α·L(1)) (0 when the path is convex).
        public var barrier: Double {
            guard let first = values.first, let last = values.last else { return 0 }
            return zip(alphas, values).map { a, v in v - ((1 - a) * first + a * last) }.max().map { Swift.max(0, $0) } ?? 0
        }
    }

    public struct Plane {
        public let alphas: [Double], betas: [Double]
        /// values[i][j] at alphas[i], betas[j].
        public let values: [[Double]]

        public init(alphas: [Double], betas: [Double], values: [[Double]]) { (self.alphas, self.betas, self.values) = (alphas, betas, values) }
    }

    /// n evenly spaced points from lo to hi, both ends included.
    static func points(_ lo: Double, _ hi: Double, _ n: Int) -> [Double] {
        (0..<n).map { n == 1 ? lo : lo + (hi - lo) * Double($0) / Double(n - 1) }
    }

    /// Runs `body` and puts the parameters' values back, whatever happens.
    static func restoring<R>(_ parameters: [Tensor], _ body: () throws -> R) throws -> R {
        let saved = try parameters.map { try $0.detach().clone() }
        defer { Tensor.withNoGrad { for (p, s) in zip(parameters, saved) { try? p.copy(from: s) } } }
        return try body()
    }

    static func check(_ sets: [[Tensor]], like parameters: [Tensor], op: String, names: [String]) throws {
        for (k, set) in sets.enumerated() {
            guard set.count == parameters.count else {
                throw RuntimeError(.argument, op, "parameter set \(k + 1) has \(set.count) tensors for \(parameters.count) parameters")
            }
            for (i, (t, p)) in zip(set, parameters).enumerated() where t.shape != p.shape {
                throw RuntimeError(.shape, op, "parameter set \(k + 1), tensor \(i + 1): shape \(describe(t.shape)), the parameter's \(describe(p.shape))")
            }
            // a NaN weight makes every loss NaN: a picture of nothing
            for (i, t) in set.enumerated() {
                if let bad = t.firstNonFinite() {
                    throw RuntimeError(.argument, op, "\(names[k]), tensor \(i + 1), holds \(bad.count) non-finite value\(bad.count == 1 ? "" : "s") (the first: \(bad.value.isNaN ? "nan" : String(bad.value)))")
                }
            }
        }
    }

    static func evaluate(_ loss: () throws -> Double, op: String) throws -> Double {
        try Tensor.withNoGrad { try loss() }
    }

    /// The loss at θ(α) = (1 − α)·a + α·b for `points` values of α in [0, 1].
    public static func line(parameters: [Tensor], from a: [Tensor], to b: [Tensor], points n: Int,
                            loss: () throws -> Double) throws -> Line {
        let op = "monitor.landscape"
        guard n >= 2 else { throw RuntimeError(.argument, op, "points must be at least 2, got \(n)") }
        try check([a, b], like: parameters, op: op, names: ["a (between's first)", "b (between's second)"])
        // copies: an end may be the parameters themselves (the model being measured)
        let (a, b) = (try a.map { try $0.detach().clone() }, try b.map { try $0.detach().clone() })
        let alphas = points(0, 1, n)
        let values = try restoring(parameters) {
            try alphas.map { alpha in
                try Tensor.withNoGrad {
                    for (p, (x, y)) in zip(parameters, zip(a, b)) {
                        try p.copy(from: x.to(p.dtype).mul(1 - alpha).add(y.to(p.dtype).mul(alpha)))
                    }
                }
                return try evaluate(loss, op: op)
            }
        }
        return Line(alphas: alphas, values: values)
    }

    /// The loss at centre + α·d1 + β·d2 on a grid×grid of α, β in [−span, span].
    public static func plane(parameters: [Tensor], centre: [Tensor], directions d1: [Tensor], _ d2: [Tensor], grid n: Int, span: Double,
                             loss: () throws -> Double) throws -> Plane {
        let axis = try self.axis(grid: n, span: span)
        try check([centre, d1, d2], like: parameters, op: "monitor.landscape", names: ["the centre (the weights)", "direction 1", "direction 2"])
        let centre = try centre.map { try $0.detach().clone() }
        let values = try restoring(parameters) {
            try axis.map { alpha in try row(parameters: parameters, centre: centre, directions: d1, d2, alpha: alpha, betas: axis, loss: loss) }
        }
        return Plane(alphas: axis, betas: axis, values: values)
    }

    /// The axis of a grid×grid plane of half-width span (what `plane` evaluates on).
    public static func axis(grid n: Int, span: Double) throws -> [Double] {
        let op = "monitor.landscape"
        guard n >= 2, n <= 201 else { throw RuntimeError(.argument, op, "grid must be 2…201 points a side, got \(n)") }
        guard span > 0, span.isFinite else { throw RuntimeError(.argument, op, "span must be positive, got \(span)") }
        return points(-span, span, n)
    }

    /// One row of a plane: the loss at centre + alpha·d1 + β·d2 for each β. The
    /// parameters are left at the last point (`plane` puts them back).
    static func row(parameters: [Tensor], centre: [Tensor], directions d1: [Tensor], _ d2: [Tensor], alpha: Double, betas: [Double],
                    loss: () throws -> Double) throws -> [Double] {
        try betas.map { beta in
            try Tensor.withNoGrad {
                for (k, p) in parameters.enumerated() {
                    try p.copy(from: centre[k].to(p.dtype).add(d1[k].to(p.dtype).mul(alpha)).add(d2[k].to(p.dtype).mul(beta)))
                }
            }
            return try evaluate(loss, op: "monitor.landscape")
        }
    }

    /// Li et al.'s filter normalisation of a direction: each filter (a slice
    /// along the first dimension) of a ≥ 2-d parameter's direction scaled to
    /// the norm of the same filter of the weights; 1-d parameters (biases,
    /// BatchNorm's scale and shift) get no direction (zeros).
    public static func filterNormalized(_ direction: [Tensor], like weights: [Tensor]) throws -> [Tensor] {
        try zip(direction, weights).map { d, w in
            guard w.rank >= 2 else { return try Tensor.zeros(w.shape, dtype: w.dtype) }
            let filters = w.shape[0], size = w.count / Swift.max(filters, 1)
            var out = try d.to(.f64).toDoubles()
            let wv = w.toDoubles()
            for f in 0..<filters {
                let range = (f * size)..<((f + 1) * size)
                let dn = range.reduce(0.0) { $0 + out[$1] * out[$1] }.squareRoot()
                let wn = range.reduce(0.0) { $0 + wv[$1] * wv[$1] }.squareRoot()
                for i in range { out[i] = dn > 0 ? out[i] / dn * wn : 0 }
            }
            return try Tensor.from(out, shape: w.shape, dtype: w.dtype)
        }
    }

    /// A random filter-normalised direction for these weights, from `generator`.
    public static func randomDirection(like weights: [Tensor], generator: Generator) throws -> [Tensor] {
        let raw = try weights.map { try Tensor.randn($0.shape, dtype: .f64, generator: generator) }
        return try filterNormalized(raw, like: weights)
    }
}
