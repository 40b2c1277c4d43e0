/// The parameter updates of the notes, each a pure function of one
/// parameter's gradient and state. Formulas as the notes write them
/// (dx the gradient, lr the learning rate):
///
/// ```
/// sgd:       x += -lr * dx
/// momentum:  v = mu * v - lr * dx;  x += v
/// nesterov:  v_prev = v;  v = mu * v - lr * dx;  x += -mu * v_prev + (1 + mu) * v
/// adagrad:   cache += dx²;  x += -lr * dx / (sqrt(cache) + eps)
/// rmsprop:   cache = decay * cache + (1 - decay) * dx²;  x += -lr * dx / (sqrt(cache) + eps)
/// adam:      m = b1*m + (1-b1)*dx;  v = b2*v + (1-b2)*dx²  (t counts from 1)
///            x += -lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
/// ```
/// Nesterov in this form keeps the look-ahead parameters x̃ = x + mu·v; at a
/// constant learning rate its iterates are PyTorch's `nesterov=True` ones
/// with PyTorch's buffer b = −v/lr (see the optimizer tests).
public enum UpdateRule: Equatable, Sendable {
    case sgd
    case momentum(mu: Double)
    case nesterov(mu: Double)
    case adagrad(eps: Double)
    case rmsprop(decay: Double, eps: Double)
    case adam(beta1: Double, beta2: Double, eps: Double)

    public var name: String {
        switch self {
        case .sgd: return "SGD"
        case .momentum: return "SGD+momentum"
        case .nesterov: return "SGD+Nesterov"
        case .adagrad: return "Adagrad"
        case .rmsprop: return "RMSprop"
        case .adam: return "Adam"
        }
    }

    /// Names of the per-parameter state tensors.
    var stateNames: [String] {
        switch self {
        case .sgd: return []
        case .momentum, .nesterov: return ["velocity"]
        case .adagrad, .rmsprop: return ["cache"]
        case .adam: return ["m", "v"]
        }
    }

    /// Applies one update to `x` in place; `t` is the step number (from 1).
    /// Returns Σ(update²), for the update/weight ratio.
    func apply<T: FloatElement>(_ x: UnsafeMutablePointer<T>, _ dx: UnsafePointer<T>, _ s: [UnsafeMutablePointer<T>],
                                count n: Int, lr: Double, t: Int) -> Double {
        var sq = 0.0
        let lrT = T(lr)
        switch self {
        case .sgd:
            for i in 0..<n { let u = -lrT * dx[i]; x[i] += u; sq += Double(u * u) }
        case .momentum(let mu):
            let m = T(mu), v = s[0]
            for i in 0..<n { v[i] = m * v[i] - lrT * dx[i]; x[i] += v[i]; sq += Double(v[i] * v[i]) }
        case .nesterov(let mu):
            let m = T(mu), v = s[0]
            for i in 0..<n {
                let prev = v[i]
                v[i] = m * v[i] - lrT * dx[i]
                let u = -m * prev + (1 + m) * v[i]
                x[i] += u
                sq += Double(u * u)
            }
        case .adagrad(let eps):
            let e = T(eps), c = s[0]
            for i in 0..<n { c[i] += dx[i] * dx[i]; let u = -lrT * dx[i] / (c[i].squareRoot() + e); x[i] += u; sq += Double(u * u) }
        case .rmsprop(let decay, let eps):
            let d = T(decay), e = T(eps), c = s[0]
            for i in 0..<n {
                c[i] = d * c[i] + (1 - d) * dx[i] * dx[i]
                let u = -lrT * dx[i] / (c[i].squareRoot() + e)
                x[i] += u
                sq += Double(u * u)
            }
        case .adam(let b1, let b2, let eps):
            let m = s[0], v = s[1]
            let c1 = T(1 - Foundation.pow(b1, Double(t))), c2 = T(1 - Foundation.pow(b2, Double(t)))
            let B1 = T(b1), B2 = T(b2), e = T(eps)
            for i in 0..<n {
                m[i] = B1 * m[i] + (1 - B1) * dx[i]
                v[i] = B2 * v[i] + (1 - B2) * dx[i] * dx[i]
                let u = -lrT * (m[i] / c1) / ((v[i] / c2).squareRoot() + e)
                x[i] += u
                sq += Double(u * u)
            }
        }
        return sq
    }
}

import Foundation
