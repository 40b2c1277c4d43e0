import Foundation

/// The Hessian's spectral density by stochastic Lanczos quadrature (Ghorbani,
/// Krishnan & Xiao 2019; PyHessian's `density`): from each of a few random
/// unit vectors v, m Lanczos steps give a tridiagonal T whose eigenvalues θᵢ
/// are the nodes and whose eigenvectors' first components squared τᵢ = (eᵢ)₁²
/// the weights of a Gauss quadrature of vᵀf(H)v. Averaged over the vectors,
/// Σ τᵢ δ(t − θᵢ) estimates the spectral measure (1/n) Σ δ(t − λⱼ): its mass
/// on an interval is the fraction of eigenvalues there.
extension Hessian {
    public struct Density {
        /// Every run's nodes and weights (each run's weights sum to 1).
        public let nodes: [Double], weights: [Double]
        public let runs: Int, steps: Int

        /// The fraction of the spectrum in [lo, hi].
        public func mass(_ lo: Double, _ hi: Double) -> Double {
            zip(nodes, weights).reduce(0) { $0 + ($1.0 >= lo && $1.0 <= hi ? $1.1 : 0) } / Double(runs)
        }

        /// The density smoothed by Gaussians of width sigma (default: 1% of the
        /// nodes' span) on `points` points across the nodes' span and 5 sigma beyond.
        public func smoothed(points: Int = 200, sigma: Double? = nil) -> (grid: [Double], values: [Double]) {
            guard let lo = nodes.min(), let hi = nodes.max(), points >= 2 else { return ([], []) }
            let s = sigma ?? Swift.max((hi - lo) / 100, 1e-12)
            let a = lo - 5 * s, b = hi + 5 * s
            let grid = (0..<points).map { a + (b - a) * Double($0) / Double(points - 1) }
            let norm = 1 / (s * (2 * Double.pi).squareRoot() * Double(runs))
            let values = grid.map { t in zip(nodes, weights).reduce(0) { $0 + $1.1 * exp(-0.5 * (t - $1.0) * (t - $1.0) / (s * s)) } * norm }
            return (grid, values)
        }
    }

    /// `runs` Lanczos runs of `steps` products each (full reorthogonalisation),
    /// from Rademacher vectors drawn from `seed`.
    public func density(runs: Int, steps: Int, seed: UInt64 = 0) throws -> Density {
        let dimension = parameters.reduce(0) { $0 + $1.count }
        guard runs >= 1, runs <= 1000 else { throw RuntimeError(.argument, op, "density runs must be between 1 and 1000, got \(runs)") }
        guard steps >= 1 else { throw RuntimeError(.argument, op, "density steps must be at least 1, got \(steps)") }
        let generator = Generator(seed: seed &+ 0x51D)
        var nodes: [Double] = [], weights: [Double] = []
        for _ in 0..<runs {
            var q = try parameters.map { p in
                try Tensor.from((0..<p.count).map { _ in generator.uniform() < 0.5 ? -1.0 : 1.0 }, shape: p.shape, dtype: .f64)
            }
            q = try q.map { try $0.div(Hessian.norm(q)) }
            var basis: [[Tensor]] = [q], alphas: [Double] = [], betas: [Double] = []
            for j in 0..<Swift.min(steps, dimension) {
                var w = try operatorProduct(basis[j])
                alphas.append(Hessian.dot(w, basis[j]))
                for _ in 0..<2 { for b in basis { w = try Hessian.axpy(-Hessian.dot(w, b), b, w) } }
                let beta = Hessian.norm(w)
                // an invariant subspace: the quadrature is exact with the nodes found so far
                guard beta > 1e-10 * Swift.max(1, Swift.abs(alphas[j])), j + 1 < Swift.min(steps, dimension) else { break }
                betas.append(beta)
                basis.append(try w.map { try $0.div(beta) })
            }
            let m = alphas.count
            var t = [Double](repeating: 0, count: m * m)
            for i in 0..<m { t[i * m + i] = alphas[i]; if i + 1 < m { t[i * m + i + 1] = betas[i]; t[(i + 1) * m + i] = betas[i] } }
            let (values, vectors) = try Tensor.from(t, shape: [m, m], dtype: .f64).symmetricEigen()
            let vecs = vectors.toDoubles()   // column i: eigenvector i; its first component is row 0
            nodes += values.toDoubles()
            weights += (0..<m).map { vecs[$0] * vecs[$0] }
        }
        return Density(nodes: nodes, weights: weights, runs: runs, steps: steps)
    }
}
