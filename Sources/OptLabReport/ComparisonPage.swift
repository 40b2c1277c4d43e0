import OptLabCharts
import OptLabRuntime
import Foundation

/// `optlab report runs/a runs/b …`, or a search folder: many runs on one
/// page. Curves overlaid and coloured by a hyperparameter; the score against
/// each hyperparameter over the search range; all hyperparameters at once as
/// parallel coordinates; and a table of every run (sortable, each linking to
/// its own page). Stopped, failed and exploded trials are shown as such.
struct ComparisonPage {
    struct Entry {
        var name: String
        var dir: String?
        /// Hyperparameter values in their own units (a choice by its index).
        var values: [String: Double] = [:]
        var shown: [String: String] = [:]
        var status = "ok"
        var reason: String?
        var score: Double?
        var stage = 1
        var epochs: [[String: Any]] = []
        /// Under successive halving: the highest rung reached, and the score at each rung (its budget in epochs, the score).
        var rung: Int?
        var rungScores: [(epochs: Double, score: Double)] = []
    }

    let title: String
    var entries: [Entry] = []
    /// Each hyperparameter: its range, whether its axis is log, its choices.
    var parameters: [Parameter] = []
    var colorBy: String?
    /// Folder the page is written into: links are relative to it.
    let base: String
    var live = false
    /// Successive halving's rungs (epochs), when the search used it.
    var rungs: [Double] = []

    /// A search folder's trials.
    init(search dir: String, colorBy: String?) throws {
        title = "optlab search: \(dir)"
        base = dir
        let rows = try SearchFolder(dir).trials(op: "report")
        guard !rows.isEmpty else { throw RuntimeError(.argument, "report", "\(dir) has no finished trial yet") }
        let space = Report.jsonObject(dir + "/space.json")
        var names = Set<String>()
        for r in rows { (r["raw"] as? [String: Any])?.keys.forEach { names.insert($0) } }
        for n in names.sorted() {
            let spec = space[n] as? [String: Any] ?? [:]
            let kind = (spec["kind"] ?? spec["__hp"]) as? String
            let log = kind == "loguniform" || (kind == "int" && (spec["log"] as? Bool ?? false))
            let choices = kind == "choice" ? (spec["choices"] as? [Any])?.map { Report.text($0) } : nil
            parameters.append((n, RunPage.number(spec["lo"]), RunPage.number(spec["hi"]), log, choices))
        }
        for r in rows {
            var e = Entry(name: String(format: "t%03d", RunPage.integer(r["trial"]) ?? 0))
            e.dir = r["dir"] as? String
            e.status = r["status"] as? String ?? "?"
            e.reason = r["error"] as? String
            // A trial whose loss exploded (stop_above) or became NaN failed for a reason worth its own name.
            if e.status == "failed", let why = e.reason, why.contains("exploded") || why.contains("became nan") || why.contains("became inf") {
                e.status = "exploded"
            }
            e.score = RunPage.number(r["score"])
            e.stage = RunPage.integer(r["stage"]) ?? 1
            for (k, v) in r["raw"] as? [String: Any] ?? [:] { if let x = RunPage.number(v) { e.values[k] = x } }
            for (k, v) in r["config"] as? [String: Any] ?? [:] { e.shown[k] = Report.text(v) }
            if let d = e.dir {
                if let seeds = Report.seedRuns(d), !FileManager.default.fileExists(atPath: d + "/metrics.jsonl") {
                    e.epochs = ComparisonPage.meanEpochs(seeds)   // hp.search{seeds = k}: the trial's curve is its seeds' mean
                } else {
                    e.epochs = ((try? Report.jsonLines(d + "/metrics.jsonl")) ?? []).filter(RunPage.isEpochRecord)
                }
            }
            // (a rung beyond 64 is no successive halving's: eta ≥ 2 halves the trials each rung)
            if let k = RunPage.integer(r["rung"]), (1...64).contains(k), let d = e.dir {
                e.rung = k
                for i in 1...k {
                    let rr = Report.jsonObject(d + "/rung\(i).json")
                    if let ep = RunPage.number(rr["epochs"]), let sc = RunPage.number(rr["score"]) { e.rungScores.append((ep, sc)) }
                }
            }
            entries.append(e)
        }
        for r in (try? Report.jsonLines(dir + "/asha.jsonl")) ?? [] {
            if let ep = RunPage.number(r["epochs"]), !rungs.contains(ep) { rungs.append(ep) }
        }
        rungs.sort()
        live = Report.isLive(dir)
        self.colorBy = try ComparisonPage.colouring(colorBy, parameters.map(\.name))
            ?? parameters.first(where: { $0.choices == nil })?.name ?? parameters.first?.name
    }

    /// Per epoch, the mean of each number over the runs that reached it.
    static func meanEpochs(_ dirs: [String]) -> [[String: Any]] {
        var sums: [Double: [String: (Double, Int)]] = [:]
        for d in dirs {
            for r in ((try? Report.jsonLines(d + "/metrics.jsonl")) ?? []).filter(RunPage.isEpochRecord) {
                guard let epoch = RunPage.number(r["epoch"]) else { continue }
                for (k, v) in r where k != "epoch" {
                    guard let x = RunPage.number(v), x.isFinite else { continue }
                    let (s, n) = sums[epoch, default: [:]][k] ?? (0, 0)
                    sums[epoch, default: [:]][k] = (s + x, n + 1)
                }
            }
        }
        return sums.keys.sorted().map { epoch in
            var record: [String: Any] = ["epoch": epoch]
            for (k, (s, n)) in sums[epoch]! { record[k] = s / Double(n) }
            return record
        }
    }

    /// The parameter to colour by: the one asked for, which must be one of
    /// them, or the first numeric one.
    static func colouring(_ asked: String?, _ names: [String]) throws -> String? {
        guard let asked else { return nil }
        guard names.contains(asked) else {
            throw RuntimeError(.argument, "report", "--color \(asked): the runs have no hyperparameter of that name"
                               + (names.isEmpty ? " (nothing differs between them)" : " (they have: \(names.joined(separator: ", ")))"))
        }
        return asked
    }

    /// A run's configuration with its optimizer's and schedule's settings
    /// (`optimizer_settings`, `schedule_settings`) as keys of their own,
    /// `optimizer.momentum`, `schedule.every`: each can be what differs.
    /// A setting the configuration also holds at the top (lr) is not repeated.
    static func flattened(_ config: [String: Any]) -> [String: Any] {
        var out: [String: Any] = [:]
        for (k, v) in config {
            guard k != "model", k != "versions", let inner = v as? [String: Any] else { out[k] = v; continue }
            let prefix = k.hasSuffix("_settings") ? String(k.dropLast("_settings".count)) : k
            for (sub, x) in inner where sub != "name" && config[sub] == nil { out[prefix + "." + sub] = x }
        }
        return out
    }

    /// Separate runs: their numeric settings that differ are the hyperparameters.
    init(runs dirs: [String], colorBy: String?, base: String) throws {
        title = "optlab runs: " + dirs.joined(separator: ", ")
        self.base = base
        var configs: [[String: Any]] = []
        for d in dirs {
            guard FileManager.default.fileExists(atPath: d + "/metrics.jsonl") else {
                throw RuntimeError(.io, "report", "\(d) has no metrics.jsonl (is it a train.fit run folder?)")
            }
            let page = try RunPage(d)
            var e = Entry(name: (d as NSString).lastPathComponent, dir: d)
            e.epochs = page.epochRecords
            e.status = page.status["status"] as? String ?? "finished"
            if e.status == "finished" { e.status = "ok" }
            // a run whose status says running but whose process is gone was interrupted (as its own page says)
            if e.status == "running" && !page.isAlive { e.status = "interrupted" }
            e.reason = page.status["reason"] as? String
            e.score = RunPage.number(page.status["best_val_acc"]) ?? page.epochRecords.compactMap { RunPage.number($0["val_acc"]) }.max()
            live = live || page.isAlive
            configs.append(ComparisonPage.flattened(page.config))
            entries.append(e)
        }
        let keys = Set(configs.flatMap { $0.keys }).subtracting(["model", "versions", "parameters", "train_size", "val_size"])
        for k in keys.sorted() {
            let values = configs.map { Report.text($0[k] ?? "") }
            guard Set(values).count > 1 else { continue }
            let numbers = configs.compactMap { RunPage.number($0[k]) }
            let positive = numbers.allSatisfy { $0 > 0 }
            let log = numbers.count == configs.count && positive && (numbers.max()! / numbers.min()! > 20)
            let choices = numbers.count == configs.count ? nil : Array(Set(values)).sorted()
            parameters.append((k, nil, nil, log, choices))
            for i in entries.indices {
                entries[i].shown[k] = values[i]
                entries[i].values[k] = choices.map { Double($0.firstIndex(of: values[i]) ?? 0) } ?? RunPage.number(configs[i][k])
            }
        }
        self.colorBy = try ComparisonPage.colouring(colorBy, parameters.map(\.name))
            ?? parameters.first(where: { $0.choices == nil })?.name ?? parameters.first?.name
    }

    // MARK: colours

    typealias Parameter = (name: String, lo: Double?, hi: Double?, log: Bool, choices: [String]?)

    /// Where v lies along p's axis, 0…1: its searched range (or the runs'
    /// span), log where the axis is, a choice by its index.
    func position(_ p: Parameter, _ v: Double) -> Double {
        let all = entries.compactMap { $0.values[p.name] }
        var lo = p.lo ?? all.min() ?? 0, hi = p.hi ?? all.max() ?? 1
        if let c = p.choices { (lo, hi) = (0, Double(Swift.max(c.count - 1, 1))) }
        func t(_ x: Double) -> Double { p.log ? Foundation.log(Swift.max(x, 1e-300)) : x }
        return hi > lo ? Swift.min(1, Swift.max(0, (t(v) - t(lo)) / (t(hi) - t(lo)))) : 0.5
    }

    /// A value's place 0…1 along the colouring parameter.
    func shade(_ e: Entry) -> Double? {
        guard let p = parameters.first(where: { $0.name == colorBy }), let v = e.values[p.name] else { return nil }
        return position(p, v)
    }

    /// Viridis-like: dark blue (low) through teal to yellow (high).
    static func ramp(_ t: Double) -> String {
        let stops: [(Double, Double, Double)] = [(68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37)]
        let u = t.isFinite ? Swift.min(Swift.max(t, 0), 1) : 0
        let x = u * Double(stops.count - 1), i = Swift.min(Int(x), stops.count - 2), f = x - Double(i)
        let c = (0..<3).map { k -> Int in
            let a = [stops[i].0, stops[i].1, stops[i].2][k], b = [stops[i + 1].0, stops[i + 1].1, stops[i + 1].2][k]
            return Int(a + (b - a) * f)
        }
        return String(format: "#%02x%02x%02x", c[0], c[1], c[2])
    }

    func color(_ e: Entry) -> String {
        guard e.status == "ok" || e.status == "stopped" else { return "#999999" }
        return shade(e).map(ComparisonPage.ramp) ?? Chart.palette[0]
    }

    func label(_ e: Entry) -> String {
        let v = colorBy.flatMap { e.shown[$0] }.map { " \(colorBy!)=\($0)" } ?? ""
        return e.name + v + (e.status == "ok" ? "" : " (\(e.status))")
    }

    // MARK: the page

    var html: String {
        var sections: [String] = []
        let legend = colorBy.map { c -> String in
            let p = parameters.first { $0.name == c }
            let values = entries.compactMap { $0.values[c] }
            let lo = p?.choices?.first ?? (p?.lo ?? values.min()).map { Histogram.short($0) } ?? ""
            let hi = p?.choices?.last ?? (p?.hi ?? values.max()).map { Histogram.short($0) } ?? ""
            let bar = (0..<20).map { "<span style=\"background:\(ComparisonPage.ramp(Double($0) / 19))\"></span>" }.joined()
            return "<div class=\"ramp\">coloured by <b>\(SVGPlot.escape(c))</b>\(p?.log == true ? " (log)" : ""): \(SVGPlot.escape(lo)) <span class=\"bar\">\(bar)</span> \(SVGPlot.escape(hi)); grey: failed, exploded or cancelled</div>"
        } ?? ""
        for (key, title, log) in [("val_acc", "validation accuracy", false), ("loss", "loss per epoch", true)] {
            var c = Chart(title: title, xLabel: "epoch", yLabel: key == "loss" ? "loss" : "accuracy")
            c.logY = log
            c.showLegend = entries.count <= 12
            c.width = 640
            c.series = entries.compactMap { e in
                let pts = e.epochs.compactMap { r -> (x: Double, y: Double)? in
                    guard let x = RunPage.number(r["epoch"]), let y = RunPage.number(r[key]) else { return nil }
                    return (x, y)
                }
                guard !pts.isEmpty else { return nil }
                var s = Chart.Series(label(e), pts, color: color(e))
                s.dashed = e.status != "ok"
                return s
            }
            if !c.series.isEmpty { sections.append(Report.section(title.prefix(1).uppercased() + title.dropFirst() + " of every run", "one line per run; dashed: stopped or failed", legend + c.svg)) }
        }
        if let seeds = seedSection() { sections.append(seeds) }
        if !rungs.isEmpty { sections.append(rungChart()) }
        let scored = entries.filter { $0.score != nil }
        let scores = scored.compactMap(\.score)
        for p in parameters {
            var c = Chart(title: "score vs \(p.name)", xLabel: p.name, yLabel: "score")
            c.logX = p.log && p.choices == nil
            c.categories = p.choices
            if let lo = p.lo, let hi = p.hi, p.choices == nil { c.xRange = (lo, hi) }
            c.width = 440
            c.height = 300
            // (under successive halving, scores are grouped by the rung they were reached at: budgets differ)
            let group: (Entry) -> Int = rungs.isEmpty ? { $0.stage } : { $0.rung ?? 1 }
            let stages = Set(entries.map(group)).sorted()
            for (i, st) in stages.enumerated() {
                let es = scored.filter { group($0) == st && $0.values[p.name] != nil && $0.status == "ok" }
                let name = !rungs.isEmpty ? "rung \(st) (\(Histogram.short(rungs[Swift.min(st, rungs.count) - 1])) epochs)" : stages.count > 1 ? "stage \(st)" : "finished"
                var s = Chart.Series(name, es.map { ($0.values[p.name]!, $0.score!) }, color: Chart.palette[i % Chart.palette.count])
                s.line = false
                s.markers = true
                s.tips = es.map { tip($0) }
                c.series.append(s)
            }
            let others = entries.filter { $0.status != "ok" && $0.values[p.name] != nil }
            if !others.isEmpty {
                let floor = (scores.min() ?? 0) - 0.02 * Swift.max((scores.max() ?? 1) - (scores.min() ?? 0), 0.01)
                var s = Chart.Series("not finished", others.map { ($0.values[p.name]!, $0.score ?? floor) }, color: "#999999")
                s.line = false
                s.markers = true
                s.tips = others.map { tip($0) }
                c.series.append(s)
            }
            c.showLegend = c.series.count > 1
            let range = p.lo.map { lo in " over the searched range \(Histogram.short(lo))…\(Histogram.short(p.hi ?? lo))" } ?? ""
            sections.append(Report.section(p.name, "every trial's score against \(p.name)\(range)\(p.log ? " (log axis)" : ""); grey: stopped, failed or exploded (without a score, at the bottom); hover a point for its settings and why", c.svg))
        }
        if parameters.count >= 1 { sections.append(Report.section("All hyperparameters", "one line per run across every hyperparameter to its score, coloured by score; grey dashed: stopped or failed", parallelCoordinates())) }
        sections.append(table())
        let okCount = entries.filter { $0.status == "ok" }.count
        let head = "<header><h1>\(SVGPlot.escape(title))</h1><div class=\"status \(live ? "live" : "ok")\">\(entries.count) runs: \(okCount) finished" +
            ComparisonPage.counts(entries.filter { $0.status != "ok" }.map(\.status)) + (live ? "; still running" : "") + "</div></header>"
        return Report.page(title: title, body: head + "<div class=\"plots\">" + sections.joined(separator: "\n") + "</div>", refresh: live, script: ComparisonPage.sortScript)
    }

    /// ", 2 failed, 1 exploded" for the header.
    static func counts(_ statuses: [String]) -> String {
        var n: [String: Int] = [:]
        for s in statuses { n[s, default: 0] += 1 }
        return n.sorted { $0.key < $1.key }.map { ", \($0.value) \($0.key)" }.joined()
    }

    func tip(_ e: Entry) -> String {
        let settings = e.shown.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
        return "\(e.name) (stage \(e.stage)) \(e.status)\(e.score.map { String(format: ", score %.4f", $0) } ?? ""): \(settings)" + (e.reason.map { "\n\($0)" } ?? "")
    }

    func parallelCoordinates() -> String {
        let axes = parameters.map(\.name) + ["score"]
        let width = Swift.max(420.0, 130.0 * Double(axes.count)), height = 300.0
        let (top, bottom, left) = (30.0, 40.0, 50.0)
        let step = (width - 2 * left) / Double(Swift.max(axes.count - 1, 1))
        let scores = entries.compactMap(\.score)
        let (slo, shi) = (scores.min() ?? 0, scores.max() ?? 1)
        func Y(_ u: Double) -> Double { top + (height - top - bottom) * (1 - Swift.min(1, Swift.max(0, u))) }
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"sans-serif\" font-size=\"11\"><rect width=\"100%\" height=\"100%\" fill=\"white\"/>"
        // failed runs first, so the finished ones are drawn over them
        for e in entries.sorted(by: { ($0.status == "ok" ? 1 : 0, $0.score ?? -1) < ($1.status == "ok" ? 1 : 0, $1.score ?? -1) }) {
            var pts: [String] = []
            for (i, p) in parameters.enumerated() {
                guard let v = e.values[p.name] else { continue }
                pts.append(String(format: "%.1f,%.1f", left + step * Double(i), Y(position(p, v))))
            }
            let ok = e.status == "ok" && e.score != nil
            if let sc = e.score { pts.append(String(format: "%.1f,%.1f", left + step * Double(axes.count - 1), Y(shi > slo ? (sc - slo) / (shi - slo) : 0.5))) }
            let color = ok ? ComparisonPage.ramp(shi > slo ? (e.score! - slo) / (shi - slo) : 0.5) : "#aaaaaa"
            s += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.5\" stroke-opacity=\"0.85\"\(ok ? "" : " stroke-dasharray=\"4 3\"") points=\"\(pts.joined(separator: " "))\"><title>\(SVGPlot.escape(tip(e)))</title></polyline>\n"
        }
        for (i, name) in axes.enumerated() {
            let x = left + step * Double(i)
            s += "<line x1=\"\(x)\" y1=\"\(top)\" x2=\"\(x)\" y2=\"\(height - bottom)\" stroke=\"#333\"/>"
            s += "<text x=\"\(x)\" y=\"\(height - bottom + 16)\" text-anchor=\"middle\" font-weight=\"bold\">\(SVGPlot.escape(name))</text>"
            let (lo, hi): (String, String) = {
                if i == axes.count - 1 { return (Histogram.short(slo), Histogram.short(shi)) }
                let p = parameters[i]
                if let c = p.choices { return (c.first ?? "", c.last ?? "") }
                let vals = entries.compactMap { $0.values[p.name] }
                return (Histogram.short(p.lo ?? vals.min() ?? 0), Histogram.short(p.hi ?? vals.max() ?? 1))
            }()
            s += "<text x=\"\(x + 4)\" y=\"\(top - 6)\">\(SVGPlot.escape(hi))</text><text x=\"\(x + 4)\" y=\"\(height - bottom - 4)\">\(SVGPlot.escape(lo))</text>\n"
        }
        return s + "</svg>"
    }

    /// Successive halving at a glance: each trial's score at every rung it
    /// reached, joined by a line where it was promoted.
    func rungChart() -> String {
        var c = Chart(title: "score at each rung", xLabel: "epochs (the rung's budget)", yLabel: "score")
        c.logX = rungs.count > 2 && (rungs.first ?? 1) > 0
        c.width = 640
        c.showLegend = false
        for e in entries where !e.rungScores.isEmpty {
            var s = Chart.Series(e.name, e.rungScores.map { ($0.epochs, $0.score) }, color: color(e))
            s.markers = true
            s.tips = e.rungScores.map { "\(tip(e))\nat \(Histogram.short($0.epochs)) epochs: \(String(format: "%.4f", $0.score))" }
            c.series.append(s)
        }
        let counts = rungs.enumerated().map { i, ep in "\(entries.filter { ($0.rung ?? 0) > i }.count) at \(Histogram.short(ep))" }
        return Report.section("Successive halving", "every trial's score at each rung it reached (\(counts.joined(separator: ", ")) epochs); a line climbs where the trial was promoted; coloured as above", c.svg)
    }

    func table() -> String {
        let names = parameters.map(\.name)
        let asha = !rungs.isEmpty
        var t = "<section class=\"wide\"><h2>Every run</h2><p>click a heading to sort; a run's name opens its own page</p><table class=\"grid sortable\"><tr><th>run</th><th>\(asha ? "rung (epochs)" : "stage")</th><th>status</th>"
            + names.map { "<th>\(SVGPlot.escape($0))</th>" }.joined() + "<th>score</th><th>why it stopped</th></tr>"
        let order = entries.sorted { (asha ? $0.rung ?? 0 : 0, $0.score ?? -.infinity) > (asha ? $1.rung ?? 0 : 0, $1.score ?? -.infinity) }
        for e in order {
            var link = SVGPlot.escape(e.name)
            if let d = e.dir, FileManager.default.fileExists(atPath: d + "/metrics.jsonl") {
                let target = d.hasPrefix(base + "/") ? String(d.dropFirst(base.count + 1)) : d
                link = "<a href=\"\(SVGPlot.escape(target))/report.html\">\(link)</a>"
            }
            let where_ = asha ? e.rung.map { "\($0) (\(Histogram.short(rungs[Swift.min($0, rungs.count) - 1])))" } ?? "" : "\(e.stage)"
            t += "<tr class=\"\(e.status)\"><td>\(link)</td><td class=\"n\" data-v=\"\(asha ? e.rung ?? 0 : e.stage)\">\(where_)</td><td>\(SVGPlot.escape(e.status))</td>"
            t += names.map { n in
                "<td class=\"n\" data-v=\"\(e.values[n].map { String($0) } ?? "")\">\(SVGPlot.escape(e.shown[n] ?? ""))</td>"
            }.joined()
            t += "<td class=\"n\" data-v=\"\(e.score.map { String($0) } ?? "-1e308")\">\(e.score.map { String(format: "%.4f", $0) } ?? "")</td><td>\(SVGPlot.escape(e.reason ?? ""))</td></tr>"
        }
        return t + "</table></section>"
    }

    /// optlab's own script, the page's only one: sorting the table by a column.
    static let sortScript = """
    for (const th of document.querySelectorAll("table.sortable tr:first-child th")) {
      th.addEventListener("click", () => {
        const table = th.closest("table"), i = [...th.parentNode.children].indexOf(th);
        const rows = [...table.querySelectorAll("tr")].slice(1);
        const up = th.dataset.order !== "up"; th.dataset.order = up ? "up" : "down";
        const key = r => { const c = r.children[i]; return c.dataset.v !== undefined ? c.dataset.v : c.textContent; };
        rows.sort((a, b) => { const x = key(a), y = key(b), nx = parseFloat(x), ny = parseFloat(y);
          const d = isNaN(nx) || isNaN(ny) ? x.localeCompare(y) : nx - ny; return up ? d : -d; });
        for (const r of rows) table.appendChild(r);
      });
    }
    """
}
