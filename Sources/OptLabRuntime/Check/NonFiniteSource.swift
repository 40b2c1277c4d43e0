/// Where a NaN or infinite loss comes from, when it is not the training
/// itself: the first of the inputs, the targets and the model's parameters
/// that holds a non-finite value. `train.fit` asks before it blames the
/// learning rate, the sanity checks before they judge a loss.
public enum NonFiniteSource: Sendable {
    /// The inputs' or targets' first bad value: 1-based example and feature within the tensor given.
    case data(what: String, count: Int, example: Int, feature: Int, value: Double)
    case parameter(name: String, count: Int)

    /// The first non-finite source among `inputs`, `targets` and the model's parameters, or nil.
    public static func find(inputs: Tensor, targets: Tensor, model: Module) -> NonFiniteSource? {
        for (what, t) in [("inputs", inputs), ("targets", targets)] {
            if let bad = t.firstNonFinite() {
                let perExample = Swift.max(1, t.count / Swift.max(1, t.rank > 0 ? t.shape[0] : 1))
                return .data(what: what, count: bad.count, example: bad.index / perExample + 1, feature: bad.index % perExample + 1, value: bad.value)
            }
        }
        for p in model.namedParameters() {
            if let bad = p.tensor.firstNonFinite() { return .parameter(name: p.name, count: bad.count) }
        }
        return nil
    }

    /// "the inputs hold 1 non-finite value (the first: nan at example 6, feature 2)", within `of` ("the batch").
    public func text(of container: String? = nil) -> String {
        switch self {
        case .data(let what, let count, let example, let feature, let value):
            let owner = container.map { "\($0)'s " } ?? "the "
            return "\(owner)\(what) hold \(count) non-finite value\(count == 1 ? "" : "s") (the first: \(value.isNaN ? "nan" : String(value)) "
                + "at example \(example)\(container.map { " of \($0)" } ?? ""), feature \(feature))"
        case .parameter(let name, let count):
            return "the parameter \(name) holds \(count) non-finite value\(count == 1 ? "" : "s")"
        }
    }
}
