import Foundation

/// The gradient noise scale B_simple = tr(Σ)/|G|² (McCandlish et al. 2018,
/// "An Empirical Model of Large-Batch Training", appendix A): the batch size
/// around which a larger batch stops buying proportionally faster progress.
/// Σ is the covariance of one example's gradient and G the full gradient.
/// With |G_B|² the squared norm of a batch-B gradient, E|G_B|² = |G|² +
/// tr(Σ)/B, so two batch sizes b < B give unbiased estimates of both:
/// ```
/// |G|² ≈ (B·|G_B|² − b·|G_b|²)/(B − b)     tr(Σ) ≈ (|G_b|² − |G_B|²)/(1/b − 1/B)
/// ```
/// Each of `steps` rounds draws a batch of each size (examples with
/// replacement, so the identity holds exactly for the data set as the
/// population), and B_simple is the ratio of the two estimates' means (a
/// ratio of noisy means, not a mean of noisy ratios: the authors' advice).
/// Its standard error is the jackknife's over the rounds. The parameters
/// are not changed; their gradients and the generator are restored.
public enum NoiseScale {
    public struct Estimate: CustomStringConvertible {
        public let bSimple: Double, standardError: Double
        public let traceSigma: Double, gradientSquared: Double
        public let small: Int, big: Int, steps: Int

        public var description: String {
            var lines = [String(format: "gradient noise scale B_simple = tr(Σ)/|G|² ≈ %.4g ± %.2g (jackknife standard error over %d rounds)", bSimple, standardError, steps),
                         String(format: "  tr(Σ) ≈ %.4g   |G|² ≈ %.4g   from batches of %d and %d", traceSigma, gradientSquared, small, big)]
            if gradientSquared <= 0 {
                lines.append("  |G|² came out ≤ 0: the gradient is too small against its noise to estimate it; take more rounds or a larger big batch")
            } else if standardError > 0.5 * Swift.abs(bSimple) {
                lines.append("  the standard error is over half the estimate: take more rounds (steps =)")
            }
            return lines.joined(separator: "\n")
        }
    }

    public static func estimate(model: Module, loss: Trainer.LossFunction, data: Dataset, small: Int, big: Int,
                                steps: Int, seed: UInt64 = 0) throws -> Estimate {
        let op = "monitor.noise_scale"
        guard small >= 1, big > small else { throw RuntimeError(.argument, op, "need 1 ≤ small < big, got small \(small), big \(big)") }
        guard steps >= 2 else { throw RuntimeError(.argument, op, "steps must be at least 2 (the error needs two rounds), got \(steps)") }
        guard data.count > 0 else { throw RuntimeError(.argument, op, "the data set is empty") }
        if data.blocks != nil && big > data.count {
            throw RuntimeError(.argument, op, "big = \(big) is more than the \(data.count) blocks an epoch of this text set draws")
        }
        let parameters = model.parameters().filter(\.requiresGrad)
        guard !parameters.isEmpty else { throw RuntimeError(.argument, op, "the model has no parameters that require grad") }
        let savedGrads = parameters.map(\.grad), savedGenerator = Generator.default.state
        defer {
            for (p, g) in zip(parameters, savedGrads) { p.grad = g }
            Generator.default.state = savedGenerator
        }
        let generator = Generator(seed: seed)
        func squaredNorm(_ size: Int) throws -> Double {
            let order = data.blocks == nil
                ? (0..<size).map { _ in Swift.min(data.count - 1, Int(generator.uniform() * Double(data.count))) }
                : Array(data.epochOrder(generator).prefix(size))
            let batch = try data.batch(0, of: order, size: size)
            for p in parameters { p.grad = nil }
            let l = try loss(try model(batch.inputs), batch.labels)
            guard l.count == 1 else { throw RuntimeError(.shape, op, "the loss must be one number, got shape \(describe(l.shape))") }
            guard try l.item().isFinite else { throw RuntimeError(.argument, op, "the loss is NaN or infinite on a batch (is the data finite?)") }
            try l.backward()
            return parameters.reduce(0.0) { total, p in
                guard let g = p.grad else { return total }
                let n = Optimizer.norm(g)
                return total + n * n
            }
        }
        var traces: [Double] = [], squares: [Double] = []
        let (b, bb) = (Double(small), Double(big))
        for _ in 0..<steps {
            let gs = try squaredNorm(small), gb = try squaredNorm(big)
            squares.append((bb * gb - b * gs) / (bb - b))
            traces.append((gs - gb) / (1 / b - 1 / bb))
        }
        func ratio(_ skip: Int?) -> Double {
            var (s, g) = (0.0, 0.0)
            for k in 0..<steps where k != skip { s += traces[k]; g += squares[k] }
            return s / g
        }
        let whole = ratio(nil)
        let leaveOneOut = (0..<steps).map { ratio($0) }
        let mean = leaveOneOut.reduce(0, +) / Double(steps)
        let variance = leaveOneOut.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } * Double(steps - 1) / Double(steps)
        return Estimate(bSimple: whole, standardError: variance.squareRoot(),
                        traceSigma: traces.reduce(0, +) / Double(steps), gradientSquared: squares.reduce(0, +) / Double(steps),
                        small: small, big: big, steps: steps)
    }
}
