import CKernels

/// Nesterov momentum in the notes' form, on the stored look-ahead parameters
/// x̃ = x + mu·v:
/// ```
/// v_prev = v
/// v = mu * v - lr * dx
/// x += -mu * v_prev + (1 + mu) * v
/// ```
/// At a constant learning rate its iterates are PyTorch's `nesterov=True`
/// ones with PyTorch's buffer b = −v/lr (see the optimizer tests).
public struct NesterovRule: UpdateRule {
    public let mu: Double
    public init(mu: Double) { self.mu = mu }
    public var name: String { "SGD+Nesterov" }
    public var hyperparameters: [String: Double] { ["momentum": mu, "nesterov": 1] }
    public var stateNames: [String] { ["velocity"] }
    public func validate() throws { try require(mu, "momentum", in: 0..<1) }
    public func withMomentum(_ mu: Double) -> (any UpdateRule)? { NesterovRule(mu: mu) }

    public func update<T: FloatElement>(_ x: UnsafeMutablePointer<T>, _ dx: UnsafePointer<T>, _ s: [UnsafeMutablePointer<T>],
                                        count n: Int, lr: Double, t: Int) -> Double {
        let lrT = T(lr), m = T(mu), v = s[0]
        let (X, G, Vel) = (Lanes(x), Lanes(dx), Lanes(v))
        return updateLoop(n, lanes: { i in
            let prev = Vel[i]
            let vi = m * prev - lrT * G[i]
            Vel[i] = vi
            let u = -m * prev + (1 + m) * vi
            X[i] = X[i] + u
            return u
        }) { i in
            let prev = v[i]
            v[i] = m * v[i] - lrT * dx[i]
            let u = -m * prev + (1 + m) * v[i]
            x[i] += u
            return u
        }
    }

    /// f32 runs CKernels' vector loop (the same formula and bits, sixteen
    /// lanes wide where the CPU has AVX-512).
    public func apply(_ x: UnsafeMutablePointer<Float>, _ dx: UnsafePointer<Float>, _ s: [UnsafeMutablePointer<Float>],
                      count n: Int, lr: Double, t: Int) -> Double {
        elementwiseKernel(7, x, dx, s[0], s[0], n, (Float(mu), Float(lr), 0, 0, 0, 0, 0, 0))
    }
}

extension UpdateRule where Self == NesterovRule {
    public static func nesterov(mu: Double) -> NesterovRule { NesterovRule(mu: mu) }
}
