/// A rule whose update needs a parameter whole rather than element by
/// element: Muon orthogonalises the matrix, Adafactor keeps row and column
/// statistics, NAdam carries a running product of its momentum schedule.
/// Its state tensors may have their own shapes (a [1] scalar, a row of
/// column means); the optimizer creates, saves and loads them as any rule's.
/// (Every rule may refuse a parameter, start its state otherwise than at
/// zero or decay the weights itself: those are `UpdateRule`'s.)
public protocol WholeTensorRule: UpdateRule {
    /// The shapes of the state tensors (named by `stateNames`) for a parameter of `shape`.
    func stateShapes(for shape: [Int]) -> [[Int]]
    /// One update of `x` in place from `g`, with its state; returns Σ(update²).
    /// `weightDecay` is the group's, for a rule that `decaysWeightsItself`.
    func update(_ x: Tensor, _ g: Tensor, _ state: [Tensor], lr: Double, t: Int, weightDecay: Double) throws -> Double
}

extension WholeTensorRule {
    public func stateShapes(for shape: [Int]) -> [[Int]] { stateNames.map { _ in shape } }
    public func initialState(for shape: [Int], dtype: DType) throws -> [Tensor] {
        try stateShapes(for: shape).map { try Tensor.zeros($0, dtype: dtype) }
    }

    /// Not called: the optimizer calls the tensor `update` for these rules.
    public func update<T: FloatElement>(_ x: UnsafeMutablePointer<T>, _ dx: UnsafePointer<T>, _ state: [UnsafeMutablePointer<T>],
                                        count n: Int, lr: Double, t: Int) -> Double { 0 }
}

/// An elementwise pass over a whole parameter, spread over the threads as
/// the optimizer spreads the elementwise rules: `body(x, g, state, range)`
/// updates that range and returns its Σu².
func elementwisePass(_ x: Tensor, _ g: Tensor, _ state: [Tensor],
                     f32: (UnsafeMutablePointer<Float>, UnsafePointer<Float>, [UnsafeMutablePointer<Float>], Int) -> Double,
                     f64: (UnsafeMutablePointer<Double>, UnsafePointer<Double>, [UnsafeMutablePointer<Double>], Int) -> Double) -> Double {
    let n = x.count
    if x.dtype == .f32 {
        let (p, d, s) = (x.ptr(Float.self), g.ptr(Float.self), state.map { $0.ptr(Float.self) })
        return Parallel.sum(n, grain: Optimizer.grain) { r in f32(p + r.lowerBound, d + r.lowerBound, s.map { $0 + r.lowerBound }, r.count) }
    }
    let (p, d, s) = (x.ptr(Double.self), g.ptr(Double.self), state.map { $0.ptr(Double.self) })
    return Parallel.sum(n, grain: Optimizer.grain) { r in f64(p + r.lowerBound, d + r.lowerBound, s.map { $0 + r.lowerBound }, r.count) }
}
