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
            let z = try rademacher(generator)
            let q = try z.map { try $0.div(Hessian.norm(z)) }
            var basis: [[Tensor]] = [q], alphas: [Double] = [], betas: [Double] = []
            for j in 0..<Swift.min(steps, dimension) {
                let (alpha, w, beta) = try lanczosStep(basis)
                alphas.append(alpha)
                // an invariant subspace: the quadrature is exact with the nodes found so far
                guard beta > 1e-10 * Swift.max(1, Swift.abs(alpha)), j + 1 < Swift.min(steps, dimension) else { break }
                betas.append(beta)
                basis.append(try w.map { try $0.div(beta) })
            }
            let (values, vectors) = try Hessian.tridiagonalEigen(alphas, betas)
            nodes += values
            weights += vectors.map { $0[0] * $0[0] }   // each eigenvector's first component, squared
        }
        return Density(nodes: nodes, weights: weights, runs: runs, steps: steps)
    }
}
