/// TensorBoard event files beside metrics.jsonl: the step scalars, each
/// epoch's accuracies, activation and gradient histograms per layer, weight
/// histograms, and the first layer's weights as an image.
final class TensorBoardObserver: TrainingObserver {
    let board: TensorBoardWriter

    init(directory: String) throws { board = try TensorBoardWriter(directory: directory) }

    func stepped(_ run: TrainingRun) throws -> String? {
        guard run.step % run.trainer.options.logEvery == 0 else { return nil }
        let values = RunLogObserver.stepRecord(run).filter { $0.key != "iteration" && $0.key != "epoch" && $0.key != "at" }
        try board.scalars(values.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, step: run.step)
        return nil
    }

    func beforeEvaluation(_ run: TrainingRun) throws {
        guard let watched = run.watched, let acts = watched.lastActivations else { return }
        for (i, (a, c)) in zip(acts, watched.children).enumerated() {
            try board.histogram("activations/\(i + 1) \(c.module.summary)", a, step: run.step)
            if let g = a.grad { try board.histogram("gradients/\(i + 1) \(c.module.summary)", g, step: run.step) }
        }
    }

    func epochEnded(_ run: TrainingRun) throws {
        if let a = run.trainAccuracy { try board.scalar("train_acc", a, step: run.step) }
        if let v = run.validationAccuracy { try board.scalar("val_acc", v, step: run.step) }
        if let l = run.trainLoss { try board.scalar("train_loss", l, step: run.step) }
        if let l = run.validationLoss { try board.scalar("val_loss", l, step: run.step) }
        try board.scalar("epoch_loss", run.epochLoss, step: run.step)
        for (name, p) in run.trainer.model.namedParameters() { try board.histogram("weights/" + name, p, step: run.step) }
        if let img = try? WeightImage.render(run.trainer.model) {
            try board.image("weights/first_layer", png: img.png, width: img.width, height: img.height, channels: img.channels, step: run.step)
        }
    }
}
