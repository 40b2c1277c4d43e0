import Foundation

/// The norm of each example's own loss gradient, ‖∇θ ℓ(x_i, y_i)‖, in one
/// pass where the model allows it and one pass an example where it does not.
///
/// For a Sequential whose only layers with parameters are Linear ones, on
/// [N, features] inputs, each example's gradient of a layer's weight is the
/// outer product of its own output gradient and its own input (Goodfellow
/// 2015, "Efficient per-example gradient computations"), so its squared norm
/// is ‖g_i‖²·(‖x_i‖² + 1 for the bias), summed over the layers: one forward
/// and one backward pass for the batch. The batch loss is a mean, so g_i is
/// N times the row of the batch's output gradient; a loss that averages
/// otherwise (ignored labels) would break that, so the one-pass result is
/// checked against the example-by-example one on two examples, and the
/// slow way taken when they differ. Any other model is measured one example
/// at a time. Both run in evaluation mode (dropout off, BatchNorm's running
/// statistics), so an example's gradient does not depend on the others. An
/// example whose every target a loss ignores has gradient 0.
public enum PerExampleGradients {
    public enum Method: String, Sendable { case linear = "in one pass, Linear layers", loop = "one pass an example" }

    public struct Result: CustomStringConvertible {
        public let norms: [Double]
        public let method: Method
        /// ‖∇ of the batch's mean loss‖².
        public let batchGradientSquared: Double
        /// Unbiased estimates over the batch: the trace of the per-example
        /// gradients' covariance, N/(N−1)·(mean ‖g_i‖² − ‖ḡ‖²), and the squared
        /// norm of the true gradient, ‖ḡ‖² − tr(Σ)/N; their ratio is the noise scale.
        public let traceSigma: Double, gradientSquared: Double
        public var bSimple: Double { traceSigma / gradientSquared }

        public var description: String {
            let n = Double(norms.count)
            let mean = norms.reduce(0, +) / n
            let sorted = norms.sorted()
            var lines = [String(format: "per-example gradient norms of %d examples, %@: mean %.4g, median %.4g, min %.4g, max %.4g",
                                norms.count, method.rawValue, mean, sorted[sorted.count / 2], sorted.first ?? .nan, sorted.last ?? .nan),
                         String(format: "  the batch's gradient %.4g; tr(Σ) ≈ %.4g, |G|² ≈ %.4g, so B_simple ≈ %.4g (one batch: a rough estimate)",
                                batchGradientSquared.squareRoot(), traceSigma, gradientSquared, bSimple)]
            if gradientSquared <= 0 { lines.append("  |G|² came out ≤ 0: the batch is too small against the gradient's noise to estimate it") }
            return lines.joined(separator: "\n")
        }
    }

    static let op = "monitor.grad_norms"

    /// Each example's gradient norm in `inputs`; `method` nil chooses (one pass when the model allows it).
    public static func measure(model: Module, loss: Trainer.LossFunction, inputs x: Tensor, targets y: Tensor, method: Method? = nil) throws -> Result {
        let parameters = model.parameters().filter(\.requiresGrad)
        guard !parameters.isEmpty else { throw RuntimeError(.argument, op, "the model has no parameters that require grad") }
        guard x.rank >= 1, y.rank >= 1, x.shape[0] == y.shape[0] else {
            throw RuntimeError(.shape, op, "inputs of shape \(describe(x.shape)) and targets of shape \(describe(y.shape)): the first dimensions must match")
        }
        guard x.shape[0] >= 2 else { throw RuntimeError(.argument, op, "need at least 2 examples, got \(x.shape[0])") }
        if let source = NonFiniteSource.find(inputs: x, targets: y, model: model) { throw RuntimeError(.argument, op, source.text(of: "the batch")) }
        let savedGrads = parameters.map(\.grad), mode = model.isTraining
        model.evaluate()
        defer {
            for (p, g) in zip(parameters, savedGrads) { p.grad = g }
            model.train(mode)
        }
        let (batchGradient, oneShot) = try pass(model, loss, x, y, parameters, taps: method != .loop ? linearLayers(model, x) : nil)
        func alone(_ i: Int) throws -> Double { try exampleNorm(model, loss, x, y, i, parameters) }
        var norms: [Double] = [], used = Method.loop
        if let oneShot {
            // the one-pass norms hold only if the loss averages its N rows: checked on two examples
            let check = try (0..<2).map(alone)
            let agree = zip(check, oneShot).allSatisfy { Swift.abs($0 - $1) <= 1e-6 * Swift.max($0, $1, 1e-30) }
            if method == .linear && !agree { throw RuntimeError(.argument, op, "the loss does not average its rows (ignored labels?): method = \"linear\" cannot measure it") }
            // (when they disagree, the two measured alone are kept and the rest measured so)
            (norms, used) = agree ? (oneShot, .linear) : (check, .loop)
        } else if method == .linear {
            throw RuntimeError(.argument, op, "method = \"linear\" needs a Sequential whose layers with parameters are all Linear, on [N, features] inputs")
        }
        if norms.count < x.shape[0] { norms += try (norms.count..<x.shape[0]).map(alone) }
        let n = Double(norms.count)
        let meanSquare = norms.reduce(0) { $0 + $1 * $1 } / n
        let trace = n / (n - 1) * (meanSquare - batchGradient)
        return Result(norms: norms, method: used, batchGradientSquared: batchGradient, traceSigma: trace, gradientSquared: batchGradient - trace / n)
    }

    /// The Linear layers of a plain Sequential on 2-D inputs, or nil when another layer has parameters.
    static func linearLayers(_ model: Module, _ x: Tensor) -> [Linear]? {
        guard x.rank == 2, let seq = model as? Sequential else { return nil }
        var found: [Linear] = []
        for m in seq.layers {
            if let l = m as? Linear { found.append(l) } else if m.parameterCount > 0 { return nil }
        }
        return found.isEmpty ? nil : found
    }

    /// One forward and backward pass of the batch: ‖∇ mean loss‖², and with
    /// `taps` (the Linear layers) each example's squared gradient norm from them.
    static func pass(_ model: Module, _ loss: Trainer.LossFunction, _ x: Tensor, _ y: Tensor, _ parameters: [Tensor],
                     taps: [Linear]?, alone: Bool = false) throws -> (Double, [Double]?) {
        for p in parameters { p.grad = nil }
        var scores = x
        var recorded: [(layer: Linear, input: Tensor, output: Tensor)] = []
        if let taps, let seq = model as? Sequential {
            for m in seq.layers {
                let out = try m.forward(scores)
                if let l = m as? Linear, taps.contains(where: { $0 === l }) {
                    out.retainsGrad = true
                    recorded.append((l, scores, out))
                }
                scores = out
            }
        } else {
            scores = try model(x)
        }
        let l = try loss(scores, y)
        guard l.count == 1 else { throw RuntimeError(.shape, op, "the loss must be one number, got shape \(describe(l.shape))") }
        let value = try l.item()
        guard value.isFinite else {
            // an example alone whose every target is ignored has a mean over nothing (0/0): it pulls the weights nowhere
            // (the batch, with finite data and weights, gave a finite loss before any example was taken alone)
            if alone && value.isNaN { return (0, nil) }
            throw RuntimeError(.argument, op, "the loss is NaN or infinite on this batch")
        }
        try l.backward()
        let batch = parameters.reduce(0.0) { total, p in p.grad.map { total + sq(Optimizer.norm($0)) } ?? total }
        guard taps != nil else { return (batch, nil) }
        let n = x.shape[0]
        var norms = [Double](repeating: 0, count: n)
        for r in recorded {
            guard let g = r.output.grad else { continue }
            let gv = try g.to(.f64).toDoubles(), xv = try r.input.to(.f64).toDoubles()
            let (outs, ins) = (gv.count / n, xv.count / n)
            let weightLearns = r.layer.weight.requiresGrad, biasLearns = r.layer.bias?.requiresGrad == true
            for i in 0..<n {
                let g2 = (0..<outs).reduce(0.0) { $0 + sq(gv[i * outs + $1]) } * Double(n * n)
                let x2 = (0..<ins).reduce(0.0) { $0 + sq(xv[i * ins + $1]) }
                norms[i] += g2 * ((weightLearns ? x2 : 0) + (biasLearns ? 1 : 0))
            }
        }
        return (batch, norms.map { $0.squareRoot() })
    }

    /// ‖∇θ ℓ(x_i, y_i)‖ from a pass of example i alone.
    static func exampleNorm(_ model: Module, _ loss: Trainer.LossFunction, _ x: Tensor, _ y: Tensor, _ i: Int, _ parameters: [Tensor]) throws -> Double {
        let xi = try x.narrow(dim: 0, start: i, length: 1), yi = try y.narrow(dim: 0, start: i, length: 1)
        return try pass(model, loss, xi, yi, parameters, taps: nil, alone: true).0.squareRoot()
    }

    static func sq(_ v: Double) -> Double { v * v }
}
