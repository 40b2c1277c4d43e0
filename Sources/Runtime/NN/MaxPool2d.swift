/// Pooling over k×k windows (stride k unless given) of [N,C,H,W] input: what
/// max and average pooling share (arguments, checks, description).
public class WindowPooling: Module {
    public let kernel: Int, stride: Int

    public init(_ kernel: Int, stride: Int? = nil) throws {
        self.kernel = kernel
        self.stride = stride ?? kernel
        super.init()
        guard kernel > 0, self.stride > 0 else { throw RuntimeError(.argument, typeName, "kernel and stride must be positive") }
    }

    override public var config: [String: Double] { ["kernel": Double(kernel), "stride": Double(stride)] }

    override public func forward(_ x: Tensor) throws -> Tensor {
        try expectRank(x, [4], what: "images of shape [N,C,H,W]")
        return try pool(x)
    }

    /// The pooling itself, on a checked [N,C,H,W] input.
    func pool(_ x: Tensor) throws -> Tensor { x }

    override public var summary: String { "\(typeName)(\(kernel)" + (stride != kernel ? ", stride \(stride)" : "") + ")" }
}

/// Max pooling: the gradient goes to each window's winner; the winners are
/// recorded for kink detection (a gradient check that changes a winner
/// crossed a kink).
public final class MaxPool2d: WindowPooling {
    override func pool(_ x: Tensor) throws -> Tensor { try x.maxPool2d(kernel: kernel, stride: stride) }
}

extension Tensor {
    public func maxPool2d(kernel k: Int, stride s: Int) throws -> Tensor {
        try requireFloat("max_pool2d")
        guard rank == 4, shape[2] >= k, shape[3] >= k, k > 0, s > 0 else {
            throw RuntimeError(.shape, "max_pool2d", "a \(k)×\(k) window does not fit input \(describe(shape))")
        }
        let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
        let oh = (h - k) / s + 1, ow = (w - k) / s + 1
        let out = try Tensor(uninitialized: [n, c, oh, ow], dtype: dtype)
        var winners = [Int](repeating: 0, count: n * c * oh * ow)
        func run<T: FloatElement>(_: T.Type) {
            let xp = ptr(T.self), op = out.ptr(T.self)
            for plane in 0..<(n * c) {
                let base = plane * h * w
                for y in 0..<oh {
                    for xo in 0..<ow {
                        var best = -T.infinity, at = base + (y * s) * w + xo * s
                        for ki in 0..<k {
                            for kj in 0..<k {
                                let idx = base + (y * s + ki) * w + xo * s + kj
                                let v = xp[idx]
                                if v > best || v.isNaN { best = v; at = idx; if v.isNaN { break } }
                            }
                        }
                        let o = (plane * oh + y) * ow + xo
                        op[o] = xp[at]
                        winners[o] = at
                    }
                }
            }
        }
        if dtype == .f32 { run(Float.self) } else { run(Double.self) }
        KinkRecorder.current?.record("max_pool2d", choices: winners, onPath: requiresGrad)
        guard Tensor.recording(self) else { return out }
        let inShape = shape, dt = dtype
        return Tensor.record("max_pool2d", out, [self]) { g, _ in
            let dx = try Tensor.zeros(inShape, dtype: dt)
            let gp = try g.to(dt)
            if dt == .f32 {
                let d = dx.ptr(Float.self), q = gp.ptr(Float.self)
                for (o, at) in winners.enumerated() { d[at] += q[o] }
            } else {
                let d = dx.ptr(Double.self), q = gp.ptr(Double.self)
                for (o, at) in winners.enumerated() { d[at] += q[o] }
            }
            return [dx]
        }
    }
}

extension MaxPool2d {
    public static let kind = LayerKind("MaxPool2d", signature: "nn.MaxPool2d(k [, {stride=k}])",
        help: "Max over k×k windows of [N,C,H,W] input.\n  local pool = nn.MaxPool2d(2)",
        positional: [.init("kernel", .size)], options: [.init("stride", .size)]) { a in
        let k = try a.size("kernel")
        return try MaxPool2d(k, stride: try a.size("stride", default: k))
    }
}
