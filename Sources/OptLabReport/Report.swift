import OptLabCharts
import OptLabRuntime
import Foundation

/// `optlab report`: self-contained HTML pages (no network, no script but
/// optlab's own): a run's page (RunPage) and the comparison of many runs or
/// of a search's trials (ComparisonPage).
public enum Report {
    /// The page of one run folder, or of a search folder's trials.
    public static func build(runDirectory dir: String, colorBy: String? = nil) throws -> String {
        if SearchFolder.isSearch(dir) { return try ComparisonPage(search: dir, colorBy: colorBy).html }
        return try RunPage(dir).html
    }

    /// Whether the page should keep reloading: the run (or a trial of the search) is still being written.
    /// (Read each second by --watch: only status.json or the search's running/ folder, never the logs.)
    public static func isLive(_ dir: String) -> Bool {
        if SearchFolder.isSearch(dir) {
            return !(((try? FileManager.default.contentsOfDirectory(atPath: SearchFolder(dir).running)) ?? []).isEmpty)
        }
        return RunPage.isAlive(jsonObject(dir + "/status.json"))
    }

    /// Writes `report.html` into the run folder (atomically) and returns its
    /// path. For a search folder, each trial that has a run of its own gets
    /// its page too (the table links to them).
    @discardableResult
    public static func write(runDirectory dir: String, colorBy: String? = nil) throws -> String {
        let path = dir + "/report.html"
        if SearchFolder.isSearch(dir) {
            let page = try ComparisonPage(search: dir, colorBy: colorBy)
            for e in page.entries {
                if let d = e.dir, FileManager.default.fileExists(atPath: d + "/metrics.jsonl") { _ = try? write(runDirectory: d) }
            }
            try AtomicFile.write(Array(page.html.utf8), to: path, op: "report")
            return path
        }
        if !FileManager.default.fileExists(atPath: dir + "/metrics.jsonl"), let seeds = seedRuns(dir) {
            return try write(comparing: seeds, output: path, colorBy: colorBy)
        }
        if let colorBy { throw RuntimeError(.argument, "report", "--color \(colorBy): colouring is for a comparison (several runs, or a search folder); \(dir) is one run") }
        try AtomicFile.write(Array(try build(runDirectory: dir).utf8), to: path, op: "report")
        return path
    }

    /// A train.repeated folder's runs (its seed-<n> run folders, by seed), or nil.
    public static func seedRuns(_ dir: String) -> [String]? {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).compactMap { name -> (Int, String)? in
            guard name.hasPrefix("seed-"), let n = Int(name.dropFirst(5)),
                  FileManager.default.fileExists(atPath: dir + "/" + name + "/metrics.jsonl") else { return nil }
            return (n, dir + "/" + name)
        }
        return names.isEmpty ? nil : names.sorted { $0.0 < $1.0 }.map(\.1)
    }

    /// `optlab report runs/a runs/b …`: their comparison in `output`, and each run's own page.
    @discardableResult
    public static func write(comparing given: [String], output: String, colorBy: String? = nil) throws -> String {
        // a train.repeated folder stands for its seeds' runs
        let dirs = given.flatMap { d in FileManager.default.fileExists(atPath: d + "/metrics.jsonl") ? [d] : seedRuns(d) ?? [d] }
        let base = (output as NSString).deletingLastPathComponent
        let page = try ComparisonPage(runs: dirs, colorBy: colorBy, base: base.isEmpty ? "." : base)
        for d in dirs { try write(runDirectory: d) }
        try AtomicFile.write(Array(page.html.utf8), to: output, op: "report")
        return output
    }

    /// The page around a body: styles, the security policy, and a reload
    /// every 5 s while the run is alive.
    static func page(title: String, body: String, refresh: Bool, script: String? = nil) -> String {
        let nonce = String(UInt64.random(in: 0...UInt64.max), radix: 36)
        return """
        <!DOCTYPE html>
        <html><head><meta charset="utf-8">\(contentSecurityPolicy(scriptNonce: script == nil ? nil : nonce))\(refresh ? "<meta http-equiv=\"refresh\" content=\"5\">" : "")
        <title>\(SVGPlot.escape(title))</title>
        <style>\(style)</style></head>
        <body>\(body)\(script.map { "<script nonce=\"\(nonce)\">\($0)</script>" } ?? "")</body></html>
        """
    }

    static let style = """
    body{font-family:sans-serif;margin:24px;max-width:1500px;color:#222}
    header{margin-bottom:18px} h1{font-size:20px;margin:0 0 8px} h2{font-size:15px;margin:0 0 4px}
    .status{display:inline-block;padding:4px 10px;border-radius:4px;font-weight:bold;margin-bottom:10px}
    .status.ok{background:#e5f5e0;color:#006d2c} .status.warn{background:#fff3cd;color:#7a5b00} .status.bad{background:#fde0dd;color:#a50f15} .status.live{background:#deebf7;color:#08519c}
    table.facts th{text-align:left;color:#555;font-weight:normal;padding:1px 12px 1px 0} table.facts td{font-weight:bold}
    ul.findings{margin:10px 0;padding-left:20px;max-width:900px} ul.findings li{margin:3px 0} li.healthy{color:#006d2c} li.exploding,li.overfitting{color:#a50f15}
    section{display:inline-block;vertical-align:top;margin:0 24px 24px 0} section.wide{display:block}
    .tables section{max-width:700px} p{margin:0 0 6px;color:#555;font-size:13px;max-width:640px}
    table.grid{border-collapse:collapse;font-size:13px} table.grid td,table.grid th{border-bottom:1px solid #eee;padding:2px 10px;text-align:left}
    table.grid td.n{text-align:right;font-variant-numeric:tabular-nums} tr.best td{font-weight:bold} tr.failed td,tr.cancelled td,tr.exploded td{color:#999} tr.stopped td{color:#7a5b00}
    table.sortable th{cursor:pointer} .flag{color:#a50f15;font-size:13px;margin:4px 0}
    .maps{display:grid;grid-template-columns:repeat(2,auto);gap:6px 18px} .maps svg{display:block} img{image-rendering:pixelated;border:1px solid #ccc}
    .ramp{font-size:13px;margin:4px 0} .ramp .bar span{display:inline-block;width:8px;height:10px}
    """

    static func section(_ title: String, _ note: String, _ body: String) -> String {
        "<section><h2>\(SVGPlot.escape(title))</h2><p>\(SVGPlot.escape(note))</p>\(body)</section>"
    }

    /// Nothing may load from anywhere, and no script runs but optlab's own
    /// (by its nonce): the pages need only their inline styles, data: images
    /// and links to their sibling pages (a run folder's names are escaped
    /// too; this is the second wall).
    static func contentSecurityPolicy(scriptNonce: String?) -> String {
        let script = scriptNonce.map { "; script-src 'nonce-\($0)'" } ?? ""
        return #"<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"# + script + #"">"#
    }

    /// A JSON file's object, or empty when it is missing or not an object.
    static func jsonObject(_ path: String) -> [String: Any] {
        guard let data = FileManager.default.contents(atPath: path) else { return [:] }
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
    }

    /// A JSON value as a person reads it.
    static func text(_ v: Any) -> String {
        if let b = v as? Bool, type(of: v) == Bool.self { return b ? "true" : "false" }
        // (JSONSerialization gives a JSON boolean as an NSNumber whose type is C's char, "c"; no JSON number is one)
        if let n = v as? NSNumber, String(cString: n.objCType) == "c" { return n.boolValue ? "true" : "false" }
        if let n = v as? NSNumber {
            let d = n.doubleValue
            return d == d.rounded() ? Int(checked: d).map { String($0) } ?? Histogram.short(d) : Histogram.short(d)
        }
        if let s = v as? String { return s }
        if let a = v as? [Any] { return a.map(text).joined(separator: ", ") }
        if let o = v as? [String: Any] { return o.sorted { $0.key < $1.key }.map { "\($0.key)=\(text($0.value))" }.joined(separator: ", ") }
        return "\(v)"
    }

    static func duration(_ s: Double) -> String {
        guard let whole = Int(checked: s), whole >= 0 else { return Histogram.short(s) + " s" }
        if s < 60 { return String(format: "%.1f s", s) }
        if s < 3600 { return String(format: "%d min %02d s", whole / 60, whole % 60) }
        return String(format: "%d h %02d min", whole / 3600, whole % 3600 / 60)
    }

    static func jsonLines(_ path: String) throws -> [[String: Any]] {
        let text = String(decoding: try AtomicFile.read(path, op: "report"), as: UTF8.self)
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    /// Rows = epochs, columns = bins, shade = count / row maximum.
    static func heatmap(_ layer: String, _ rows: [[String: Any]]) -> String {
        // (optlab writes tens of bins; a file claiming more is drawn to its first 4096)
        let counts = rows.map { ($0["counts"] as? [NSNumber])?.prefix(4096).map(\.doubleValue) ?? [] }
        let bins = Swift.max(counts.map(\.count).max() ?? 1, 1)
        let cell = 8.0, w = Double(bins) * cell + 130, h = Double(rows.count) * cell + 24
        // The cells are one PNG pixel each, enlarged by the browser: a long run's
        // layers × epochs × bins would otherwise be as many SVG rectangles.
        var pixels = [UInt8](repeating: 255, count: bins * Swift.max(rows.count, 1) * 3)
        for (r, row) in counts.enumerated() {
            let m = Swift.max(row.filter(\.isFinite).max() ?? 1, 1)
            for (c, v) in row.enumerated() {
                // (a count from a file may be negative, NaN or huge: the shade stays a byte)
                let t = v.isFinite ? Swift.min(Swift.max(v / m, 0), 1) : 0
                let shade = UInt8(255 - (215 * t).rounded(.down)), i = (r * bins + c) * 3
                (pixels[i], pixels[i + 1], pixels[i + 2]) = (shade, shade, 255)
            }
        }
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(w))\" height=\"\(Int(h))\" font-family=\"sans-serif\" font-size=\"11\">"
        s += "<text x=\"0\" y=\"12\">\(SVGPlot.escape(layer))</text>"
        if let png = try? PNG.encode(width: bins, height: Swift.max(rows.count, 1), channels: 3, pixels: pixels) {
            s += "<image x=\"0\" y=\"20\" width=\"\(Double(bins) * cell)\" height=\"\(Double(rows.count) * cell)\" preserveAspectRatio=\"none\" style=\"image-rendering:pixelated\" href=\"data:image/png;base64,\(Data(png).base64EncodedString())\"/>"
        }
        for (r, row) in rows.enumerated() {
            // Each epoch's bins span that epoch's own range: say it on the row.
            if let edges = row["edges"] as? [NSNumber], let lo = edges.first, let hi = edges.last {
                s += "<text x=\"\(Double(bins) * cell + 6)\" y=\"\(27 + Double(r) * cell)\" font-size=\"8\">[\(Histogram.short(lo.doubleValue)), \(Histogram.short(hi.doubleValue))]</text>"
            }
        }
        return s + "</svg>"
    }
}
