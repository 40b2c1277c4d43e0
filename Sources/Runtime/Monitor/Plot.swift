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

    public var description: String {
        if series.count > 1 && !colors {
            return series.compactMap { s in
                (try? TerminalPlot(series: [s], logY: logY, epochs: epochs, width: width, height: Swift.max(3, height / 2)))?.description
            }.joined(separator: "\n\n")
        }
        let ys = series.flatMap { $0.values.compactMap(y) }
        guard var lo = ys.min(), var hi = ys.max() else { return "(no finite values to plot)" }
        if lo == hi { lo -= 0.5; hi += 0.5 }
        let n = series.map(\.values.count).max() ?? 1
        func fraction(_ j: Int, of count: Int) -> Double {
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
                guard let yv = y(v) else { previous = nil; continue }
                let px = Int(fraction(i, of: values.count) * Double(dotsX - 1))
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
        func label(_ v: Double) -> String {
            let real = logY ? Foundation.pow(10, v) : v
            return Histogram.short(real)
        }
        let labelWidth = Swift.max(label(hi).count, label(lo).count)
        var lines: [String] = []
        for r in 0..<height {
            let axis = r == 0 ? label(hi) : r == height - 1 ? label(lo) : ""
            let row = (0..<width).map { c -> String in
                guard grid[r][c] != 0, let dot = UnicodeScalar(0x2800 + UInt32(grid[r][c])) else { return " " }
                return colors ? "\u{1B}[3\(owner[r][c] % 6 + 1)m\(dot)\u{1B}[0m" : String(dot)
            }.joined()
            lines.append(String(repeating: " ", count: labelWidth - axis.count) + axis + " ┤" + row)
        }
        let xmax = epochs ?? Double(n)
        let xName = epochs == nil ? "points" : "epochs"
        lines.append(String(repeating: " ", count: labelWidth) + " └" + String(repeating: "─", count: width))
        let right = String(format: "%g %@", (xmax * 100).rounded() / 100, xName)
        lines.append(String(repeating: " ", count: labelWidth + 2) + "0" + String(repeating: " ", count: Swift.max(1, width - 1 - right.count)) + right)
        lines.append(series.enumerated().map { colors ? "\u{1B}[3\($0.offset % 6 + 1)m━━\u{1B}[0m \($0.element.name)" : $0.element.name }
                        .joined(separator: "   ") + (logY ? "   (log scale)" : ""))
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
