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

/// x·σ(x), the SiLU (swish) of today's MLP blocks.
public final class SiLU: Module {
    override public func forward(_ x: Tensor) throws -> Tensor { try x.silu() }
    override public var summary: String { "SiLU" }
}

/// log(1 + e^(βx))/β, linear above the threshold.
public final class Softplus: Module {
    public let beta: Double, threshold: Double
    public init(beta: Double = 1, threshold: Double = 20) throws {
        guard beta > 0 else { throw RuntimeError(.argument, "Softplus", "beta must be positive, got \(beta)") }
        (self.beta, self.threshold) = (beta, threshold)
    }
    override public var config: [String: Double] { ["beta": beta, "threshold": threshold] }
    override public func forward(_ x: Tensor) throws -> Tensor { try x.softplus(beta: beta, threshold: threshold) }
    override public var summary: String { "Softplus" }
}

/// Its input, unchanged: a placeholder where a block may have a layer.
public final class Identity: Module {
    override public func forward(_ x: Tensor) throws -> Tensor { x }
    override public var summary: String { "Identity" }
}

extension SiLU {
    public static let kind = LayerKind("SiLU", signature: "nn.SiLU()", help: "x·σ(x) (swish).") { _ in SiLU() }
}

extension Softplus {
    public static let kind = LayerKind("Softplus", signature: "nn.Softplus([{beta=1, threshold=20}])",
        help: "log(1 + e^(beta·x))/beta, and x where beta·x > threshold, as PyTorch's.",
        options: [.init("beta", .number, default: 1), .init("threshold", .number, default: 20)]) { a in
        try Softplus(beta: a.number("beta", default: 1), threshold: a.number("threshold", default: 20))
    }
}

extension Identity {
    public static let kind = LayerKind("Identity", signature: "nn.Identity()", help: "Its input, unchanged.") { _ in Identity() }
}
