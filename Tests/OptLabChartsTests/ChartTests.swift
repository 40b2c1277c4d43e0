import Foundation
import Testing
import OptLabRuntime
@testable import OptLabCharts

/// The numbers an SVG shows, read back from its text.
private func texts(_ svg: String) -> [String] {
    let re = try! NSRegularExpression(pattern: "<text[^>]*>(?:<title>[^<]*</title>)?([^<]*)</text>")
    let ns = svg as NSString
    return re.matches(in: svg, range: NSRange(location: 0, length: ns.length)).map { ns.substring(with: $0.range(at: 1)) }
}

@Suite struct ChartTests {
    /// monitor.plot's SVG: round ticks from epoch 0 to the last epoch, a
    /// line broken where a value is not finite, a log axis named on y.
    @Test func plotHasRoundTicksFromZeroAndBreaksAtNaN() throws {
        var p = try SVGPlot(title: "acc", series: [("train", [0.8, 0.85, 0.9]), ("val", [0.79, .nan, 0.8])], epochs: 3)
        let svg = p.svg
        let shown = texts(svg)
        for tick in ["0", "1", "2", "3", "0.80", "0.85", "0.90"] { #expect(shown.contains(tick), "tick \(tick) in \(shown)") }
        #expect(!shown.contains("1.5") && !shown.contains("0.6384"), "no tick between round values: \(shown)")
        #expect(shown.contains("epoch"))
        // train is one polyline of 3 points; val, broken at its NaN, two single points (circles)
        #expect(svg.components(separatedBy: "<polyline").count - 1 == 1)
        #expect(svg.components(separatedBy: "<circle").count - 1 == 2)
        p.xLabel = "round <1>"
        #expect(texts(p.svg).contains("round &lt;1&gt;"))
        let log = try SVGPlot(title: "loss", series: [("loss", [2, 0.2, 0.02])], logY: true)
        let logTexts = texts(log.svg)
        #expect(logTexts.contains("loss (log scale)") && logTexts.contains("point"), "the log scale is y's, named there: \(logTexts)")
        #expect(logTexts.contains("0.1") && logTexts.contains("1"), "decade ticks: \(logTexts)")
    }

    /// A series longer than 2,000 points is drawn as bucket means with their
    /// min…max shaded, so a spike stays visible.
    @Test func longPlotKeepsItsSpike() throws {
        var ys = [Double](repeating: 1, count: 100_000)
        ys[77_777] = 50
        let svg = try SVGPlot(title: "loss", series: [("loss", ys)], epochs: 10).svg
        #expect(svg.count < 200_000, "reduced: \(svg.count) characters")
        #expect(svg.contains("<polygon"), "the envelope is drawn")
        #expect(texts(svg).contains("50"), "the y axis reaches the spike: \(texts(svg))")
    }

    /// The legend's column fits its longest name up to 45% of the chart; a
    /// longer name is cut with "…" and kept whole in its hover title.
    @Test func legendFitsLongNamesAndCutsTheLongest() {
        var c = Chart(title: "runs", xLabel: "epoch", yLabel: "loss")
        c.width = 800
        let medium = "lr=0.0316 reg=1e-4 drop=0.2"        // 27 characters: fits whole
        let long = String(repeating: "a-very-long-run-name-", count: 8)
        c.series = [Chart.Series(medium, [(0, 1), (1, 0.5)], color: "#000"), Chart.Series(long, [(0, 2), (1, 1)], color: "#111")]
        let svg = c.svg
        let shown = texts(svg)
        #expect(shown.contains(medium), "a name that fits is whole: \(shown)")
        let cut = shown.first { $0.hasPrefix("a-very-long") && $0.hasSuffix("…") }
        #expect(cut != nil, "the longest name is cut: \(shown)")
        #expect((cut?.count ?? 999) <= Int((800 * 0.45 - 34) / 7), "cut to the column's width")
        #expect(svg.contains("<title>\(long)</title>"), "and whole on hover")
    }

    /// monitor.hist's SVG: round value ticks inside the bins' range, whole
    /// counts from 0 (a first version labelled 0.3616 and "95e+04").
    @Test func histogramHasRoundTicks() throws {
        let edges = (0...40).map { -0.3616 + Double($0) * (0.3397 + 0.3616) / 40 }
        let counts = (0..<40).map { i in Int(95_000 * Foundation.exp(-Foundation.pow(Double(i - 20) / 6, 2))) }
        let shown = texts(try SVGHistogram(title: "w", counts: counts, edges: edges).svg)
        for tick in ["-0.2", "0.2", "0", "20000", "40000", "60000", "80000"] { #expect(shown.contains(tick), "\(tick) in \(shown)") }
        #expect(!shown.contains { $0.contains("e+") || $0 == "-0.3616" }, "\(shown)")
        let few = texts(try SVGHistogram(title: "w", counts: [1, 3, 2], edges: [0, 1, 2, 3]).svg)
        #expect(few.contains("3") && !few.contains("1.5") && !few.contains("2.5"), "whole counts: \(few)")
    }
}
