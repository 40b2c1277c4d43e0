import CKernels
import Foundation

/// One of the notes' parameter updates: a pure function of one parameter's
/// gradient and its state tensors (mlx-swift's `applySingle`).
///
/// A rule says its name, the names of its per-parameter state (what
/// checkpoints and `resume` save), and checks its hyperparameters; `apply`
/// is the formula, over a contiguous buffer. Each rule is one file in
/// `Optim/Rules`, and its Lua constructor one entry in `UpdateRules.all`
/// (`Optim/Rules/UpdateRules.swift`).
public protocol UpdateRule: Sendable {
    /// "Adam", as messages and checkpoints name it.
    var name: String { get }
    /// Names of the per-parameter state tensors, in the order `apply` gets them.
    var stateNames: [String] { get }
    /// The rule's settings by their option names (a flag as 1 or 0), what a
    /// run folder records: `["beta1": 0.9, "beta2": 0.999, "eps": 1e-8]`.
    var hyperparameters: [String: Double] { get }
    /// Throws a `RuntimeError` naming a hyperparameter out of its range.
    func validate() throws
    /// The same rule with another momentum (what a momentum schedule sets),
    /// or nil for a rule without one.
    func withMomentum(_ mu: Double) -> (any UpdateRule)?
    /// The state tensors' starting values for a parameter (zeros of its shape
    /// for each of `stateNames` unless a rule says otherwise).
    func initialState(for shape: [Int], dtype: DType) throws -> [Tensor]
    /// Throws when the rule cannot update this parameter, saying what to do instead.
    func accept(_ parameter: Tensor, name: String) throws
    /// True when the rule applies the weight decay itself, at a point of its
    /// update the optimizer's decay before the update would not match
    /// (Adafactor takes its step size from the weights before their decay).
    var decaysWeightsItself: Bool { get }
    /// The rate each element effectively steps with after step t, by probe key
    /// (`Optim/Probes.swift`: lr unless the rule adapts it).
    func effectiveRate(_ state: [Tensor], lr: Double, t: Int) throws -> [String: Double]
    /// The diagonal the rule divides the gradient by after step t, when it has
    /// one (Adam's 1/(√v̂ + ε)), with its stability factor: full-batch training
    /// is stable while the top eigenvalue of D·H stays below factor/η.
    func preconditioner(_ state: [Tensor], t: Int) throws -> Preconditioner?
    /// The rule's own probes after step t (Muon's orthogonality residual, ...).
    func probes(_ x: Tensor, grad: Tensor?, state: [Tensor], lr: Double, t: Int) throws -> [String: Double]
    /// The formula: applies one update to `x` in place; `t` is the step
    /// number (from 1). Returns Σ(update²), for the update/weight ratio.
    func update<T: FloatElement>(_ x: UnsafeMutablePointer<T>, _ dx: UnsafePointer<T>, _ state: [UnsafeMutablePointer<T>],
                                 count n: Int, lr: Double, t: Int) -> Double
    /// `update` for each dtype. These two are what the optimizer calls: they
    /// are compiled once per rule and type (the defaults below), where a call
    /// of the generic `update` through `any UpdateRule` would run unspecialised
    /// code 25× slower.
    func apply(_ x: UnsafeMutablePointer<Float>, _ dx: UnsafePointer<Float>, _ state: [UnsafeMutablePointer<Float>],
               count n: Int, lr: Double, t: Int) -> Double
    func apply(_ x: UnsafeMutablePointer<Double>, _ dx: UnsafePointer<Double>, _ state: [UnsafeMutablePointer<Double>],
               count n: Int, lr: Double, t: Int) -> Double
}

/// A rule's diagonal preconditioner D (f64, shaped like its parameter) and the
/// factor of its edge of stability, factor/η (2 for gradient descent; Adam's
/// (2 + 2β₁)/(1 − β₁), Cohen et al. 2022).
public struct Preconditioner {
    public let diagonal: Tensor
    public let stabilityFactor: Double
}

extension UpdateRule {
    /// None: the rule steps along the gradient (or its momentum) itself.
    public func preconditioner(_ state: [Tensor], t: Int) throws -> Preconditioner? { nil }

    public func apply(_ x: UnsafeMutablePointer<Float>, _ dx: UnsafePointer<Float>, _ state: [UnsafeMutablePointer<Float>],
                      count n: Int, lr: Double, t: Int) -> Double {
        update(x, dx, state, count: n, lr: lr, t: t)
    }

    public func apply(_ x: UnsafeMutablePointer<Double>, _ dx: UnsafePointer<Double>, _ state: [UnsafeMutablePointer<Double>],
                      count n: Int, lr: Double, t: Int) -> Double {
        update(x, dx, state, count: n, lr: lr, t: t)
    }

    public var stateNames: [String] { [] }
    public var hyperparameters: [String: Double] { [:] }
    public func validate() throws {}
    public func withMomentum(_ mu: Double) -> (any UpdateRule)? { nil }
    public func initialState(for shape: [Int], dtype: DType) throws -> [Tensor] {
        try stateNames.map { _ in try Tensor.zeros(shape, dtype: dtype) }
    }
    public func accept(_ parameter: Tensor, name: String) throws {}
    public var decaysWeightsItself: Bool { false }

    /// The checks of Adam's family: beta1 and beta2 in [0, 1), eps non-negative.
    func requireMoments(beta1: Double, beta2: Double, eps: Double) throws {
        try require(beta1, "beta1", in: 0..<1)
        try require(beta2, "beta2", in: 0..<1)
        try require(eps, "eps", in: 0..<Double.infinity)
    }

    /// A hyperparameter in [lo, hi) (or (lo, hi) when `open`), else an error naming it.
    func require(_ value: Double, _ what: String, in range: Range<Double>, openBelow: Bool = false) throws {
        guard range.contains(value), !(openBelow && value == range.lowerBound) else {
            let lo = openBelow ? "(" : "["
            throw RuntimeError(.argument, name, "\(what) must be in \(lo)\(range.lowerBound.shortDescription), \(range.upperBound.shortDescription)), got \(value.shortDescription)")
        }
    }
}

extension Double {
    /// 0 and 1 rather than 0.0 and 1.0 in messages.
    var shortDescription: String { rounded() == self && Swift.abs(self) < 1e15 ? String(Int(self)) : String(self) }
}

/// The loop every rule's `update` runs: `body(i, j)` updates element i and
/// returns its step u, which `updates` stores at j of a small block; the
/// block's Σu² is then taken eight lanes at a time. (Summing u² into a Double
/// inside the update loop made it a sequential chain that no compiler may
/// vectorise; with the sum apart, both loops vectorise.) Returns Σu².
@inline(__always)
func updateLoop<T: FloatElement>(_ n: Int, _ body: (_ i: Int) -> T) -> Double {
    let block = 1024
    return withUnsafeTemporaryAllocation(of: T.self, capacity: block) { steps in
        let u = steps.baseAddress!
        var total = 0.0
        var start = 0
        while start < n {
            let count = Swift.min(block, n - start)
            for j in 0..<count { u[j] = body(start + j) }
            total += sumOfSquares(UnsafePointer(u), count)
            start += count
        }
        return total
    }
}

/// The same with the bulk in explicit eight-lane SIMD, for the rules whose
/// scalar loop the compiler will not vectorise (it cannot prove their
/// buffers apart): `lanes(i)` updates elements i..<i+8 and returns their
/// steps; `body(i)` is the same formula per element, for the tail. The same
/// IEEE operations per element either way, so the same bits.
@inline(__always)
func updateLoop<T: FloatElement>(_ n: Int, lanes: (_ i: Int) -> SIMD8<T>, _ body: (_ i: Int) -> T) -> Double {
    var sq = 0.0, i = 0
    while i + 8 <= n {
        var acc = SIMD8<T>()
        let end = Swift.min(n - 7, i + 256)
        while i < end {
            let u = lanes(i)
            acc += u * u
            i += 8
        }
        sq += Double(acc.sum())
    }
    let tail = i
    return sq + updateLoop(n - tail) { j in body(tail + j) }
}

/// Eight lanes of a rule's buffers, loaded and stored unaligned.
struct Lanes<T: FloatElement> {
    let base: UnsafeMutableRawPointer
    @inline(__always) init(_ p: UnsafeMutablePointer<T>) { base = UnsafeMutableRawPointer(p) }
    @inline(__always) init(_ p: UnsafePointer<T>) { base = UnsafeMutableRawPointer(mutating: p) }
    @inline(__always) subscript(i: Int) -> SIMD8<T> {
        get { UnsafeRawPointer(base).loadUnaligned(fromByteOffset: i * MemoryLayout<T>.stride, as: SIMD8<T>.self) }
        nonmutating set { base.storeBytes(of: newValue, toByteOffset: i * MemoryLayout<T>.stride, as: SIMD8<T>.self) }
    }
}

/// a + w·(b − a) as torch's lerp computes it (from the nearer end, so w = 1
/// gives b exactly): the rules that follow torch.optim use it where torch
/// does, so their trajectories agree to the last bits rather than drifting
/// apart by an ulp a step.
@inline(__always)
func lerp<T: FloatElement>(_ a: T, _ b: T, _ w: T) -> T {
    Swift.abs(w) < 0.5 ? a + w * (b - a) : b - (b - a) * (1 - w)
}

/// The same eight lanes at a time (the same operations, so the same bits).
@inline(__always)
func lerp<T: FloatElement>(_ a: SIMD8<T>, _ b: SIMD8<T>, _ w: T) -> SIMD8<T> {
    Swift.abs(w) < 0.5 ? a + w * (b - a) : b - (b - a) * (1 - w)
}

/// Runs one of CKernels' elementwise rule loops (`optlab_adaptive_rule_f32`,
/// rule codes in optlab_kernels.h) with its f32 constants on the stack: the
/// optimizer calls a rule once per 4096-element block, where an array of
/// constants would be an allocation each time.
@inline(__always)
func elementwiseKernel(_ rule: Int32, _ x: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, _ s0: UnsafeMutablePointer<Float>,
                       _ s1: UnsafeMutablePointer<Float>, _ n: Int, _ k: (Float, Float, Float, Float, Float, Float, Float, Float)) -> Double {
    withUnsafePointer(to: k) { $0.withMemoryRebound(to: Float.self, capacity: 8) { optlab_adaptive_rule_f32(rule, x, g, s0, s1, n, $0) } }
}
