/// Modules applied in order; children are named "1", "2", … (1-based, as Lua
/// users index them), so parameters read "1.weight".
public final class Sequential: Module {
    public init(_ layers: [Module]) throws {
        super.init()
        for (i, m) in layers.enumerated() { addChild(String(i + 1), m) }
        nameParameters()
    }

    public var layers: [Module] { children.map(\.module) }

    /// Adds a layer at the end (named by its position, like the others).
    public func append(_ m: Module) throws {
        try checkCanHold(m)
        addChild(String(children.count + 1), m)
        nameParameters()
    }

    /// Set by `watch()`: keep each layer's output of the last forward pass
    /// that records gradients.
    var watching = false
    public internal(set) var lastActivations: [Tensor]?
    /// The outputs of modules called inside the layers (a Lua module's children), from the same pass.
    public internal(set) var lastInnerActivations: [(module: ObjectIdentifier, output: Tensor)] = []

    override public func forward(_ x: Tensor) throws -> Tensor {
        var h = x
        var outputs: [Tensor] = []
        // Only passes that can be differentiated are recorded: an evaluation
        // pass (no grad, batches of 1000) would otherwise keep every layer's
        // output alive until the next pass, hundreds of megabytes for a convnet.
        let watching = self.watching && GradMode.enabled
        let trace = watching ? ActivationTrace() : nil
        let outer = ThreadState.current.activationTrace
        if let trace { ThreadState.current.activationTrace = trace }
        defer {
            if trace != nil { ThreadState.current.activationTrace = outer }
        }
        for (name, m) in children {
            do {
                h = try m.forward(h)
            } catch let e as RuntimeError {
                throw RuntimeError(e.kind, e.op, "\(e.message) (in layer \(name), \(m.summary))")
            }
            if watching {
                h.retainsGrad = true
                outputs.append(h)
            }
        }
        if watching {
            lastActivations = outputs
            lastInnerActivations = trace?.outputs ?? []
        }
        return h
    }

    /// A diagram, one layer a line, with parameter counts.
    override public var summary: String {
        var lines = ["Sequential (\(parameterCount) parameters) {"]
        for (name, m) in children {
            let n = m.parameterCount
            lines.append("  (\(name)) \(m.summary)" + (n > 0 ? "  [\(n) params]" : ""))
        }
        lines.append("}")
        return lines.joined(separator: "\n")
    }
}

extension Sequential {
    public static let kind = LayerKind("Sequential", signature: "nn.Sequential{layer, layer, ...}", help: """
        Layers applied in order; parameters are named "1.weight", "1.bias", ….
          local model = nn.Sequential{nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10)}
        """, takesChildren: true) { a in try Sequential(a.children) }
}
