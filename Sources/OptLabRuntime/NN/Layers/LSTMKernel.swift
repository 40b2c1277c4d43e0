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
            let b = bias?.ptr(T.self)
            let (hInit, cInit) = (h0.ptr(T.self), c0.ptr(T.self))
            let recurrence = RecurrentProduct(weight, units: h, dtype: dt, batch: n, transposed: true)
            for step in 0..<t {
                let a = gp + step * n * g4
                // h_prev: the last step's output (row stride T·2H) or h0
                let (hPrev, ldh) = step == 0 ? (hInit, h) : (z + (step - 1) * 2 * h, t * 2 * h)
                if !recurrence.packed { blasGemm(false, true, n, g4, h, 1, hPrev, ldh, w, h, 0, a, g4) }
                // each thread its units: their four gates' products, then their cells
                recurrence.forUnits { units, panels in
                    recurrence.product(hPrev, ldh, panels, rows: n, into: a, ldc: g4)
                    guard !units.isEmpty else { return }
                    let (u0, width) = (units.lowerBound, units.count)
                    for r in 0..<n {
                        let cPrev = step == 0 ? cInit + r * h : z + (r * t + step - 1) * 2 * h + h
                        let hc = z + (r * t + step) * 2 * h
                        LSTMCell.forward(a + r * g4 + u0, input: p + (r * t + step) * g4 + u0, bias: b.map { $0 + u0 },
                                         cPrev: cPrev + u0, h: hc + u0, c: hc + h + u0,
                                         tanhC: tcp + (step * n + r) * h + u0, hidden: h, width: width)
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
            let dH0 = try Tensor(uninitialized: [n, h], dtype: dt), dC0 = try Tensor(uninitialized: [n, h], dtype: dt)
            func backward<T: FloatElement>(_: T.Type) throws {
                let (w, z, gp, gz, tcp) = (weight.ptr(T.self), out.ptr(T.self), gates.ptr(T.self), dZ.ptr(T.self), tanhCells.ptr(T.self))
                let (hInit, cInit) = (h0.ptr(T.self), c0.ptr(T.self))
                let dp = dPre.ptr(T.self)
                // the running gradients of h and c; the gates' gradients go straight into dPre,
                // whose rows of one step are T·4H apart
                let dh = try Tensor.zeros([n, h], dtype: dt), dc = try Tensor.zeros([n, h], dtype: dt)
                let (dhp, dcp) = (dh.ptr(T.self), dc.ptr(T.self))
                let recurrence = RecurrentProduct(weight, units: h, dtype: dt, batch: n, transposed: false)
                for step in stride(from: t - 1, through: 0, by: -1) {
                    let a = gp + step * n * g4
                    // dh = dA_{step+1}·W_hh (zero at the last step)
                    let later = step < t - 1 ? dp + (step + 1) * g4 : nil
                    if let later, !recurrence.packed { blasGemm(false, false, n, h, g4, 1, later, t * g4, w, h, 0, dhp, h) }
                    recurrence.forUnits { units, panels in
                        if let later { recurrence.product(later, t * g4, panels, rows: n, into: dhp, ldc: h) }
                        for r in 0..<n {
                            guard let u0 = units.first else { continue }
                            let row = a + r * g4, drow = dp + (r * t + step) * g4
                            let cPrev = step == 0 ? cInit + r * h : z + (r * t + step - 1) * 2 * h + h
                            let ghc = gz + (r * t + step) * 2 * h
                            LSTMCell.backward(row + u0, tanhC: tcp + (step * n + r) * h + u0, cPrev: cPrev + u0,
                                              gradH: ghc + u0, gradC: ghc + h + u0, dh: dhp + r * h + u0,
                                              dc: dcp + r * h + u0, dGates: drow + u0, hidden: h, width: units.count)
                        }
                    }
                }
                // dh0 = dA_0·W_hh
                blasGemm(false, false, n, h, g4, 1, dp, t * g4, w, h, 0, dhp, h)
                // dW_hh = Σ dA_{r,t}ᵀ·h_{r,t−1} in one product, the h_{t−1} gathered in dPre's order
                let previous = try Tensor(uninitialized: [t * n, h], dtype: dt)
                let hp = previous.ptr(T.self)
                for step in 0..<t {
                    for r in 0..<n {
                        let from = step == 0 ? hInit + r * h : z + (r * t + step - 1) * 2 * h
                        (hp + (r * t + step) * h).update(from: from, count: h)
                    }
                }
                blasGemm(true, false, g4, h, t * n, 1, dp, g4, hp, h, 0, dW.ptr(T.self), h)
                dH0.ptr(T.self).update(from: dhp, count: n * h)
                dC0.ptr(T.self).update(from: dcp, count: n * h)
            }
            if dt == .f32 { try backward(Float.self) } else { try backward(Double.self) }
            return [dPre, dW] + (hasBias ? [try dPre.reshape([n * t, g4]).sum(dim: 0)] : []) + [dH0, dC0]
        }
    }
}

/// One row's cell on a range of units (pointers at its first unit, gates
/// `hidden` apart): CKernels' vector loops in f32, the same in Swift for f64.
private enum LSTMCell {
    static func forward<T: FloatElement>(_ gates: UnsafeMutablePointer<T>, input: UnsafeMutablePointer<T>, bias: UnsafeMutablePointer<T>?,
                                         cPrev: UnsafeMutablePointer<T>, h: UnsafeMutablePointer<T>, c: UnsafeMutablePointer<T>,
                                         tanhC: UnsafeMutablePointer<T>, hidden: Int, width: Int) {
        if T.self == Float.self {
            func f(_ p: UnsafeMutablePointer<T>) -> UnsafeMutablePointer<Float> { UnsafeMutableRawPointer(p).assumingMemoryBound(to: Float.self) }
            optlab_lstm_cell_f32(f(gates), f(input), bias.map(f), f(cPrev), f(h), f(c), f(tanhC), hidden, width)
            return
        }
        for j in 0..<width {
            func sigmoid(_ x: T) -> T { 1 / (1 + T.exp(-x)) }
            for g in 0..<4 { gates[g * hidden + j] += input[g * hidden + j] + (bias?[g * hidden + j] ?? 0) }
            let (i, f) = (sigmoid(gates[j]), sigmoid(gates[hidden + j]))
            let (g, o) = (T.tanh(gates[2 * hidden + j]), sigmoid(gates[3 * hidden + j]))
            (gates[j], gates[hidden + j], gates[2 * hidden + j], gates[3 * hidden + j]) = (i, f, g, o)
            c[j] = f * cPrev[j] + i * g
            tanhC[j] = T.tanh(c[j])
            h[j] = o * tanhC[j]
        }
    }

    static func backward<T: FloatElement>(_ gates: UnsafeMutablePointer<T>, tanhC: UnsafeMutablePointer<T>, cPrev: UnsafeMutablePointer<T>,
                                          gradH: UnsafeMutablePointer<T>, gradC: UnsafeMutablePointer<T>, dh: UnsafeMutablePointer<T>,
                                          dc: UnsafeMutablePointer<T>, dGates: UnsafeMutablePointer<T>, hidden: Int, width: Int) {
        if T.self == Float.self {
            func f(_ p: UnsafeMutablePointer<T>) -> UnsafeMutablePointer<Float> { UnsafeMutableRawPointer(p).assumingMemoryBound(to: Float.self) }
            optlab_lstm_cell_backward_f32(f(gates), f(tanhC), f(cPrev), f(gradH), f(gradC), f(dh), f(dc), f(dGates), hidden, width)
            return
        }
        for j in 0..<width {
            let (i, f, g, o) = (gates[j], gates[hidden + j], gates[2 * hidden + j], gates[3 * hidden + j])
            let dhj = dh[j] + gradH[j], tc = tanhC[j]
            let dcj = dc[j] + gradC[j] + dhj * o * (1 - tc * tc)
            dGates[j] = dcj * g * i * (1 - i)
            dGates[hidden + j] = dcj * cPrev[j] * f * (1 - f)
            dGates[2 * hidden + j] = dcj * i * (1 - g * g)
            dGates[3 * hidden + j] = dhj * tc * o * (1 - o)
            dc[j] = dcj * f
        }
    }
}
