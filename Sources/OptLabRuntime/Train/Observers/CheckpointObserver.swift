/// Each epoch's checkpoint, named with its score (`ep005_val0.8812.safetensors`;
/// the best `keep` and the last stay), and, once the epoch is final,
/// `resume.safetensors`: what `resume = true` carries on from, bit for bit.
final class CheckpointObserver: TrainingObserver {
    let directory: String
    init(directory: String) { self.directory = directory }

    func epochEnded(_ run: TrainingRun) throws {
        let (metric, value) = run.checkpointScore
        try RunFolder(directory).checkpoint(run.trainer.model, epoch: run.epoch, metric: metric, value: value, keep: run.trainer.options.keep)
    }

    func epochCommitted(_ run: TrainingRun) throws -> String? {
        try ResumeState.save(run, to: directory)
        return nil
    }
}
