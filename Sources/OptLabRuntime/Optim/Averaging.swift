/// Running averages of the parameters for evaluation (the notes' "running
/// average of parameters", "an extra percent or two"):
///
/// ```
/// ema:    avg = decay · avg + (1 − decay) · x   after each step
/// polyak: avg = avg + (x − avg) / n            (the plain mean of every iterate)
/// ```
/// `model()` gives a copy of the model holding the averages.
public final class ParameterAverage {
    public enum Kind: Equatable, Sendable { case ema(decay: Double), polyak }

    public let kind: Kind
    let source: Module
    let averages: [Tensor]
    public internal(set) var updates = 0

    public init(_ model: Module, kind: Kind) throws {
        if case .ema(let d) = kind, !(d > 0 && d < 1) {
            throw RuntimeError(.argument, "EMA", "decay must be in (0, 1), got \(d)")
        }
        self.kind = kind
        source = model
        averages = try model.parameters().map { try $0.detach().clone() }
    }

    /// Folds the current parameters into the average (call after each step).
    public func update() throws {
        updates += 1
        let w: Double
        switch kind {
        case .ema(let d): w = 1 - d
        case .polyak: w = 1 / Double(updates)
        }
        try Tensor.withNoGrad {
            for (a, p) in zip(averages, source.parameters()) {
                try a.addInPlace(p.sub(a), alpha: w)
            }
        }
    }

    /// A copy of the model with the averaged parameters (buffers as they are now).
    public func model() throws -> Module {
        let m = try source.clone()
        for (dst, src) in zip(m.parameters(), averages) { try dst.copy(from: src) }
        m.evaluate()
        return m
    }
}

extension ParameterAverage {
    /// What config.json records of it.
    public var settings: [String: Any] {
        switch kind {
        case .ema(let decay): return ["name": "EMA", "decay": decay]
        case .polyak: return ["name": "Polyak"]
        }
    }
}
