/// Elementwise layers, each a thin wrapper over the tensor op (whose
/// gradient and kink recording the runtime already has).
public final class ReLU: Module {
    override public func forward(_ x: Tensor) throws -> Tensor { try x.relu() }
    override public var summary: String { "ReLU" }
}

public final class LeakyReLU: Module {
    public let slope: Double
    public init(slope: Double = 0.01) { self.slope = slope }
    override public var config: [String: Double] { ["slope": slope] }
    override public func forward(_ x: Tensor) throws -> Tensor { try x.leakyRelu(slope) }
    override public var summary: String { "LeakyReLU(\(slope))" }
}

public final class Tanh: Module {
    override public func forward(_ x: Tensor) throws -> Tensor { try x.tanh() }
    override public var summary: String { "Tanh" }
}

public final class Sigmoid: Module {
    override public func forward(_ x: Tensor) throws -> Tensor { try x.sigmoid() }
    override public var summary: String { "Sigmoid" }
}

/// [N, d1, d2, …] → [N, d1·d2·…], for going from conv layers to linear ones.
public final class Flatten: Module {
    override public func forward(_ x: Tensor) throws -> Tensor {
        guard x.rank >= 1 else { throw RuntimeError(.shape, "Flatten", "expected a batch, got a scalar") }
        return try x.reshape([x.shape[0], -1])
    }
    override public var summary: String { "Flatten" }
}

extension ReLU {
    public static let kind = LayerKind("ReLU", signature: "nn.ReLU()", help: "max(0, x).") { _ in ReLU() }
}

extension LeakyReLU {
    public static let kind = LayerKind("LeakyReLU", signature: "nn.LeakyReLU([slope=0.01])", help: "x where x > 0, else slope·x.",
        positional: [.init("slope", .number, default: 0.01)]) { a in LeakyReLU(slope: a.number("slope", default: 0.01)) }
}

extension Tanh {
    public static let kind = LayerKind("Tanh", signature: "nn.Tanh()", help: "tanh(x).") { _ in Tanh() }
}

extension Sigmoid {
    public static let kind = LayerKind("Sigmoid", signature: "nn.Sigmoid()", help: "1/(1+e^-x).") { _ in Sigmoid() }
}

extension Flatten {
    public static let kind = LayerKind("Flatten", signature: "nn.Flatten()", help: "[N, …] → [N, features].") { _ in Flatten() }
}
