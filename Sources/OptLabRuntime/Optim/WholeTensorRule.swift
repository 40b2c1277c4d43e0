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
/// updates that range and returns its Σu². Returns Σu² and the Σx² of the
/// updated x: each range is updated a block at a time and the block's
/// squares summed while it is still in cache, so the update/weight ratio
/// costs no second pass over the weights.
func elementwisePass(_ x: Tensor, _ g: Tensor, _ state: [Tensor],
                     f32: (UnsafeMutablePointer<Float>, UnsafePointer<Float>, [UnsafeMutablePointer<Float>], Int) -> Double,
                     f64: (UnsafeMutablePointer<Double>, UnsafePointer<Double>, [UnsafeMutablePointer<Double>], Int) -> Double) -> (update: Double, weight: Double) {
    let s = elementwisePass(x, g, state, probing: false, f32: f32, f64: f64)
    return (s.update, s.weight)
}

/// The same, and with `probing` also Σg² and the first state tensor's Σs²
/// after the update, from the same blocks while they are in cache: the
/// probes' gradient and moment norms without passes of their own.
func elementwisePass(_ x: Tensor, _ g: Tensor, _ state: [Tensor], probing: Bool,
                     f32: (UnsafeMutablePointer<Float>, UnsafePointer<Float>, [UnsafeMutablePointer<Float>], Int) -> Double,
                     f64: (UnsafeMutablePointer<Double>, UnsafePointer<Double>, [UnsafeMutablePointer<Double>], Int) -> Double)
    -> (update: Double, weight: Double, gradient: Double, firstState: Double) {
    let s = x.dtype == .f32 ? blockwise(x, g, state, probing, f32) : blockwise(x, g, state, probing, f64)
    return (s[0], s[1], s[2], s[3])
}

/// Elements per block: the block's parameter, gradient and two state
/// tensors stay in L1/L2 between the update and the sum of squares.
private let passBlock = 4096

@inline(__always)
private func blockwise<T: FloatElement>(_ x: Tensor, _ g: Tensor, _ state: [Tensor], _ probing: Bool,
                                        _ body: (UnsafeMutablePointer<T>, UnsafePointer<T>, [UnsafeMutablePointer<T>], Int) -> Double) -> SIMD4<Double> {
    let (p, d, s) = (x.ptr(T.self), g.ptr(T.self), state.map { $0.ptr(T.self) })
    // (a state tensor of the parameter's size: a rule's scalar state has no elements to sum here)
    let first = probing ? s.first.flatMap { state[0].count == x.count ? $0 : nil } : nil
    return Parallel.sums(x.count, grain: Optimizer.grain) { r in
        var total = SIMD4<Double>()
        var start = r.lowerBound
        // the state's pointers for each block, in one array rewritten in place (not a new one a block)
        var shifted = s
        while start < r.upperBound {
            let count = Swift.min(passBlock, r.upperBound - start)
            for k in s.indices { shifted[k] = s[k] + start }
            total[0] += body(p + start, d + start, shifted, count)
            total[1] += sumOfSquares(UnsafePointer(p + start), count)
            if probing {
                total[2] += sumOfSquares(d + start, count)
                if let first { total[3] += sumOfSquares(UnsafePointer(first + start), count) }
            }
            start += count
        }
        return total
    }
}
