import OptLabRuntime
/// A histogram as standalone SVG (monitor.hist's rich form in a notebook):
/// one bar per bin over its edges, counts on y, the value range on x.
public struct SVGHistogram {
    public let title: String
    public let counts: [Int]
    public let edges: [Double]
    public let width = 560.0, height = 260.0

    public init(title: String, counts: [Int], edges: [Double]) throws {
        guard !counts.isEmpty, edges.count == counts.count + 1 else {
            throw RuntimeError(.argument, "monitor.hist", "a histogram needs n counts and n+1 edges, got \(counts.count) and \(edges.count)")
        }
        (self.title, self.counts, self.edges) = (title, counts, edges)
    }

    public var svg: String {
        let (left, right, top, bottom) = (50.0, 20.0, 30.0, 40.0)
        let pw = width - left - right, ph = height - top - bottom
        let peak = Double(Swift.max(counts.max() ?? 1, 1))
        let lo = edges[0], hi = edges[edges.count - 1]
        let span = hi > lo ? hi - lo : 1
        func X(_ v: Double) -> Double { left + pw * (v - lo) / span }
        func Y(_ c: Double) -> Double { top + ph * (1 - c / peak) }
        var s = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="11">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(width / 2)" y="18" text-anchor="middle" font-size="13">\(SVGPlot.escape(title))</text>

        """
        for (i, c) in counts.enumerated() where c > 0 {
            let x0 = X(edges[i]), x1 = X(edges[i + 1])
            s += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#1f77b4\"/>\n",
                        x0, Y(Double(c)), Swift.max(x1 - x0 - 0.5, 0.5), ph - (Y(Double(c)) - top))
        }
        s += "<line x1=\"\(left)\" y1=\"\(top + ph)\" x2=\"\(left + pw)\" y2=\"\(top + ph)\" stroke=\"#333\"/>"
        s += "<line x1=\"\(left)\" y1=\"\(top)\" x2=\"\(left)\" y2=\"\(top + ph)\" stroke=\"#333\"/>\n"
        // round ticks: values inside the bins' range, counts from 0 (whole numbers) up to the peak
        let xs = NiceTicks.linear(lo, hi).ticks.filter { $0 >= lo - 1e-12 * span && $0 <= hi + 1e-12 * span }
        let xStep = xs.count > 1 ? xs[1] - xs[0] : span
        for v in xs {
            s += "<line x1=\"\(X(v))\" y1=\"\(top + ph)\" x2=\"\(X(v))\" y2=\"\(top + ph + 4)\" stroke=\"#333\"/>"
            s += "<text x=\"\(X(v))\" y=\"\(top + ph + 16)\" text-anchor=\"middle\">\(NiceTicks.label(v, step: xStep))</text>\n"
        }
        let ys = NiceTicks.linear(0, peak).ticks.filter { $0 <= peak && $0 == $0.rounded() }
        for c in ys {
            s += "<text x=\"\(left - 6)\" y=\"\(Y(c) + 4)\" text-anchor=\"end\">\(NiceTicks.label(c, step: 1))</text>\n"
        }
        s += "<text x=\"\(left + pw / 2)\" y=\"\(height - 6)\" text-anchor=\"middle\">value (count per bin on y)</text>\n"
        return s + "</svg>\n"
    }
}
