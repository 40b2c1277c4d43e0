import OptLabRuntime
import Foundation

/// An SVG chart: lines or points on linear or log axes with round ticks,
/// axis labels, min/max envelopes, shaded bands and a legend. The run and
/// comparison pages draw every plot with it.
public struct Chart {
    public struct Series {
        public var name: String
        public var points: [(x: Double, y: Double)]
        public var color: String
        /// Shaded min…max around the line (a long series reduced to a few thousand points).
        public var envelope: [(x: Double, lo: Double, hi: Double)] = []
        public var line = true, markers = false, dashed = false
        public var lineWidth = 1.5
        /// A hover text per point (markers only), e.g. a trial's settings.
        public var tips: [String] = []
        public init(_ name: String, _ points: [(x: Double, y: Double)], color: String) {
            (self.name, self.points, self.color) = (name, points, color)
        }
    }

    public var title: String
    public var xLabel: String, yLabel: String
    public var logX = false, logY = false
    public var series: [Series] = []
    /// Horizontal bands: y from lo to hi, shaded, with a label.
    public var bands: [(lo: Double, hi: Double, label: String)] = []
    /// Fixed ranges (a search space's bounds); otherwise the data's, widened to round ticks.
    public var xRange: (Double, Double)?, yRange: (Double, Double)?
    /// Names for x = 0, 1, 2, … (a choice parameter), shown as the ticks.
    public var categories: [String]?
    public var width = 560.0, height = 300.0
    public var showLegend = true
    /// The x axis ends where the data (or xRange) ends, not at the next round tick.
    public var tightX = true

    public static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"]

    public init(title: String, xLabel: String, yLabel: String) {
        (self.title, self.xLabel, self.yLabel) = (title, xLabel, yLabel)
    }

    func usable(_ v: Double, log: Bool) -> Bool { v.isFinite && (!log || v > 0) }

    public var svg: String {
        let legendRows = showLegend && series.count > 1 ? series.count : 0
        // the legend's column fits its longest name (about 7 px a character), up to 45% of the chart;
        // a name still longer is cut with "…" and shown whole on hover
        let longest = series.map(\.name.count).max() ?? 0
        let legendWidth = legendRows > 0 ? Swift.min(Swift.max(150.0, 34 + 7 * Double(longest)), (width * 0.45).rounded()) : 20.0
        let legendChars = Int((legendWidth - 34) / 7)
        let (left, right, top, bottom) = (62.0, legendWidth, 28.0, 44.0)
        let pw = width - left - right, ph = height - top - bottom
        let xs = series.flatMap { s in s.points.map(\.x) + s.envelope.map(\.x) }.filter { usable($0, log: logX) }
        let ys = series.flatMap { s in s.points.map(\.y) + s.envelope.flatMap { [$0.lo, $0.hi] } }.filter { usable($0, log: logY) }
            + bands.flatMap { [$0.lo, $0.hi] }.filter { usable($0, log: logY) }
        let xData = xRange ?? (xs.min() ?? 0, xs.max() ?? 1)
        let yData = yRange ?? (ys.min() ?? 0, ys.max() ?? 1)
        var xAxis = logX ? NiceTicks.log(xData.0, xData.1) : NiceTicks.linear(xData.0, xData.1)
        // The x axis spans exactly the data (or the range given), with the round ticks inside it.
        if tightX && !logX, xData.1 > xData.0 {
            xAxis = (xAxis.ticks.filter { $0 >= xData.0 - 1e-9 && $0 <= xData.1 + 1e-9 }, xData.0, xData.1)
        }
        let yAxis = logY ? NiceTicks.log(yData.0, yData.1) : NiceTicks.linear(yData.0, yData.1)
        if let c = categories, !c.isEmpty { xAxis = (Array(0..<c.count).map(Double.init), -0.5, Double(c.count) - 0.5) }
        func t(_ v: Double, _ log: Bool) -> Double { log ? Foundation.log10(v) : v }
        func X(_ v: Double) -> Double { left + pw * unitPosition(t(v, logX), from: t(xAxis.lo, logX), to: t(xAxis.hi, logX)) }
        func Y(_ v: Double) -> Double { top + ph * unitPosition(t(v, logY), from: t(yAxis.hi, logY), to: t(yAxis.lo, logY)) }
        func f(_ v: Double) -> String { String(format: "%.1f", v) }
        var s = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="11">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(f(left + pw / 2))" y="17" text-anchor="middle" font-size="13">\(SVGPlot.escape(title))</text>

        """
        for b in bands where usable(b.lo, log: logY) && usable(b.hi, log: logY) {
            let y0 = Swift.max(top, Swift.min(Y(b.hi), top + ph)), y1 = Swift.max(top, Swift.min(Y(b.lo), top + ph))
            s += "<rect x=\"\(f(left))\" y=\"\(f(y0))\" width=\"\(f(pw))\" height=\"\(f(Swift.max(y1 - y0, 1)))\" fill=\"#2ca02c\" fill-opacity=\"0.12\"/>"
            s += "<text x=\"\(f(left + pw - 4))\" y=\"\(f(y0 + 11))\" text-anchor=\"end\" fill=\"#2a7a2a\">\(SVGPlot.escape(b.label))</text>\n"
        }
        let yStep = yAxis.ticks.count > 1 ? yAxis.ticks[1] - yAxis.ticks[0] : 1
        for v in yAxis.ticks {
            s += "<line x1=\"\(f(left))\" y1=\"\(f(Y(v)))\" x2=\"\(f(left + pw))\" y2=\"\(f(Y(v)))\" stroke=\"#e4e4e4\"/>"
            s += "<text x=\"\(f(left - 6))\" y=\"\(f(Y(v) + 4))\" text-anchor=\"end\">\(NiceTicks.label(v, step: logY ? v : yStep))</text>\n"
        }
        let xStep = xAxis.ticks.count > 1 ? xAxis.ticks[1] - xAxis.ticks[0] : 1
        for (i, v) in xAxis.ticks.enumerated() {
            let label = categories.map { i < $0.count ? $0[i] : "" } ?? NiceTicks.label(v, step: logX ? v : xStep)
            s += "<line x1=\"\(f(X(v)))\" y1=\"\(f(top + ph))\" x2=\"\(f(X(v)))\" y2=\"\(f(top + ph + 4))\" stroke=\"#333\"/>"
            s += "<text x=\"\(f(X(v)))\" y=\"\(f(top + ph + 16))\" text-anchor=\"middle\">\(SVGPlot.escape(label))</text>\n"
        }
        s += "<line x1=\"\(f(left))\" y1=\"\(f(top + ph))\" x2=\"\(f(left + pw))\" y2=\"\(f(top + ph))\" stroke=\"#333\"/>"
        s += "<line x1=\"\(f(left))\" y1=\"\(f(top))\" x2=\"\(f(left))\" y2=\"\(f(top + ph))\" stroke=\"#333\"/>\n"
        s += "<text x=\"\(f(left + pw / 2))\" y=\"\(f(height - 8))\" text-anchor=\"middle\">\(SVGPlot.escape(xLabel + (logX ? " (log scale)" : "")))</text>\n"
        s += "<text transform=\"translate(14,\(f(top + ph / 2))) rotate(-90)\" text-anchor=\"middle\">\(SVGPlot.escape(yLabel + (logY ? " (log scale)" : "")))</text>\n"
        s += "<svg x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(pw))\" height=\"\(f(ph))\" viewBox=\"\(f(left)) \(f(top)) \(f(pw)) \(f(ph))\" overflow=\"hidden\">\n"
        for sr in series {
            let env = sr.envelope.filter { usable($0.x, log: logX) && usable($0.lo, log: logY) && usable($0.hi, log: logY) }
            if env.count > 1 {
                let upper = env.map { "\(f(X($0.x))),\(f(Y($0.hi)))" }, lower = env.reversed().map { "\(f(X($0.x))),\(f(Y($0.lo)))" }
                s += "<polygon points=\"\((upper + lower).joined(separator: " "))\" fill=\"\(sr.color)\" fill-opacity=\"0.18\" stroke=\"none\"/>\n"
            }
            if sr.line {
                var segment: [String] = []
                func flush() {
                    if segment.count > 1 {
                        s += "<polyline fill=\"none\" stroke=\"\(sr.color)\" stroke-width=\"\(sr.lineWidth)\"\(sr.dashed ? " stroke-dasharray=\"4 3\"" : "") points=\"\(segment.joined(separator: " "))\"/>\n"
                    } else if segment.count == 1 {
                        let p = segment[0].split(separator: ",")
                        s += "<circle cx=\"\(p[0])\" cy=\"\(p[1])\" r=\"2\" fill=\"\(sr.color)\"/>\n"
                    }
                    segment = []
                }
                for p in sr.points {
                    if usable(p.x, log: logX) && usable(p.y, log: logY) { segment.append("\(f(X(p.x))),\(f(Y(p.y)))") } else { flush() }
                }
                flush()
            }
            if sr.markers {
                for (i, p) in sr.points.enumerated() where usable(p.x, log: logX) && usable(p.y, log: logY) {
                    let tip = i < sr.tips.count ? "<title>\(SVGPlot.escape(sr.tips[i]))</title>" : ""
                    s += "<circle cx=\"\(f(X(p.x)))\" cy=\"\(f(Y(p.y)))\" r=\"3.5\" fill=\"\(sr.color)\" fill-opacity=\"0.8\">\(tip)</circle>"
                }
                s += "\n"
            }
        }
        s += "</svg>\n"
        if legendRows > 0 {
            for (i, sr) in series.enumerated() {
                let y = top + 6 + Double(i) * 16
                s += "<rect x=\"\(f(left + pw + 12))\" y=\"\(f(y))\" width=\"14\" height=\"\(sr.markers && !sr.line ? 8 : 3)\" fill=\"\(sr.color)\"/>"
                let shown = sr.name.count > legendChars ? String(sr.name.prefix(Swift.max(1, legendChars - 1))) + "…" : sr.name
                s += "<text x=\"\(f(left + pw + 30))\" y=\"\(f(y + 6))\"><title>\(SVGPlot.escape(sr.name))</title>\(SVGPlot.escape(shown))</text>\n"
            }
        }
        return s + "</svg>\n"
    }

    /// A long series reduced to at most `maxPoints` (x, mean) points, with
    /// each bucket's min and max as the envelope: spikes stay visible.
    public static func reduce(_ xs: [Double], _ ys: [Double], maxPoints: Int = 2000) -> (points: [(x: Double, y: Double)], envelope: [(x: Double, lo: Double, hi: Double)]) {
        let n = Swift.min(xs.count, ys.count)
        guard n > maxPoints else { return ((0..<n).map { (xs[$0], ys[$0]) }, []) }
        let size = (n + maxPoints - 1) / maxPoints
        var points: [(x: Double, y: Double)] = [], envelope: [(x: Double, lo: Double, hi: Double)] = []
        var start = 0
        while start < n {
            let end = Swift.min(start + size, n)
            let bucket = ys[start..<end].filter(\.isFinite)
            let x = xs[(start + end - 1) / 2]
            if bucket.isEmpty {
                points.append((x, .nan))
            } else {
                points.append((x, bucket.reduce(0, +) / Double(bucket.count)))
                envelope.append((x, bucket.min()!, bucket.max()!))
            }
            start = end
        }
        return (points, envelope)
    }

    /// Exponential smoothing with its start debiased (TensorBoard's), weight 0…1.
    public static func smoothed(_ ys: [Double], weight: Double) -> [Double] {
        var out: [Double] = [], last = 0.0, norm = 0.0
        for y in ys {
            guard y.isFinite else { out.append(.nan); continue }
            last = last * weight + (1 - weight) * y
            norm = norm * weight + (1 - weight)
            out.append(last / norm)
        }
        return out
    }
}
