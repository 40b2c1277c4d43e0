/// The built-in layers. Checkpoint loading, cloning, the Lua constructors
/// (`nn.<name>`), their help and the registry tests are made from it: adding
/// a layer is its file (the class and its `kind`) and one line here.
public enum Layers {
    public static let registry = Registry<Module, LayerTraits>([
        Linear.kind, Conv2d.kind, Conv1d.kind, MaxPool2d.kind, AvgPool2d.kind, Flatten.kind,
        ReLU.kind, LeakyReLU.kind, GELU.kind, Tanh.kind, Sigmoid.kind, Dropout.kind, BatchNorm.kind, Maxout.kind,
        Sequential.kind, Ensemble.kind, Embedding.kind, LayerNorm.kind, RMSNorm.kind, SiLU.kind, Softplus.kind, Identity.kind,
        MultiheadAttention.kind, LSTM.kind, GRU.kind,
    ])

    public static var all: [LayerKind] { registry.all }

    /// The kind named `name` ("Linear"), or nil.
    public static func kind(named name: String) -> LayerKind? { registry.named(name) }
}
