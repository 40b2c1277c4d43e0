import OptLabCharts
import OptLabRuntime

/// Runs that differ only in their seed are one configuration measured
/// several times: the comparison shows each configuration's curve as the
/// mean over its seeds with the min–max band, and its score as mean ± std
/// over n seeds (train.repeated's runs, or `optlab report a/seed-* b/seed-*`).
extension ComparisonPage {
    /// Configurations (every differing setting but the seed) with their runs,
    /// in the order they first appear; empty unless some configuration has two seeds.
    var seedGroups: [(label: String, members: [Entry])] {
        guard parameters.contains(where: { $0.name == "seed" }) else { return [] }
        let settings = parameters.map(\.name).filter { $0 != "seed" }
        var groups: [String: [Entry]] = [:], order: [String] = []
        for e in entries {
            let key = settings.map { "\($0)=\(e.shown[$0] ?? "")" }.joined(separator: ", ")
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(e)
        }
        guard groups.values.contains(where: { $0.count > 1 }) else { return [] }
        return order.map { (label: $0.isEmpty ? "every run" : $0, members: groups[$0]!) }
    }

    /// The section over the seeds, or nil when no configuration was repeated.
    func seedSection() -> String? {
        let groups = seedGroups
        guard !groups.isEmpty else { return nil }
        var charts = ""
        for (key, title, log) in [("val_acc", "validation accuracy", false), ("loss", "loss per epoch", true)] {
            var c = Chart(title: title + " over the seeds", xLabel: "epoch", yLabel: key == "loss" ? "loss" : "accuracy")
            c.logY = log
            c.width = 640
            for (i, g) in groups.enumerated() {
                var byEpoch: [Double: [Double]] = [:]
                for e in g.members {
                    for r in e.epochs {
                        if let x = RunPage.number(r["epoch"]), let y = RunPage.number(r[key]), y.isFinite { byEpoch[x, default: []].append(y) }
                    }
                }
                let xs = byEpoch.keys.sorted()
                guard !xs.isEmpty else { continue }
                let stats = xs.map { Summary(byEpoch[$0]!) }
                var s = Chart.Series("\(g.label) (\(g.members.count) seeds)", zip(xs, stats).map { (x: $0, y: $1.mean) },
                                     color: Chart.palette[i % Chart.palette.count])
                s.envelope = zip(xs, stats).map { (x: $0, lo: $1.min, hi: $1.max) }
                c.series.append(s)
            }
            if !c.series.isEmpty { charts += c.svg }
        }
        var t = "<table class=\"grid\"><tr><th>configuration</th><th>seeds</th><th>score: mean ± std</th><th>min – max</th><th>runs without a score</th></tr>"
        for g in groups {
            let scores = g.members.compactMap(\.score)
            let s = Summary(scores)
            let spread = s.n > 1 ? String(format: "%.4f ± %.4f", s.mean, s.std) : s.n == 1 ? String(format: "%.4f", s.mean) : "—"
            let range = s.n > 0 ? String(format: "%.4f – %.4f", s.min, s.max) : "—"
            t += "<tr><td>\(SVGPlot.escape(g.label))</td><td class=\"n\">\(g.members.count)</td><td class=\"n\">\(spread)</td><td class=\"n\">\(range)</td>"
                + "<td class=\"n\">\(g.members.count - scores.count)</td></tr>"
        }
        t += "</table>"
        return Report.section("Over the seeds", "runs that differ only in their seed, as one configuration each: the line is the mean over its seeds, the band their min–max; the table's std is the sample standard deviation (n − 1)", charts + t)
    }
}
