import Foundation

/// Curvature of a loss at its parameters' current values: Hessian-vector
/// products, the top of the spectrum (Lanczos) and the trace (Hutchinson).
///
/// A product is the central difference of two gradients in f64,
/// H·v ≈ (∇f(θ + εv) − ∇f(θ − εv)) / 2ε with the displacement ‖εv‖ = 1e-5
/// (the gradient check's default step): optlab's autograd does not
/// differentiate its own backward pass, and two gradients cost what
/// torch's double backward costs. In f64 the difference is exact to ~1e-10
/// relative on smooth losses; where the two gradients went through
/// different branches of a kink (relu, max) the product is flagged, as the
/// gradient check flags its differences. The parameters are run in f64 for
/// the duration and restored (values, dtype, gradients, flags, the random
/// generator) afterwards; dropout and other draws replay the same numbers
/// in every evaluation.
public final class Hessian {
    public let parameters: [Tensor]
    let loss: () throws -> Tensor
    let op: String
    /// How many products have been computed, and how many crossed a kink.
    public private(set) var products = 0, kinkedProducts = 0
    /// When set (one tensor per parameter, positive), `top` and `density` study
    /// S·H·S with S = diag(scaling): for S = D^½ the spectrum of D·H, a
    /// preconditioned Hessian (Adam's, D = 1/(√v̂ + ε)).
    public var scaling: [Tensor]?
    /// The displacement's norm.
    public static let displacement = 1e-5
    /// One-sided differences, (∇f(θ + εv) − ∇f(θ))/ε with ε = 1.5e-8 (√ of f64's
    /// epsilon, where truncation and rounding balance): one gradient a product
    /// (the centre's is kept), error ~1e-8 relative instead of ~1e-10. For
    /// Lanczos to a tolerance of 1e-3 (the sharpness during training) the
    /// halved cost is what matters.
    public var forward = false
    public static let forwardDisplacement = 1.5e-8
    private var centreGradient: (grads: [Tensor], branches: UInt64)?

    private let centre: [Tensor]
    private let savedGrads: [Tensor?], savedFlags: [Bool], savedDTypes: [DType], savedGenerator: Generator.State
    private let start: Generator.State

    /// Takes the parameters over until `restore()` (which `measure` calls).
    init(_ parameters: [Tensor], op: String, loss: @escaping () throws -> Tensor) throws {
        guard !parameters.isEmpty else { throw RuntimeError(.argument, op, "no parameters: the model or list has none that require grad") }
        for p in parameters where !p.dtype.isFloatingPoint {
            throw RuntimeError(.dtype, op, "parameter \(p.name ?? "") is i32; curvature needs floating-point parameters")
        }
        self.parameters = parameters
        self.loss = loss
        self.op = op
        savedGrads = parameters.map(\.grad)
        savedFlags = parameters.map(\.requiresGrad)
        savedDTypes = parameters.map(\.dtype)
        savedGenerator = Generator.default.state
        start = Generator.default.state
        centre = try parameters.map { try $0.to(.f64).detach().clone() }
        for (p, c) in zip(parameters, centre) {
            let own = try c.clone()
            p.swapContents(with: own)
            p.requiresGrad = true
            p.grad = nil
        }
    }

    /// The parameters back as they were.
    func restore() {
        for (k, p) in parameters.enumerated() {
            let back = (try? centre[k].to(savedDTypes[k]).clone()) ?? centre[k]
            p.swapContents(with: back)
            p.grad = savedGrads[k]
            p.requiresGrad = savedFlags[k]
        }
        Generator.default.state = savedGenerator
    }

    /// Runs `body` with the curvature of the loss, the parameters restored after.
    public static func measure<R>(_ parameters: [Tensor], op: String, loss: @escaping () throws -> Tensor,
                                  _ body: (Hessian) throws -> R) throws -> R {
        let h = try Hessian(parameters, op: op, loss: loss)
        defer { h.restore() }
        return try body(h)
    }

    /// The loss's gradient at θ + s·v (f64, flattened per parameter), and its branches' hash.
    private func gradient(along v: [Tensor], by s: Double) throws -> (grads: [Tensor], branches: UInt64) {
        for (k, p) in parameters.enumerated() {
            try Tensor.withNoGrad { try p.copy(from: centre[k].add(v[k].mul(s))) }
            p.grad = nil
        }
        Generator.default.state = start
        let (value, recorder) = try KinkRecorder.recording { try loss() }
        guard value.count == 1 else {
            throw RuntimeError(.shape, op, "the loss must be one number, got shape \(describe(value.shape))")
        }
        guard value.requiresGrad else {
            throw RuntimeError(.autograd, op, "the loss does not depend on the parameters (no gradient flows to them)")
        }
        try value.backward()
        let grads = try parameters.map { p in try p.grad?.to(.f64) ?? Tensor.zeros(p.shape, dtype: .f64) }
        for g in grads where !g.toDoubles().allSatisfy({ $0.isFinite }) {
            throw RuntimeError(.argument, op, "the gradient is NaN or infinite at these parameters (is the batch finite?)")
        }
        return (grads, recorder.hash)
    }

    /// H·v for v shaped like the parameters (f64 in, f64 out).
    public func product(_ v: [Tensor]) throws -> [Tensor] {
        guard v.count == parameters.count else {
            throw RuntimeError(.argument, op, "v has \(v.count) tensors for \(parameters.count) parameters")
        }
        for (k, (t, p)) in zip(v, parameters).enumerated() where t.shape != p.shape {
            throw RuntimeError(.shape, op, "v[\(k + 1)] has shape \(describe(t.shape)), parameter \(k + 1) \(describe(p.shape))")
        }
        let v64 = try v.map { try $0.to(.f64) }
        let norm = Hessian.norm(v64)
        guard norm > 0 else { return try parameters.map { try Tensor.zeros($0.shape, dtype: .f64) } }
        guard norm.isFinite else { throw RuntimeError(.argument, op, "v is NaN or infinite") }
        if forward {
            if centreGradient == nil { centreGradient = try gradient(along: v64, by: 0) }
            let eps = Hessian.forwardDisplacement / norm
            let (plus, a) = try gradient(along: v64, by: eps)
            products += 1
            if a != centreGradient!.branches { kinkedProducts += 1 }
            for (k, p) in parameters.enumerated() { try Tensor.withNoGrad { try p.copy(from: centre[k]) } }
            return try zip(plus, centreGradient!.grads).map { try $0.sub($1).div(eps) }
        }
        let eps = Hessian.displacement / norm
        let (plus, a) = try gradient(along: v64, by: eps)
        let (minus, b) = try gradient(along: v64, by: -eps)
        products += 1
        if a != b { kinkedProducts += 1 }
        for (k, p) in parameters.enumerated() { try Tensor.withNoGrad { try p.copy(from: centre[k]) } }
        return try zip(plus, minus).map { try $0.sub($1).div(2 * eps) }
    }

    /// H·v, or S·H·S·v with a scaling.
    func operatorProduct(_ v: [Tensor]) throws -> [Tensor] {
        guard let s = scaling else { return try product(v) }
        let scaled = try zip(v, s).map { try $0.to(.f64).mul($1.to(.f64)) }
        return try zip(try product(scaled), s).map { try $0.mul($1.to(.f64)) }
    }

    /// A vector of ±1 (each with probability ½) shaped like the parameters.
    func rademacher(_ generator: Generator) throws -> [Tensor] {
        try parameters.map { p in
            try Tensor.from((0..<p.count).map { _ in generator.uniform() < 0.5 ? -1.0 : 1.0 }, shape: p.shape, dtype: .f64)
        }
    }

    /// One Lanczos step from the basis so far: α = qᵀAq for its last vector q,
    /// w = Aq reorthogonalised against every basis vector (twice: "twice is
    /// enough"), and β = ‖w‖.
    func lanczosStep(_ basis: [[Tensor]]) throws -> (alpha: Double, w: [Tensor], beta: Double) {
        var w = try operatorProduct(basis[basis.count - 1])
        let alpha = Hessian.dot(w, basis[basis.count - 1])
        for _ in 0..<2 { for b in basis { w = try Hessian.axpy(-Hessian.dot(w, b), b, w) } }
        return (alpha, w, Hessian.norm(w))
    }

    /// The eigenvalues (ascending) and eigenvectors (one row each) of the
    /// tridiagonal matrix with diagonal `alphas` and off-diagonal `betas`.
    static func tridiagonalEigen(_ alphas: [Double], _ betas: [Double]) throws -> (values: [Double], vectors: [[Double]]) {
        let m = alphas.count
        var t = [Double](repeating: 0, count: m * m)
        for i in 0..<m { t[i * m + i] = alphas[i]; if i + 1 < m { t[i * m + i + 1] = betas[i]; t[(i + 1) * m + i] = betas[i] } }
        let (values, vectors) = try Tensor.from(t, shape: [m, m], dtype: .f64).symmetricEigen()
        let rows = try vectors.t().toDoubles()
        return (values.toDoubles(), (0..<m).map { Array(rows[($0 * m)..<($0 * m + m)]) })
    }

    static func dot(_ a: [Tensor], _ b: [Tensor]) -> Double {
        var s = 0.0
        for (x, y) in zip(a, b) { for (u, w) in zip(x.toDoubles(), y.toDoubles()) { s += u * w } }
        return s
    }

    static func norm(_ a: [Tensor]) -> Double { dot(a, a).squareRoot() }

    static func axpy(_ a: Double, _ x: [Tensor], _ y: [Tensor]) throws -> [Tensor] {
        try zip(x, y).map { try $1.add($0.mul(a)) }
    }

    // MARK: the spectrum

    /// The top of the spectrum: Ritz values largest first, their vectors, and
    /// how far each is from an eigenpair (‖H·u − λu‖, known from Lanczos
    /// without another product).
    public struct Spectrum {
        public let eigenvalues: [Double]
        public let eigenvectors: [[Tensor]]
        public let residuals: [Double]
        public let iterations: Int
        public let converged: Bool
    }

    /// Lanczos with full reorthogonalisation from a random start (drawn from
    /// `seed`): stops when the top k Ritz pairs' residuals are within
    /// `tolerance`·|λ| or after `iterations` products (or the dimension).
    public func top(_ k: Int, iterations: Int = 100, tolerance: Double = 1e-6, seed: UInt64 = 0) throws -> Spectrum {
        let dimension = parameters.reduce(0) { $0 + $1.count }
        guard k >= 1, k <= dimension else {
            throw RuntimeError(.argument, op, "top must be between 1 and the \(dimension) parameters' count, got \(k)")
        }
        let generator = Generator(seed: seed)
        var q = try parameters.map { try Tensor.randn($0.shape, dtype: .f64, generator: generator) }
        q = try q.map { try $0.div(Hessian.norm(q)) }
        var basis: [[Tensor]] = [q]
        var alphas: [Double] = [], betas: [Double] = []
        let limit = Swift.min(iterations, dimension)
        var ritz: (values: [Double], vectors: [[Double]])? = nil
        var residuals: [Double] = []
        var converged = false
        for j in 0..<limit {
            let (alpha, w, beta) = try lanczosStep(basis)
            alphas.append(alpha)
            // the tridiagonal T_j's eigenpairs: Ritz values and their residuals |β·s_last|
            let m = alphas.count
            let (vals, vecs) = try Hessian.tridiagonalEigen(alphas, betas)   // ascending; row i: eigenvector i
            let order = Array((0..<m).reversed())
            ritz = (order.map { vals[$0] }, order.map { vecs[$0] })
            residuals = ritz!.vectors.map { Swift.abs(beta * $0[m - 1]) }
            if m >= k && (0..<k).allSatisfy({ residuals[$0] <= tolerance * Swift.max(Swift.abs(ritz!.values[$0]), 1e-12) }) {
                converged = true
                break
            }
            guard beta > 1e-12 * Swift.max(1, Swift.abs(alpha)), j + 1 < limit else {
                converged = beta <= 1e-12 * Swift.max(1, Swift.abs(alpha))  // an invariant subspace: exact
                break
            }
            betas.append(beta)
            basis.append(try w.map { try $0.div(beta) })
        }
        let count = Swift.min(k, ritz!.values.count)
        let vectors: [[Tensor]] = try (0..<count).map { i in
            var u = try parameters.map { try Tensor.zeros($0.shape, dtype: .f64) }
            for (c, b) in zip(ritz!.vectors[i], basis) { u = try Hessian.axpy(c, b, u) }
            return u
        }
        return Spectrum(eigenvalues: Array(ritz!.values.prefix(count)), eigenvectors: vectors,
                        residuals: Array(residuals.prefix(count)), iterations: alphas.count, converged: converged)
    }

    // MARK: the trace

    /// Hutchinson's estimate: the mean of zᵀHz over Rademacher vectors z
    /// (drawn from `seed`), and its standard error.
    public func trace(samples: Int, seed: UInt64 = 0) throws -> (trace: Double, standardError: Double) {
        guard samples >= 2 else { throw RuntimeError(.argument, op, "the trace needs at least 2 samples, got \(samples)") }
        let generator = Generator(seed: seed &+ 0x7A11)
        var values: [Double] = []
        for _ in 0..<samples {
            let z = try rademacher(generator)
            values.append(Hessian.dot(z, try product(z)))
        }
        let mean = values.reduce(0, +) / Double(samples)
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(samples - 1)
        return (mean, (variance / Double(samples)).squareRoot())
    }
}

/// What check.hessian found, as a report.
public struct HessianReport: CustomStringConvertible {
    public let spectrum: Hessian.Spectrum?
    public let trace: (trace: Double, standardError: Double)?
    public let samples: Int, products: Int, kinked: Int, parameters: Int
    public var density: Hessian.Density?

    public init(spectrum: Hessian.Spectrum?, trace: (trace: Double, standardError: Double)?, samples: Int, products: Int, kinked: Int, parameters: Int,
                density: Hessian.Density? = nil) {
        self.density = density
        self.spectrum = spectrum
        self.trace = trace
        self.samples = samples
        self.products = products
        self.kinked = kinked
        self.parameters = parameters
    }

    public var description: String {
        var lines = [String(format: "Hessian of the loss over %d parameters (%d products, central differences of gradients in f64)", parameters, products)]
        if let s = spectrum {
            lines.append(String(format: "top %d eigenvalue%@ (Lanczos, %d iterations, %@):", s.eigenvalues.count, s.eigenvalues.count == 1 ? "" : "s",
                                s.iterations, s.converged ? "converged" : "NOT converged: raise iters"))
            for (i, (l, r)) in zip(s.eigenvalues, s.residuals).enumerated() {
                lines.append(String(format: "  λ%-2d % .6e   residual ‖Hu − λu‖ %.1e", i + 1, l, r))
            }
        }
        if let t = trace {
            lines.append(String(format: "trace (Hutchinson, %d Rademacher samples) % .6e ± %.2e (standard error)", samples, t.trace, t.standardError))
            if t.standardError > 0.1 * Swift.abs(t.trace) {
                lines.append("  warning: the standard error is over 10% of the estimate; take more samples")
            }
        }
        if let d = density, let lo = d.nodes.min(), let hi = d.nodes.max() {
            lines.append(String(format: "spectral density (stochastic Lanczos quadrature, %d runs of %d steps): the fraction of eigenvalues in", d.runs, d.steps))
            // ten equal bins across the nodes' span, each with its mass as a bar
            let width = hi > lo ? (hi - lo) / 10 : 1
            var mass = [Double](repeating: 0, count: 10)
            for (t, w) in zip(d.nodes, d.weights) { mass[Swift.min(Swift.max(Int((t - lo) / width), 0), 9)] += w / Double(d.runs) }
            for (b, m) in mass.enumerated() {
                lines.append(String(format: "  [% .3e, % .3e%@ %5.1f%% %@", lo + Double(b) * width, lo + Double(b + 1) * width, b == 9 ? "]" : ")",
                                    100 * m, String(repeating: "█", count: Int((40 * m).rounded()))))
            }
        }
        if kinked > 0 {
            lines.append("warning: \(kinked) of \(products) products crossed a kink (relu, max, ...) between their two gradients; near kinks the curvature is not defined and the numbers are rough")
        }
        return lines.joined(separator: "\n")
    }
}
