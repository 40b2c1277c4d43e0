/// A data loss, averaged over the batch: one registered kind (`Losses.all`)
/// with its settings. The regularisation term is kept apart (`l2Penalty`), so
/// a gradient check can test each on its own.
///
/// ```swift
/// let loss = try Loss.softmaxCrossEntropy(model(batch), labels)
/// ```
public struct Loss: Sendable, Equatable, CustomStringConvertible {
    public let rule: any LossRule

    public init(_ rule: any LossRule) { self.rule = rule }

    /// "SoftmaxCrossEntropy", or with its settings: "MulticlassSVM(margin 2.0)".
    public var name: String { rule.summary }
    public var description: String { name }
    public var targets: LossTargets { rule.targets }

    /// The loss at initialisation when scores are near zero (ln C for softmax,
    /// margin·(C−1) for the SVM), for the sanity check; nil when there is none.
    public func chanceLoss(classes: Int) -> Double? { rule.chanceLoss(classes: classes) }

    /// - Parameters:
    ///   - scores: [N, C] for the classification losses; any shape for the others.
    ///   - targets: N labels (0-based) for classification; a tensor of the scores' shape otherwise.
    public func callAsFunction(_ scores: Tensor, _ targets: Tensor) throws -> Tensor { try rule.loss(scores, targets) }

    public static func == (a: Loss, b: Loss) -> Bool {
        type(of: a.rule) == type(of: b.rule) && a.rule.config == b.rule.config
    }
}

/// One kind of data loss: its formula over a batch. Each is one file in
/// NN/Losses with its declaration (`kind`), listed in `Losses.all`.
public protocol LossRule: Sendable {
    /// Its name with its settings, as printed: "SoftmaxCrossEntropy(label_smoothing 0.1)".
    var summary: String { get }
    /// The settings that rebuild it, by option name.
    var config: [String: Double] { get }
    /// What the targets are.
    var targets: LossTargets { get }
    /// The operation its messages name ("softmax_cross_entropy").
    var operation: String { get }
    func chanceLoss(classes: Int) -> Double?
    /// The label (0-based) whose rows count for nothing, for losses over class indices.
    var ignoredLabel: Int? { get }
    func loss(_ scores: Tensor, _ targets: Tensor) throws -> Tensor
}

extension LossRule {
    public var config: [String: Double] { [:] }
    public func chanceLoss(classes: Int) -> Double? { nil }
    public var ignoredLabel: Int? { nil }
}

extension ConstructorArguments {
    /// `ignore_index` as written in Lua (1-based, any integer: PyTorch's −100
    /// works), 0-based; nil when not given.
    func ignoredLabel() throws -> Int? {
        guard let v = numbers["ignore_index"] else { return nil }
        guard let i = Int(exactly: v), Swift.abs(i) < 1 << 31 else {
            throw RuntimeError(.argument, layer, "ignore_index must be an integer label, got \(v.shortDescription)")
        }
        return i - 1
    }
}

/// What a loss compares the scores with.
public enum LossTargets: Sendable, Equatable {
    /// One class index per row of [N, C] scores (1-based in Lua, 0-based below).
    case classIndices
    /// A tensor of the scores' shape.
    case values
}

/// A loss's declaration: `nn.<name>{options}` and its help are made from it.
public typealias LossKind = Declaration<Loss, Void>

extension Declaration where Made == Loss, Traits == Void {
    public init(_ name: String, signature: String, help: String, options: [Parameter] = [],
                make: @escaping @Sendable (ConstructorArguments) throws -> Loss) {
        self.init(name, signature: signature, help: help, options: options, traits: (), make: make)
    }
}
