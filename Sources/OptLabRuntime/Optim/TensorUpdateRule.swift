/// An update rule that works on whole tensors rather than raw buffers: a
/// rule written in Lua (`optim.Optimizer:extend`). It keeps its own
/// per-parameter state, and hands it over for saving as named tensors and
/// numbers, so `opt:save`/`opt:load` and `resume` treat it as the built-ins'.
public protocol TensorUpdateRule: UpdateRule {
    /// Updates `parameter` in place from `gradient` (the optimizer's index of
    /// the parameter, its group's rate, the step number from 1); runs without
    /// recording.
    func update(parameter: Tensor, gradient: Tensor, index: Int, learningRate: Double, step: Int) throws
    func stateTensors() -> [(name: String, tensor: Tensor)]
    func stateScalars() -> [String: String]
    func loadState(tensors: [(name: String, tensor: Tensor)], scalars: [String: String]) throws
}

extension TensorUpdateRule {
    /// Not called: the optimizer calls `update` for these rules.
    public func update<T: FloatElement>(_ x: UnsafeMutablePointer<T>, _ dx: UnsafePointer<T>, _ state: [UnsafeMutablePointer<T>],
                                        count n: Int, lr: Double, t: Int) -> Double { 0 }
}

/// Gradient clipping by the global norm (PyTorch's `clip_grad_norm_`): when
/// ‖g‖₂ over every gradient exceeds `maxNorm`, every gradient is scaled by
/// maxNorm / (‖g‖₂ + 1e-6). Returns the norm before clipping.
@discardableResult
public func clipGradientNorm(_ parameters: [Tensor], maxNorm: Double) throws -> Double {
    guard maxNorm > 0, maxNorm.isFinite else { throw RuntimeError(.argument, "clip_grad_norm", "max_norm must be positive, got \(maxNorm)") }
    var total = 0.0
    for p in parameters { if let g = p.grad { let n = Optimizer.norm(g); total += n * n } }
    let norm = total.squareRoot()
    let coefficient = maxNorm / (norm + 1e-6)
    if coefficient < 1 { for p in parameters { p.grad?.scaleInPlace(coefficient) } }
    return norm
}
