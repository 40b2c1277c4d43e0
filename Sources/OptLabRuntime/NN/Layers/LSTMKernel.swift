import CKernels

/// One LSTM layer over a whole sequence as one operation (what cuDNN does):
/// each step is one product h·W_hhᵀ and one pass over the gates, and the
/// backward pass runs back through time with the gates kept from forward,
/// adding every step's weight gradient in one product at the end. The
/// output packs each step's h and c side by side, [N, T, 2H], so the
/// outputs (its first half) and the final cell state (the last step's
/// second half) are views whose gradients autograd brings back here.
///
/// ```
/// a = pre_t + h·W_hhᵀ (+ b_hh);  i, f, o = σ(a_i, a_f, a_o);  g = tanh(a_g)
/// c' = f·c + i·g;  h' = o·tanh(c')
/// ```
extension Tensor {
    static func lstmSequence(_ pre: Tensor, weight: Tensor, bias: Tensor?, h0: Tensor, c0: Tensor) throws -> Tensor {
        let (n, t, g4) = (pre.shape[0], pre.shape[1], pre.shape[2])
        let h = g4 / 4
        let dt = pre.dtype
        let out = try Tensor(uninitialized: [n, t, 2 * h], dtype: dt)
        // after each step: the gates (activated: i, f, g, o) and h, c
        let gates = try Tensor(uninitialized: [t, n, g4], dtype: dt)
        // and tanh(c) of each step, for the backward pass
        let tanhCells = try Tensor(uninitialized: [t, n, h], dtype: dt)
        let h0 = try h0.to(dt), c0 = try c0.to(dt)
        func forward<T: FloatElement>(_: T.Type) {
            let (p, w, z, gp, tcp) = (pre.ptr(T.self), weight.ptr(T.self), out.ptr(T.self), gates.ptr(T.self), tanhCells.ptr(T.self))
            // the gates' activations in place: CKernels' vector kernels in f32, libm in f64
            func activate(_ row: UnsafeMutablePointer<T>) {
                if T.self == Float.self {
                    row.withMemoryRebound(to: Float.self, capacity: g4) { r in
                        optlab_sigmoid_f32(r, r, 2 * h)
                        optlab_tanh_f32(r + 2 * h, r + 2 * h, h)
                        optlab_sigmoid_f32(r + 3 * h, r + 3 * h, h)
                    }
                } else {
                    for j in 0..<(2 * h) { row[j] = 1 / (1 + T.exp(-row[j])) }
                    for j in (2 * h)..<(3 * h) { row[j] = T.tanh(row[j]) }
                    for j in (3 * h)..<g4 { row[j] = 1 / (1 + T.exp(-row[j])) }
                }
            }
            func tanhInPlace(_ p: UnsafeMutablePointer<T>, _ count: Int) {
                if T.self == Float.self {
                    p.withMemoryRebound(to: Float.self, capacity: count) { optlab_tanh_f32($0, $0, count) }
                } else {
                    for j in 0..<count { p[j] = T.tanh(p[j]) }
                }
            }
            let b = bias?.ptr(T.self)
            let (hInit, cInit) = (h0.ptr(T.self), c0.ptr(T.self))
            for step in 0..<t {
                let a = gp + step * n * g4
                // a = h_prev·W_hhᵀ, h_prev read from the last step's output (row stride T·2H) or h0
                if step == 0 {
                    blasGemm(false, true, n, g4, h, 1, hInit, h, w, h, 0, a, g4)
                } else {
                    blasGemm(false, true, n, g4, h, 1, z + (step - 1) * 2 * h, t * 2 * h, w, h, 0, a, g4)
                }
                Parallel.forRanges(n, grain: Swift.max(1, 4096 / Swift.max(h, 1))) { rows in
                    for r in rows {
                        let row = a + r * g4, input = p + (r * t + step) * g4
                        for j in 0..<g4 { row[j] += input[j] + (b?[j] ?? 0) }
                        let cPrev = step == 0 ? cInit + r * h : z + (r * t + step - 1) * 2 * h + h
                        let hc = z + (r * t + step) * 2 * h
                        activate(row)
                        let tc = tcp + (step * n + r) * h
                        for j in 0..<h { hc[h + j] = row[h + j] * cPrev[j] + row[j] * row[2 * h + j]; tc[j] = hc[h + j] }
                        tanhInPlace(tc, h)
                        for j in 0..<h { hc[j] = row[3 * h + j] * tc[j] }
                    }
                }
            }
        }
        if dt == .f32 { forward(Float.self) } else { forward(Double.self) }
        let inputs = [pre, weight] + (bias.map { [$0] } ?? []) + [h0, c0]
        guard inputs.contains(where: \.requiresGrad), GradMode.enabled else { return out }
        let hasBias = bias != nil
        return Tensor.record("lstm", out, inputs, saving: inputs + [gates, tanhCells, out]) { dz, needs in
            let dZ = try dz.to(dt)
            let dPre = try Tensor(uninitialized: [n, t, g4], dtype: dt)
            let dW = try Tensor(uninitialized: weight.shape, dtype: dt)
            let dB = try Tensor.zeros([g4], dtype: dt)
            let dH0 = try Tensor(uninitialized: [n, h], dtype: dt), dC0 = try Tensor(uninitialized: [n, h], dtype: dt)
            func backward<T: FloatElement>(_: T.Type) throws {
                let (w, z, gp, gz, tcp) = (weight.ptr(T.self), out.ptr(T.self), gates.ptr(T.self), dZ.ptr(T.self), tanhCells.ptr(T.self))
                let (hInit, cInit) = (h0.ptr(T.self), c0.ptr(T.self))
                let dp = dPre.ptr(T.self)
                // the running gradients of h and c, and every step's gate gradients [T, N, 4H]
                let dh = try Tensor.zeros([n, h], dtype: dt), dc = try Tensor.zeros([n, h], dtype: dt)
                let dGates = try Tensor(uninitialized: [t, n, g4], dtype: dt)
                let (dhp, dcp, dgp) = (dh.ptr(T.self), dc.ptr(T.self), dGates.ptr(T.self))
                for step in stride(from: t - 1, through: 0, by: -1) {
                    let a = gp + step * n * g4, da = dgp + step * n * g4
                    Parallel.forRanges(n, grain: Swift.max(1, 4096 / Swift.max(h, 1))) { rows in
                        for r in rows {
                            let row = a + r * g4, drow = da + r * g4
                            let cPrev = step == 0 ? cInit + r * h : z + (r * t + step - 1) * 2 * h + h
                            let hc = z + (r * t + step) * 2 * h, ghc = gz + (r * t + step) * 2 * h
                            let (dhr, dcr) = (dhp + r * h, dcp + r * h)
                            for j in 0..<h {
                                let (i, f, gg, o) = (row[j], row[h + j], row[2 * h + j], row[3 * h + j])
                                let dhj = dhr[j] + ghc[j]
                                let tc = tcp[(step * n + r) * h + j]
                                let dcj = dcr[j] + ghc[h + j] + dhj * o * (1 - tc * tc)
                                drow[j] = dcj * gg * i * (1 - i)
                                drow[h + j] = dcj * cPrev[j] * f * (1 - f)
                                drow[2 * h + j] = dcj * i * (1 - gg * gg)
                                drow[3 * h + j] = dhj * tc * o * (1 - o)
                                dcr[j] = dcj * f
                                let pr = dp + (r * t + step) * g4
                                (pr[j], pr[h + j], pr[2 * h + j], pr[3 * h + j]) = (drow[j], drow[h + j], drow[2 * h + j], drow[3 * h + j])
                            }
                        }
                    }
                    // dh_prev = dA·W_hh
                    blasGemm(false, false, n, h, g4, 1, da, g4, w, h, 0, dhp, h)
                }
                // dW_hh = Σ_t dA_tᵀ·h_{t−1} in one product: the h_{t−1} gathered step-major, as dA is
                let previous = try Tensor(uninitialized: [t * n, h], dtype: dt)
                let hp = previous.ptr(T.self)
                for step in 0..<t {
                    for r in 0..<n {
                        let from = step == 0 ? hInit + r * h : z + (r * t + step - 1) * 2 * h
                        (hp + (step * n + r) * h).update(from: from, count: h)
                    }
                }
                blasGemm(true, false, g4, h, t * n, 1, dgp, g4, hp, h, 0, dW.ptr(T.self), h)
                if hasBias {
                    let b = dB.ptr(T.self)
                    for k in 0..<(t * n) { let row = dgp + k * g4; for j in 0..<g4 { b[j] += row[j] } }
                }
                dH0.ptr(T.self).update(from: dhp, count: n * h)
                dC0.ptr(T.self).update(from: dcp, count: n * h)
            }
            if dt == .f32 { try backward(Float.self) } else { try backward(Double.self) }
            return [dPre, dW] + (hasBias ? [dB] : []) + [dH0, dC0]
        }
    }
}
