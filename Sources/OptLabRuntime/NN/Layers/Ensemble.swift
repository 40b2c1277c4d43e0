import Foundation

/// Averages the class probabilities of its members (the notes' "model
/// ensembles"): out = log(mean_i softmax(m_i(x))), so the result can be fed
/// to argmax, or to a cross-entropy as log-probabilities.
public final class Ensemble: Module {
    public init(_ members: [Module]) throws {
        guard !members.isEmpty else { throw RuntimeError(.argument, "Ensemble", "needs at least one model") }
        super.init()
        for (i, m) in members.enumerated() { addChild(String(i + 1), m) }
    }

    override public func forward(_ x: Tensor) throws -> Tensor {
        var sum: Tensor?
        for (_, m) in children {
            let p = try m.forward(x).softmax(dim: -1)
            sum = try sum.map { try $0.add(p) } ?? p
        }
        guard let sum else { throw RuntimeError(.argument, "Ensemble", "needs at least one model") }
        return try sum.div(Double(children.count)).log()
    }

    override public var summary: String { "Ensemble of \(children.count) models" }

    /// Builds an ensemble from checkpoint files.
    public static func load(_ paths: [String]) throws -> Ensemble {
        let e = try Ensemble(paths.map { try Module.load(from: $0).model })
        e.evaluate()
        return e
    }
}

extension Ensemble {
    public static let kind = LayerKind("Ensemble", signature: "nn.Ensemble{model, model, ...}",
        help: "Averages the class probabilities of its members (returns log-probabilities).",
        takesChildren: true, inLua: false) { a in try Ensemble(a.children) }
}
