import Foundation

/// The gradient check of the notes, done the way they say:
/// centred differences (f(x+h) − f(x−h)) / 2h; relative error
/// |a − n| / max(|a|, |n|) (0 when both are 0); in f64 whatever the model's
/// dtype; a few sampled dimensions from every parameter separately; the
/// random generator replayed before every evaluation (same dropout mask);
/// dimensions whose f(x+h) and f(x−h) crossed a kink reported apart; values
/// too small to compare flagged; an h sweep; a burn-in before the check.
public enum GradCheck {
    public struct Options {
        /// The step; nil sweeps 1e-2 … 1e-10 and uses the best.
        public var h: Double? = 1e-5
        /// Dimensions per parameter (all of a smaller tensor).
        public var perParameter = 10
        /// Seeds the sampling of dimensions.
        public var seed: UInt64 = 0
        /// Replay the default generator's state before every evaluation.
        public var replayRandomness = true
        /// Steps of training before the check (a "characteristic" point).
        public var burnIn: (steps: Int, optimizer: Optimizer)?
        public init() {}
    }

    public enum Verdict: String, Sendable {
        case good = "good"                        // < 1e-7
        case fineWithKinks = "ok (kinks)"         // < 1e-4 and the objective has kinks
        case tooHighForSmooth = "too high for a smooth objective"
        case uncomfortable = "uncomfortable"      // 1e-4 … 1e-2
        case wrong = "WRONG"                      // > 1e-2
        case tooSmall = "too small to compare"    // every compared value below 1e-10
        case inconclusive = "inconclusive"        // every compared dimension crossed a kink
        case nothingChecked = "no dimension compared"
        case notFinite = "NaN or inf"               // the loss or a gradient is not finite there

        var passes: Bool { self == .good || self == .fineWithKinks }
    }

    public struct Row {
        public let name: String
        public let checked: Int
        /// The worst relative error |a − n| / max(|a|, |n|), as it is (the
        /// verdict judges what is left of it beyond the difference's own error: its rounding
        /// noise, and how much it changes when h is halved).
        public let worst: Double
        /// The analytic and numerical values where the error is worst.
        public let analytic: Double, numerical: Double
        public let worstIndex: Int
        public let kinks: Int
        public let tiny: Int
        /// Dimensions where the analytic or the numerical gradient was NaN or infinite.
        public var nonFinite = 0
        public let verdict: Verdict
        /// The dimensions actually compared (not across a kink, not too small, finite).
        public var compared: Int { checked - kinks - tiny - nonFinite }
    }

    public struct Result: CustomStringConvertible {
        public let rows: [Row]
        public let h: Double
        /// For each h of a sweep: the worst error over the dimensions it
        /// compared, and how many it compared (kinks and tiny values are not).
        public let sweep: [(h: Double, worst: Double, compared: Int)]
        /// Why a sweep chose `h`; nil without a sweep.
        public var sweepChoice: String?
        public let objectiveHasKinks: Bool
        public var ok: Bool {
            rows.allSatisfy { $0.verdict.passes || $0.verdict == .nothingChecked || $0.verdict == .tooSmall || $0.verdict == .inconclusive }
                && rows.contains { $0.verdict.passes }
        }
        /// Nothing failed, but nothing could be compared either: every
        /// dimension crossed a kink (or was too small). Not a failure.
        public var inconclusive: Bool {
            !ok && rows.allSatisfy { $0.verdict == .inconclusive || $0.verdict == .nothingChecked || $0.verdict == .tooSmall }
                && rows.contains { $0.verdict == .inconclusive }
        }
        public var worst: Double { rows.map(\.worst).max() ?? 0 }

        public var description: String {
            var lines = [String(format: "gradient check (centred differences, h = %.0e, f64%@; raw relative errors, judged beyond the difference's own error at h and h/2)", h, objectiveHasKinks ? ", objective has kinks" : "")]
            let header = ["parameter", "dims", "worst rel. error", "analytic", "numerical", "kinks", "tiny", "verdict"]
            var table = [header]
            for r in rows {
                table.append([r.name, String(r.checked), r.compared > 0 ? String(format: "%.2e", r.worst) : "—",
                              String(format: "%.6g", r.analytic), String(format: "%.6g", r.numerical),
                              String(r.kinks), String(r.tiny), r.verdict.rawValue])
            }
            let widths = (0..<header.count).map { c in table.map { $0[c].count }.max() ?? 0 }
            for row in table {
                lines.append(zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  "))
            }
            if !sweep.isEmpty {
                lines.append("h sweep: " + sweep.map { $0.compared == 0 ? String(format: "%.0e→none compared", $0.h) : String(format: "%.0e→%.1e", $0.h, $0.worst) }.joined(separator: "  "))
            }
            if let sweepChoice { lines.append(sweepChoice) }
            if rows.contains(where: { $0.tiny > 0 }) {
                lines.append("tiny: gradients too small next to the loss to compare in floating point (below 1e-10, or under the difference's rounding noise); scale the loss up")
            }
            if rows.contains(where: { $0.kinks > 0 }) {
                lines.append("kinks crossed: those dimensions are not counted (use fewer data points, or another h)")
            }
            if inconclusive {
                lines.append("verdict: inconclusive: every compared dimension crossed a kink, so the numerical gradient says nothing there; "
                             + "check on fewer data points (fewer kinks), or with another h")
            } else if rows.contains(where: { $0.verdict == .notFinite }) {
                lines.append("verdict: FAILED: the loss or its gradient is NaN or infinite at these parameters, so nothing can be compared there; "
                             + "check.initial_loss names the inputs, targets or parameter it comes from")
            } else {
                lines.append(ok ? "verdict: the gradients check out" : "verdict: FAILED")
            }
            return lines.joined(separator: "\n")
        }
    }

    /// The h a sweep uses: among the steps that compared the most dimensions
    /// (an h at which floating point could compare nothing must never win:
    /// its rows' worst error is 0 only because there is none), the one with
    /// the smallest worst error, the larger h on a tie. Returns it and why.
    static func chooseStep(_ sweep: [(h: Double, worst: Double, compared: Int)]) -> (Double, String) {
        let most = sweep.map(\.compared).max() ?? 0
        guard most > 0, let best = sweep.filter({ $0.compared == most }).min(by: { $0.worst < $1.worst || ($0.worst == $1.worst && $0.h > $1.h) }) else {
            return (1e-5, "h sweep: no step compared any dimension (every gradient too small or across a kink); h = 1e-5 shown")
        }
        let fewer = sweep.filter { $0.compared < most }.map { $0.compared == 0 ? String(format: "%.0e none", $0.h) : String(format: "%.0e %d", $0.h, $0.compared) }
        var why = String(format: "chose h = %.0e: the smallest worst error (%.1e) among the steps that compared the most dimensions (%d)", best.h, best.worst, most)
        if !fewer.isEmpty { why += "; compared fewer: " + fewer.joined(separator: ", ") }
        return (best.h, why)
    }

    /// Checks `loss`'s analytic gradients with respect to `parameters` (named
    /// by their `.name`). The parameters run in f64 during the check and come
    /// back with their dtype, values and gradients as they were.
    public static func run(_ parameters: [Tensor], options: Options = Options(), loss: () throws -> Tensor) throws -> Result {
        guard !parameters.isEmpty else { throw RuntimeError(.argument, "check.grad", "no parameters to check") }
        for p in parameters where !p.dtype.isFloatingPoint {
            throw RuntimeError(.dtype, "check.grad", "parameter \(p.name ?? "") is i32")
        }
        // Save everything the caller owns, and restore it whatever happens.
        let savedValues = try parameters.map { try $0.detach().clone() }
        let savedGrads = parameters.map(\.grad)
        let savedFlags = parameters.map(\.requiresGrad)
        let savedGenerator = Generator.default.state
        defer {
            for (p, (v, (g, f))) in zip(parameters, zip(savedValues, zip(savedGrads, savedFlags))) {
                if p.dtype != v.dtype { p.swapContents(with: v) } else { try? p.copy(from: v) }
                p.grad = g
                p.requiresGrad = f
            }
            Generator.default.state = savedGenerator
        }
        if let (steps, optimizer) = options.burnIn {
            for _ in 0..<steps {
                optimizer.zeroGrad()
                try loss().backward()
                try optimizer.step()
            }
        }
        // Run the caller's own parameter objects in f64.
        for p in parameters {
            let f64 = try p.to(.f64).detach().clone()
            p.swapContents(with: f64)
            p.requiresGrad = true
            p.grad = nil
        }
        let start = Generator.default.state
        func replay() { if options.replayRandomness { Generator.default.state = start } }

        replay()
        let (analyticLoss, recorder) = try KinkRecorder.recording { try loss() }
        guard analyticLoss.count == 1 else {
            throw RuntimeError(.shape, "check.grad", "the function must return a one-element loss, got shape \(describe(analyticLoss.shape))")
        }
        try analyticLoss.backward()
        let analytic = parameters.map { $0.grad?.toDoubles() ?? [Double](repeating: 0, count: $0.count) }

        let picker = Generator(seed: options.seed)
        let dims = parameters.map { p -> [Int] in
            p.count <= options.perParameter ? Array(0..<p.count) : Array(picker.permutation(p.count).prefix(options.perParameter)).sorted()
        }
        func evaluate(_ h: Double) throws -> [Row] {
            try parameters.enumerated().map { k, p in
                try Tensor.withNoGrad {
                    var worst = 0.0, judged = 0.0, at = -1, kinks = 0, tiny = 0, nonFinite = 0
                    var aw = 0.0, nw = 0.0
                    for i in dims[k] {
                        let v = p.element(i)
                        func difference(_ step: Double) throws -> (n: Double, fp: Double, fm: Double, kink: Bool) {
                            p.setElement(i, v + step)
                            replay()
                            let (fp, rp) = try KinkRecorder.recording { try loss().item() }
                            p.setElement(i, v - step)
                            replay()
                            let (fm, rm) = try KinkRecorder.recording { try loss().item() }
                            p.setElement(i, v)
                            return ((fp - fm) / (2 * step), fp, fm, rp.hash != rm.hash)
                        }
                        let (n, fp, fm, kinked) = try difference(h)
                        // a NaN compares as nothing: it must fail, not slip through every test below
                        if !n.isFinite || !analytic[k][i].isFinite {
                            if nonFinite == 0 { at = i; aw = analytic[k][i]; nw = n }
                            nonFinite += 1
                            continue
                        }
                        if kinked { kinks += 1; continue }
                        // The same difference at h/2 measures the difference's own error at h
                        // (its truncation shrinks 4× and its rounding changes): a correct gradient
                        // is off by about that much; a wrong one by far more.
                        let half = try difference(h / 2)
                        if half.kink { kinks += 1; continue }
                        let a = analytic[k][i]
                        // Both below 1e-10: floating point cannot compare them (the notes' advice: scale the loss up).
                        if Swift.abs(a) < 1e-10 && Swift.abs(n) < 1e-10 && !(a == 0 && n == 0) { tiny += 1; continue }
                        // The centred difference's own rounding noise, ~ε·|f|/h, relative to the gradient:
                        // a small gradient of a large loss cannot be checked better than this.
                        let scale = Swift.max(Swift.abs(a), Swift.abs(n))
                        let noise = scale > 0 ? 2 * Double.ulpOfOne * Swift.max(Swift.abs(fp), Swift.abs(fm)) / h / scale : 0
                        if noise > 1e-4 { tiny += 1; continue }
                        let raw = a == n ? 0 : Swift.abs(a - n) / scale
                        let own = scale > 0 ? 4.0 / 3 * Swift.abs(n - half.n) / scale : 0
                        let err = Swift.max(0, raw - noise - own)
                        judged = Swift.max(judged, err)
                        if raw >= worst || at < 0 { worst = raw; at = i; aw = a; nw = n }
                    }
                    let compared = dims[k].count - kinks - tiny - nonFinite
                    let verdict: Verdict
                    if nonFinite > 0 { verdict = .notFinite }
                    else if compared == 0 { verdict = kinks > 0 ? .inconclusive : tiny > 0 ? .tooSmall : .nothingChecked }
                    else if judged > 1e-2 { verdict = .wrong }
                    else if judged > 1e-4 { verdict = .uncomfortable }
                    else if judged < 1e-7 { verdict = .good }
                    else { verdict = recorder.pathOps > 0 ? .fineWithKinks : .tooHighForSmooth }
                    return Row(name: p.name ?? "#\(k + 1)", checked: dims[k].count, worst: worst, analytic: aw, numerical: nw,
                               worstIndex: at, kinks: kinks, tiny: tiny, nonFinite: nonFinite, verdict: verdict)
                }
            }
        }
        var sweep: [(h: Double, worst: Double, compared: Int)] = []
        var h = options.h ?? 1e-5
        var choice: String?
        if options.h == nil {
            for e in 2...10 {
                let hh = Foundation.pow(10, -Double(e))
                let rows = try evaluate(hh)
                let compared = rows.map(\.compared).reduce(0, +)
                // (a row that compared nothing has no error to count: its 0 is not a small error)
                let worst = rows.filter { $0.compared > 0 }.map(\.worst).max() ?? 0
                sweep.append((hh, worst, compared))
            }
            (h, choice) = GradCheck.chooseStep(sweep)
        }
        guard h > 0, h.isFinite else { throw RuntimeError(.argument, "check.grad", "h must be positive, got \(h)") }
        var result = Result(rows: try evaluate(h), h: h, sweep: sweep, objectiveHasKinks: recorder.pathOps > 0)
        result.sweepChoice = choice
        return result
    }
}
