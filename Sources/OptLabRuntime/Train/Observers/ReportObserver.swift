/// A watcher's reports (a search's pruner): the mean loss since the last
/// report `reportsPerEpoch` times an epoch, and the accuracies at its end.
/// Its answer may stop training.
final class ReportObserver: TrainingObserver {
    let report: (TrainingReport) throws -> String?
    private var reportedUpTo = 0

    init(_ report: @escaping (TrainingReport) throws -> String?) { self.report = report }

    func began(_ run: TrainingRun) throws { reportedUpTo = run.step }

    /// The mean loss since the last report (the history already holds every value).
    private func lossSinceReport(_ run: TrainingRun) -> Double {
        let recent = run.history.loss[reportedUpTo...]
        reportedUpTo = run.history.loss.count
        return recent.reduce(0, +) / Double(Swift.max(recent.count, 1))
    }

    func stepped(_ run: TrainingRun) throws -> String? {
        let perEpoch = run.iterationsPerEpoch, i = run.iteration - 1
        let marks = Swift.max(1, Swift.min(run.trainer.options.reportsPerEpoch, perEpoch))
        guard marks > 1, (i + 1) < run.iterations(inEpoch: run.epoch), (i + 1) * marks / perEpoch != i * marks / perEpoch else { return nil }
        let at = Double(run.epoch - 1) + Double((i + 1) * marks / perEpoch) / Double(marks)
        return try report(TrainingReport(at: at, epoch: run.epoch, loss: lossSinceReport(run), trainAccuracy: nil, validationAccuracy: nil))
    }

    func epochCommitted(_ run: TrainingRun) throws -> String? {
        let at = Double(run.epoch - 1) + Double(run.iterations(inEpoch: run.epoch)) / Double(run.iterationsPerEpoch)
        var r = TrainingReport(at: at, epoch: run.epoch, loss: lossSinceReport(run),
                               trainAccuracy: run.trainAccuracy, validationAccuracy: run.validationAccuracy)
        r.validationLoss = run.validationLoss
        return try report(r)
    }
}
