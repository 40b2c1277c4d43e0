import Foundation

/// Something that watches `Trainer.fit`: told when the run begins, after
/// every step, before each epoch's evaluation, when the epoch's numbers are
/// in, and when the epoch is final (its schedule stepped: resumable from
/// there). A non-nil answer from `stepped` or `epochCommitted` stops
/// training, and says why. Every hook has a default that does nothing.
protocol TrainingObserver: AnyObject {
    func began(_ run: TrainingRun) throws
    func stepped(_ run: TrainingRun) throws -> String?
    func beforeEvaluation(_ run: TrainingRun) throws
    func epochEnded(_ run: TrainingRun) throws
    func epochCommitted(_ run: TrainingRun) throws -> String?
    func ended(_ run: TrainingRun)
}

extension TrainingObserver {
    func began(_ run: TrainingRun) throws {}
    func stepped(_ run: TrainingRun) throws -> String? { nil }
    func beforeEvaluation(_ run: TrainingRun) throws {}
    func epochEnded(_ run: TrainingRun) throws {}
    func epochCommitted(_ run: TrainingRun) throws -> String? { nil }
    func ended(_ run: TrainingRun) {}
}
