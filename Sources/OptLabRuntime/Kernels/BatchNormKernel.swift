import CKernels

/// Batch normalisation straight on [N, C] or [N, C, H, W] memory: per channel,
/// one pass for the sums (in Double), one for normalise-and-affine; backward in
/// two passes from the saved mean and inverse standard deviation. No permutes
/// to channels-last, no chain of temporaries; channels run in parallel.
/// f32 runs CKernels' batchnorm.c, whose sums are vectorised (a Swift float
/// sum is one scalar chain); f64 runs the loops here.
///
/// Forward (training): y = γ·(x − μ)·σ⁻¹ + β with the batch's μ and σ² (biased);
/// backward: dβ = Σg, dγ = Σg·x̂, dx = γσ⁻¹/M · (M·g − dβ − x̂·dγ), M = N·H·W.
extension Tensor {
    /// The channel layout: per channel, `batch` blocks of `plane` elements.
    struct ChannelLayout {
        let batch: Int, channels: Int, plane: Int
        var perChannel: Int { batch * plane }

        init(_ shape: [Int]) {
            batch = shape[0]
            channels = shape[1]
            plane = shape.count == 4 ? shape[2] * shape[3] : 1
        }

        /// Where channel c's block of image n starts.
        @inline(__always) func start(_ n: Int, _ c: Int) -> Int { (n * channels + c) * plane }
    }

    /// Normalises with the batch's statistics (training) and returns them:
    /// the output, each channel's mean and biased variance (as Doubles, for
    /// the running averages).
    func batchNormTraining(weight: Tensor, bias: Tensor, eps: Double) throws -> (out: Tensor, mean: [Double], variance: [Double]) {
        let x = self
        let L = ChannelLayout(shape)
        let out = try Tensor(uninitialized: shape, dtype: dtype)
        var mean = [Double](repeating: 0, count: L.channels), variance = mean
        let m = Double(L.perChannel)
        mean.withUnsafeMutableBufferPointer { meanP in
            variance.withUnsafeMutableBufferPointer { varP in
                switch dtype {
                case .f32: Tensor.batchNormForwardF32(x.ptr(Float.self), out.ptr(Float.self), weight.ptr(Float.self), bias.ptr(Float.self), L, eps, meanP, varP)
                default: Tensor.batchNormForward(x.ptr(Double.self), out.ptr(Double.self), weight.ptr(Double.self), bias.ptr(Double.self), L, m, eps, meanP, varP)
                }
            }
        }
        let invStd = variance.map { 1 / ($0 + eps).squareRoot() }
        let record = Tensor.record("batch_norm", out, [x, weight, bias], saving: [x, weight]) { g, needs in
            try Tensor.batchNormBackward(g.to(x.dtype), x, weight, mean: mean, invStd: invStd, L, needs: needs)
        }
        return (record, mean, variance)
    }

    /// Normalises with given statistics (evaluation): y = x·scale + shift per channel.
    func batchNormEvaluation(weight: Tensor, bias: Tensor, runningMean: Tensor, runningVariance: Tensor, eps: Double) throws -> Tensor {
        let L = ChannelLayout(shape)
        let gamma = weight.toDoubles(), beta = bias.toDoubles(), rm = runningMean.toDoubles(), rv = runningVariance.toDoubles()
        let std = rv.map { ($0 + eps).squareRoot() }
        let scale = (0..<L.channels).map { gamma[$0] / std[$0] }
        let shift = (0..<L.channels).map { beta[$0] - rm[$0] * scale[$0] }
        let out = try Tensor(uninitialized: shape, dtype: dtype)
        func run<T: FloatElement>(_ x: UnsafeMutablePointer<T>, _ o: UnsafeMutablePointer<T>) {
            Parallel.forEach(L.channels) { c in
                let s = T(scale[c]), b = T(shift[c])
                for n in 0..<L.batch {
                    let base = L.start(n, c)
                    for i in base..<(base + L.plane) { o[i] = x[i] * s + b }
                }
            }
        }
        if dtype == .f32 {
            let xp = ptr(Float.self), op = out.ptr(Float.self), stride = L.channels * L.plane
            Parallel.forEach(L.channels) { c in
                optlab_bn_affine_f32(xp + c * L.plane, op + c * L.plane, L.batch, L.plane, stride, Float(scale[c]), Float(shift[c]))
            }
        } else {
            run(ptr(Double.self), out.ptr(Double.self))
        }
        let x = self
        // the affine parameters still get gradients in evaluation mode (as with the op chain it replaces)
        return Tensor.record("batch_norm", out, [x, weight, bias], saving: [x]) { g, needs in
            let gd = try g.to(x.dtype)
            var dx: Tensor?, dgamma: Tensor?, dbeta: Tensor?
            if needs[0] {
                let d = try Tensor(uninitialized: x.shape, dtype: x.dtype)
                func back<T: FloatElement>(_ gp: UnsafeMutablePointer<T>, _ dp: UnsafeMutablePointer<T>) {
                    Parallel.forEach(L.channels) { c in
                        let s = T(scale[c])
                        for n in 0..<L.batch {
                            let base = L.start(n, c)
                            for i in base..<(base + L.plane) { dp[i] = gp[i] * s }
                        }
                    }
                }
                if x.dtype == .f32 { back(gd.ptr(Float.self), d.ptr(Float.self)) } else { back(gd.ptr(Double.self), d.ptr(Double.self)) }
                dx = d
            }
            if needs[1] || needs[2] {
                var sumG = [Double](repeating: 0, count: L.channels), sumGX = sumG
                for c in 0..<L.channels {
                    for n in 0..<L.batch {
                        let base = L.start(n, c)
                        for i in base..<(base + L.plane) {
                            let gv = gd.element(i)
                            sumG[c] += gv
                            sumGX[c] += gv * (x.element(i) - rm[c]) / std[c]
                        }
                    }
                }
                if needs[1] { dgamma = try Tensor.from(sumGX, shape: [L.channels], dtype: x.dtype) }
                if needs[2] { dbeta = try Tensor.from(sumG, shape: [L.channels], dtype: x.dtype) }
            }
            return [dx, dgamma, dbeta]
        }
    }

    static func batchNormForwardF32(_ x: UnsafeMutablePointer<Float>, _ o: UnsafeMutablePointer<Float>,
                                    _ gamma: UnsafeMutablePointer<Float>, _ beta: UnsafeMutablePointer<Float>,
                                    _ L: ChannelLayout, _ eps: Double,
                                    _ meanOut: UnsafeMutableBufferPointer<Double>, _ varOut: UnsafeMutableBufferPointer<Double>) {
        let stride = L.channels * L.plane
        Parallel.forEach(L.channels) { c in
            var mean = 0.0, variance = 0.0
            optlab_bn_moments_f32(x + c * L.plane, L.batch, L.plane, stride, &mean, &variance)
            meanOut[c] = mean
            varOut[c] = variance
            let invStd = 1 / (variance + eps).squareRoot()
            let scale = Float(Double(gamma[c]) * invStd), shift = Float(Double(beta[c]) - mean * Double(gamma[c]) * invStd)
            optlab_bn_affine_f32(x + c * L.plane, o + c * L.plane, L.batch, L.plane, stride, scale, shift)
        }
    }

    static func batchNormForward<T: FloatElement>(_ x: UnsafeMutablePointer<T>, _ o: UnsafeMutablePointer<T>,
                                                   _ gamma: UnsafeMutablePointer<T>, _ beta: UnsafeMutablePointer<T>,
                                                   _ L: ChannelLayout, _ m: Double, _ eps: Double,
                                                   _ meanOut: UnsafeMutableBufferPointer<Double>, _ varOut: UnsafeMutableBufferPointer<Double>) {
        Parallel.forEach(L.channels) { c in
            var sum = 0.0
            for n in 0..<L.batch { sum += contiguousSum(x + L.start(n, c), L.plane) }
            let mean = sum / m
            // the variance from deviations (a second pass), not from Σx² − M·μ²,
            // which cancels catastrophically when |μ| ≫ σ
            var squares = 0.0
            let mt = T(mean)
            for n in 0..<L.batch {
                let p = x + L.start(n, c)
                var i = 0
                while i < L.plane {
                    let end = Swift.min(i + 256, L.plane)
                    var s: T = 0
                    for j in i..<end { let d = p[j] - mt; s += d * d }
                    squares += Double(s)
                    i = end
                }
            }
            let variance = squares / m
            meanOut[c] = mean
            varOut[c] = variance
            let invStd = 1 / (variance + eps).squareRoot()
            let scale = T(Double(gamma[c]) * invStd), shift = T(Double(beta[c]) - mean * Double(gamma[c]) * invStd)
            for n in 0..<L.batch {
                let base = L.start(n, c)
                for i in base..<(base + L.plane) { o[i] = x[i] * scale + shift }
            }
        }
    }

    static func batchNormBackward(_ g: Tensor, _ x: Tensor, _ weight: Tensor, mean: [Double], invStd: [Double],
                                  _ L: ChannelLayout, needs: [Bool]) throws -> [Tensor?] {
        var sumG = [Double](repeating: 0, count: L.channels), sumGXhat = sumG
        let dx = needs[0] ? try Tensor(uninitialized: x.shape, dtype: x.dtype) : nil
        func run<T: FloatElement>(_ gp: UnsafeMutablePointer<T>, _ xp: UnsafeMutablePointer<T>, _ wp: UnsafeMutablePointer<T>,
                                  _ dp: UnsafeMutablePointer<T>?) {
            sumG.withUnsafeMutableBufferPointer { sg in
                sumGXhat.withUnsafeMutableBufferPointer { sgx in
                    Parallel.forEach(L.channels) { c in
                        let mu = T(mean[c])
                        var a = 0.0, b = 0.0
                        for n in 0..<L.batch {
                            let base = L.start(n, c)
                            var i = base
                            while i < base + L.plane {
                                let end = Swift.min(i + 256, base + L.plane)
                                var sa: T = 0, sb: T = 0
                                for j in i..<end { sa += gp[j]; sb += gp[j] * (xp[j] - mu) }
                                a += Double(sa); b += Double(sb)
                                i = end
                            }
                        }
                        let inv = invStd[c]
                        sg[c] = a
                        sgx[c] = b * inv
                        guard let dp else { return }
                        // dx = γσ⁻¹ (g − dβ/M − x̂·dγ/M), with x̂ = (x − μ)σ⁻¹
                        let m = Double(L.perChannel)
                        let k = T(Double(wp[c]) * inv), meanG = T(a / m), slope = T(b * inv * inv / m)
                        for n in 0..<L.batch {
                            let base = L.start(n, c)
                            for i in base..<(base + L.plane) { dp[i] = k * (gp[i] - meanG - (xp[i] - mu) * slope) }
                        }
                    }
                }
            }
        }
        func runF32(_ gp: UnsafeMutablePointer<Float>, _ xp: UnsafeMutablePointer<Float>, _ wp: UnsafeMutablePointer<Float>,
                    _ dp: UnsafeMutablePointer<Float>?) {
            let stride = L.channels * L.plane, m = Double(L.perChannel)
            sumG.withUnsafeMutableBufferPointer { sg in
                sumGXhat.withUnsafeMutableBufferPointer { sgx in
                    Parallel.forEach(L.channels) { c in
                        let mu = Float(mean[c]), inv = invStd[c], at = c * L.plane
                        var a = 0.0, b = 0.0
                        optlab_bn_grad_sums_f32(gp + at, xp + at, mu, L.batch, L.plane, stride, &a, &b)
                        sg[c] = a
                        sgx[c] = b * inv
                        guard let dp else { return }
                        optlab_bn_grad_input_f32(gp + at, xp + at, dp + at, L.batch, L.plane, stride, mu,
                                                 Float(Double(wp[c]) * inv), Float(a / m), Float(b * inv * inv / m))
                    }
                }
            }
        }
        if x.dtype == .f32 {
            runF32(g.ptr(Float.self), x.ptr(Float.self), weight.ptr(Float.self), dx?.ptr(Float.self))
        } else {
            run(g.ptr(Double.self), x.ptr(Double.self), weight.ptr(Double.self), dx?.ptr(Double.self))
        }
        let dgamma = needs[1] ? try Tensor.from(sumGXhat, shape: [L.channels], dtype: x.dtype) : nil
        let dbeta = needs[2] ? try Tensor.from(sumG, shape: [L.channels], dtype: x.dtype) : nil
        return [dx, dgamma, dbeta]
    }
}
