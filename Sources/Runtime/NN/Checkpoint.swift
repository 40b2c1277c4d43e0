import Foundation

/// Models on disk: safetensors with the weights (and buffers) under their
/// parameter names, and the architecture as JSON in the metadata, so that
/// loading rebuilds the model by construction and runs no code from the file.
extension Module {
    public static let architectureKey = "optlab.architecture"

    /// Writes the model atomically; `metadata` adds string entries (epoch, score).
    public func save(to path: String, metadata: [String: String] = [:]) throws {
        var meta = metadata
        meta[Module.architectureKey] = try ModuleSpec(self).json()
        let tensors = (namedParameters() + namedBuffers()).map { (name: $0.name, tensor: $0.tensor) }
        try SafeTensors.save(tensors, metadata: meta, to: path)
    }

    /// Rebuilds a model saved by `save(to:)`; the metadata comes back too.
    public static func load(from path: String) throws -> (model: Module, metadata: [String: String]) {
        let file = try SafeTensors.load(path)
        guard let arch = file.metadata[architectureKey] else {
            throw RuntimeError(.format, "nn.load", "\(path) has no architecture in its metadata (was it written by model:save?)")
        }
        let model = try ModuleSpec(json: arch).build()
        for (name, t) in model.namedParameters() + model.namedBuffers() {
            guard let stored = file[name] else {
                throw RuntimeError(.format, "nn.load", "\(path) lacks tensor '\(name)'")
            }
            guard stored.shape == t.shape else {
                throw RuntimeError(.format, "nn.load", "tensor '\(name)' has shape \(describe(stored.shape)) in \(path), the architecture says \(describe(t.shape))")
            }
            try t.copy(from: stored)
        }
        if let first = file.tensors.first?.tensor, first.dtype != .f32 { try model.to(first.dtype) }
        var meta = file.metadata
        meta[architectureKey] = nil
        return (model, meta)
    }
}

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
