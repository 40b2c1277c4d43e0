/// Inverted dropout: while training, each unit is kept with probability
/// 1−p and scaled by 1/(1−p), so evaluation needs no change; the mask comes
/// from the seeded generator, so restoring its state replays the same mask.
public final class Dropout: Module {
    public let p: Double
    let generator: Generator

    public init(_ p: Double = 0.5, generator: Generator = .default) throws {
        guard p >= 0, p < 1 else { throw RuntimeError(.argument, "Dropout", "p must be in [0, 1), got \(p)") }
        self.p = p
        self.generator = generator
    }

    override public var config: [String: Double] { ["p": p] }

    override public func forward(_ x: Tensor) throws -> Tensor {
        guard isTraining, p > 0 else { return x }
        let mask = try Tensor.bernoulli(x.shape, p: 1 - p, dtype: x.dtype, generator: generator).div(1 - p)
        return try x.mul(mask)
    }

    override public var summary: String { "Dropout(\(p))" }
}

extension Dropout {
    public static let kind = LayerKind("Dropout", signature: "nn.Dropout([p=0.5])", help: """
        Inverted dropout: drops each unit with probability p while training (and
        scales the rest by 1/(1-p)); does nothing in evaluate mode. The mask comes
        from the seeded generator.
        """, positional: [.init("p", .number, default: 0.5)]) { a in try Dropout(a.number("p", default: 0.5)) }
}
