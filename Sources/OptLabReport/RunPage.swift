import OptLabCharts
import OptLabRuntime
import Foundation

/// `optlab report runs/x`: one run's page. The header says how it went
/// (status, best and test scores, wall time, the diagnosis in words), then
/// the configuration and the model as tables, then the plots the notes read:
/// loss, accuracy and its gap, the learning rate, update/weight ratios
/// against the 1e-3 band, activations and gradients per layer, the weights,
/// and the checkpoints.
struct RunPage {
    let dir: String
    let records: [[String: Any]]
    let status: [String: Any]
    let config: [String: Any]
    /// The records of epochs' ends, and of logged steps; iterations an epoch (the x axis is in epochs).
    let epochRecords: [[String: Any]], stepRecords: [[String: Any]]
    let iterationsPerEpoch: Double

    init(_ dir: String) throws {
        self.dir = dir
        let metricsPath = dir + "/metrics.jsonl"
        guard FileManager.default.fileExists(atPath: metricsPath) else {
            throw RuntimeError(.io, "report", "\(dir) has no metrics.jsonl (is it a train.fit run folder?)")
        }
        records = try Report.jsonLines(metricsPath)
        status = Report.jsonObject(dir + "/status.json")
        config = Report.jsonObject(dir + "/config.json")
        epochRecords = records.filter(RunPage.isEpochRecord)
        stepRecords = records.filter { !RunPage.isEpochRecord($0) && $0["resumed_from_epoch"] == nil }
        iterationsPerEpoch = RunPage.iterationsPerEpoch(records, epochs: epochRecords, steps: stepRecords)
    }

    static func number(_ v: Any?) -> Double? { (v as? NSNumber)?.doubleValue }
    /// A whole number from a run's files, or nil when it is none (or beyond ±2^53: a hostile file's 1e300).
    static func integer(_ v: Any?) -> Int? { number(v).flatMap { Int(checked: $0.rounded(.towardZero)) } }
    func series(_ rs: [[String: Any]], _ key: String) -> [Double] { rs.map { RunPage.number($0[key]) ?? .nan } }

    /// An epoch's record holds its evaluation (accuracies, or for a regression run only losses).
    static func isEpochRecord(_ r: [String: Any]) -> Bool { r["train_acc"] != nil || r["train_loss"] != nil }

    /// Iterations per epoch, from the epoch records.
    static func iterationsPerEpoch(_ records: [[String: Any]], epochs: [[String: Any]], steps: [[String: Any]]) -> Double {
        if let first = epochs.first, let it = number(first["iteration"]), let ep = number(first["epoch"]), ep > 0, it > 0 {
            let resumed = records.first.flatMap { number($0["resumed_from_epoch"]) } ?? 0
            return it / Swift.max(ep - resumed, 1)
        }
        return Swift.max(number(steps.last?["iteration"]) ?? 1, 1)
    }

    /// Whether the process that writes this run is still alive (status "running" and its pid exists).
    var isAlive: Bool { RunPage.isAlive(status) }

    static func isAlive(_ status: [String: Any]) -> Bool {
        guard status["status"] as? String == "running", let pid = number(status["pid"]) else { return false }
        return kill(pid_t(pid), 0) == 0 || errno == EPERM
    }

    var html: String {
        var body = header() + tables()
        body += "<div class=\"plots\">" + sections.flatMap { $0() }.joined(separator: "\n") + "</div>"
        body += checkpoints()
        return Report.page(title: "optlab run: \(dir)", body: body, refresh: isAlive)
    }

    // MARK: header

    func header() -> String {
        let state = status["status"] as? String ?? (epochRecords.isEmpty ? "unknown" : "finished (written before status.json)")
        var shown = state, tone = "ok"
        let reason = status["reason"] as? String
        switch state {
        case "running": shown = isAlive ? "running" : "interrupted (its process is gone)"; tone = isAlive ? "live" : "bad"
        case "stopped": shown = "stopped early" + (reason.map { ": \($0)" } ?? ""); tone = "warn"
        case "diverged": shown = "diverged: " + (reason ?? "the loss became NaN or infinite"); tone = "bad"
        case "interrupted": shown = "interrupted" + (reason.map { ": \($0)" } ?? ""); tone = "bad"
        case "failed": shown = "failed" + (reason.map { ": \($0)" } ?? ""); tone = "bad"
        default: break
        }
        var facts: [(String, String)] = []
        if let best = RunPage.number(status["best_val_acc"]), let e = RunPage.integer(status["best_epoch"]) {
            facts.append(("best validation", String(format: "%.4f at epoch %d", best, e)))
        } else if let best = RunPage.number(status["best_val_loss"]), let e = RunPage.integer(status["best_epoch"]) {
            facts.append(("best validation loss", String(format: "%.4g at epoch %d", best, e)))
        } else if let best = epochRecords.compactMap({ RunPage.number($0["val_acc"]) }).max() {
            facts.append(("best validation", String(format: "%.4f", best)))
        } else if !epochRecords.isEmpty, !epochRecords.contains(where: { $0["val_acc"] != nil || $0["val_loss"] != nil }) {
            facts.append(("validation", "none: the last epoch's parameters were kept"))
        }
        if let t = RunPage.number(status["test_acc"]) { facts.append(("test", String(format: "%.4f", t))) }
        let seconds = RunPage.number(status["seconds"]) ?? RunPage.number(epochRecords.last?["time"])
        if let s = seconds { facts.append(("wall time", Report.duration(s))) }
        let done = RunPage.integer(status["epochs_done"]) ?? epochRecords.count
        let total = RunPage.number(status["epochs"] ?? config["epochs"]).flatMap { Int(checked: $0.rounded(.up)) }
        facts.append(("epochs", total.map { "\(done) of \($0)" } ?? "\(done)"))
        if let seed = RunPage.integer(status["seed"] ?? config["seed"]) { facts.append(("seed", String(seed))) }
        let version = status["optlab"] as? String ?? ((config["versions"] as? [String: Any])?["optlab"] as? String)
        if let v = version { facts.append(("optlab", v)) }
        let ratioKeys = Set(stepRecords.flatMap { $0.keys.filter { $0.hasPrefix("ratio/") && !$0.hasSuffix("bias") } })
        let stepRatios = stepRecords.map { r in ratioKeys.compactMap { RunPage.number(r[$0]) }.max() ?? .nan }
        let findings = Diagnosis.diagnose(loss: series(stepRecords, "loss").filter(\.isFinite),
                                          trainAccuracy: series(epochRecords, "train_acc"), validationAccuracy: series(epochRecords, "val_acc"),
                                          updateRatios: stepRatios)
        var h = "<header><h1>\(SVGPlot.escape(dir))</h1><div class=\"status \(tone)\">\(SVGPlot.escape(shown))</div>"
        h += "<table class=\"facts\">" + facts.map { "<tr><th>\(SVGPlot.escape($0.0))</th><td>\(SVGPlot.escape($0.1))</td></tr>" }.joined() + "</table>"
        if !findings.isEmpty {
            h += "<ul class=\"findings\">" + findings.map { "<li class=\"\($0.kind.rawValue)\">\(SVGPlot.escape($0.message))</li>" }.joined() + "</ul>"
        }
        return h + "</header>"
    }

    // MARK: configuration and model

    func tables() -> String {
        var rows = config.filter { $0.key != "model" && $0.key != "versions" }.sorted { $0.key < $1.key }.map { k, v in
            "<tr><th>\(SVGPlot.escape(k))</th><td>\(SVGPlot.escape(Report.text(v)))</td></tr>"
        }
        if rows.isEmpty { rows = ["<tr><td>no config.json</td></tr>"] }
        var s = "<div class=\"tables\"><section><h2>Configuration</h2><table class=\"grid\">" + rows.joined() + "</table></section>"
        if let model = config["model"] as? [String: Any] {
            var layers: [String] = []
            func walk(_ m: [String: Any], _ path: String, _ depth: Int) {
                let type = m["type"] as? String ?? "?"
                let cfg = (m["config"] as? [String: Any] ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\(Report.text($0.value))" }.joined(separator: ", ")
                let params = RunPage.parameterCount(type, m["config"] as? [String: Any] ?? [:])
                if depth > 0 {
                    layers.append("<tr><td>\(SVGPlot.escape(path))</td><td style=\"padding-left:\(8 + 12 * (depth - 1))px\">\(SVGPlot.escape(type))</td><td>\(SVGPlot.escape(cfg))</td><td class=\"n\">\(params.map { String($0) } ?? "")</td></tr>")
                }
                for (i, c) in (m["children"] as? [[String: Any]] ?? []).enumerated() { walk(c, path.isEmpty ? "\(i + 1)" : "\(path).\(i + 1)", depth + 1) }
            }
            walk(model, "", 0)
            let total = RunPage.integer(config["parameters"]).map { String($0) } ?? ""
            s += "<section><h2>Model: \(SVGPlot.escape(model["type"] as? String ?? ""))</h2><table class=\"grid\"><tr><th>layer</th><th>kind</th><th>settings</th><th>parameters</th></tr>"
                + layers.joined() + "<tr><th colspan=\"3\">total</th><td class=\"n\"><b>\(total)</b></td></tr></table></section>"
        }
        return s + "</div>"
    }

    /// A layer's parameter count from its settings, for the kinds that have parameters.
    static func parameterCount(_ type: String, _ c: [String: Any]) -> Int? {
        // (sizes from a file: a hostile 4e9 × 4e9 is no count, not an overflow)
        func n(_ k: String) -> Int? { integer(c[k]).flatMap { $0 >= 0 ? $0 : nil } }
        let bias = c["bias"] as? Bool ?? (integer(c["bias"]) ?? 0 != 0)
        switch type {
        case "Linear":
            guard let i = n("in"), let o = n("out"), let w = Int.checkedProduct([i, o]) else { return nil }
            return Int.checkedSum(w, bias ? o : 0)
        case "Conv2d":
            guard let i = n("in"), let o = n("out"), let k = n("kernel"), let w = Int.checkedProduct([i, o, k, k]) else { return nil }
            return Int.checkedSum(w, bias ? o : 0)
        case "BatchNorm": return n("features").flatMap { Int.checkedProduct([2, $0]) }
        default: return nil
        }
    }

    // MARK: plots

    func checkpointNames() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasPrefix("ep") && $0.hasSuffix(".safetensors") }.sorted()
    }

    /// The first layer's weights from the last checkpoint, shown about 360
    /// pixels wide: rendered once at one pixel per weight, and enlarged by
    /// the browser (pixelated), which keeps the page small too.
    func weightImage() -> String? {
        guard let ckpt = checkpointNames().last, let model = try? Module.load(from: dir + "/" + ckpt).model,
              let img = try? WeightImage.render(model, scale: 1) else { return nil }
        let scale = Swift.max(1, Swift.min(4, 360 / Swift.max(img.width, 1)))
        return Report.section("First-layer weights", "from \(ckpt); each tile normalised to its own range",
                              "<img alt=\"first-layer weights\" width=\"\(img.width * scale)\" height=\"\(img.height * scale)\" src=\"data:image/png;base64,\(Data(img.png).base64EncodedString())\">")
    }

    func checkpoints() -> String {
        let names = checkpointNames()
        guard !names.isEmpty else { return "" }
        let scored = names.map { ($0, CheckpointName.score(of: $0)) }
        let best = scored.compactMap { $0.1 }.max()
        let rows = scored.map { name, score -> String in
            let epoch = name.dropFirst(2).prefix { $0.isNumber }
            let mark = score != nil && score == best ? " class=\"best\"" : ""
            return "<tr\(mark)><td>\(SVGPlot.escape(String(epoch)))</td><td>\(score.map { String(format: "%.4f", $0) } ?? "")</td><td>\(SVGPlot.escape(name))</td></tr>"
        }
        return "<section><h2>Checkpoints</h2><table class=\"grid\"><tr><th>epoch</th><th>score</th><th>file</th></tr>" + rows.joined() + "</table></section>"
    }
}
