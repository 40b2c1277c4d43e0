/// The one list of built-in layer types. Checkpoint loading, cloning, the
/// Lua constructors (`nn.<name>`) and their help are made from it: adding a
/// layer is its file (the class and its `kind`) and one line here.
public enum Layers {
    public static let all: [LayerKind] = [
        Linear.kind, Conv2d.kind, MaxPool2d.kind, AvgPool2d.kind, Flatten.kind,
        ReLU.kind, LeakyReLU.kind, GELU.kind, Tanh.kind, Sigmoid.kind, Dropout.kind, BatchNorm.kind, Maxout.kind,
        Sequential.kind, Ensemble.kind,
    ]

    /// The kind named `name` ("Linear"), or nil.
    public static func kind(named name: String) -> LayerKind? { byName[name] }

    private static let byName: [String: LayerKind] = Dictionary(all.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
}
