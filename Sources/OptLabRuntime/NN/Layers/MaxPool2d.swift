import CKernels

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

extension Tensor {
    /// The input's N, C, H, W and the output's height and width for k×k
    /// windows at stride s; an error under `op` when the input is no
    /// [N,C,H,W] of floats that fits a window.
    func poolingGeometry(_ op: String, kernel k: Int, stride s: Int) throws -> (n: Int, c: Int, h: Int, w: Int, oh: Int, ow: Int) {
        try requireFloat(op)
        guard rank == 4, shape[2] >= k, shape[3] >= k, k > 0, s > 0 else {
            throw RuntimeError(.shape, op, "a \(k)×\(k) window does not fit input \(describe(shape))")
        }
        let (h, w) = (shape[2], shape[3])
        return (shape[0], shape[1], h, w, (h - k) / s + 1, (w - k) / s + 1)
    }
}

/// Max pooling: the gradient goes to each window's winner; the winners are
/// recorded for kink detection (a gradient check that changes a winner
/// crossed a kink).
public final class MaxPool2d: WindowPooling {
    override func pool(_ x: Tensor) throws -> Tensor { try x.maxPool2d(kernel: kernel, stride: stride) }
}

extension Tensor {
    public func maxPool2d(kernel k: Int, stride s: Int) throws -> Tensor {
        let (n, c, h, w, oh, ow) = try poolingGeometry("max_pool2d", kernel: k, stride: s)
        guard h * w <= Int(Int32.max) else {
            throw RuntimeError(.shape, "max_pool2d", "planes of \(h)×\(w) are too large (at most 2^31 elements a plane)")
        }
        let out = try Tensor(uninitialized: [n, c, oh, ow], dtype: dtype)
        // each window's winner, as an offset into its input plane (4 bytes,
        // where an absolute Int took 8: the forward's largest write); planes
        // run in parallel and write only their own windows
        let windows = n * c * oh * ow
        try Storage.ensureRoom(windows * 4, op: "max_pool2d", for: "the winners of \(windows) windows")
        let winners = [Int32](unsafeUninitializedCapacity: windows) { buffer, count in
            let wp = buffer.baseAddress!
            if dtype == .f32 && k == 2 && s == 2 {
                let xp = ptr(Float.self), op = out.ptr(Float.self), perPlane = oh * ow
                Parallel.forRanges(n * c, grain: 2) { planes in
                    let first = planes.lowerBound
                    optlab_maxpool2_f32(xp + first * h * w, op + first * perPlane, wp + first * perPlane, planes.count, h, w)
                }
            } else if dtype == .f32 {
                Tensor.maxPoolForward(ptr(Float.self), out.ptr(Float.self), wp, planes: n * c, h: h, w: w, k: k, s: s, oh: oh, ow: ow)
            } else {
                Tensor.maxPoolForward(ptr(Double.self), out.ptr(Double.self), wp, planes: n * c, h: h, w: w, k: k, s: s, oh: oh, ow: ow)
            }
            count = windows
        }
        KinkRecorder.current?.record("max_pool2d", choices: winners.map(Int.init), onPath: requiresGrad)
        guard Tensor.recording(self) else { return out }
        let inShape = shape, dt = dtype, perPlane = oh * ow
        return Tensor.record("max_pool2d", out, [self]) { g, _ in
            let dx = try Tensor(uninitialized: inShape, dtype: dt)
            let gp = try g.to(dt)
            func scatter<T: FloatElement>(_ d: UnsafeMutablePointer<T>, _ q: UnsafeMutablePointer<T>) {
                winners.withUnsafeBufferPointer { wp in
                    Parallel.forEach(n * c) { plane in
                        let dp = d + plane * h * w
                        dp.update(repeating: 0, count: h * w)
                        for o in (plane * perPlane)..<((plane + 1) * perPlane) { dp[Int(wp[o])] += q[o] }
                    }
                }
            }
            if dt == .f32 { scatter(dx.ptr(Float.self), gp.ptr(Float.self)) } else { scatter(dx.ptr(Double.self), gp.ptr(Double.self)) }
            return [dx]
        }
    }
}

extension Tensor {
    /// The max of each k×k window (stride s) of `planes` h×w planes, and where
    /// it was in its plane; NaN wins (the first NaN of a window), so a NaN is
    /// never hidden. (f32 2×2 windows of stride 2 take CKernels' vector kernel,
    /// with the same rules.)
    static func maxPoolForward<T: FloatElement>(_ xp: UnsafeMutablePointer<T>, _ op: UnsafeMutablePointer<T>, _ wp: UnsafeMutablePointer<Int32>,
                                                planes: Int, h: Int, w: Int, k: Int, s: Int, oh: Int, ow: Int) {
        Parallel.forEach(planes) { plane in
            let base = plane * h * w
            for y in 0..<oh {
                let rowOut = (plane * oh + y) * ow
                if k == 2 {
                    // the common 2×2 window, unrolled
                    let r0 = base + y * s * w, r1 = r0 + w
                    for xo in 0..<ow {
                        let c0 = r0 + xo * s, c1 = r1 + xo * s
                        var best = xp[c0], at = c0
                        if !best.isNaN {
                            let a = xp[c0 + 1], b = xp[c1], c = xp[c1 + 1]
                            if a.isNaN { best = a; at = c0 + 1 } else {
                                if a > best { best = a; at = c0 + 1 }
                                if b.isNaN { best = b; at = c1 } else {
                                    if b > best { best = b; at = c1 }
                                    if c.isNaN || c > best { best = c; at = c1 + 1 }
                                }
                            }
                        }
                        op[rowOut + xo] = best
                        wp[rowOut + xo] = Int32(at - base)
                    }
                    continue
                }
                for xo in 0..<ow {
                    let corner = base + (y * s) * w + xo * s
                    var best = xp[corner], at = corner
                    if !best.isNaN {
                        search: for ki in 0..<k {
                            let row = corner + ki * w
                            for kj in 0..<k {
                                let v = xp[row + kj]
                                if v > best { best = v; at = row + kj } else if v.isNaN { best = v; at = row + kj; break search }
                            }
                        }
                    }
                    op[rowOut + xo] = best
                    wp[rowOut + xo] = Int32(at - base)
                }
            }
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
