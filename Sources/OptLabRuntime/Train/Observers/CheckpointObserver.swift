/// Each epoch's checkpoint, named with its score (`ep005_val0.8812.safetensors`),
/// and, once the epoch is final, `resume.safetensors`: what `resume = true`
/// carries on from, bit for bit.
final class CheckpointObserver: TrainingObserver {
    let directory: String
    init(directory: String) { self.directory = directory }

    func epochEnded(_ run: TrainingRun) throws {
        try RunFolder(directory).checkpoint(run.trainer.model, epoch: run.epoch, score: run.score)
    }

    func epochCommitted(_ run: TrainingRun) throws -> String? {
        try ResumeState.save(run, to: directory)
        return nil
    }
}
