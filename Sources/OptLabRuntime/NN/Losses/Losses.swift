/// The built-in data losses (`nn.<name>` in Lua): adding a loss is its file
/// in NN/Losses (its `LossRule` and `kind`) and one line here.
public enum Losses {
    public static let registry = Registry<Loss, Void>([
        SoftmaxCrossEntropy.kind, NLL.kind, MulticlassSVM.kind, MSE.kind, L1.kind, Huber.kind, SmoothL1.kind, BCEWithLogits.kind, KLDiv.kind,
    ])

    public static var all: [LossKind] { registry.all }
}
