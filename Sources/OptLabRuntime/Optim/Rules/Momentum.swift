import CKernels

/// SGD with momentum, as the notes write it:
/// ```
/// v = mu * v - lr * dx
/// x += v
/// ```
public struct MomentumRule: UpdateRule {
    public let mu: Double
    public init(mu: Double) { self.mu = mu }
    public var name: String { "SGD+momentum" }
    public var hyperparameters: [String: Double] { ["momentum": mu, "nesterov": 0] }
    public var stateNames: [String] { ["velocity"] }
    public func validate() throws { try require(mu, "momentum", in: 0..<1) }
    public func withMomentum(_ mu: Double) -> (any UpdateRule)? { MomentumRule(mu: mu) }

    public func update<T: FloatElement>(_ x: UnsafeMutablePointer<T>, _ dx: UnsafePointer<T>, _ s: [UnsafeMutablePointer<T>],
                                        count n: Int, lr: Double, t: Int) -> Double {
        let lrT = T(lr), m = T(mu), v = s[0]
        let (X, G, Vel) = (Lanes(x), Lanes(dx), Lanes(v))
        return updateLoop(n, lanes: { i in
            let vi = m * Vel[i] - lrT * G[i]
            Vel[i] = vi
            X[i] = X[i] + vi
            return vi
        }) { i in v[i] = m * v[i] - lrT * dx[i]; x[i] += v[i]; return v[i] }
    }

    /// f32 runs CKernels' vector loop (the same formula and bits, sixteen
    /// lanes wide where the CPU has AVX-512).
    public func apply(_ x: UnsafeMutablePointer<Float>, _ dx: UnsafePointer<Float>, _ s: [UnsafeMutablePointer<Float>],
                      count n: Int, lr: Double, t: Int) -> Double {
        elementwiseKernel(6, x, dx, s[0], s[0], n, (Float(mu), Float(lr), 0, 0, 0, 0, 0, 0))
    }
}

extension UpdateRule where Self == MomentumRule {
    public static func momentum(mu: Double) -> MomentumRule { MomentumRule(mu: mu) }
}
