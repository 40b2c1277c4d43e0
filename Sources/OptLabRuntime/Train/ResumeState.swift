import Foundation

/// `resume.safetensors` in a run folder: everything `fit` needs to carry on
/// after the epoch it was written at, as if it had never stopped — the
/// model (parameters and buffers), the optimizer's state, the best
/// parameters so far, the averages, the schedule, the batch-order generator
/// and the history. Written atomically after every epoch, so a requeued or
/// preempted job loses at most the epoch it was in.
///
/// A fractional last epoch (a search's budget of 1.5 epochs) ends mid-epoch:
/// the state then records the whole epochs done, the iterations taken of
/// the next one, and the generator as that epoch began, so a longer budget
/// resumed from it takes up the same batch order where it stopped. The
/// evaluation made at that point is dropped from the restored history,
/// which keeps one entry per whole epoch.
struct ResumeState {
    static let fileName = "resume.safetensors"

    /// Whole epochs done.
    var epoch: Int
    /// Iterations done of epoch `epoch + 1` (0 at an epoch's end).
    var iteration: Int
    var history: TrainingHistory
    /// The score the best parameters were kept by (higher is better).
    var bestScore = -Double.infinity

    static func save(_ run: TrainingRun, to directory: String) throws {
        let trainer = run.trainer, partial = run.isPartialEpoch
        let epoch = partial ? run.epoch - 1 : run.epoch
        let g = partial ? run.epochGenerator ?? run.generator.state : run.generator.state
        let best = run.best, h = run.history
        var tensors: [(name: String, tensor: Tensor)] = []
        for (n, t) in trainer.model.namedParameters() + trainer.model.namedBuffers() { tensors.append(("model." + n, t)) }
        for (n, t) in trainer.optimizer.stateTensors() { tensors.append(("optim." + n, t)) }
        for (i, t) in (best ?? []).enumerated() { tensors.append(("best.\(i + 1)", t)) }
        for (k, a) in trainer.averages.enumerated() {
            for (i, t) in a.averages.enumerated() { tensors.append(("average\(k + 1).\(i + 1)", t)) }
        }
        var meta: [String: String] = ["epoch": String(epoch), "best_count": String(best?.count ?? 0)]
        if partial { meta["iteration"] = String(run.iteration) }
        for (k, v) in trainer.optimizer.stateScalars { meta["optim." + k] = v }
        for (k, a) in trainer.averages.enumerated() { meta["average\(k + 1).updates"] = String(a.updates) }
        for (k, s) in trainer.schedules.enumerated() { meta[k == 0 ? "schedule" : "schedule\(k + 1)"] = s.savedState }
        meta["generator"] = [g.s.0, g.s.1, g.s.2, g.s.3].map(String.init).joined(separator: " ")
            + (g.spareNormal.map { " " + String($0.bitPattern) } ?? "")
        var record: [String: Any] = [
            "loss": h.loss.map { $0.bitPattern }, "train_acc": h.trainAccuracy.map { $0.bitPattern },
            "val_acc": h.validationAccuracy.map { $0.bitPattern }, "lr": h.learningRate.map { $0.bitPattern },
            "train_loss": h.trainLoss.map { $0.bitPattern }, "val_loss": h.validationLoss.map { $0.bitPattern },
            "update_ratio": h.updateRatio.map { $0.bitPattern },
            "best_epoch": h.bestEpoch, "best": h.bestValidationAccuracy.bitPattern, "seconds": h.seconds.bitPattern,
            "best_score": run.bestScore.bitPattern, "skipped": h.skippedSteps,
        ]
        if let l = h.bestValidationLoss { record["best_val_loss"] = l.bitPattern }
        meta["history"] = String(decoding: try JSONSerialization.data(withJSONObject: record), as: UTF8.self)
        try SafeTensors.save(tensors, metadata: meta, to: directory + "/" + fileName)
    }

    /// Restores the trainer's objects from `directory`'s state; nil when there is none.
    static func restore(_ trainer: Trainer, generator: Generator, from directory: String) throws -> (ResumeState, best: [Tensor]?)? {
        let path = directory + "/" + fileName
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let file = try SafeTensors.load(path)
        func fail(_ what: String) -> RuntimeError {
            RuntimeError(.format, "train.fit", "cannot resume from \(path): \(what) (delete it to start over)")
        }
        guard let epoch = Int(file.metadata["epoch"] ?? "") else { throw fail("it has no epoch") }
        guard epoch >= 0, epoch <= 1_000_000 else { throw fail("its epoch \(epoch) is out of range") }
        for (n, t) in trainer.model.namedParameters() + trainer.model.namedBuffers() {
            guard let stored = file["model." + n], stored.shape == t.shape else { throw fail("it was written for another model ('\(n)')") }
            try t.copy(from: stored)
        }
        var scalars: [String: String] = [:]
        for (k, v) in file.metadata where k.hasPrefix("optim.") { scalars[String(k.dropFirst(6))] = v }
        let optimTensors = file.tensors.filter { $0.name.hasPrefix("optim.") }.map { (name: String($0.name.dropFirst(6)), tensor: $0.tensor) }
        do { try trainer.optimizer.loadState(tensors: optimTensors, scalars: scalars) } catch { throw fail("\(error)") }
        let bestCount = Int(file.metadata["best_count"] ?? "") ?? 0
        var best: [Tensor]?
        if bestCount > 0 {
            best = try (1...bestCount).map { i in
                guard let t = file["best.\(i)"] else { throw fail("it lacks best.\(i)") }
                return try t.clone()
            }
        }
        for (k, a) in trainer.averages.enumerated() {
            for (i, t) in a.averages.enumerated() {
                guard let stored = file["average\(k + 1).\(i + 1)"] else { throw fail("it holds no state for average \(k + 1)") }
                try t.copy(from: stored)
            }
            a.updates = Int(file.metadata["average\(k + 1).updates"] ?? "") ?? a.updates
        }
        for (k, s) in trainer.schedules.enumerated() {
            if let saved = file.metadata[k == 0 ? "schedule" : "schedule\(k + 1)"] { s.restore(saved) }
        }
        let words = (file.metadata["generator"] ?? "").split(separator: " ").compactMap { UInt64($0) }
        guard words.count >= 4 else { throw fail("it has no generator state") }
        generator.state = Generator.State(s: (words[0], words[1], words[2], words[3]),
                                          spareNormal: words.count > 4 ? Double(bitPattern: words[4]) : nil)
        var h = TrainingHistory()
        var bestScore = -Double.infinity
        if let data = file.metadata["history"]?.data(using: .utf8),
           let d = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
            func doubles(_ k: String) -> [Double] { ((d[k] as? [NSNumber]) ?? []).map { Double(bitPattern: $0.uint64Value) } }
            h.loss = doubles("loss"); h.trainAccuracy = doubles("train_acc")
            h.validationAccuracy = doubles("val_acc"); h.learningRate = doubles("lr")
            h.trainLoss = doubles("train_loss"); h.validationLoss = doubles("val_loss"); h.updateRatio = doubles("update_ratio")
            h.bestValidationLoss = (d["best_val_loss"] as? NSNumber).map { Double(bitPattern: $0.uint64Value) }
            h.bestEpoch = (d["best_epoch"] as? NSNumber).flatMap { Int(checked: $0.doubleValue) }.map { Swift.max($0, 0) } ?? 0
            h.bestValidationAccuracy = Double(bitPattern: (d["best"] as? NSNumber)?.uint64Value ?? (-Double.infinity).bitPattern)
            // (a state written before the score was kept: the accuracy was the score)
            bestScore = (d["best_score"] as? NSNumber).map { Double(bitPattern: $0.uint64Value) } ?? h.bestValidationAccuracy
            h.seconds = Double(bitPattern: (d["seconds"] as? NSNumber)?.uint64Value ?? 0)
            h.skippedSteps = (d["skipped"] as? NSNumber).flatMap { Int(checked: $0.doubleValue) }.map { Swift.max($0, 0) } ?? 0
            trainer.skippedTotal = h.skippedSteps
        }
        // (saved mid-epoch, the history also holds that point's evaluation: one entry per whole epoch is kept)
        let iteration = Int(file.metadata["iteration"] ?? "") ?? 0
        if iteration > 0 {
            h.trainAccuracy = Array(h.trainAccuracy.prefix(epoch))
            h.learningRate = Array(h.learningRate.prefix(epoch))
            h.validationAccuracy = Array(h.validationAccuracy.prefix(epoch))
            h.trainLoss = Array(h.trainLoss.prefix(epoch))
            h.validationLoss = Array(h.validationLoss.prefix(epoch))
            h.updateRatio = Array(h.updateRatio.prefix(epoch))
        }
        return (ResumeState(epoch: epoch, iteration: iteration, history: h, bestScore: bestScore), best)
    }
}

extension Schedule {
    /// The schedule's counters as one string (bit patterns: restoring is exact).
    var savedState: String {
        [String(state.t), String((state.best ?? .nan).bitPattern), String(state.badSteps), String(state.cooling)].joined(separator: " ")
    }

    func restore(_ saved: String) {
        let w = saved.split(separator: " ")
        guard w.count == 4, let t = Int(w[0]), let b = UInt64(w[1]), let bad = Int(w[2]), let c = Int(w[3]) else { return }
        let best = Double(bitPattern: b)
        state = ScheduleState()
        state.t = t
        state.best = best.isNaN ? nil : best
        state.badSteps = bad
        state.cooling = c
    }
}
