/// How a tensor was made: the op's name, its inputs, and how to send a
/// gradient back to them.
///
/// Every differentiable op has the same shape (micrograd's): compute the
/// output, then `record` a closure that maps the output's gradient to one
/// gradient per input (nil where the input needs none). The engine adds
/// those into the inputs, so an input used twice receives the sum.
final class GradNode {
    let op: String
    var inputs: [Tensor]
    /// Given the output gradient and which inputs need one, the input gradients.
    /// Nil once `backward()` has freed the graph.
    var backward: ((Tensor, [Bool]) throws -> [Tensor?])?
    /// The tensors whose values the backward closure reads, with the version
    /// of their storage when the op ran.
    /// (The storages, not the tensors: holding the output itself would be a
    /// cycle, and a tensor's storage may be swapped, as the gradient check does.
    /// Emptied with the graph.)
    var saved: [(storage: Storage, version: Int)]

    init(op: String, inputs: [Tensor], saved: [Tensor], backward: @escaping (Tensor, [Bool]) throws -> [Tensor?]) {
        self.op = op
        self.inputs = inputs
        self.saved = saved.map { ($0.storage, $0.storage.version) }
        self.backward = backward
    }

    /// Throws when a saved tensor was changed in place since the op ran.
    func checkSaved() throws {
        for s in saved where s.storage.version != s.version {
            let what = inputs.firstIndex { $0.storage === s.storage }.map { "input \($0 + 1)" } ?? "a value"
            throw RuntimeError(.autograd, "backward", "\(what) that '\(op)' saved for its gradient was modified by an in-place operation "
                               + "(version \(s.storage.version), saved at \(s.version)); change it after backward(), or clone() it first")
        }
    }
}

/// Whether ops record graph nodes, on this thread. Off inside
/// `Tensor.withNoGrad` and while the engine runs backward closures.
public enum GradMode {
    static var enabled: Bool {
        get { ThreadState.current.gradEnabled }
        set { ThreadState.current.gradEnabled = newValue }
    }

    public static var isEnabled: Bool { enabled }
}

extension Tensor {
    /// Runs `body` without recording graph nodes (evaluation, optimizer steps).
    public static func withNoGrad<R>(_ body: () throws -> R) rethrows -> R {
        let saved = GradMode.enabled
        GradMode.enabled = false
        defer { GradMode.enabled = saved }
        return try body()
    }

    /// Whether an op on these inputs records a node. Hot ops test this before
    /// building their backward closure, so that inference allocates nothing extra.
    @inline(__always)
    static func recording(_ a: Tensor, _ b: Tensor? = nil) -> Bool {
        (a.requiresGrad || (b?.requiresGrad ?? false)) && GradMode.enabled
    }

    /// Attaches `backward` to `out` if grad mode is on and any input needs grad.
    /// Closures must not capture `out` itself (that would be a cycle): save
    /// `out.detach()` instead. `saving` lists the tensors whose values the
    /// closure reads (nil: the inputs and the output, the safe assumption);
    /// an in-place change to one of them before backward is an error there.
    @discardableResult
    static func record(_ op: String, _ out: Tensor, _ inputs: [Tensor], saving: [Tensor]? = nil,
                       _ backward: @escaping (Tensor, [Bool]) throws -> [Tensor?]) -> Tensor {
        guard inputs.contains(where: { $0.requiresGrad }), GradMode.enabled else { return out }
        out.requiresGrad = true
        out.node = GradNode(op: op, inputs: inputs, saved: saving ?? (inputs + [out]), backward: backward)
        return out
    }
}
