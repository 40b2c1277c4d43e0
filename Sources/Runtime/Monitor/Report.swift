import Foundation

/// `optlab report runs/exp1`: one self-contained HTML file (no network):
/// the loss curve, accuracy curves with the overfitting gap, update ratios,
/// per-layer activation histograms over epochs, and the first-layer weights.
public enum Report {
    public static func build(runDirectory dir: String) throws -> String {
        if SearchFolder.isSearch(dir) { return try searchPage(dir) }
        let metricsPath = dir + "/metrics.jsonl"
        guard FileManager.default.fileExists(atPath: metricsPath) else {
            throw RuntimeError(.io, "report", "\(dir) has no metrics.jsonl (is it a train.fit run folder?)")
        }
        let records = try jsonLines(metricsPath)
        let epochs = records.filter { $0["train_acc"] != nil }
        let steps = records.filter { $0["train_acc"] == nil }
        let nEpochs = Double(epochs.count)
        func series(_ rs: [[String: Any]], _ key: String) -> [Double] { rs.compactMap { ($0[key] as? NSNumber)?.doubleValue } }
        var sections: [String] = []

        let loss = series(steps, "loss")
        if !loss.isEmpty {
            sections.append(section("Loss", "per logged iteration; a log scale shows the decay's shape (the notes: linear decay, too low a rate; a plateau after a fast drop, too high)",
                                    try SVGPlot(title: "loss", series: [("loss", loss)], logY: true, epochs: nEpochs > 0 ? nEpochs : nil).svg))
        }
        let train = series(epochs, "train_acc"), val = series(epochs, "val_acc")
        if !train.isEmpty {
            var s: [(String, [Double])] = [("train accuracy", train)]
            if !val.isEmpty {
                s.append(("validation accuracy", val))
                s.append(("gap (train − val)", zip(train, val).map { $0 - $1 }))
            }
            let gap = zip(train, val).map { $0 - $1 }.last.map { String(format: "final gap %.3f: ", $0) + ($0 > 0.1 ? "overfitting (more regularization or data)" : $0 < 0.02 ? "little gap (a bigger model may help if both are low)" : "moderate") } ?? ""
            sections.append(section("Accuracy", gap, try SVGPlot(title: "accuracy per epoch", series: s, epochs: nEpochs).svg))
        }
        let ratioKeys = Set(steps.flatMap { $0.keys.filter { $0.hasPrefix("ratio/") } }).sorted()
        if !ratioKeys.isEmpty {
            sections.append(section("Update/weight ratios", "per parameter; the notes want about 1e-3",
                                    try SVGPlot(title: "‖update‖ / ‖weight‖", series: ratioKeys.map { ($0.replacingOccurrences(of: "ratio/", with: ""), series(steps, $0)) },
                                                logY: true, epochs: nEpochs > 0 ? nEpochs : nil).svg))
        }
        let histPath = dir + "/histograms.jsonl"
        if FileManager.default.fileExists(atPath: histPath) {
            let hs = try jsonLines(histPath)
            let layers = Array(Set(hs.compactMap { $0["layer"] as? String })).sorted { $0.localizedStandardCompare($1) == .orderedAscending }
            let maps = layers.map { layer in heatmap(layer, hs.filter { $0["layer"] as? String == layer }) }
            sections.append(section("Activation histograms over epochs", "one row per epoch (top: first), darker = more activations in the bin", maps.joined()))
        }
        if let ckpt = try? FileManager.default.contentsOfDirectory(atPath: dir).filter({ $0.hasPrefix("ep") && $0.hasSuffix(".safetensors") }).sorted().last,
           let model = try? Module.load(from: dir + "/" + ckpt).model, let img = try? WeightImage.render(model, scale: 3) {
            sections.append(section("First-layer weights", "from \(ckpt); each tile normalised to its own range",
                                    "<img alt=\"first-layer weights\" src=\"data:image/png;base64,\(Data(img.png).base64EncodedString())\">"))
        }
        var config = ""
        if let data = FileManager.default.contents(atPath: dir + "/config.json"), let text = String(data: data, encoding: .utf8) {
            config = "<details><summary>config.json</summary><pre>\(SVGPlot.escape(text))</pre></details>"
        }
        return """
        <!DOCTYPE html>
        <html><head><meta charset="utf-8">\(contentSecurityPolicy)<title>optlab report: \(SVGPlot.escape(dir))</title>
        <style>body{font-family:sans-serif;margin:24px;max-width:1400px;color:#222} section{display:inline-block;vertical-align:top;margin:0 24px 24px 0}
        h1{font-size:20px} h2{font-size:16px;margin-bottom:4px} p{margin:0 0 8px;color:#555;font-size:13px;max-width:640px}
        img{image-rendering:pixelated;border:1px solid #ccc} pre{font-size:12px}</style></head>
        <body><h1>optlab report: \(SVGPlot.escape(dir))</h1>
        \(sections.joined(separator: "\n"))
        \(config)
        </body></html>
        """
    }

    /// A search folder's page: the score of every finished trial against each
    /// hyperparameter (log axes where the space is log), and the best trials.
    static func searchPage(_ dir: String) throws -> String {
        let rows = try SearchFolder(dir).trials(op: "report").filter { ($0["status"] as? String) == "ok" }
        guard !rows.isEmpty else { throw RuntimeError(.argument, "report", "\(dir) has no finished trial yet") }
        let space = (try? JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/space.json")))) as? [String: Any] ?? [:]
        func score(_ r: [String: Any]) -> Double { (r["score"] as? NSNumber)?.doubleValue ?? .nan }
        let names = Array(Set(rows.flatMap { ($0["raw"] as? [String: Any])?.keys ?? [:].keys })).sorted()
        var sections: [String] = []
        for n in names {
            let spec = space[n] as? [String: Any]
            // ("__hp" in folders written before the distributions said "kind")
            let kind = (spec?["kind"] ?? spec?["__hp"]) as? String
            let log = kind == "loguniform" || (kind == "int" && (spec?["log"] as? Bool ?? false))
            let placed = rows.compactMap { r -> (x: Double, y: Double, stage: Int)? in
                guard let v = ((r["raw"] as? [String: Any])?[n] as? NSNumber)?.doubleValue else { return nil }
                return (v, score(r), (r["stage"] as? NSNumber)?.intValue ?? 1)
            }.filter { $0.x.isFinite && $0.y.isFinite && (!log || $0.x > 0) }
            var plot = SVGScatter(title: "score vs \(n)", xLabel: n, yLabel: "score", points: placed.map { ($0.x, $0.y) }, logX: log)
            plot.groups = placed.map(\.stage)
            if kind == "choice", let choices = spec?["choices"] as? [Any] {
                plot.categories = choices.map { c in (c as? NSNumber).map { Histogram.short($0.doubleValue) } ?? "\(c)" }
            }
            sections.append(section(n, "every finished trial's score against \(n), darker for later stages (longer training); the red point is the best", plot.svg))
        }
        let best = rows.sorted { score($0) > score($1) }.prefix(10)
        var table = "<table style=\"font-size:13px;border-collapse:collapse\"><tr><th>trial</th><th>stage</th>" + names.map { "<th>\(SVGPlot.escape($0))</th>" }.joined() + "<th>score</th></tr>"
        for r in best {
            let cfg = r["config"] as? [String: Any] ?? [:]
            table += "<tr><td>\(SVGPlot.escape("\(r["trial"] ?? "")"))</td><td>\(SVGPlot.escape("\(r["stage"] ?? "")"))</td>" + names.map { n in
                let v = cfg[n]
                return "<td>\((v as? NSNumber).map { Histogram.short($0.doubleValue) } ?? SVGPlot.escape("\(v ?? "")"))</td>"
            }.joined() + String(format: "<td>%.4f</td></tr>", score(r))
        }
        table += "</table>"
        sections.append(section("Best trials", "the ten best finished trials", table))
        return """
        <!DOCTYPE html>
        <html><head><meta charset="utf-8">\(contentSecurityPolicy)<title>optlab search: \(SVGPlot.escape(dir))</title>
        <style>body{font-family:sans-serif;margin:24px;color:#222} section{display:inline-block;vertical-align:top;margin:0 24px 24px 0}
        h2{font-size:16px;margin-bottom:4px} p{margin:0 0 8px;color:#555;font-size:13px} td,th{padding:2px 8px;text-align:right}</style></head>
        <body><h1 style="font-size:20px">optlab search: \(SVGPlot.escape(dir)) (\(rows.count) finished trials)</h1>
        \(sections.joined(separator: "\n"))
        </body></html>
        """
    }

    /// Writes `report.html` into the run folder (atomically) and returns its path.
    @discardableResult
    public static func write(runDirectory dir: String) throws -> String {
        let path = dir + "/report.html"
        try AtomicFile.write(Array(try build(runDirectory: dir).utf8), to: path, op: "report")
        return path
    }

    static func section(_ title: String, _ note: String, _ body: String) -> String {
        "<section><h2>\(SVGPlot.escape(title))</h2><p>\(SVGPlot.escape(note))</p>\(body)</section>"
    }

    /// No script may run and nothing may load from anywhere: the pages need
    /// only their own inline styles and data: images (a run folder's names
    /// are escaped too; this is the second wall).
    static let contentSecurityPolicy = #"<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'">"#

    static func jsonLines(_ path: String) throws -> [[String: Any]] {
        let text = String(decoding: try AtomicFile.read(path, op: "report"), as: UTF8.self)
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    /// Rows = epochs, columns = bins, shade = count / row maximum.
    static func heatmap(_ layer: String, _ rows: [[String: Any]]) -> String {
        let cell = 8.0, w = 30 * cell + 130, h = Double(rows.count) * cell + 24
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(w))\" height=\"\(Int(h))\" font-family=\"sans-serif\" font-size=\"11\">"
        s += "<text x=\"0\" y=\"12\">\(SVGPlot.escape(layer))</text>"
        for (r, row) in rows.enumerated() {
            let counts = (row["counts"] as? [NSNumber])?.map(\.doubleValue) ?? []
            let m = Swift.max(counts.max() ?? 1, 1)
            for (c, v) in counts.enumerated() {
                let shade = Int(255 - 215 * v / m)
                s += "<rect x=\"\(Double(c) * cell)\" y=\"\(20 + Double(r) * cell)\" width=\"\(cell)\" height=\"\(cell)\" fill=\"rgb(\(shade),\(shade),255)\"/>"
            }
            // Each epoch's bins span that epoch's own range: say it on the row.
            if let edges = row["edges"] as? [NSNumber], let lo = edges.first, let hi = edges.last {
                s += "<text x=\"\(30 * cell + 6)\" y=\"\(27 + Double(r) * cell)\" font-size=\"8\">[\(Histogram.short(lo.doubleValue)), \(Histogram.short(hi.doubleValue))]</text>"
            }
        }
        return s + "</svg>"
    }
}
