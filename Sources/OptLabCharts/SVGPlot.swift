import OptLabRuntime
import Foundation

/// Line plots as standalone SVG: axes with ticks, x in epochs when known,
/// optional log scale, one coloured polyline per series and a legend.
public struct SVGPlot {
    public let title: String
    public let series: [(name: String, values: [Double])]
    public let logY: Bool
    /// When given, every series spans epochs 0…epochs at its own resolution
    /// (point j of n at (j+1)/n·epochs): per-iteration and per-epoch series line up.
    public let epochs: Double?
    public let width = 760.0, height = 360.0
    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"]

    public init(title: String, series: [(name: String, values: [Double])], logY: Bool = false, epochs: Double? = nil) throws {
        guard series.contains(where: { !$0.values.isEmpty }) else { throw RuntimeError(.argument, "monitor.plot", "nothing to plot") }
        (self.title, self.series, self.logY, self.epochs) = (title, series, logY, epochs)
    }

    func y(_ v: Double) -> Double? {
        guard v.isFinite else { return nil }
        return logY ? (v > 0 ? Foundation.log10(v) : nil) : v
    }

    public var svg: String {
        let (left, right, top, bottom) = (60.0, 150.0, 30.0, 45.0)   // the legend lives in the right margin
        let pw = width - left - right, ph = height - top - bottom
        let ys = series.flatMap { $0.values.compactMap(y) }
        var lo = ys.min() ?? 0, hi = ys.max() ?? 1
        if lo == hi { lo -= 0.5; hi += 0.5 }
        let n = Double(Swift.max(series.map(\.values.count).max() ?? 1, 2) - 1)
        let xmax = epochs ?? n
        func X(_ j: Int, _ count: Int) -> Double {
            left + pw * (epochs != nil ? Double(j + 1) / Double(Swift.max(count, 1)) : Double(j) / n)
        }
        func Y(_ v: Double) -> Double { top + ph * unitPosition(v, from: hi, to: lo) }
        var s = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="11">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(width / 2)" y="18" text-anchor="middle" font-size="13">\(SVGPlot.escape(title))</text>
        <line x1="\(left)" y1="\(top + ph)" x2="\(left + pw)" y2="\(top + ph)" stroke="#333"/>
        <line x1="\(left)" y1="\(top)" x2="\(left)" y2="\(top + ph)" stroke="#333"/>

        """
        for k in 0...4 {
            let v = lo + (hi - lo) * Double(k) / 4
            let label = Histogram.short(logY ? Foundation.pow(10, v) : v)
            s += "<line x1=\"\(left - 4)\" y1=\"\(Y(v))\" x2=\"\(left + pw)\" y2=\"\(Y(v))\" stroke=\"#ddd\"/>"
            s += "<text x=\"\(left - 6)\" y=\"\(Y(v) + 4)\" text-anchor=\"end\">\(label)</text>\n"
            let xv = xmax * Double(k) / 4
            s += "<text x=\"\(left + pw * Double(k) / 4)\" y=\"\(top + ph + 16)\" text-anchor=\"middle\">\(Histogram.short(xv))</text>\n"
        }
        s += "<text x=\"\(left + pw / 2)\" y=\"\(height - 8)\" text-anchor=\"middle\">\(epochs == nil ? "step" : "epoch")\(logY ? " (log scale)" : "")</text>\n"
        for (i, (name, values)) in series.enumerated() {
            let color = SVGPlot.palette[i % SVGPlot.palette.count]
            var segments: [[String]] = [[]]
            for (j, v) in values.enumerated() {
                if let yv = y(v) { segments[segments.count - 1].append(String(format: "%.1f,%.1f", X(j, values.count), Y(yv))) } else { segments.append([]) }
            }
            for seg in segments where !seg.isEmpty {
                if seg.count == 1 {
                    let p = seg[0].split(separator: ",")
                    s += "<circle cx=\"\(p[0])\" cy=\"\(p[1])\" r=\"2\" fill=\"\(color)\"/>\n"
                } else {
                    s += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.5\" points=\"\(seg.joined(separator: " "))\"/>\n"
                }
            }
            s += "<rect x=\"\(left + pw + 12)\" y=\"\(top + 6 + Double(i) * 16)\" width=\"12\" height=\"3\" fill=\"\(color)\"/>"
            s += "<text x=\"\(left + pw + 28)\" y=\"\(top + 11 + Double(i) * 16)\">\(SVGPlot.escape(name))</text>\n"
        }
        return s + "</svg>\n"
    }

    public func write(to path: String) throws {
        try AtomicFile.write(Array(svg.utf8), to: path, op: "monitor.plot")
    }

    /// Text from a run folder (names, values, errors) made safe for HTML and
    /// SVG, in element content and in quoted attributes alike.
    public static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "\"", with: "&quot;").replacingOccurrences(of: "'", with: "&#39;")
    }
}
