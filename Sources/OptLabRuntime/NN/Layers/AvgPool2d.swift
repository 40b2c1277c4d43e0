/// Average pooling over k×k windows (stride k unless given) of [N,C,H,W]
/// input, as PyTorch's `AvgPool2d(k, stride)` without padding: each output is
/// the window's mean, and each input of a window receives 1/k² of its
/// output's gradient.
public final class AvgPool2d: WindowPooling {
    override func pool(_ x: Tensor) throws -> Tensor { try x.avgPool2d(kernel: kernel, stride: stride) }
}

extension AvgPool2d {
    public static let kind = LayerKind("AvgPool2d", signature: "nn.AvgPool2d(k [, {stride=k}])",
        help: "The mean over k×k windows of [N,C,H,W] input.\n  local pool = nn.AvgPool2d(2)",
        positional: [.init("kernel", .size)], options: [.init("stride", .size)]) { a in
        let k = try a.size("kernel")
        return try AvgPool2d(k, stride: try a.size("stride", default: k))
    }
}

extension Tensor {
    public func avgPool2d(kernel k: Int, stride s: Int) throws -> Tensor {
        let (n, c, h, w, oh, ow) = try poolingGeometry("avg_pool2d", kernel: k, stride: s)
        let out = try Tensor(uninitialized: [n, c, oh, ow], dtype: dtype)
        // forward: sum each window; backward: spread g/k² over it (the adjoint)
        func pool<T: FloatElement>(_ x: UnsafePointer<T>, _ o: UnsafeMutablePointer<T>) {
            let scale = 1 / T(k * k)
            for plane in 0..<(n * c) {
                let base = plane * h * w
                for y in 0..<oh {
                    for xo in 0..<ow {
                        var sum = T(0)
                        for ki in 0..<k {
                            let row = base + (y * s + ki) * w + xo * s
                            for kj in 0..<k { sum += x[row + kj] }
                        }
                        o[(plane * oh + y) * ow + xo] = sum * scale
                    }
                }
            }
        }
        if dtype == .f32 { pool(ptr(Float.self), out.ptr(Float.self)) } else { pool(ptr(Double.self), out.ptr(Double.self)) }
        guard Tensor.recording(self) else { return out }
        let inShape = shape, dt = dtype
        return Tensor.record("avg_pool2d", out, [self]) { g, _ in
            let dx = try Tensor.zeros(inShape, dtype: dt)
            let gp = try g.to(dt)
            func spread<T: FloatElement>(_ d: UnsafeMutablePointer<T>, _ q: UnsafePointer<T>) {
                let scale = 1 / T(k * k)
                for plane in 0..<(n * c) {
                    let base = plane * h * w
                    for y in 0..<oh {
                        for xo in 0..<ow {
                            let share = q[(plane * oh + y) * ow + xo] * scale
                            for ki in 0..<k {
                                let row = base + (y * s + ki) * w + xo * s
                                for kj in 0..<k { d[row + kj] += share }
                            }
                        }
                    }
                }
            }
            if dt == .f32 { spread(dx.ptr(Float.self), gp.ptr(Float.self)) } else { spread(dx.ptr(Double.self), gp.ptr(Double.self)) }
            return [dx]
        }
    }
}
