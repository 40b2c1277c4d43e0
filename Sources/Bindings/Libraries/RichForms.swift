import Foundation
import OptLabRuntime

/// The rich forms of optlab's values, for hosts that can show more than
/// text (the notebook kernel): SVG for plots and histograms, PNG for weight
/// grids, HTML for tensors. prelude.lua puts them behind each value's
/// `__mime` metamethod; binary forms come base64-encoded, as Jupyter's
/// display messages carry them.
enum RichForms {
    static let functions: [LuaFunction] = [
        .primitive("svg_plot", as: "monitor.plot") { a in
            guard case .record(let pairs) = try a.state.read(1, depth: 0, asRecord: true) else { throw a.typeError(1, expected: "table of series") }
            var series: [(name: String, values: [Double])] = []
            for (name, values) in pairs.sorted(by: { $0.0 < $1.0 }) { series.append((name, try MonitorLibrary.doubles(values, a, name))) }
            let epochs = try a.number(3, default: 0)
            let plot = try SVGPlot(title: try a.string(2, default: series.map(\.name).joined(separator: ", ")), series: series,
                                   logY: try a.bool(4, default: false), epochs: epochs > 0 ? epochs : nil)
            return [.string(plot.svg)]
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
        .primitive("html_tensor", as: "tensor") { a in
            [.string(tensorHTML(try a.tensor(1)))]
        },
    ]

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
