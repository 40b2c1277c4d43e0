import Foundation

/// Reads a training history and says in words what the notes would say.
public enum Diagnosis {
    public struct Finding: Equatable, Sendable {
        public enum Kind: String, Sendable { case exploding, stuck, flat, noisy, overfitting, underfitting, healthy }
        public let kind: Kind
        public let message: String
    }

    /// The findings about one run, most serious first.
    /// - Parameters:
    ///   - loss: The loss of every iteration.
    ///   - trainAccuracy: The training accuracy of every epoch.
    ///   - validationAccuracy: The validation accuracy of every epoch.
    ///   - updateRatios: The largest update/weight ratio of a weight, per
    ///     epoch or step, when known: it tells a rate too low from nothing moving.
    public static func diagnose(loss: [Double], trainAccuracy: [Double], validationAccuracy: [Double],
                                updateRatios: [Double] = []) -> [Finding] {
        var out: [Finding] = []
        let ratios = updateRatios.filter(\.isFinite)
        if !ratios.isEmpty && ratios.allSatisfy({ $0 == 0 }) {
            return [Finding(kind: .stuck, message: "nothing moved: no weight changed at any step (every update/weight ratio is 0); "
                            + "does the optimizer hold this model's parameters, and do they get gradients (not frozen, not detached)?")]
        }
        let typicalRatio = ratios.isEmpty ? nil : ratios.sorted()[ratios.count / 2]
        let finite = loss.filter { $0.isFinite }
        if let first = loss.first, let last = loss.last {
            let head = Array(loss.prefix(Swift.max(1, loss.count / 10)))
            let start = head.reduce(0, +) / Double(head.count)
            if !last.isFinite || finite.count < loss.count || last > 3 * Swift.max(first, 1e-12) {
                out.append(Finding(kind: .exploding, message: "the loss is exploding (it ends above 3× where it started, or is NaN/inf): the learning rate is too high"))
            } else if loss.count >= 10 {
                let tail = Array(loss.suffix(Swift.max(1, loss.count / 10)))
                let end = tail.reduce(0, +) / Double(tail.count)
                if (start - end) / Swift.max(Swift.abs(start), 1e-12) < 0.05 {
                    if let r = typicalRatio, r >= 1e-4 {
                        out.append(Finding(kind: .flat, message: String(format: "the loss barely moved (%.4g → %.4g) although the weights did (update/weight ratio about %.1e): not a rate too low; check the loss and the labels, or give the model more capacity", start, end, r)))
                    } else {
                        let why = typicalRatio.map { String(format: " (update/weight ratio about %.1e, far below the notes' 1e-3)", $0) } ?? ""
                        out.append(Finding(kind: .flat, message: String(format: "the loss barely moved (%.4g → %.4g)%@: the learning rate is probably too low", start, end, why)))
                    }
                }
                // Noise: the spread of the loss around its moving average, against the loss itself.
                let k = Swift.max(3, loss.count / 20)
                var resid: [Double] = []
                for i in k..<loss.count {
                    let window = loss[(i - k)..<i]
                    let avg = window.reduce(0, +) / Double(k)
                    resid.append((loss[i] - avg) / Swift.max(Swift.abs(avg), 1e-12))
                }
                let noise = (resid.reduce(0) { $0 + $1 * $1 } / Double(Swift.max(resid.count, 1))).squareRoot()
                if noise > 0.25 {
                    out.append(Finding(kind: .noisy, message: String(format: "the loss is noisy (±%.0f%% around its moving average): the batch size may be too small", noise * 100)))
                }
            }
        }
        // (a model whose loss blew up has low accuracy for that reason alone: no capacity verdict on it)
        if let t = trainAccuracy.last, let v = validationAccuracy.last, !out.contains(where: { $0.kind == .exploding }) {
            if t - v > 0.1 {
                out.append(Finding(kind: .overfitting, message: String(format: "train accuracy %.3f vs validation %.3f: a large gap is overfitting; more regularization (L2, dropout) or more data", t, v)))
            } else if t < 0.7 && Swift.abs(t - v) < 0.03 {
                out.append(Finding(kind: .underfitting, message: String(format: "train %.3f and validation %.3f are both low and close: underfitting; a bigger model", t, v)))
            }
        }
        if out.isEmpty { out.append(Finding(kind: .healthy, message: "nothing alarming: the loss falls, and train and validation accuracy stay close")) }
        return out
    }
}
