import OptLabRuntime
import Foundation

/// A scatter plot as SVG: the score of every trial against one
/// hyperparameter, with a log x axis for log-scale parameters.
public struct SVGScatter {
    public let title: String, xLabel: String, yLabel: String
    public let points: [(x: Double, y: Double)]
    public let logX: Bool
    /// Names for x = 0, 1, 2, … (a choice parameter's values), shown as the ticks.
    public var categories: [String]?
    /// A group per point (a search's stage, 1-based), coloured apart with a legend.
    public var groups: [Int]?
    public let width = 420.0, height = 300.0

    public init(title: String, xLabel: String, yLabel: String, points: [(x: Double, y: Double)], logX: Bool) {
        (self.title, self.xLabel, self.yLabel, self.logX) = (title, xLabel, yLabel, logX)
        self.points = points.filter { $0.x.isFinite && $0.y.isFinite && (!logX || $0.x > 0) }
    }

    public var svg: String {
        let legend = (groups?.max() ?? 1) > 1
        let (left, right, top, bottom) = (60.0, 30.0, legend ? 40.0 : 28.0, 44.0)
        let pw = width - left - right, ph = height - top - bottom
        func fx(_ v: Double) -> Double { logX ? Foundation.log10(v) : v }
        var xlo = points.map { fx($0.x) }.min() ?? 0, xhi = points.map { fx($0.x) }.max() ?? 1
        var ylo = points.map(\.y).min() ?? 0, yhi = points.map(\.y).max() ?? 1
        if let c = categories, !c.isEmpty { (xlo, xhi) = (-0.5, Double(c.count) - 0.5) }
        if xlo == xhi { xlo -= 0.5; xhi += 0.5 }
        if ylo == yhi { ylo -= 0.5; yhi += 0.5 }
        func X(_ v: Double) -> Double { left + pw * unitPosition(fx(v), from: xlo, to: xhi) }
        func Y(_ v: Double) -> Double { top + ph * unitPosition(v, from: yhi, to: ylo) }
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"sans-serif\" font-size=\"11\">"
        s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>"
        s += "<text x=\"\(width / 2)\" y=\"16\" text-anchor=\"middle\" font-size=\"13\">\(SVGPlot.escape(title))</text>"
        s += "<line x1=\"\(left)\" y1=\"\(top + ph)\" x2=\"\(left + pw)\" y2=\"\(top + ph)\" stroke=\"#333\"/><line x1=\"\(left)\" y1=\"\(top)\" x2=\"\(left)\" y2=\"\(top + ph)\" stroke=\"#333\"/>"
        if let c = categories, !c.isEmpty {
            for (i, name) in c.enumerated() {
                s += "<text x=\"\(X(Double(i)))\" y=\"\(top + ph + 15)\" text-anchor=\"middle\">\(SVGPlot.escape(name))</text>"
            }
        }
        for k in 0...4 {
            let xv = xlo + (xhi - xlo) * Double(k) / 4, yv = ylo + (yhi - ylo) * Double(k) / 4
            if categories?.isEmpty ?? true {
                s += "<text x=\"\(left + pw * Double(k) / 4)\" y=\"\(top + ph + 15)\" text-anchor=\"middle\">\(Histogram.short(logX ? Foundation.pow(10, xv) : xv))</text>"
            }
            s += "<text x=\"\(left - 5)\" y=\"\(Y(yv) + 4)\" text-anchor=\"end\">\(Histogram.short(yv))</text>"
        }
        s += "<text x=\"\(left + pw / 2)\" y=\"\(height - 6)\" text-anchor=\"middle\">\(SVGPlot.escape(xLabel))\(logX ? " (log scale)" : "")</text>"
        let best = points.max { $0.y < $1.y }
        // stages from light to dark blue: later stages trained longer
        let palette = ["#9ecae1", "#4292c6", "#08519c", "#08306b", "#041a3d"]
        let groups = self.groups.flatMap { $0.count == points.count ? $0 : nil }
        for (i, p) in points.enumerated() {
            let isBest = best.map { $0.x == p.x && $0.y == p.y } ?? false
            let colour = isBest ? "#d62728" : groups.map { palette[Swift.min(palette.count, Swift.max(1, $0[i])) - 1] } ?? "#1f77b4"
            s += String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%@\" fill=\"%@\" fill-opacity=\"0.8\"/>", X(p.x), Y(p.y), isBest ? "5" : "3.5", colour)
        }
        if let groups, let last = groups.max(), last > 1 {
            // one row above the plot, right-aligned
            for g in 1...last {
                let x = left + pw - Double(last - g + 1) * 56
                s += String(format: "<circle cx=\"%.1f\" cy=\"29\" r=\"3.5\" fill=\"%@\"/>", x, palette[Swift.min(palette.count, g) - 1])
                s += "<text x=\"\(x + 7)\" y=\"33\">stage \(g)</text>"
            }
        }
        return s + "</svg>"
    }
}
