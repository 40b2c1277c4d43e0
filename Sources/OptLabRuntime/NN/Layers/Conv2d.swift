/// 2-d convolution (cross-correlation, as every framework computes it) over
/// [N, C, H, W] input with weights [O, C, k, k]. On AVX-512, f32 3×3 and 5×5
/// kernels of stride 1 with "same" padding run CKernels' direct convolution
/// (ConvDirect.swift). Every other case is lowered to GEMM: the input
/// patches are unrolled (im2col) for a chunk of images, one GEMM computes the
/// chunk's output, and the backward pass reuses GEMM with transpose flags and
/// folds the patch gradients back (col2im).
public final class Conv2d: Module {
    public let inputs: Int, outputs: Int, kernel: Int, stride: Int, padding: Int
    /// How the weights were drawn (recorded with the model: a run can be redone from its folder).
    public let initialization: Initialization

    public init(_ inputs: Int, _ outputs: Int, kernel: Int, stride: Int = 1, padding: Int = 0, bias: Bool = true,
                initialization: Initialization = .kaiming, dtype: DType = .f32) throws {
        guard inputs > 0, outputs > 0, kernel > 0, stride > 0, padding >= 0 else {
            throw RuntimeError(.argument, "Conv2d", "channels, kernel and stride must be positive and padding non-negative")
        }
        (self.inputs, self.outputs, self.kernel, self.stride, self.padding) = (inputs, outputs, kernel, stride, padding)
        self.initialization = initialization
        super.init()
        let fanIn = inputs * kernel * kernel
        try addParameter("weight", initialization.weights([outputs, inputs, kernel, kernel], fanIn: fanIn, dtype: dtype))
        if bias { try addParameter("bias", Tensor.zeros([outputs], dtype: dtype)) }
    }

    public var weight: Tensor { parameter(0) }
    public var bias: Tensor? { parameterSlots.count > 1 ? parameter(1) : nil }

    override public var config: [String: Double] {
        ["in": Double(inputs), "out": Double(outputs), "kernel": Double(kernel), "stride": Double(stride),
         "padding": Double(padding), "bias": bias == nil ? 0 : 1]
    }

    override public var choices: [String: String] { ["init": initialization.rawValue] }

    override public func forward(_ x: Tensor) throws -> Tensor {
        try expectRank(x, [4], what: "images of shape [N,\(inputs),H,W]")
        try expectFeatures(x, inputs, dim: 1)
        return try x.conv2d(weight: weight, bias: bias, stride: stride, padding: padding)
    }

    override public var summary: String {
        "Conv2d(\(inputs) -> \(outputs), \(kernel)×\(kernel)" + (stride != 1 ? ", stride \(stride)" : "") + (padding != 0 ? ", pad \(padding)" : "") + ")"
    }
}

/// Sizes of one convolution, shared by the forward and backward passes.
struct ConvGeometry {
    let n: Int, c: Int, h: Int, w: Int, o: Int, k: Int, stride: Int, pad: Int
    var oh: Int { (h + 2 * pad - k) / stride + 1 }
    var ow: Int { (w + 2 * pad - k) / stride + 1 }
    var patch: Int { c * k * k }
    var positions: Int { oh * ow }

    /// The output columns xo whose input column xo·stride − pad + kj lies inside
    /// the image: one contiguous range, so rows copy as spans.
    @inline(__always) func inside(_ kj: Int) -> Range<Int> {
        // xo·stride ≥ pad − kj and xo·stride ≤ w − 1 + pad − kj
        let lo = Swift.max(0, (pad - kj + stride - 1) / stride)
        let hi = Swift.min(ow, (w - 1 + pad - kj) / stride + 1)
        return lo..<Swift.max(lo, hi)
    }

    /// cols[(ci·k + ki)·k + kj][(img − first)·positions + p] = x[img, ci, …] (0 outside);
    /// rows are `rowStride` apart (the GEMM's leading dimension, which a last,
    /// partial chunk does not fill). Channels are unrolled in parallel (each
    /// writes its own rows).
    func im2col<T: FloatElement>(_ x: UnsafePointer<T>, _ cols: UnsafeMutablePointer<T>, images: Range<Int>, rowStride: Int) {
        let width = rowStride
        Parallel.forEach(c) { ci in
            for ki in 0..<k {
                for kj in 0..<k {
                    let row = cols + ((ci * k + ki) * k + kj) * width
                    let span = inside(kj)
                    for (j, img) in images.enumerated() {
                        let src = x + (img * c + ci) * h * w
                        let dst = row + j * positions
                        for y in 0..<oh {
                            let iy = y * stride - pad + ki
                            let line = dst + y * ow
                            if iy < 0 || iy >= h || span.isEmpty {
                                line.update(repeating: 0, count: ow)
                                continue
                            }
                            if span.lowerBound > 0 { line.update(repeating: 0, count: span.lowerBound) }
                            if span.upperBound < ow { (line + span.upperBound).update(repeating: 0, count: ow - span.upperBound) }
                            let from = src + iy * w - pad + kj
                            if stride == 1 {
                                (line + span.lowerBound).update(from: from + span.lowerBound, count: span.count)
                            } else {
                                for xo in span { line[xo] = from[xo * stride] }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The adjoint of im2col: adds each patch gradient back into dx. In
    /// parallel over channels: channel ci's rows add only into its own planes.
    func col2im<T: FloatElement>(_ cols: UnsafePointer<T>, _ dx: UnsafeMutablePointer<T>, images: Range<Int>, rowStride: Int) {
        let width = rowStride
        Parallel.forEach(c) { ci in
            for ki in 0..<k {
                for kj in 0..<k {
                    let row = cols + ((ci * k + ki) * k + kj) * width
                    let span = inside(kj)
                    guard !span.isEmpty else { continue }
                    for (j, img) in images.enumerated() {
                        let dst = dx + (img * c + ci) * h * w
                        let src = row + j * positions
                        for y in 0..<oh {
                            let iy = y * stride - pad + ki
                            guard iy >= 0 && iy < h else { continue }
                            let to = dst + iy * w - pad + kj, line = src + y * ow
                            if stride == 1 {
                                for xo in span { to[xo] += line[xo] }
                            } else {
                                for xo in span { to[xo * stride] += line[xo] }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Images per chunk: enough for a large GEMM, at most ~8 MB of patches
    /// (a buffer that stays in malloc's heap and in cache).
    func chunk(_ elementSize: Int) -> Int {
        Swift.max(1, Swift.min(n, ConvGeometry.chunkBytes / Swift.max(1, patch * positions * elementSize)))
    }

    /// Settable so tests can force partial last chunks.
    nonisolated(unsafe) static var chunkBytes = 8 << 20
}

extension Tensor {
    /// Convolution of [N,C,H,W] input with [O,C,k,k] weights (and an [O] bias).
    public func conv2d(weight: Tensor, bias: Tensor?, stride: Int = 1, padding: Int = 0) throws -> Tensor {
        try requireFloat("conv2d")
        guard rank == 4, weight.rank == 4, weight.shape[1] == shape[1], weight.shape[2] == weight.shape[3] else {
            throw RuntimeError(.shape, "conv2d", "input \(describe(shape)) and weight \(describe(weight.shape)) do not fit (expected [N,C,H,W] and [O,C,k,k])")
        }
        let G = ConvGeometry(n: shape[0], c: shape[1], h: shape[2], w: shape[3], o: weight.shape[0], k: weight.shape[2],
                             stride: stride, pad: padding)
        guard stride > 0, padding >= 0, G.h + 2 * padding >= G.k, G.w + 2 * padding >= G.k else {
            throw RuntimeError(.shape, "conv2d", "a \(G.k)×\(G.k) kernel does not fit \(G.h)×\(G.w) input with padding \(padding)")
        }
        if let bias, bias.shape != [G.o] {
            throw RuntimeError(.shape, "conv2d", "bias of shape \(describe(bias.shape)) for \(G.o) output channels")
        }
        let x = try to(weight.dtype)
        let b = try bias?.to(weight.dtype)
        let out = try Tensor(uninitialized: [G.n, G.o, G.oh, G.ow], dtype: weight.dtype)
        if out.dtype == .f32 && G.direct {
            convForwardDirect(G, x, weight, b, out)
        } else if out.dtype == .f32 {
            try convForward(G, x, weight, b, out, Float.self)
        } else {
            try convForward(G, x, weight, b, out, Double.self)
        }
        let inputs = b.map { [x, weight, $0] } ?? [x, weight]
        guard inputs.contains(where: \.requiresGrad), GradMode.enabled else { return out }
        return Tensor.record("conv2d", out, inputs) { g, needs in
            let gg = try g.to(weight.dtype)
            let grads = out.dtype == .f32 && G.direct ? try convBackwardDirect(G, x, weight, gg, needs)
                : out.dtype == .f32 ? try convBackward(G, x, weight, gg, needs, Float.self)
                : try convBackward(G, x, weight, gg, needs, Double.self)
            return needs.count > 2 ? [grads.0, grads.1, needs[2] ? try convBiasGradient(G, gg) : nil] : [grads.0, grads.1]
        }
    }
}

/// db[o] = Σ over images and positions of g[·, o, ·, ·]: one pass per
/// channel (in parallel, each summed in a fixed order), not three reductions.
private func convBiasGradient(_ G: ConvGeometry, _ g: Tensor) throws -> Tensor {
    var sums = [Double](repeating: 0, count: G.o)
    func run<T: FloatElement>(_ gp: UnsafeMutablePointer<T>) {
        sums.withUnsafeMutableBufferPointer { out in
            Parallel.forEach(G.o) { oc in
                var total = 0.0
                for img in 0..<G.n { total += contiguousSum(gp + (img * G.o + oc) * G.positions, G.positions) }
                out[oc] = total
            }
        }
    }
    if g.dtype == .f32 { run(g.ptr(Float.self)) } else { run(g.ptr(Double.self)) }
    return try Tensor.from(sums, shape: [G.o], dtype: g.dtype)
}

private func convForward<T: FloatElement>(_ G: ConvGeometry, _ x: Tensor, _ weight: Tensor, _ bias: Tensor?, _ out: Tensor, _: T.Type) throws {
    let chunk = G.chunk(MemoryLayout<T>.size)
    let cols = try Tensor(uninitialized: [G.patch, chunk * G.positions], dtype: x.dtype)
    let res = try Tensor(uninitialized: [G.o, chunk * G.positions], dtype: x.dtype)
    var first = 0
    while first < G.n {
        let images = first..<Swift.min(first + chunk, G.n)
        let width = images.count * G.positions
        G.im2col(x.ptr(T.self), cols.ptr(T.self), images: images, rowStride: chunk * G.positions)
        // res[O, width] = W[O, patch] · cols[patch, width]
        try Tensor.gemm(weight, false, cols, false, into: res, m: G.o, n: width, k: G.patch, ldb: chunk * G.positions, ldc: chunk * G.positions)
        let r = res.ptr(T.self), o = out.ptr(T.self)
        let bp = bias?.ptr(T.self)
        let lower = images.lowerBound
        Parallel.forEach(images.count) { j in
            let img = lower + j
            for oc in 0..<G.o {
                let src = r + oc * chunk * G.positions + j * G.positions
                let dst = o + (img * G.o + oc) * G.positions
                let bv: T = bp?[oc] ?? 0
                for p in 0..<G.positions { dst[p] = src[p] + bv }
            }
        }
        first = images.upperBound
    }
}

private func convBackward<T: FloatElement>(_ G: ConvGeometry, _ x: Tensor, _ weight: Tensor, _ g: Tensor, _ needs: [Bool],
                                           _: T.Type) throws -> (Tensor?, Tensor?) {
    let chunk = G.chunk(MemoryLayout<T>.size)
    let dx: Tensor? = needs[0] ? try Tensor.zeros(x.shape, dtype: x.dtype) : nil
    let dw: Tensor? = needs[1] ? try Tensor.zeros(weight.shape, dtype: x.dtype) : nil
    let cols = try Tensor(uninitialized: [G.patch, chunk * G.positions], dtype: x.dtype)
    let gcols = try Tensor(uninitialized: [G.o, chunk * G.positions], dtype: x.dtype)
    let dwChunk = try Tensor(uninitialized: [G.o, G.patch], dtype: x.dtype)
    let ld = chunk * G.positions
    var first = 0
    while first < G.n {
        let images = first..<Swift.min(first + chunk, G.n)
        let width = images.count * G.positions
        // The output gradient of the chunk as [O, width].
        let gp = g.ptr(T.self), gc = gcols.ptr(T.self)
        let lower = images.lowerBound
        Parallel.forEach(images.count) { j in
            let img = lower + j
            for oc in 0..<G.o {
                (gc + oc * ld + j * G.positions).update(from: gp + (img * G.o + oc) * G.positions, count: G.positions)
            }
        }
        if let dw {
            G.im2col(x.ptr(T.self), cols.ptr(T.self), images: images, rowStride: ld)
            // dW[O, patch] += g[O, width] · colsᵀ[width, patch]
            try Tensor.gemm(gcols, false, cols, true, into: dwChunk, m: G.o, n: G.patch, k: width, lda: ld, ldb: ld)
            let d = dw.ptr(T.self), c = dwChunk.ptr(T.self)
            for i in 0..<(G.o * G.patch) { d[i] += c[i] }
        }
        if let dx {
            // dcols[patch, width] = Wᵀ[patch, O] · g[O, width]
            try Tensor.gemm(weight, true, gcols, false, into: cols, m: G.patch, n: width, k: G.o, ldb: ld, ldc: ld)
            G.col2im(cols.ptr(T.self), dx.ptr(T.self), images: images, rowStride: ld)
        }
        first = images.upperBound
    }
    return (dx, dw)
}

extension Conv2d {
    public static let kind = LayerKind("Conv2d", signature: "nn.Conv2d(cin, cout, k [, {stride=1, pad=0, bias=true, init=\"kaiming\"}])", help: """
        2-d convolution over [N,C,H,W] images with k×k filters.
          local conv = nn.Conv2d(1, 32, 3, {pad = 1})
        """, positional: [.init("in", .size), .init("out", .size), .init("kernel", .size)],
        options: [.init("stride", .size, default: 1), .init("padding", .size, default: 0, aliases: ["pad"]),
                  .init("bias", .flag, default: 1), LayerKind.initOption],
        tensors: { a in
            let (i, o, k) = (try a.size("in"), try a.size("out"), try a.size("kernel"))
            return [.parameter("weight", [o, i, k, k])] + (a.flag("bias", default: true) ? [.parameter("bias", [o])] : [])
        }) { a in
        try Conv2d(try a.size("in"), try a.size("out"), kernel: try a.size("kernel"), stride: try a.size("stride", default: 1),
                   padding: try a.size("padding", default: 0), bias: a.flag("bias", default: true),
                   initialization: try a.initialization(default: .kaiming))
    }
}
