import Foundation
import OptLabCharts
import OptLabRuntime

/// The plots of a run's page, one function a section: adding a section is a
/// function here and one line in `sections`.
extension RunPage {
    /// In page order; each gives its sections' HTML (none when the run logged nothing for it).
    var sections: [() -> [String]] {
        [lossSection, accuracySections, evaluationLossSection, learningRateSection, ratioSection, sharpnessSections, noiseScaleSections, probeSections, activationSections,
         layerGradientSection,
         { weightImage().map { [$0] } ?? [] }, measurementSections]
    }

    /// The range test and the landscapes measured into the run's folder
    /// (`train.lr_find{log =}`, `monitor.landscape{log =}`): each its summary
    /// and its picture. The picture goes in as an image (a data: URL), never as
    /// markup, since it is read from a file.
    func measurementSections() -> [String] {
        let kinds = [
            (RunFolder.Measurement.rangeTest, "Learning-rate range test",
             "the smoothed loss while the rate grows exponentially, step by step (Smith 2017); start a search around the suggestions"),
            (.line, "Loss between two points",
             "the loss along the straight line between two parameter sets, and its barrier above the chord"),
            (.plane, "Loss landscape",
             "the loss on a plane around the weights along two filter-normalised directions (Li et al. 2018), or a trajectory's principal ones"),
        ]
        return kinds.compactMap { kind, title, note in
            let r = Report.jsonObject(dir + "/" + kind.rawValue)
            guard let svg = r["svg"] as? String, svg.hasPrefix("<svg") else { return nil }
            let summary = (r["summary"] as? String).map { "<pre>" + SVGPlot.escape($0) + "</pre>" } ?? ""
            return Report.section(title, note, summary + "<img alt=\"\(SVGPlot.escape(title))\" src=\"data:image/svg+xml;base64,\(Data(svg.utf8).base64EncodedString())\">")
        }
    }

    /// The logged steps' x: the epochs done at each, as the run wrote it
    /// (`at`), or for older runs iteration / iterations an epoch.
    var stepEpochs: [Double] {
        if stepRecords.first?["at"] != nil { return series(stepRecords, "at") }
        let per = iterationsPerEpoch
        return series(stepRecords, "iteration").map { $0 / per }
    }

    func lossSection() -> [String] {
        let loss = series(stepRecords, "loss")
        guard loss.contains(where: \.isFinite) else { return [] }
        let xs = stepEpochs
        var c = Chart(title: "loss", xLabel: "epoch", yLabel: "loss")
        c.logY = loss.filter { $0.isFinite }.allSatisfy { $0 > 0 }
        let raw = Chart.reduce(xs, loss)
        var r = Chart.Series("loss", raw.points, color: "#9ecae1")
        r.envelope = raw.envelope
        r.lineWidth = 1
        let smooth = Chart.reduce(xs, Chart.smoothed(loss, weight: Swift.min(0.99, 1 - 10.0 / Double(Swift.max(loss.count, 20)))))
        c.series = [r, Chart.Series("smoothed", smooth.points, color: "#08519c")]
        c.width = 640
        return [Report.section("Loss", "per logged iteration, raw (light; a long run's min–max per point shaded) and smoothed\(c.logY ? "; log y, where a linear decay means too low a rate and a plateau after a fast drop too high" : "")", c.svg)]
    }

    /// The loss each epoch's evaluation measured on the training sample and
    /// on the validation set: a regression run's only measure.
    func evaluationLossSection() -> [String] {
        let epochs = epochRecords
        guard !epochs.contains(where: { $0["train_acc"] != nil }), epochs.contains(where: { $0["train_loss"] != nil }) else { return [] }
        let ex = series(epochs, "epoch")
        var c = Chart(title: "loss at each epoch's end", xLabel: "epoch", yLabel: "loss")
        c.series = [Chart.Series("train (sample)", zip(ex, series(epochs, "train_loss")).map { ($0, $1) }, color: Chart.palette[0])]
        let val = series(epochs, "val_loss")
        if val.contains(where: \.isFinite) { c.series.append(Chart.Series("validation", zip(ex, val).map { ($0, $1) }, color: Chart.palette[1])) }
        for i in c.series.indices { c.series[i].markers = epochs.count < 40 }
        return [Report.section("Loss on the sets", "measured in evaluation mode at each epoch's end (a regression run has no accuracy)", c.svg)]
    }

    /// Train and validation accuracy, and their gap.
    func accuracySections() -> [String] {
        let epochs = epochRecords
        guard epochs.contains(where: { $0["train_acc"] != nil }) else { return [] }
        let ex = series(epochs, "epoch")
        let train = series(epochs, "train_acc"), val = series(epochs, "val_acc")
        var c = Chart(title: "accuracy", xLabel: "epoch", yLabel: "accuracy")
        c.series = [Chart.Series("train", zip(ex, train).map { ($0, $1) }, color: Chart.palette[0])]
        c.series[0].markers = epochs.count < 40
        if val.contains(where: \.isFinite) {
            var v = Chart.Series("validation", zip(ex, val).map { ($0, $1) }, color: Chart.palette[1])
            v.markers = epochs.count < 40
            c.series.append(v)
        }
        var out = [Report.section("Accuracy", "train (on a sample) and validation, per epoch", c.svg)]
        if val.contains(where: \.isFinite) {
            let gap = zip(train, val).map { $0 - $1 }
            var g = Chart(title: "train − validation", xLabel: "epoch", yLabel: "gap")
            g.series = [Chart.Series("gap", zip(ex, gap).map { ($0, $1) }, color: "#6a51a3")]
            g.width = 420
            g.height = 220
            let last = gap.last(where: \.isFinite) ?? 0
            let word = last > 0.1 ? "overfitting: more regularization or more data" : last < 0.02 ? "little gap: a bigger model may help if both are low" : "moderate"
            out.append(Report.section("Overfitting gap", String(format: "final gap %.3f, %@", last, word), g.svg))
        }
        return out
    }

    func learningRateSection() -> [String] {
        let steps = stepRecords, xs = stepEpochs
        let lr = series(steps, "lr")
        guard lr.contains(where: \.isFinite) else { return [] }
        var c = Chart(title: "learning rate", xLabel: "epoch", yLabel: "learning rate")
        let positive = lr.filter { $0.isFinite && $0 > 0 }
        c.logY = (positive.max() ?? 1) / (positive.min() ?? 1) > 20
        c.series = [Chart.Series("lr", Chart.reduce(xs, lr).points, color: "#d94801")]
        let momentum = series(steps, "momentum")
        if momentum.contains(where: \.isFinite) { c.series.append(Chart.Series("momentum", Chart.reduce(xs, momentum).points, color: "#238b45")) }
        c.width = 420
        c.height = 240
        return [Report.section("Learning rate", "as the schedule set it, per logged iteration", c.svg)]
    }

    /// Every weight's update/weight ratio against the notes' band, judged on
    /// its median over the run (a schedule that ends at 0 takes every last ratio there).
    func ratioSection() -> [String] {
        let steps = stepRecords, xs = stepEpochs
        let ratioKeys = Set(steps.flatMap { $0.keys.filter { $0.hasPrefix("ratio/") } }).sorted()
        guard !ratioKeys.isEmpty else { return [] }
        var c = Chart(title: "‖update‖ / ‖weight‖", xLabel: "epoch", yLabel: "ratio")
        c.logY = true
        c.bands = [(1e-4, 1e-2, "the notes: about 1e-3")]
        c.series = ratioKeys.enumerated().map { i, k in
            Chart.Series(String(k.dropFirst(6)), Chart.reduce(xs, series(steps, k)).points, color: Chart.palette[i % Chart.palette.count])
        }
        c.width = 640
        let typical = ratioKeys.compactMap { k -> (String, Double)? in
            let v = series(steps, k).filter(\.isFinite).sorted()
            return v.isEmpty ? nil : (String(k.dropFirst(6)), v[v.count / 2])
        }
        let off = typical.filter { ($0.1 < 1e-4 || $0.1 > 1e-2) && !$0.0.hasSuffix("bias") }
        let note = off.isEmpty ? "every weight's median ratio over the run is within 1e-4…1e-2"
            : "weights whose median ratio is outside 1e-4…1e-2: " + off.map { String(format: "%@ %.1e", $0.0, $0.1) }.joined(separator: ", ") + " (the rate may be too \(off[0].1 > 1e-2 ? "high" : "low") for them)"
        return [Report.section("Update/weight ratios", "per parameter, per logged step; " + note, c.svg)]
    }

    /// The sharpness measured during training (train.fit{monitor = {sharpness =}})
    /// against 2/η, the edge of stability, on a log axis.
    func sharpnessSections() -> [String] {
        let measured = zip(stepRecords, stepEpochs).filter { RunPage.number($0.0["sharpness"]) != nil }
        guard !measured.isEmpty else { return [] }
        let xs = measured.map(\.1)
        var c = Chart(title: "sharpness", xLabel: "epoch", yLabel: "λ_max of the loss's Hessian")
        c.logY = true
        c.series = [
            Chart.Series("λ_max (a fixed batch)", Array(zip(xs, measured.map { RunPage.number($0.0["sharpness"])! })), color: Chart.palette[0]),
            Chart.Series("2/η (edge of stability)", Array(zip(xs, measured.map { RunPage.number($0.0["sharpness_edge"]) ?? .nan }))
                .filter { $0.1.isFinite }, color: Chart.palette[1]),
        ]
        let pre = zip(xs, measured.map { RunPage.number($0.0["sharpness_preconditioned"]) ?? .nan }).filter { $0.1.isFinite }
        if !pre.isEmpty {
            c.series.append(Chart.Series("λ_max of D·H (Adam's preconditioned)", Array(pre), color: Chart.palette[2]))
            var edge = Chart.Series("(2 + 2β₁)/((1 − β₁)η) (Adam's edge)", Array(zip(xs, measured.map { RunPage.number($0.0["sharpness_preconditioned_edge"]) ?? .nan }))
                .filter { $0.1.isFinite }, color: Chart.palette[3])
            edge.dashed = true
            c.series.append(edge)
        }
        c.width = 640
        return [Report.section("Sharpness", "the top eigenvalue of the loss's Hessian on a fixed training batch, against 2/η: gradient descent is stable below the line; full-batch training tends to rise to it and stay (Cohen et al. 2021)", c.svg)]
    }

    /// The gradient noise scale measured during training (monitor = {noise_scale =}),
    /// against the batch size trained with, on a log axis.
    func noiseScaleSections() -> [String] {
        let measured = zip(stepRecords, stepEpochs).filter { RunPage.number($0.0["noise_scale_batch"]) != nil }
        guard !measured.isEmpty else { return [] }
        let xs = measured.map(\.1)
        func series(_ key: String) -> [(x: Double, y: Double)] {
            zip(xs, measured.map { RunPage.number($0.0[key]) ?? .nan }).filter { $0.1.isFinite && $0.1 > 0 }.map { (x: $0.0, y: $0.1) }
        }
        var c = Chart(title: "gradient noise scale", xLabel: "epoch", yLabel: "B_simple = tr(Σ)/|G|² (examples)")
        c.logY = true
        var raw = Chart.Series("one measurement", series("noise_scale_raw"), color: Chart.palette[0])
        raw.line = false
        raw.markers = true
        var batch = Chart.Series("batch size trained with", series("noise_scale_batch"), color: Chart.palette[1])
        batch.dashed = true
        c.series = [Chart.Series("B_simple (moving averages)", series("noise_scale"), color: Chart.palette[0]), raw, batch]
        c.width = 640
        return [Report.section("Gradient noise scale", "B_simple from moving averages of tr(Σ) and |G|² measured at two batch sizes (McCandlish et al. 2018): below it, a larger batch buys nearly proportionally faster progress; far above it, little", c.svg)]
    }

    /// The optimizer's probes (train.fit{probes =}): one chart per probe, a
    /// line per parameter, and one for the step's (clipping, skips, SAM).
    func probeSections() -> [String] {
        let steps = stepRecords, xs = stepEpochs
        let keys = Set(steps.flatMap { $0.keys.filter { $0.hasPrefix("probe/") } })
        guard !keys.isEmpty else { return [] }
        // probe/<probe>/<parameter> → probe
        var perParameter: [String: [String]] = [:], stepLevel: [String] = []
        for k in keys {
            let parts = k.split(separator: "/", maxSplits: 2).map(String.init)
            if parts.count == 3 { perParameter[parts[1], default: []].append(k) } else { stepLevel.append(k) }
        }
        let order = ["grad_norm", "grad_norm_unclipped", "update_rms", "update_norm", "weight_norm", "effective_lr", "effective_lr_min",
                     "effective_lr_max", "effective_lr_scale_invariant"]
        let names = perParameter.keys.sorted { (order.firstIndex(of: $0) ?? order.count, $0) < (order.firstIndex(of: $1) ?? order.count, $1) }
        var charts: [String] = []
        for probe in names {
            let series = perParameter[probe]!.sorted()
            var c = Chart(title: probe, xLabel: "epoch", yLabel: probe)
            let values = series.flatMap { self.series(steps, $0) }.filter { $0.isFinite && $0 > 0 }
            c.logY = !values.isEmpty && (values.max()! / values.min()!) > 20
            c.series = series.enumerated().map { i, k in
                Chart.Series(String(k.split(separator: "/", maxSplits: 2)[2]), Chart.reduce(xs, self.series(steps, k)).points,
                             color: Chart.palette[i % Chart.palette.count])
            }
            c.width = 420
            c.height = 240
            charts.append(c.svg)
        }
        if !stepLevel.isEmpty {
            var c = Chart(title: "the step's", xLabel: "epoch", yLabel: "value")
            c.series = stepLevel.sorted().enumerated().map { i, k in
                Chart.Series(String(k.dropFirst(6)), Chart.reduce(xs, series(steps, k)).points, color: Chart.palette[i % Chart.palette.count])
            }
            c.width = 420
            c.height = 240
            charts.append(c.svg)
        }
        return [Report.section("Inside the optimizer", "the probes logged with each step, one chart a probe, a line a parameter (opt:probes() explains each)",
                               "<div class=\"maps\">" + charts.joined() + "</div>")]
    }

    /// Per layer: activation and output-gradient histograms over epochs
    /// (saturated or dead fractions flagged).
    func activationSections() -> [String] {
        let histPath = dir + "/histograms.jsonl"
        guard FileManager.default.fileExists(atPath: histPath), let all = try? Report.jsonLines(histPath) else { return [] }
        let hs = all.filter { ($0["kind"] as? String ?? "activation") == "activation" }
        let grads = all.filter { $0["kind"] as? String == "gradient" }
        let layers = Array(Set(hs.compactMap { $0["layer"] as? String })).sorted { $0.localizedStandardCompare($1) == .orderedAscending }
        let last = epochRecords.last ?? [:]
        let maps = layers.map { layer -> String in
            let index = layer.split(separator: " ").first.map(String.init) ?? ""
            var flags: [String] = []
            if let d = RunPage.number(last["layer\(index)/dead"]), d > 0.1 { flags.append(String(format: "%.0f%% dead", d * 100)) }
            if let s = RunPage.number(last["layer\(index)/saturated"]), s > 0.1 { flags.append(String(format: "%.0f%% saturated", s * 100)) }
            let flag = flags.isEmpty ? "" : "<div class=\"flag\">⚠ \(SVGPlot.escape(layer)): \(flags.joined(separator: ", ")) at the last epoch</div>"
            return "<div>" + flag + Report.heatmap(layer, hs.filter { $0["layer"] as? String == layer }) + "</div>"
        }
        var out = [Report.section("Activations per layer over epochs", "one row per epoch (top: first), darker = more activations in the bin; each row spans its own range", "<div class=\"maps\">" + maps.joined() + "</div>")]
        let gradLayers = Array(Set(grads.compactMap { $0["layer"] as? String })).sorted { $0.localizedStandardCompare($1) == .orderedAscending }
        if !gradLayers.isEmpty {
            let gmaps = gradLayers.map { layer in Report.heatmap(layer, grads.filter { $0["layer"] as? String == layer }) }
            out.append(Report.section("Gradient histograms per layer over epochs", "the gradient of each layer's output on the last training batch of each epoch; a row narrowing to 0 by decades is a vanishing gradient", "<div class=\"maps\">" + gmaps.joined() + "</div>"))
        }
        return out
    }

    /// Each layer's output-gradient scale over epochs.
    func layerGradientSection() -> [String] {
        let gradKeys = Set(epochRecords.flatMap { $0.keys.filter { $0.hasSuffix("/grad_std") } })
            .sorted { $0.localizedStandardCompare($1) == .orderedAscending }
        guard !gradKeys.isEmpty else { return [] }
        let ex = series(epochRecords, "epoch")
        var c = Chart(title: "gradient std per layer", xLabel: "epoch", yLabel: "std of the layer's output gradient")
        c.logY = true
        c.series = gradKeys.enumerated().map { i, k in
            Chart.Series(String(k.dropLast(9)), zip(ex, series(epochRecords, k)).map { ($0, $1) }, color: Chart.palette[i % Chart.palette.count])
        }
        c.width = 640
        return [Report.section("Gradients per layer", "the gradient reaching each layer's output, per epoch: vanishing shows as lines falling apart by decades", c.svg)]
    }
}
