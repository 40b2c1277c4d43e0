/// What a model scores on a data set, in evaluation mode and without a graph:
/// the fraction it classifies right (for class labels) and the mean loss.
///
/// A model's prediction is the argmax of its scores; a model with a single
/// output (one logit, for two classes) predicts the second class where the
/// logit is positive. A regression set has no accuracy: the loss measures it.
public struct Evaluation: Sendable {
    /// Nil for a regression set.
    public let accuracy: Double?
    /// The mean loss over the set; nil when no loss was given.
    public let loss: Double?
}

/// Evaluates `model` on `data` in batches; `loss` (scores, targets) is
/// averaged over the examples when given.
public func evaluate(_ model: Module, _ data: Dataset, loss: ((Tensor, Tensor) throws -> Tensor)? = nil, batchSize: Int = 1000,
                     flip: Bool = false) throws -> Evaluation {
    guard data.count > 0 else { return Evaluation(accuracy: data.isClassification ? 0 : nil, loss: nil) }
    let wasTraining = model.isTraining
    model.evaluate()
    defer { model.train(wasTraining) }
    var right = 0, total = 0.0
    // a language model's blocks in batches of about 16k tokens: its activations grow with every token
    let size = data.blocks.map { Swift.max(1, 16_384 / $0.length) } ?? batchSize
    try Tensor.withNoGrad {
        for b in try data.batches(size: size) {
            var scores = try model(b.inputs)
            if flip {
                guard b.inputs.rank == 4 else {
                    throw RuntimeError(.shape, "train.accuracy", "flip needs images [N, C, H, W], got inputs of shape \(describe(b.inputs.shape))")
                }
                let draws = [Augmentation.Draw](repeating: .init(flip: true, dy: 0, dx: 0), count: b.inputs.shape[0])
                let mirrored = try model(Augmentation.apply(b.inputs, draws))
                scores = try scores.softmax(dim: 1).add(mirrored.softmax(dim: 1))
            }
            if let loss { total += try loss(scores, b.labels).item() * Double(b.labels.shape[0]) }
            if data.isClassification { right += try correct(scores, b.labels) }
        }
    }
    return Evaluation(accuracy: data.isClassification ? Double(right) / Double(data.predictionCount) : nil,
                      loss: loss == nil ? nil : total / Double(data.count))
}

/// How many of a batch's labels the scores predict: the argmax of each row,
/// or for a single logit a positive logit for class 1 (0-based). A language
/// model's [B, T, V] scores predict each of the [B, T] next tokens.
func correct(_ scores: Tensor, _ labels: Tensor) throws -> Int {
    let predicted: Tensor
    if scores.rank == 1 || (scores.rank == 2 && scores.shape[1] == 1) {
        predicted = try scores.reshape([-1]).compare(.gt, Tensor.scalar(0, dtype: scores.dtype)).to(.i32)
    } else if scores.rank > 2 && labels.shape == Array(scores.shape.dropLast()) {
        predicted = try scores.argmax(dim: scores.rank - 1)
    } else {
        predicted = try scores.argmax(dim: 1)
    }
    return Int(try predicted.compare(.eq, labels).sum().item())
}

/// Fraction of `data` the model classifies right (evaluation mode, no graph).
/// With `flip`, each image's class probabilities are averaged with those of
/// its mirror image: test-time augmentation for a model trained with
/// `augment.flip`, which has learnt both orientations.
public func accuracy(_ model: Module, _ data: Dataset, batchSize: Int = 1000, flip: Bool = false) throws -> Double {
    guard data.isClassification else {
        throw RuntimeError(.argument, "train.accuracy", "the set's targets are values (a regression set): it has no accuracy; its loss measures it")
    }
    return try evaluate(model, data, batchSize: batchSize, flip: flip).accuracy ?? 0
}
