import OptLabRuntime
import Foundation

/// `monitor.plot`'s series as a standalone SVG, drawn by `Chart` (round
/// ticks, log axes, a legend when there are several): x in epochs when
/// known (point j of n at (j+1)/n·epochs, so per-iteration and per-epoch
/// series line up), else each point's index. A series longer than 2,000
/// points is reduced to bucket means with their min…max shaded.
public struct SVGPlot {
    public let title: String
    public let series: [(name: String, values: [Double])]
    public let logY: Bool
    public let epochs: Double?
    /// The x axis's name; by default "epoch" with epochs, else "point".
    public var xLabel: String?

    public init(title: String, series: [(name: String, values: [Double])], logY: Bool = false, epochs: Double? = nil) throws {
        guard series.contains(where: { !$0.values.isEmpty }) else { throw RuntimeError(.argument, "monitor.plot", "nothing to plot") }
        (self.title, self.series, self.logY, self.epochs) = (title, series, logY, epochs)
    }

    public var chart: Chart {
        var c = Chart(title: title, xLabel: xLabel ?? (epochs == nil ? "point" : "epoch"), yLabel: series.count == 1 ? series[0].name : "value")
        c.logY = logY
        (c.width, c.height) = (760, 360)
        // (from 0: epoch 0 is where training starts, point 0 is the first)
        let longest = series.map(\.values.count).max() ?? 1
        c.xRange = (0, epochs ?? Double(Swift.max(longest - 1, 1)))
        c.series = series.enumerated().map { i, s in
            let n = s.values.count
            let xs = (0..<n).map { j in epochs.map { Double(j + 1) / Double(n) * $0 } ?? Double(j) }
            let (points, envelope) = Chart.reduce(xs, s.values)
            var line = Chart.Series(s.name, points, color: Chart.palette[i % Chart.palette.count])
            line.envelope = envelope
            return line
        }
        return c
    }

    public var svg: String { chart.svg }

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
