import Foundation
import OptLabCharts
import OptLabRuntime

/// The rich forms of optlab's values, for hosts that can show more than
/// text (the notebook kernel): SVG for plots and histograms, PNG for weight
/// grids, HTML for tensors. prelude.lua puts them behind each value's
/// `__mime` metamethod; binary forms come base64-encoded, as Jupyter's
/// display messages carry them.
enum RichForms {
    static let functions: [LuaFunction] = [
        // svg_plot(the table monitor.plot was given)
        .primitive("svg_plot", as: "monitor.plot") { a in
            let (plot, title, _) = try MonitorLibrary.plotSpec(a, 1)
            return [.string(try MonitorLibrary.svg(plot, title: title))]
        },
        .primitive("svg_hist", as: "monitor.hist") { a in
            let counts = try MonitorLibrary.doubles(try a.value(1), a, "counts").map { Int($0) }
            let edges = try MonitorLibrary.doubles(try a.value(2), a, "edges")
            return [.string(try SVGHistogram(title: try a.string(3, default: "histogram"), counts: counts, edges: edges).svg)]
        },
        .primitive("png_weights", as: "monitor.weights") { a in
            let image = try WeightImage.render(try a.module(1), scale: try a.integer(2, default: 2), maxTiles: try a.integer(3, default: 256))
            return [.string(Data(image.png).base64EncodedString()), .integer(image.width), .integer(image.height)]
        },
        .primitive("svg_ratios", as: "monitor.ratios") { a in
            guard case .array(let names) = try a.value(1), case .array(let values) = try a.value(2) else { throw a.typeError(1, expected: "names and ratios") }
            var c = Chart(title: "‖update‖ / ‖weight‖ of the last step", xLabel: "parameter", yLabel: "ratio")
            c.categories = names.compactMap(\.string)
            c.logY = true
            c.bands = [(1e-4, 1e-2, "the notes: about 1e-3")]
            var points = Chart.Series("ratio", values.enumerated().map { (Double($0.offset), $0.element.number ?? .nan) }, color: Chart.palette[0])
            points.line = false
            points.markers = true
            c.series = [points]
            c.width = Swift.max(360, 70 * Double(names.count) + 90)
            return [.string(c.svg)]
        },
        .primitive("html_layers", as: "monitor.layers") { a in
            guard case .array(let rows) = try a.value(1) else { throw a.typeError(1, expected: "the layers' rows") }
            return [.string(layersHTML(rows))]
        },
        .primitive("html_tensor", as: "tensor") { a in
            [.string(tensorHTML(try a.tensor(1)))]
        },
    ]

    /// monitor.layers as a table: per layer its statistics, a small histogram
    /// of its activations, and its flags in red.
    static func layersHTML(_ rows: [LuaValue]) -> String {
        func f(_ v: LuaValue?) -> String { v?.number.map { Histogram.short($0) } ?? "" }
        func pct(_ v: LuaValue?) -> String { v?.number.map { String(format: "%.0f%%", $0 * 100) } ?? "" }
        var html = "<table style=\"font-family:monospace;border-collapse:collapse\"><tr>"
            + ["#", "layer", "act mean", "act std", "saturated", "dead", "grad std", "activations", "flags"].map { "<th style=\"padding:2px 8px;text-align:left\">\($0)</th>" }.joined() + "</tr>"
        for (i, row) in rows.enumerated() {
            guard case .record(let fields) = row else { continue }
            let r = Dictionary(fields, uniquingKeysWith: { x, _ in x })
            var spark = ""
            if case .array(let counts)? = r["counts"] {
                let c = counts.compactMap(\.number), peak = Swift.max(c.max() ?? 1, 1)
                spark = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(4 * c.count)\" height=\"18\">" + c.enumerated().map { j, v in
                    let h = 16 * v / peak
                    return String(format: "<rect x=\"%d\" y=\"%.1f\" width=\"3\" height=\"%.1f\" fill=\"#1f77b4\"/>", 4 * j, 17 - h, Swift.max(h, 0.5))
                }.joined() + "</svg>"
            }
            var flags: [String] = []
            if case .array(let fl)? = r["flags"] { flags = fl.compactMap(\.string) }
            let cells = [String(i + 1), SVGPlot.escape(r["layer"]?.string ?? ""), f(r["mean"]), f(r["std"]), pct(r["saturated"]), pct(r["dead"]), f(r["grad_std"])]
            html += "<tr>" + cells.map { "<td style=\"padding:2px 8px;text-align:left\">\($0)</td>" }.joined() + "<td style=\"padding:2px 8px\">\(spark)</td>"
                + "<td style=\"padding:2px 8px;color:#c00\">\(SVGPlot.escape(flags.joined(separator: ", ")))</td></tr>"
        }
        return html + "</table>"
    }

    /// A tensor as an HTML table: its dtype and shape, then (for rank ≥ 2)
    /// the first matrix, at most 12 rows and 12 columns with ellipses.
    static func tensorHTML(_ t: Tensor) -> String {
        let shape = t.shape.isEmpty ? "scalar" : t.shape.map(String.init).joined(separator: "×")
        var html = "<div class=\"optlab-tensor\"><div style=\"font-family:monospace;color:#555\">\(t.dtype.rawValue) tensor, shape \(shape)"
        if t.requiresGrad { html += ", requires grad" }
        guard t.count <= 1 << 22 else { return html + " (too large to show)</div></div>" }
        let values = t.toDoubles()
        let cols = t.shape.last ?? 1, rows = t.rank >= 2 ? t.shape[t.rank - 2] : 1
        if t.rank > 2 { html += "; the first \(rows)×\(cols) matrix, [" + Array(repeating: "1", count: t.rank - 2).joined(separator: ", ") + ", :, :]" }
        html += "</div><table style=\"font-family:monospace;border-collapse:collapse\">"
        func cell(_ v: Double) -> String {
            let text = t.dtype == .i32 ? String(Int(v)) : String(format: "%.4g", v)
            return "<td style=\"padding:1px 6px;text-align:right\">\(text)</td>"
        }
        let ellipsis = "<td style=\"padding:1px 6px;color:#999\">…</td>"
        func shown(_ n: Int) -> [Int?] { n <= 12 ? Array(0..<n) : Array(0..<6) + [nil] + Array((n - 5)..<n) }
        for r in shown(rows) {
            html += "<tr>"
            for c in shown(cols) {
                if let r, let c { html += cell(values.isEmpty ? 0 : values[r * cols + c]) } else { html += ellipsis }
            }
            html += "</tr>"
        }
        return html + "</table></div>"
    }
}
