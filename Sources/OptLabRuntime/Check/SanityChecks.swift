import Foundation

/// The notes' checks before learning, each returning what it measured and
/// what that means.
public enum SanityCheck {
    public struct Outcome: CustomStringConvertible {
        public let name: String
        public let passed: Bool
        public let detail: String
        /// What was measured, by name (loss, expected, classes; the losses compared; final loss and accuracy).
        public var values: [String: Double] = [:]
        public var description: String { (passed ? "✓ " : "✗ ") + name + ": " + detail }

        init(name: String, passed: Bool, detail: String, values: [String: Double] = [:]) {
            (self.name, self.passed, self.detail, self.values) = (name, passed, detail, values)
        }
    }

    public typealias LossFunction = (Tensor, Tensor) throws -> Tensor

    /// A loss as the checks print it: "NaN" and "inf" said as such, not as a number judged.
    static func shown(_ v: Double) -> String { v.isNaN ? "NaN" : v.isInfinite ? (v > 0 ? "inf" : "-inf") : String(format: "%.4f", v) }

    /// What a check says of a loss that is not finite: where it comes from, when the data or the parameters hold it.
    static func notFinite(_ model: Module, x: Tensor, y: Tensor) -> String {
        if let source = NonFiniteSource.find(inputs: x, targets: y, model: model) {
            return "; " + source.text() + ": fix that first"
        }
        return "; the inputs, targets and parameters are finite: the model's output or the loss overflows (scores too large? a log of 0?)"
    }

    /// With regularisation off, the loss at initialisation should be chance:
    /// ln C for softmax, margin·(C−1) for the SVM.
    public static func initialLoss(_ model: Module, loss: LossFunction, kind: Loss?, x: Tensor, y: Tensor,
                                   classes: Int, tolerance: Double = 0.15) throws -> Outcome {
        let value = try Tensor.withNoGrad { try withMode(model, training: false) { try loss(model(x), y).item() } }
        guard value.isFinite else {
            return Outcome(name: "initial loss", passed: false, detail: shown(value) + notFinite(model, x: x, y: y),
                           values: ["loss": value, "classes": Double(classes)])
        }
        guard let expected = kind?.chanceLoss(classes: classes) else {
            return Outcome(name: "initial loss", passed: value.isFinite, detail: String(format: "%.4f (no chance value known for this loss)", value),
                           values: ["loss": value, "classes": Double(classes)])
        }
        let off = Swift.abs(value - expected) / expected
        let passed = off <= tolerance
        var detail = String(format: "%.4f, chance is %.4f for %d classes", value, expected, classes)
        if !passed {
            detail += value > expected
                ? "; too high: the initial scores are large (initialise smaller, e.g. std 0.01) or the loss is wrong"
                : "; too low: the network already prefers the right classes (labels leaking into inputs?) or the loss is wrong"
        }
        return Outcome(name: "initial loss", passed: passed, detail: detail,
                       values: ["loss": value, "expected": expected, "classes": Double(classes)])
    }

    /// Raising the regularisation strength must raise the loss.
    public static func regularization(_ model: Module, loss: LossFunction, x: Tensor, y: Tensor, strength: Double = 1e2) throws -> Outcome {
        let (plain, regularised) = try Tensor.withNoGrad {
            try withMode(model, training: false) {
                let data = try loss(model(x), y)
                return (try data.item(), try data.add(l2Penalty(model, strength: strength)).item())
            }
        }
        let passed = regularised > plain
        let why = !plain.isFinite || !regularised.isFinite ? notFinite(model, x: x, y: y)
            : "; more regularization should mean more loss: is the penalty wired in?"
        return Outcome(name: "regularization", passed: passed,
                       detail: "loss \(shown(plain)) with no regularization, \(shown(regularised)) with strength \(String(format: "%g", strength))"
                           + (passed ? "" : why),
                       values: ["loss": plain, "regularized_loss": regularised, "strength": strength])
    }

    /// Trains a copy on n examples with regularisation off: it should reach
    /// near-zero loss and 100% training accuracy.
    public static func overfit(_ model: Module, loss: LossFunction, x: Tensor, y: Tensor, steps: Int = 300,
                               learningRate: Double = 1e-2) throws -> Outcome {
        let copy = try model.clone()
        copy.train()
        let opt = try Optimizer(copy.parameters(), rule: .adam(beta1: 0.9, beta2: 0.999, eps: 1e-8), learningRate: learningRate)
        var last = Double.infinity
        for _ in 0..<steps {
            opt.zeroGrad()
            let l = try loss(copy(x), y)
            last = try l.item()
            guard last.isFinite else { break }
            try l.backward()
            try opt.step()
            if last < 1e-3 { break }
        }
        let acc = try accuracy(copy, try Dataset(inputs: x, labels: y))
        let passed = acc == 1 && last < 0.05
        var why = "; a network that cannot overfit a few examples has a bug (or too little capacity)"
        if !last.isFinite {
            // NaN from the start is the data's or the parameters'; NaN after some steps is Adam's rate on this model
            why = opt.steps == 0 ? notFinite(model, x: x, y: y)
                : String(format: "; the loss became %@ after %d Adam steps at lr %g: the model or the loss overflows as it fits", shown(last), opt.steps, learningRate)
        }
        return Outcome(name: "overfit \(x.shape[0]) examples", passed: passed,
                       detail: "loss \(shown(last)), training accuracy \(String(format: "%.0f", acc * 100))% after \(opt.steps) Adam steps"
                           + (passed ? "" : why),
                       values: ["loss": last, "accuracy": acc, "steps": Double(opt.steps)])
    }

    /// check.model: the data loss checked with regularisation off, then the
    /// regularisation term on its own at a strength that matters, and a
    /// warning when regularisation dominates the gradient at `reg`.
    public static func model(_ model: Module, loss: LossFunction, x: Tensor, y: Tensor, reg: Double,
                             options: GradCheck.Options = GradCheck.Options()) throws -> (data: GradCheck.Result, reg: GradCheck.Result, notes: [String]) {
        var notes: [String] = []
        if x.shape[0] > 16 {
            notes.append("the batch has \(x.shape[0]) examples; a few (2–5) make kinks rarer and the check faster")
        }
        let params = model.parameters()
        let buffers = try model.namedBuffers().map { try $0.tensor.clone() }
        defer { for (b, saved) in zip(model.namedBuffers(), buffers) { try? b.tensor.copy(from: saved) } }
        let data = try withMode(model, training: model.isTraining) {
            try GradCheck.run(params, options: options) { try loss(model(x), y) }
        }
        let strength = Swift.max(reg, 1)
        let regOnly = try GradCheck.run(params, options: options) { try l2Penalty(model, strength: strength) }
        if reg > 0 {
            model.zeroGrad()
            try loss(model(x), y).backward()
            let dataNorm = try params.compactMap(\.grad).map { try $0.norm().item() }.reduce(0) { $0 + $1 * $1 }.squareRoot()
            model.zeroGrad()
            try l2Penalty(model, strength: reg).backward()
            let regNorm = try params.compactMap(\.grad).map { try $0.norm().item() }.reduce(0) { $0 + $1 * $1 }.squareRoot()
            model.zeroGrad()
            if regNorm > 10 * dataNorm {
                notes.append(String(format: "at reg = %g the regularization gradient (norm %.3g) is %.0f× the data gradient (%.3g): it would mask a wrong data gradient", reg, regNorm, regNorm / Swift.max(dataNorm, 1e-300), dataNorm))
            }
        }
        return (data, regOnly, notes)
    }

    static func withMode<R>(_ model: Module, training: Bool, _ body: () throws -> R) rethrows -> R {
        let was = model.isTraining
        model.train(training)
        defer { model.train(was) }
        return try body()
    }
}
