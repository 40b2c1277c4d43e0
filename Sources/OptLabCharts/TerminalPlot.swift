import OptLabRuntime
import Foundation

/// Line plots in the terminal, drawn with braille dots (2×4 per character),
/// x in epochs when `epochs` is given, optional log scale for y.
public struct TerminalPlot: CustomStringConvertible {
    public let series: [(name: String, values: [Double])]
    public let logY: Bool
    /// When given, every series spans epochs 0…epochs at its own resolution
    /// (point j of n at (j+1)/n·epochs): per-iteration and per-epoch series line up.
    public let epochs: Double?
    public let width: Int, height: Int
    /// ANSI colours, one per series; without them several series are drawn as separate panels.
    public let colors: Bool
    /// The x value of each point (every series as long), instead of its index:
    /// a learning rate for a range test's losses. `logX` puts them on a log axis.
    public var xValues: [Double]?
    public var logX = false
    /// The x axis's name; by default "x" with x values, "epoch" with epochs, else "point".
    public var xLabel: String?

    public init(series: [(name: String, values: [Double])], logY: Bool = false, epochs: Double? = nil,
                width: Int = 60, height: Int = 15, colors: Bool = false) throws {
        guard !series.isEmpty, series.contains(where: { !$0.values.isEmpty }) else {
            throw RuntimeError(.argument, "monitor.plot", "nothing to plot (give series like {loss = h.loss})")
        }
        guard width >= 10, width <= 400, height >= 3, height <= 200 else {
            throw RuntimeError(.argument, "monitor.plot", "width must be 10…400 and height 3…200")
        }
        (self.series, self.logY, self.epochs, self.width, self.height) = (series, logY, epochs, width, height)
        self.colors = colors
    }

    func y(_ v: Double) -> Double? {
        guard v.isFinite else { return nil }
        if logY { return v > 0 ? Foundation.log10(v) : nil }
        return v
    }

    /// Without colours, each series after the first is drawn with its own mark.
    static let marks: [Character] = ["•", "+", "×", "o", "#"]

    public var description: String {
        let ys = series.flatMap { $0.values.compactMap(y) }
        guard var lo = ys.min(), var hi = ys.max() else { return "(no finite values to plot)" }
        if lo == hi { lo -= 0.5; hi += 0.5 }
        // Round ticks (powers of ten on a log axis); the axis spans them.
        var ticks: [Double] = []
        if (hi - lo).isFinite {
            let nice = logY ? NiceTicks.log(Foundation.pow(10, lo), Foundation.pow(10, hi)) : NiceTicks.linear(lo, hi, count: Swift.max(2, height / 3))
            let t = logY ? (nice.ticks.map { Foundation.log10($0) }, Foundation.log10(nice.lo), Foundation.log10(nice.hi)) : (nice.ticks, nice.lo, nice.hi)
            if t.1.isFinite && t.2.isFinite && t.2 > t.1 { (ticks, lo, hi) = (t.0, t.1, t.2) }
        }
        let n = series.map(\.values.count).max() ?? 1
        let xs = xValues?.map { logX ? ($0 > 0 ? Foundation.log10($0) : Double.nan) : $0 }
        let xlo = xs?.filter(\.isFinite).min() ?? 0, xhi = xs?.filter(\.isFinite).max() ?? 1
        func fraction(_ j: Int, of count: Int) -> Double? {
            if let xs { return j < xs.count && xs[j].isFinite ? unitPosition(xs[j], from: xlo, to: xhi == xlo ? xlo + 1 : xhi) : nil }
            if epochs != nil { return Double(j + 1) / Double(Swift.max(count, 1)) }
            return n > 1 ? Double(j) / Double(n - 1) : 0
        }
        let dotsX = width * 2, dotsY = height * 4
        var grid = [[UInt8]](repeating: [UInt8](repeating: 0, count: width), count: height)
        var owner = [[Int]](repeating: [Int](repeating: -1, count: width), count: height)
        let bits: [[UInt8]] = [[0x01, 0x08], [0x02, 0x10], [0x04, 0x20], [0x40, 0x80]]  // braille dot bits by (row, column)
        for (s, (_, values)) in series.enumerated() {
            var previous: (Int, Int)?
            for (i, v) in values.enumerated() {
                guard let yv = y(v), let fx = fraction(i, of: values.count) else { previous = nil; continue }
                let px = Int(fx * Double(dotsX - 1))
                let py = Int(unitPosition(yv, from: hi, to: lo) * Double(dotsY - 1))
                // join consecutive points with a line of dots
                let steps = previous.map { Swift.max(Swift.abs(px - $0.0), Swift.abs(py - $0.1), 1) } ?? 1
                for k in 0...steps where previous != nil || k == steps {
                    let (x0, y0) = previous ?? (px, py)
                    let x = x0 + (px - x0) * k / steps, yy = y0 + (py - y0) * k / steps
                    grid[yy / 4][x / 2] |= bits[yy % 4][x % 2]
                    owner[yy / 4][x / 2] = s
                }
                previous = (px, py)
            }
        }
        // A label on the row each round tick falls in (the extreme rows when there are none).
        var rowLabels = [String](repeating: "", count: height)
        func label(_ v: Double, step: Double) -> String {
            logY ? NiceTicks.label(Foundation.pow(10, v), step: Foundation.pow(10, v)) : NiceTicks.label(v, step: step)
        }
        if ticks.isEmpty {
            rowLabels[0] = Histogram.short(logY ? Foundation.pow(10, hi) : hi)
            rowLabels[height - 1] = Histogram.short(logY ? Foundation.pow(10, lo) : lo)
        } else {
            let step = ticks.count > 1 ? ticks[1] - ticks[0] : 1
            for t in ticks {
                let r = Int((unitPosition(t, from: hi, to: lo) * Double(dotsY - 1)).rounded()) / 4
                if r >= 0, r < height, rowLabels[r].isEmpty { rowLabels[r] = label(t, step: step) }
            }
        }
        let labelWidth = rowLabels.map(\.count).max() ?? 1
        var lines: [String] = []
        for r in 0..<height {
            let axis = rowLabels[r]
            let row = (0..<width).map { c -> String in
                guard grid[r][c] != 0, let dot = UnicodeScalar(0x2800 + UInt32(grid[r][c])) else { return " " }
                let s = owner[r][c]
                if colors { return "\u{1B}[3\(s % 6 + 1)m\(dot)\u{1B}[0m" }
                return s == 0 ? String(dot) : String(TerminalPlot.marks[(s - 1) % TerminalPlot.marks.count])
            }.joined()
            lines.append(String(repeating: " ", count: labelWidth - axis.count) + axis + (axis.isEmpty ? " │" : " ┤") + row)
        }
        let xmax = epochs ?? Double(Swift.max(n - 1, 1))
        let xName = xLabel ?? (xValues != nil ? "x" : epochs == nil ? "point" : "epoch")
        lines.append(String(repeating: " ", count: labelWidth) + " └" + String(repeating: "─", count: width))
        // Round x ticks under their columns (the x values' own, when given).
        var axisRow = [Character](repeating: " ", count: width + 8)
        var xTicks: [(at: Double, text: String)] = []
        if xValues != nil {
            if logX {
                xTicks = NiceTicks.log(Foundation.pow(10, xlo), Foundation.pow(10, xhi)).ticks.map { t in
                    (unitPosition(Foundation.log10(t), from: xlo, to: xhi), NiceTicks.label(t, step: t))
                }
            } else {
                let xt = NiceTicks.linear(xlo, xhi, count: Swift.max(2, width / 12))
                let step = xt.ticks.count > 1 ? xt.ticks[1] - xt.ticks[0] : 1
                xTicks = xt.ticks.filter { $0 >= xlo - 1e-12 && $0 <= xhi + 1e-12 }.map { (unitPosition($0, from: xlo, to: xhi), NiceTicks.label($0, step: step)) }
            }
        } else {
            let xt = NiceTicks.linear(0, xmax, count: Swift.max(2, width / 12))
            let xstep = xt.ticks.count > 1 ? xt.ticks[1] - xt.ticks[0] : 1
            xTicks = xt.ticks.filter { $0 <= xmax + 1e-9 }.map { ($0 / xmax, NiceTicks.label($0, step: xstep)) }
        }
        for (at, label) in xTicks {
            let col = Int((at * Double(width - 1)).rounded())
            let text = Array(label)
            let start = Swift.max(0, Swift.min(col - text.count / 2, width + 8 - text.count))
            guard axisRow[start..<(start + text.count)].allSatisfy({ $0 == " " }),
                  start == 0 || axisRow[start - 1] == " " else { continue }
            for (k, ch) in text.enumerated() { axisRow[start + k] = ch }
        }
        lines.append(String(repeating: " ", count: labelWidth + 2) + String(String(axisRow).reversed().drop(while: { $0 == " " }).reversed()))
        lines.append(String(repeating: " ", count: labelWidth + 2) + String(repeating: " ", count: Swift.max(0, width / 2 - 3)) + xName + (logX ? " (log scale)" : "") + (logY ? "      (y: log scale)" : ""))
        let legend = series.enumerated().map { i, s -> String in
            if colors { return "\u{1B}[3\(i % 6 + 1)m━━\u{1B}[0m \(s.name)" }
            return (i == 0 ? "⠉⠒" : String(repeating: TerminalPlot.marks[(i - 1) % TerminalPlot.marks.count], count: 2)) + " " + s.name
        }
        lines.append(legend.joined(separator: "   "))
        return lines.joined(separator: "\n")
    }
}

/// Where v lies between a and b, as a fraction in [0, 1], computed on
/// quarters so that a span like −1e308 … 1e308 does not overflow to ∞ (which
/// made a NaN, and a NaN converted to a pixel row crashed).
func unitPosition(_ v: Double, from a: Double, to b: Double) -> Double {
    let t = (v * 0.25 - a * 0.25) / (b * 0.25 - a * 0.25)
    return t.isFinite ? Swift.min(1, Swift.max(0, t)) : 0
}
