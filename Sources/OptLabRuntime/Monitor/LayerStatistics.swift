import Foundation

/// Per-layer statistics of the last forward and backward pass of a watched
/// Sequential (`Sequential.watch`): what the notes suggest looking at.
public struct LayerStatistics: CustomStringConvertible {
    public struct Row {
        public let index: Int
        public let layer: String
        public let mean: Double, std: Double
        /// Fraction of activations in the flat ends (tanh |a| > 0.99; sigmoid < 0.01 or > 0.99).
        public let saturated: Double?
        /// Fraction of ReLU units that are zero for the whole batch.
        public let dead: Double?
        public let gradientMean: Double?, gradientStd: Double?
        public let histogram: Histogram
        public internal(set) var flags: [String]
    }

    public private(set) var rows: [Row]
    /// What the activations do through depth, when they shrink or grow
    /// geometrically from layer to layer (the notes' deep network with too
    /// small or too large weights); nil otherwise.
    public private(set) var depthTrend: String?

    public init(_ model: Sequential) throws {
        guard let acts = model.lastActivations, !acts.isEmpty else {
            throw RuntimeError(.argument, "monitor.layers", "no pass recorded: call monitor.watch(model) (train.fit does), then run model(x) and loss:backward()")
        }
        var pairs: [(label: String, module: Module, output: Tensor)] = zip(model.children, acts).map { ($0.0.module.summary, $0.0.module, $0.1) }
        // then what ran inside layers that are not built in (a Lua module's children), by their paths
        let inner = Dictionary(model.lastInnerActivations.map { ($0.module, $0.output) }, uniquingKeysWith: { a, _ in a })
        for (name, child) in model.children where !child.isBuiltIn {
            for (path, m) in child.namedModules(prefix: name) {
                if let out = inner[ObjectIdentifier(m)] { pairs.append(("\(path) \(m.summary)", m, out)) }
            }
        }
        rows = try pairs.enumerated().map { i, pair in
            let (child, a) = (pair.module, pair.output)
            let v = a.toDoubles()
            let n = Double(Swift.max(v.count, 1))
            let mean = v.reduce(0, +) / n
            let std = (v.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n).squareRoot()
            var saturated: Double?, dead: Double?
            if child is Tanh { saturated = Double(v.filter { Swift.abs($0) > 0.99 }.count) / n }
            if child is Sigmoid { saturated = Double(v.filter { $0 < 0.01 || $0 > 0.99 }.count) / n }
            if child is ReLU, let batch = a.shape.first, batch > 0 {
                let units = a.count / batch
                var deadUnits = 0
                for u in 0..<units where (0..<batch).allSatisfy({ v[$0 * units + u] <= 0 }) { deadUnits += 1 }
                dead = Double(deadUnits) / Double(Swift.max(units, 1))
            }
            var gm: Double?, gs: Double?
            if let g = a.grad?.toDoubles(), !g.isEmpty {
                let m = g.reduce(0, +) / Double(g.count)
                gm = m
                gs = (g.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(g.count)).squareRoot()
            }
            var flags: [String] = []
            if let s = saturated, s > 0.25 { flags.append("saturated") }
            if let d = dead, d > 0.25 { flags.append("dead") }
            if let gs, gs < 1e-7 { flags.append("vanishing gradient") }
            if let gs, gs > 1e2 { flags.append("exploding gradient") }
            return Row(index: i + 1, layer: i < acts.count ? child.summary : pair.label, mean: mean, std: std, saturated: saturated, dead: dead,
                       gradientMean: gm, gradientStd: gs, histogram: try Histogram(v, bins: 10), flags: flags)
        }
        flagDepthTrend(nonlinear: pairs.prefix(acts.count).enumerated().filter { LayerStatistics.isNonlinearity($0.element.module) }.map(\.offset))
    }

    static func isNonlinearity(_ m: Module) -> Bool { m is Tanh || m is Sigmoid || m is ReLU || m is LeakyReLU || m is GELU }

    /// Flags the nonlinearities' outputs when their std falls (or grows) at
    /// least 2× from each such layer to the next over three or more of them:
    /// the activations vanish (or explode) geometrically through depth.
    mutating func flagDepthTrend(nonlinear: [Int]) {
        guard nonlinear.count >= 3 else { return }
        let stds = nonlinear.map { rows[$0].std }
        let factors = zip(stds.dropFirst(), stds).map { $1 > 0 ? $0 / $1 : .nan }
        let shrinking = factors.allSatisfy { $0 <= 0.5 }, growing = factors.allSatisfy { $0 >= 2 }
        guard shrinking || growing else { return }
        let typical = Foundation.exp(factors.map { Foundation.log($0) }.reduce(0, +) / Double(factors.count))
        let word = shrinking ? "vanishing" : "exploding"
        for (k, i) in nonlinear.enumerated().dropFirst() { rows[i].flags.append(String(format: "%@ (std ×%.2g of the last)", word, factors[k - 1])) }
        let path = stds.map { String(format: "%.2g", $0) }.joined(separator: " → ")
        depthTrend = String(format: "activations %@ through depth: std %@ (×%.2g a layer); ", shrinking ? "shrink geometrically" : "grow geometrically", path, typical)
            + (shrinking ? "the weights are too small for this depth (try init = \"xavier\", or \"kaiming\" for ReLU)"
                         : "the weights are too large for this depth (try init = \"xavier\", or smaller weights)")
    }

    public var description: String {
        var table = [["#", "layer", "act mean", "act std", "saturated", "dead", "grad mean", "grad std", "activations", "flags"]]
        func f(_ v: Double?) -> String { v.map { String(format: "%.3g", $0) } ?? "—" }
        func pct(_ v: Double?) -> String { v.map { String(format: "%.0f%%", $0 * 100) } ?? "—" }
        for r in rows {
            table.append([String(r.index), r.layer, f(r.mean), f(r.std), pct(r.saturated), pct(r.dead), f(r.gradientMean), f(r.gradientStd),
                          r.histogram.sparkline, r.flags.joined(separator: ", ")])
        }
        let widths = (0..<table[0].count).map { c in table.map { $0[c].count }.max() ?? 0 }
        let lines = table.map { zip($0, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ") }
        return (lines + (depthTrend.map { ["⚠ " + $0] } ?? [])).joined(separator: "\n")
    }
}

/// The outputs of modules called while a watched Sequential runs (set per thread).
public final class ActivationTrace {
    public internal(set) var outputs: [(module: ObjectIdentifier, output: Tensor)] = []

    /// Records `m`'s output when a watched pass is running (the Lua face calls this for modules it calls).
    public static func record(_ m: Module, _ output: Tensor) {
        guard let trace = ThreadState.current.activationTrace else { return }
        output.retainsGrad = true
        trace.outputs.append((ObjectIdentifier(m), output))
    }
}

extension Module {
    /// Every module below this one with its path ("2.fc1"), depth first.
    public func namedModules(prefix: String) -> [(path: String, module: Module)] {
        var out: [(path: String, module: Module)] = []
        for (name, child) in children {
            let path = prefix + "." + name
            out.append((path, child))
            out += child.namedModules(prefix: path)
        }
        return out
    }
}

extension Sequential {
    /// Keep each layer's output (and, through `retainsGrad`, its gradient)
    /// from the next forward pass on, for `LayerStatistics`.
    public func watch(_ on: Bool = true) {
        watching = on
        if !on { lastActivations = nil }
    }
}
