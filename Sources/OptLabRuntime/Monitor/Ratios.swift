import Foundation

/// The update/weight norm ratio of each parameter at the last step. The
/// notes: about 1e-3; far lower, the learning rate may be too low; far
/// higher, too high. A parameter that started at zero (a bias) is not
/// judged: its norm is what its updates made, so the ratio starts at 1.
public struct UpdateRatios: CustomStringConvertible {
    public let rows: [(name: String, ratio: Double, advice: String)]

    public init(_ optimizer: Optimizer) throws {
        guard optimizer.steps > 0 else {
            throw RuntimeError(.argument, "monitor.ratios", "the optimizer has not taken a step yet")
        }
        rows = zip(optimizer.parameters, optimizer.updateRatios).enumerated().map { i, pr in
            let r = pr.1
            let advice = optimizer.startedAtZero[i] ? "not judged: it started at 0 (a bias), so its size is what training gave it"
                : r == 0 ? "0: it did not move (no gradient reached it, or it is frozen)"
                : r < 1e-4 ? "far below 1e-3: learning rate may be too low"
                : r > 1e-2 ? "far above 1e-3: learning rate may be too high" : "ok"
            return (pr.0.name ?? "#\(i + 1)", r, advice)
        }
    }

    public var description: String {
        let w = rows.map(\.name.count).max() ?? 0
        return (["update/weight ratio per parameter (the notes: ~1e-3)"] + rows.map {
            $0.name.padding(toLength: w, withPad: " ", startingAt: 0) + "  " + String(format: "%.2e", $0.ratio) + "  " + $0.advice
        }).joined(separator: "\n")
    }
}
