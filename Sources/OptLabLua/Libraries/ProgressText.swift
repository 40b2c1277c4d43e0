import Foundation
import OptLabRuntime

/// Progress as text, shared by the plain lines and the REPL's bar.
public enum ProgressText {
    /// The running epoch's line: "epoch 3/10 [=====>    ] loss 0.4123  val 0.8812  ETA 12 s".
    public static func barLine(_ p: TrainingProgress, width: Int) -> String {
        let done = Int(Double(width) * Double(p.iteration) / Double(Swift.max(p.iterationsPerEpoch, 1)))
        let bar = String(repeating: "=", count: done) + (done < width ? ">" : "") + String(repeating: " ", count: Swift.max(0, width - done - 1))
        var line = "epoch \(p.epoch)/\(p.epochs) [\(bar)] loss \(fmt(p.loss, 4))"
        if let v = p.validationAccuracy { line += "  val \(fmt(v, 4))" }
        return line + "  ETA \(duration(p.remaining))"
    }

    public static func epochLine(_ p: TrainingProgress) -> String {
        var s = "epoch \(p.epoch)/\(p.epochs)  loss \(fmt(p.loss, 4))"
        if let t = p.trainAccuracy { s += "  train \(fmt(t, 4))" }
        if let v = p.validationAccuracy { s += "  val \(fmt(v, 4))" }
        if p.validationAccuracy == nil, let l = p.validationLoss { s += "  val loss \(fmt(l, 4))" }
        if p.isLanguageModel, let l = p.validationLoss { s += "  ppl \(fmt(Foundation.exp(l), 2))" }
        s += "  lr \(fmtE(p.learningRate))  \(duration(p.elapsed))"
        return s
    }

    public static func fmt(_ v: Double, _ digits: Int) -> String {
        guard v.isFinite else { return String(describing: v) }
        let scale = Foundation.pow(10.0, Double(digits))
        let r = (v * scale).rounded() / scale
        var s = String(r)
        if let dot = s.firstIndex(of: ".") {
            let decimals = s.distance(from: dot, to: s.endIndex) - 1
            if decimals < digits { s += String(repeating: "0", count: digits - decimals) }
        }
        return s
    }

    public static func fmtE(_ v: Double) -> String {
        guard v > 0, v.isFinite else { return String(v) }
        let e = Int(Foundation.floor(Foundation.log10(v)))
        return fmt(v / Foundation.pow(10.0, Double(e)), 2) + "e" + String(e)
    }

    public static func duration(_ s: Double) -> String {
        // (seconds restored from a run's files may be anything)
        guard let t = Int(checked: s.rounded()), t >= 0 else { return String(s) + "s" }
        return t >= 60 ? "\(t / 60)m\(String(format: "%02d", t % 60))s" : String(format: "%.1fs", s)
    }
}
