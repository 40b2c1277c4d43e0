import Foundation

/// Models on disk: safetensors with the weights (and buffers) under their
/// parameter names, and the architecture as JSON in the metadata, so that
/// loading rebuilds the model by construction and runs no code from the file.
extension Module {
    public static let architectureKey = "optlab.architecture"
    /// Set instead of the architecture when the model has modules defined in Lua.
    public static let scriptDefinedKey = "optlab.script_defined"

    /// Loads the tensors of a checkpoint into this model by name (PyTorch's
    /// `load_state_dict`). Strict: every tensor of the model must be in the
    /// file with its shape, and the file must hold no others; the message
    /// lists every problem. Not strict: what matches is loaded, and the
    /// names missing or unexpected are returned.
    @discardableResult
    public func loadWeights(from path: String, strict: Bool = true, origin: WeightOrigin = .optlab) throws -> (missing: [String], unexpected: [String]) {
        let file = try SafeTensors.load(path)
        return try loadState(origin.translated(file.tensors), strict: strict, source: path, op: "load_weights")
    }

    /// The same from named tensors (`m:load_state(t)`).
    @discardableResult
    public func loadState(_ tensors: [(name: String, tensor: Tensor)], strict: Bool = true, source: String = "the state",
                          op: String = "load_state") throws -> (missing: [String], unexpected: [String]) {
        let mine = namedParameters() + namedBuffers()
        let given = Dictionary(tensors.map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
        var missing: [String] = [], wrong: [String] = []
        for (name, t) in mine {
            guard let src = given[name] else { missing.append(name); continue }
            if src.shape != t.shape { wrong.append("\(name) is \(describe(src.shape)) in \(source), \(describe(t.shape)) in the model") }
        }
        let known = Set(mine.map(\.name))
        let unexpected = tensors.map(\.name).filter { !known.contains($0) }
        if !wrong.isEmpty || (strict && (!missing.isEmpty || !unexpected.isEmpty)) {
            var parts: [String] = []
            if !missing.isEmpty { parts.append("missing " + missing.joined(separator: ", ")) }
            if !unexpected.isEmpty { parts.append("unexpected " + unexpected.joined(separator: ", ")) }
            if !wrong.isEmpty { parts.append("wrong shape: " + wrong.joined(separator: "; ")) }
            // names counted from 0 are a PyTorch state_dict's
            let torchLike = op == "load_weights" && unexpected.contains { $0.split(separator: ".").contains("0") || $0.hasSuffix("num_batches_tracked") }
            throw RuntimeError(.argument, op, "\(source) does not fit the model: " + parts.joined(separator: "; ")
                               + (torchLike ? " (a PyTorch state_dict? load it with {from = \"torch\"})" : ""))
        }
        try Tensor.withNoGrad {
            for (name, t) in mine { if let src = given[name] { try t.copy(from: src) } }
        }
        return (missing, unexpected)
    }

    /// Writes the model atomically; `metadata` adds string entries (epoch, score).
    public func save(to path: String, metadata: [String: String] = [:]) throws {
        var meta = metadata
        if isBuiltIn {
            meta[Module.architectureKey] = try ModuleSpec(self).json()
        } else {
            // no architecture to rebuild by construction: say what the model was, for nn.load's message
            meta[Module.scriptDefinedKey] = description
        }
        let tensors = (namedParameters() + namedBuffers()).map { (name: $0.name, tensor: $0.tensor) }
        try SafeTensors.save(tensors, metadata: meta, to: path)
    }

    /// Rebuilds a model saved by `save(to:)`; the metadata comes back too.
    public static func load(from path: String) throws -> (model: Module, metadata: [String: String]) {
        let file = try SafeTensors.load(path)
        guard let arch = file.metadata[architectureKey] else {
            if file.metadata[scriptDefinedKey] != nil {
                throw RuntimeError(.format, "nn.load", "\(path) holds a model with modules defined in Lua, which loading cannot rebuild "
                                   + "(it runs no code from files): build the model in your script, then model:load_weights(\"\(path)\")")
            }
            throw RuntimeError(.format, "nn.load", "\(path) has no architecture in its metadata (was it written by model:save?)")
        }
        // Everything the architecture needs is checked against the file's
        // tensors before the model is built: a few bytes of JSON must not make
        // it allocate (and initialise) gigabytes the file does not hold.
        let spec: ModuleSpec
        do { spec = try ModuleSpec(json: arch) } catch let e as RuntimeError {
            throw RuntimeError(e.kind, "nn.load", "\(path): \(e.message)")
        }
        let needed = try spec.tensorShapes()
        let stored = Dictionary(file.tensors.map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
        var problems: [String] = []
        for (name, shape) in needed {
            guard let t = stored[name] else { problems.append("lacks tensor '\(name)'"); continue }
            if t.shape != shape { problems.append("has tensor '\(name)' of shape \(describe(t.shape)), the architecture needs \(describe(shape))") }
        }
        let neededNames = Set(needed.map(\.name))
        for (name, _) in file.tensors where !neededNames.contains(name) {
            problems.append("has tensor '\(name)', which the architecture does not")
        }
        let dtypes = Set(file.tensors.map(\.tensor.dtype))
        if let odd = dtypes.first(where: { !$0.isFloatingPoint }) { problems.append("holds \(odd) tensors; a model's are f32 or f64") }
        if dtypes.count > 1 { problems.append("mixes dtypes (\(dtypes.map(\.rawValue).sorted().joined(separator: ", "))); a model's tensors share one") }
        if !problems.isEmpty {
            let shown = problems.prefix(5).joined(separator: "; ") + (problems.count > 5 ? "; and \(problems.count - 5) more" : "")
            throw RuntimeError(.format, "nn.load", "\(path) does not fit its own architecture: it \(shown)")
        }
        let model = try spec.build()
        // in the file's dtype before the values are copied in: an f64 model copied into f32 first lost its last bits
        if let dtype = dtypes.first, dtype != .f32 { try model.to(dtype) }
        let built = model.namedParameters() + model.namedBuffers()
        guard built.map(\.name) == needed.map(\.name), zip(built, needed).allSatisfy({ $0.tensor.shape == $1.shape }) else {
            throw RuntimeError(.format, "nn.load", "the model built from \(path) does not have the tensors its layers declare (an optlab bug: please report it)")
        }
        for (name, t) in built { try t.copy(from: stored[name]!) }
        var meta = file.metadata
        meta[architectureKey] = nil
        return (model, meta)
    }
}

/// Who wrote a checkpoint's names: optlab, or PyTorch's `state_dict` (saved
/// with the safetensors package), whose containers count children from 0
/// where optlab's Sequential counts from 1, and whose BatchNorm keeps a
/// step counter optlab has no use for.
public enum WeightOrigin: String, Sendable {
    case optlab, torch

    func translated(_ tensors: [(name: String, tensor: Tensor)]) -> [(name: String, tensor: Tensor)] {
        guard self == .torch else { return tensors }
        return tensors.compactMap { entry in
            let parts = entry.name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            if parts.last == "num_batches_tracked" { return nil }
            // "h.0.attn.in_proj_weight" → "h.1.attn.in_proj_weight": every index one up
            let renamed = parts.map { p in Int(p).map { String($0 + 1) } ?? p }.joined(separator: ".")
            return (renamed, entry.tensor)
        }
    }
}
