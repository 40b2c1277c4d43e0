import Foundation

/// The run folder's text files: config.json at the start, metrics.jsonl (the
/// loss and update ratios every `logEvery` steps, then one record an epoch
/// with the accuracies and per-layer statistics) and histograms.jsonl.
final class RunLogObserver: TrainingObserver {
    let folder: RunFolder
    let config: [String: Any]
    /// Opened at their first record, as a run that never logs leaves no log.
    private var metrics: AppendLog?, histograms: AppendLog?
    private var layerRecord: [String: Double] = [:]

    init(_ folder: RunFolder, config: [String: Any]) throws {
        self.folder = folder
        self.config = config
    }

    func log(_ record: [String: Double]) throws {
        if metrics == nil { metrics = try folder.metricsLog() }
        try metrics?.append(RunFolder.metricsLine(record))
    }

    func logHistogram(_ record: [String: Any]) throws {
        if histograms == nil { histograms = try folder.histogramsLog() }
        try histograms?.appendJSONLine(record)
    }

    func began(_ run: TrainingRun) throws {
        try folder.writeConfig(config)
        try folder.writeStatus(RunLogObserver.status(run, ended: false))
        if let from = run.history.resumedFrom {
            try log(["resumed_from_epoch": Double(from), "iteration": Double(run.step)])
        }
    }

    func stepped(_ run: TrainingRun) throws -> String? {
        let measured = run.history.sharpness.last?.step == run.step || run.history.noiseScale.last?.step == run.step
        guard run.step % run.trainer.options.logEvery == 0 || measured else { return nil }
        try log(RunLogObserver.stepRecord(run))
        return nil
    }

    /// The loss, lr and every parameter's update/weight ratio at this step;
    /// `at` places it exactly (epochs done, fractional: 0.21 is iteration 10 of 47).
    static func stepRecord(_ run: TrainingRun) -> [String: Double] {
        if let last = run.lastStepRecord, last.step == run.step { return last.record }
        let opt = run.trainer.optimizer
        var record: [String: Double] = ["iteration": Double(run.step), "epoch": Double(run.epoch), "at": run.at,
                                        "loss": run.history.loss.last ?? 0, "lr": opt.learningRate]
        for (p, r) in zip(opt.parameters, opt.updateRatios) { record["ratio/" + (p.name ?? "?")] = r }
        if let families = run.trainer.options.probes, let probes = try? opt.probes(families: families) {
            for (name, values) in probes.parameters {
                for (k, v) in values where k != "update_ratio" && v.isFinite { record["probe/\(k)/\(name)"] = v }
            }
            for (k, v) in probes.step where v.isFinite { record["probe/" + k] = v }
            record["probe/skipped"] = Double(run.history.skippedSteps)
        }
        if let s = run.history.sharpness.last, s.step == run.step {
            record["sharpness"] = s.value
            record["sharpness_edge"] = s.edge
        }
        if let s = run.history.preconditionedSharpness.last, s.step == run.step {
            record["sharpness_preconditioned"] = s.value
            record["sharpness_preconditioned_edge"] = s.edge
        }
        if let n = run.history.noiseScale.last, n.step == run.step {
            if n.value.isFinite { record["noise_scale"] = n.value }
            if n.raw.isFinite { record["noise_scale_raw"] = n.raw }
            record["noise_scale_batch"] = Double(n.batch)
        }
        run.lastStepRecord = (run.step, record)
        return record
    }

    func beforeEvaluation(_ run: TrainingRun) throws {
        // The last training batch's pass, before evaluation replaces it.
        layerRecord = [:]
        guard let watched = run.watched else { return }
        // (histograms are kept per whole epoch: a fractional end's would share its epoch with the full one)
        if let acts = watched.lastActivations, !run.isPartialEpoch {
            for (i, (a, c)) in zip(acts, watched.children).enumerated() {
                if let hist = try? Histogram(a, bins: 30) {
                    try logHistogram(RunFolder.histogramRecord(epoch: run.epoch, layer: "\(i + 1) \(c.module.summary)", hist))
                }
                if let g = a.grad, let hist = try? Histogram(g, bins: 30) {
                    try logHistogram(RunFolder.histogramRecord(epoch: run.epoch, layer: "\(i + 1) \(c.module.summary)", hist,
                                                                            kind: "gradient"))
                }
            }
        }
        if let stats = try? LayerStatistics(watched) {
            for r in stats.rows {
                layerRecord["layer\(r.index)/act_mean"] = r.mean
                layerRecord["layer\(r.index)/act_std"] = r.std
                if let g = r.gradientStd { layerRecord["layer\(r.index)/grad_std"] = g }
                if let d = r.dead { layerRecord["layer\(r.index)/dead"] = d }
                if let s = r.saturated { layerRecord["layer\(r.index)/saturated"] = s }
            }
        }
    }

    func ended(_ run: TrainingRun) {
        folder.writeFinalStatus(RunLogObserver.status(run, ended: true))
    }

    /// status.json: how the run is going or how it ended, for the report's header.
    static func status(_ run: TrainingRun, ended: Bool) -> [String: Any] {
        let h = run.history, o = run.trainer.options
        var s: [String: Any] = ["epochs": o.epochs, "epochs_done": h.learningRate.count, "seed": Double(o.seed),
                                "seconds": run.previousSeconds + run.elapsed, "optlab": optlabVersion, "pid": Int(getpid())]
        if h.bestEpoch > 0 {
            s["best_epoch"] = h.bestEpoch
            if h.bestValidationAccuracy.isFinite { s["best_val_acc"] = h.bestValidationAccuracy }
            if let l = h.bestValidationLoss { s["best_val_loss"] = l }
        }
        if let t = h.testAccuracy { s["test_acc"] = t }
        if !ended {
            s["status"] = "running"
        } else if let e = run.failure as? RuntimeError {
            s["status"] = e.kind == .interrupted ? "interrupted" : e.kind == .diverged ? "diverged" : "failed"
            s["reason"] = e.message
        } else if let e = run.failure {
            s["status"] = "failed"
            s["reason"] = "\(e)"
        } else if let why = h.stopped {
            s["status"] = "stopped"
            s["reason"] = why
        } else {
            s["status"] = "finished"
        }
        return s
    }

    func epochEnded(_ run: TrainingRun) throws {
        // a fractional last epoch's record sits at the point it reached (1.5)
        var record: [String: Double] = ["epoch": run.isPartialEpoch ? run.at : Double(run.epoch), "iteration": Double(run.step), "loss": run.epochLoss,
                                        "lr": run.trainer.optimizer.learningRate, "time": run.elapsed]
        if let a = run.trainAccuracy { record["train_acc"] = a }
        if let v = run.validationAccuracy { record["val_acc"] = v }
        if let l = run.trainLoss { record["train_loss"] = l }
        if let l = run.validationLoss { record["val_loss"] = l }
        for (k, v) in layerRecord { record[k] = v }
        try log(record)
    }
}
