/// Softmax and log-softmax along a dimension, computed stably (the largest
/// value is subtracted before exponentiating).
extension Tensor {
    /// exp(x_i − max) / Σ_j exp(x_j − max) along `dim`.
    public func softmax(dim: Int = -1) throws -> Tensor {
        try softmaxFamily(dim: dim, log: false)
    }

    /// x_i − max − log Σ_j exp(x_j − max) along `dim`.
    public func logSoftmax(dim: Int = -1) throws -> Tensor {
        try softmaxFamily(dim: dim, log: true)
    }

    private func softmaxFamily(dim: Int, log: Bool) throws -> Tensor {
        let op = log ? "log_softmax" : "softmax"
        try requireFloat(op)
        let d = try normalizedDim(dim, op: op)
        let L = ReductionLayout(shape, dim: d, keepDim: true)
        let out = try Tensor(uninitialized: shape, dtype: dtype)
        if dtype == .f32 {
            softmaxKernel(L, ptr(Float.self), out.ptr(Float.self), log: log)
        } else {
            softmaxKernel(L, ptr(Double.self), out.ptr(Double.self), log: log)
        }
        let y = out.detach()
        return Tensor.record(op, out, [self]) { g, _ in
            if log {  // dx = g − softmax · Σ g
                return [try g.sub(y.exp().mul(g.sum(dim: d, keepDim: true)))]
            }
            // dx = y ⊙ (g − Σ g⊙y)
            return [try y.mul(g.sub(g.mul(y).sum(dim: d, keepDim: true)))]
        }
    }
}

func softmaxKernel<T: FloatElement>(_ L: ReductionLayout, _ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, log: Bool) {
    for o in 0..<L.outer {
        for i in 0..<L.inner {
            let base = o * L.n * L.inner + i
            var m = -T.infinity
            for k in 0..<L.n { m = Swift.max(m, x[base + k * L.inner]) }
            if !m.isFinite { m = 0 }  // all −inf (or a +inf): let the arithmetic give NaN/0 honestly
            var s: T = 0
            for k in 0..<L.n {
                let e = T.exp(x[base + k * L.inner] - m)
                y[base + k * L.inner] = e
                s += e
            }
            if log {
                let ls = T.log(s)
                for k in 0..<L.n { y[base + k * L.inner] = x[base + k * L.inner] - m - ls }
            } else {
                let inv = 1 / s
                for k in 0..<L.n { y[base + k * L.inner] *= inv }
            }
        }
    }
}
