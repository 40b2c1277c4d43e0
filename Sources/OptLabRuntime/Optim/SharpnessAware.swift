/// Sharpness-aware minimisation (Foret et al. 2021; ASAM, Kwon et al. 2021),
/// as the common reference (github.com/davda54/sam, sam.py): the gradient is
/// taken again at the worst nearby weights w + e(w), and the optimizer's own
/// rule steps from w with it.
/// ```
/// e = rho · s·g / ‖s·g‖,  s = 1, or |w| with adaptive (ASAM: e = rho·w²·g/‖|w|·g‖)
/// ```
/// (the norm over every parameter together, plus 1e-12). Two passes a step:
/// `perturb()` after the first backward, the second forward and backward at
/// w + e, then `restore()` and the usual step.
public struct SharpnessAware: Sendable {
    public let rho: Double, adaptive: Bool
    public init(rho: Double, adaptive: Bool) throws {
        guard rho > 0, rho.isFinite else { throw RuntimeError(.argument, "optim.SAM", "rho must be positive, got \(rho.shortDescription)") }
        (self.rho, self.adaptive) = (rho, adaptive)
    }
}

extension Optimizer {
    /// Moves every parameter with a gradient to w + e(w) and remembers w.
    public func perturb() throws {
        guard let sam = sharpness else { return }
        let held = parameters.filter { $0.requiresGrad && $0.grad != nil }
        var total = 0.0
        let grads = try held.map { p -> Tensor in
            let g = try p.grad!.to(p.dtype)
            let s = sam.adaptive ? try p.abs().mul(g) : g
            let n = try s.norm().item()
            total += n * n
            return g
        }
        let scale = sam.rho / (total.squareRoot() + 1e-12)
        perturbedFrom = try held.map { try $0.clone() }
        var moved = 0.0
        for (p, g) in zip(held, grads) {
            let e = sam.adaptive ? try p.mul(p).mul(g).mul(scale) : try g.mul(scale)
            let n = Optimizer.norm(e)
            moved += n * n
            try p.copy(from: p.add(e))
        }
        lastPerturbationNorm = moved.squareRoot()
        perturbedParameters = held
    }

    /// SAM's second pass: to w + e(w), the gradients forgotten, `pass` (a
    /// forward and backward pass) there, and back to w, even when it throws.
    /// Nothing for an optimizer that is not sharpness-aware.
    public func sharpnessPass(_ pass: () throws -> Void) throws {
        guard sharpness != nil else { return }
        try perturb()
        zeroGrad()
        do { try pass() } catch { try? restore(); throw error }
        try restore()
    }

    /// Puts the weights back where `perturb` found them.
    public func restore() throws {
        for (p, w) in zip(perturbedParameters, perturbedFrom) { try p.copy(from: w) }
        (perturbedParameters, perturbedFrom) = ([], [])
    }
}
