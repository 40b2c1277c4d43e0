/// 2-d convolution (cross-correlation, as every framework computes it) over
/// [N, C, H, W] input with weights [O, C, k, k]. On AVX-512, f32 3×3 and 5×5
/// kernels of stride 1 with "same" padding run CKernels' direct convolution
/// (ConvDirect.swift). Every other case is lowered to GEMM: the input
/// patches are unrolled (im2col) for a chunk of images, one GEMM computes the
/// chunk's output, and the backward pass reuses GEMM with transpose flags and
/// folds the patch gradients back (col2im).
public final class Conv2d: Module {
    public let inputs: Int, outputs: Int
    /// Kernel, stride, padding and dilation, each (height, width).
    public let kernelSize: SizePair, strides: SizePair, paddings: SizePair, dilations: SizePair
    /// Channel groups (PyTorch's `groups`): weight [out, in/groups, kh, kw].
    public let groups: Int
    /// How the weights were drawn (recorded with the model: a run can be redone from its folder).
    public let initialization: Initialization
    /// The kernel's height (its side, for a square one).
    public var kernel: Int { kernelSize.height }

    public convenience init(_ inputs: Int, _ outputs: Int, kernel: Int, stride: Int = 1, padding: Int = 0, bias: Bool = true,
                            initialization: Initialization = .kaiming, dtype: DType = .f32) throws {
        try self.init(inputs, outputs, kernel: SizePair(kernel), stride: SizePair(stride), padding: SizePair(padding), bias: bias,
                      initialization: initialization, dtype: dtype)
    }

    public init(_ inputs: Int, _ outputs: Int, kernel: SizePair, stride: SizePair = SizePair(1), padding: SizePair = SizePair(0),
                dilation: SizePair = SizePair(1), groups: Int = 1, bias: Bool = true,
                initialization: Initialization = .kaiming, dtype: DType = .f32) throws {
        try checkConvolution("Conv2d", inputs, outputs, kernel: kernel, stride: stride, padding: padding, dilation: dilation, groups: groups)
        (self.inputs, self.outputs, kernelSize, strides, paddings, dilations, self.groups) = (inputs, outputs, kernel, stride, padding, dilation, groups)
        self.initialization = initialization
        super.init()
        let fanIn = inputs / groups * kernel.height * kernel.width
        try addParameter("weight", initialization.weights([outputs, inputs / groups, kernel.height, kernel.width], fanIn: fanIn, dtype: dtype))
        if bias { try addParameter("bias", Tensor.zeros([outputs], dtype: dtype)) }
    }

    public var weight: Tensor { parameter(0) }
    public var bias: Tensor? { parameterSlots.count > 1 ? parameter(1) : nil }

    override public var config: [String: Double] {
        var c = ["in": Double(inputs), "out": Double(outputs), "bias": bias == nil ? 0 : 1]
        kernelSize.record("kernel", into: &c)
        strides.record("stride", into: &c)
        paddings.record("padding", into: &c)
        if dilations != SizePair(1) { dilations.record("dilation", into: &c) }
        if groups != 1 { c["groups"] = Double(groups) }
        return c
    }

    override public var choices: [String: String] { ["init": initialization.rawValue] }

    override public func forward(_ x: Tensor) throws -> Tensor {
        try expectRank(x, [4], what: "images of shape [N,\(inputs),H,W]")
        try expectFeatures(x, inputs, dim: 1)
        return try x.conv2d(weight: weight, bias: bias, stride: strides.pair, padding: paddings.pair, dilation: dilations.pair, groups: groups)
    }

    override public var summary: String {
        "Conv2d(\(inputs) -> \(outputs), \(kernelSize.height)×\(kernelSize.width)" + (strides != SizePair(1) ? ", stride \(strides)" : "")
            + (paddings != SizePair(0) ? ", pad \(paddings)" : "") + (dilations != SizePair(1) ? ", dilation \(dilations)" : "")
            + (groups != 1 ? ", groups \(groups)" : "") + ")"
    }
}

/// 1-d convolution over [N, C, L] sequences (PyTorch's Conv1d: weight
/// [O, C/groups, k]), computed as a 2-d one of height 1.
public final class Conv1d: Module {
    public let inputs: Int, outputs: Int, kernel: Int, stride: Int, padding: Int, dilation: Int, groups: Int
    public let initialization: Initialization

    public init(_ inputs: Int, _ outputs: Int, kernel: Int, stride: Int = 1, padding: Int = 0, dilation: Int = 1, groups: Int = 1,
                bias: Bool = true, initialization: Initialization = .kaiming, dtype: DType = .f32) throws {
        try checkConvolution("Conv1d", inputs, outputs, kernel: SizePair(kernel), stride: SizePair(stride), padding: SizePair(padding),
                             dilation: SizePair(dilation), groups: groups)
        (self.inputs, self.outputs, self.kernel, self.stride, self.padding, self.dilation, self.groups) = (inputs, outputs, kernel, stride, padding, dilation, groups)
        self.initialization = initialization
        super.init()
        try addParameter("weight", initialization.weights([outputs, inputs / groups, kernel], fanIn: inputs / groups * kernel, dtype: dtype))
        if bias { try addParameter("bias", Tensor.zeros([outputs], dtype: dtype)) }
    }

    public var weight: Tensor { parameter(0) }
    public var bias: Tensor? { parameterSlots.count > 1 ? parameter(1) : nil }

    override public var config: [String: Double] {
        var c = ["in": Double(inputs), "out": Double(outputs), "kernel": Double(kernel), "stride": Double(stride),
                 "padding": Double(padding), "bias": bias == nil ? 0 : 1]
        if dilation != 1 { c["dilation"] = Double(dilation) }
        if groups != 1 { c["groups"] = Double(groups) }
        return c
    }

    override public var choices: [String: String] { ["init": initialization.rawValue] }

    override public func forward(_ x: Tensor) throws -> Tensor {
        try expectRank(x, [3], what: "sequences of shape [N,\(inputs),L]")
        try expectFeatures(x, inputs, dim: 1)
        let (n, l) = (x.shape[0], x.shape[2])
        let w = try weight.reshape([outputs, inputs / groups, 1, kernel])
        let y = try x.reshape([n, inputs, 1, l]).conv2d(weight: w, bias: bias, stride: (1, stride), padding: (0, padding),
                                                        dilation: (1, dilation), groups: groups)
        return try y.reshape([n, outputs, y.shape[3]])
    }

    override public var summary: String {
        "Conv1d(\(inputs) -> \(outputs), \(kernel)" + (stride != 1 ? ", stride \(stride)" : "") + (padding != 0 ? ", pad \(padding)" : "")
            + (dilation != 1 ? ", dilation \(dilation)" : "") + (groups != 1 ? ", groups \(groups)" : "") + ")"
    }
}

/// The arguments Conv2d and Conv1d share, checked once.
private func checkConvolution(_ layer: String, _ inputs: Int, _ outputs: Int, kernel: SizePair, stride: SizePair, padding: SizePair,
                              dilation: SizePair, groups: Int) throws {
    guard inputs > 0, outputs > 0, kernel.isPositive, stride.isPositive, dilation.isPositive, padding.height >= 0, padding.width >= 0 else {
        throw RuntimeError(.argument, layer, "channels, kernel, stride and dilation must be positive and padding non-negative")
    }
    guard groups > 0, inputs % groups == 0, outputs % groups == 0 else {
        throw RuntimeError(.argument, layer, "groups = \(groups) must divide both channel counts (\(inputs) in, \(outputs) out)")
    }
}

/// A size per spatial dimension: PyTorch's `kernel_size=(3, 1)`, or one number for both.
public struct SizePair: Sendable, Equatable, CustomStringConvertible {
    public let height: Int, width: Int
    public init(_ height: Int, _ width: Int) { (self.height, self.width) = (height, width) }
    public init(_ both: Int) { (height, width) = (both, both) }
    var pair: (Int, Int) { (height, width) }
    var isPositive: Bool { height > 0 && width > 0 }
    public var description: String { height == width ? "\(height)" : "\(height)×\(width)" }

    /// Into a config: `name` the height, `name_w` the width when it differs.
    func record(_ name: String, into c: inout [String: Double]) {
        c[name] = Double(height)
        if width != height { c[name + "_w"] = Double(width) }
    }
}

struct ConvGeometry {
    let n: Int, c: Int, h: Int, w: Int, o: Int
    /// Kernel, stride, padding and dilation, each (height, width).
    let kh: Int, kw: Int, sh: Int, sw: Int, ph: Int, pw: Int, dh: Int, dw: Int
    /// Channel groups: each sees c/groups inputs and makes o/groups outputs.
    let groups: Int

    init(n: Int, c: Int, h: Int, w: Int, o: Int, kernel: (Int, Int), stride: (Int, Int), padding: (Int, Int),
         dilation: (Int, Int) = (1, 1), groups: Int = 1) {
        (self.n, self.c, self.h, self.w, self.o) = (n, c, h, w, o)
        (kh, kw, sh, sw, ph, pw, dh, dw) = (kernel.0, kernel.1, stride.0, stride.1, padding.0, padding.1, dilation.0, dilation.1)
        self.groups = groups
    }

    var oh: Int { (h + 2 * ph - dh * (kh - 1) - 1) / sh + 1 }
    var ow: Int { (w + 2 * pw - dw * (kw - 1) - 1) / sw + 1 }
    /// Input and output channels of one group.
    var cg: Int { c / groups }
    var og: Int { o / groups }
    var patch: Int { cg * kh * kw }
    var positions: Int { oh * ow }
    /// The square, undilated, ungrouped case the direct kernels take.
    var isPlain: Bool { kh == kw && sh == sw && ph == pw && dh == 1 && dw == 1 && groups == 1 }
    var k: Int { kh }
    var stride: Int { sh }
    var pad: Int { ph }

    /// ⌊a / b⌋ for b > 0, negative a included.
    @inline(__always) private static func floorDiv(_ a: Int, _ b: Int) -> Int { a >= 0 ? a / b : -((-a + b - 1) / b) }

    /// The output columns whose input column xo·sw − pw + kj·dw lies inside the image.
    @inline(__always) func inside(_ kj: Int) -> Range<Int> {
        let lo = Swift.max(0, Self.floorDiv(pw - kj * dw + sw - 1, sw))
        let hi = Swift.min(ow, Self.floorDiv(w - 1 + pw - kj * dw, sw) + 1)
        return lo..<Swift.max(lo, hi)
    }

    /// Group `group`'s patches of `images` as columns: row (ci·kh + ki)·kw + kj, one column per output position.
    func im2col<T: FloatElement>(_ x: UnsafePointer<T>, _ cols: UnsafeMutablePointer<T>, images: Range<Int>, rowStride: Int, group: Int = 0) {
        let width = rowStride
        Parallel.forEach(cg) { ci in
            for ki in 0..<kh {
                for kj in 0..<kw {
                    let row = cols + ((ci * kh + ki) * kw + kj) * width
                    let span = inside(kj)
                    for (j, img) in images.enumerated() {
                        let src = x + (img * c + group * cg + ci) * h * w
                        let dst = row + j * positions
                        for y in 0..<oh {
                            let iy = y * sh - ph + ki * dh
                            let line = dst + y * ow
                            if iy < 0 || iy >= h || span.isEmpty {
                                line.update(repeating: 0, count: ow)
                                continue
                            }
                            if span.lowerBound > 0 { line.update(repeating: 0, count: span.lowerBound) }
                            if span.upperBound < ow { (line + span.upperBound).update(repeating: 0, count: ow - span.upperBound) }
                            let from = src + iy * w - pw + kj * dw
                            if sw == 1 {
                                (line + span.lowerBound).update(from: from + span.lowerBound, count: span.count)
                            } else {
                                for xo in span { line[xo] = from[xo * sw] }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The adjoint of im2col: columns added back into group `group`'s input positions.
    func col2im<T: FloatElement>(_ cols: UnsafePointer<T>, _ dx: UnsafeMutablePointer<T>, images: Range<Int>, rowStride: Int, group: Int = 0) {
        let width = rowStride
        Parallel.forEach(cg) { ci in
            for ki in 0..<kh {
                for kj in 0..<kw {
                    let row = cols + ((ci * kh + ki) * kw + kj) * width
                    let span = inside(kj)
                    guard !span.isEmpty else { continue }
                    for (j, img) in images.enumerated() {
                        let dst = dx + (img * c + group * cg + ci) * h * w
                        let src = row + j * positions
                        for y in 0..<oh {
                            let iy = y * sh - ph + ki * dh
                            guard iy >= 0 && iy < h else { continue }
                            let to = dst + iy * w - pw + kj * dw, line = src + y * ow
                            if sw == 1 {
                                for xo in span { to[xo] += line[xo] }
                            } else {
                                for xo in span { to[xo * sw] += line[xo] }
                            }
                        }
                    }
                }
            }
        }
    }

    func chunk(_ elementSize: Int) -> Int {
        Swift.max(1, Swift.min(n, ConvGeometry.chunkBytes / Swift.max(1, patch * positions * elementSize)))
    }

    /// Settable so tests can force partial last chunks.
    nonisolated(unsafe) static var chunkBytes = 8 << 20
}

extension Tensor {
    /// Convolution of [N,C,H,W] input with [O,C,kh,kw] weights (and an [O] bias), one stride and padding for both dimensions.
    public func conv2d(weight: Tensor, bias: Tensor?, stride: Int = 1, padding: Int = 0) throws -> Tensor {
        try conv2d(weight: weight, bias: bias, stride: (stride, stride), padding: (padding, padding))
    }

    /// PyTorch's conv2d: [N, C, H, W] with weight [O, C/groups, kh, kw], each of
    /// stride, padding and dilation given for (height, width).
    public func conv2d(weight: Tensor, bias: Tensor?, stride: (Int, Int), padding: (Int, Int),
                       dilation: (Int, Int) = (1, 1), groups: Int = 1) throws -> Tensor {
        try requireFloat("conv2d")
        guard groups > 0, rank == 4, weight.rank == 4, shape[1] % groups == 0, weight.shape[0] % groups == 0,
              weight.shape[1] * groups == shape[1] else {
            throw RuntimeError(.shape, "conv2d", "input \(describe(shape)) and weight \(describe(weight.shape)) do not fit "
                               + "(expected [N,C,H,W] and [O,C/groups,kh,kw] with C and O multiples of groups = \(groups))")
        }
        let G = ConvGeometry(n: shape[0], c: shape[1], h: shape[2], w: shape[3], o: weight.shape[0], kernel: (weight.shape[2], weight.shape[3]),
                             stride: stride, padding: padding, dilation: dilation, groups: groups)
        guard G.sh > 0, G.sw > 0, G.ph >= 0, G.pw >= 0, G.dh > 0, G.dw > 0 else {
            throw RuntimeError(.argument, "conv2d", "stride and dilation must be positive and padding non-negative")
        }
        guard G.h + 2 * G.ph >= G.dh * (G.kh - 1) + 1, G.w + 2 * G.pw >= G.dw * (G.kw - 1) + 1 else {
            throw RuntimeError(.shape, "conv2d", "a \(G.kh)×\(G.kw) kernel (dilation \(G.dh)×\(G.dw)) does not fit \(G.h)×\(G.w) input with padding \(G.ph)×\(G.pw)")
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
    let ld = chunk * G.positions
    let cols = try Tensor(uninitialized: [G.patch, ld], dtype: x.dtype)
    let res = try Tensor(uninitialized: [G.o, ld], dtype: x.dtype)
    var first = 0
    while first < G.n {
        let images = first..<Swift.min(first + chunk, G.n)
        let width = images.count * G.positions
        for g in 0..<G.groups {
            G.im2col(x.ptr(T.self), cols.ptr(T.self), images: images, rowStride: ld, group: g)
            // res[group's O, width] = W[group's O, patch] · cols[patch, width]
            try Tensor.gemm(weight, false, cols, false, into: res, m: G.og, n: width, k: G.patch,
                            offsets: (g * G.og * G.patch, 0, g * G.og * ld), ldb: ld, ldc: ld)
        }
        let r = res.ptr(T.self), o = out.ptr(T.self)
        let bp = bias?.ptr(T.self)
        let lower = images.lowerBound
        Parallel.forEach(images.count) { j in
            let img = lower + j
            for oc in 0..<G.o {
                let src = r + oc * ld + j * G.positions
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
    let ld = chunk * G.positions
    let cols = try Tensor(uninitialized: [G.patch, ld], dtype: x.dtype)
    let gcols = try Tensor(uninitialized: [G.o, ld], dtype: x.dtype)
    let dwChunk = try Tensor(uninitialized: [G.og, G.patch], dtype: x.dtype)
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
        for grp in 0..<G.groups {
            if let dw {
                G.im2col(x.ptr(T.self), cols.ptr(T.self), images: images, rowStride: ld, group: grp)
                // dW[group's O, patch] += g[group's O, width] · colsᵀ[width, patch]
                try Tensor.gemm(gcols, false, cols, true, into: dwChunk, m: G.og, n: G.patch, k: width,
                                offsets: (grp * G.og * ld, 0, 0), lda: ld, ldb: ld)
                let d = dw.ptr(T.self) + grp * G.og * G.patch, c = dwChunk.ptr(T.self)
                for i in 0..<(G.og * G.patch) { d[i] += c[i] }
            }
            if let dx {
                // dcols[patch, width] = W[group's O, patch]ᵀ · g[group's O, width]
                try Tensor.gemm(weight, true, gcols, false, into: cols, m: G.patch, n: width, k: G.og,
                                offsets: (grp * G.og * G.patch, grp * G.og * ld, 0), ldb: ld, ldc: ld)
                G.col2im(cols.ptr(T.self), dx.ptr(T.self), images: images, rowStride: ld, group: grp)
            }
        }
        first = images.upperBound
    }
    return (dx, dw)
}

extension Conv2d {
    public static let kind = LayerKind("Conv2d", signature: "nn.Conv2d(cin, cout, k [, {stride=1, padding=0, dilation=1, groups=1, bias=true, init=\"kaiming\"}])", help: """
        2-d convolution over [N,C,H,W] images (PyTorch's Conv2d): k, stride, padding and dilation are each a
        size or {height, width}; groups splits the channels (weight [cout, cin/groups, kh, kw]).
          local conv = nn.Conv2d(1, 32, 3, {pad = 1})
          local tall = nn.Conv2d(3, 8, {3, 1}, {stride = {2, 1}, padding = {1, 0}, dilation = 2, groups = 1})
        """, positional: [.init("in", .size), .init("out", .size), .init("kernel", .sizePair)],
        options: [.init("stride", .sizePair, default: 1), .init("padding", .sizePair, default: 0, aliases: ["pad"]),
                  .init("dilation", .sizePair, default: 1), .init("groups", .size, default: 1),
                  .init("bias", .flag, default: 1), LayerKind.initOption],
        tensors: { a in
            let (i, o, k, g) = (try a.size("in"), try a.size("out"), try a.sizePair("kernel"), try a.size("groups", default: 1))
            guard g > 0, i % g == 0 else { throw RuntimeError(.argument, "Conv2d", "groups = \(g) must divide \(i) input channels") }
            return [.parameter("weight", [o, i / g, k.height, k.width])] + (a.flag("bias", default: true) ? [.parameter("bias", [o])] : [])
        }) { a in
        try Conv2d(try a.size("in"), try a.size("out"), kernel: try a.sizePair("kernel"), stride: try a.sizePair("stride", default: 1),
                   padding: try a.sizePair("padding", default: 0), dilation: try a.sizePair("dilation", default: 1),
                   groups: try a.size("groups", default: 1), bias: a.flag("bias", default: true),
                   initialization: try a.initialization(default: .kaiming))
    }
}

extension Conv1d {
    public static let kind = LayerKind("Conv1d", signature: "nn.Conv1d(cin, cout, k [, {stride=1, padding=0, dilation=1, groups=1, bias=true, init=\"kaiming\"}])", help: """
        1-d convolution over [N,C,L] sequences (PyTorch's Conv1d; weight [cout, cin/groups, k]).
          local conv = nn.Conv1d(16, 32, 5, {padding = 2})
        """, positional: [.init("in", .size), .init("out", .size), .init("kernel", .size)],
        options: [.init("stride", .size, default: 1), .init("padding", .size, default: 0, aliases: ["pad"]),
                  .init("dilation", .size, default: 1), .init("groups", .size, default: 1),
                  .init("bias", .flag, default: 1), LayerKind.initOption],
        tensors: { a in
            let (i, o, k, g) = (try a.size("in"), try a.size("out"), try a.size("kernel"), try a.size("groups", default: 1))
            guard g > 0, i % g == 0 else { throw RuntimeError(.argument, "Conv1d", "groups = \(g) must divide \(i) input channels") }
            return [.parameter("weight", [o, i / g, k])] + (a.flag("bias", default: true) ? [.parameter("bias", [o])] : [])
        }) { a in
        try Conv1d(try a.size("in"), try a.size("out"), kernel: try a.size("kernel"), stride: try a.size("stride", default: 1),
                   padding: try a.size("padding", default: 0), dilation: try a.size("dilation", default: 1),
                   groups: try a.size("groups", default: 1), bias: a.flag("bias", default: true),
                   initialization: try a.initialization(default: .kaiming))
    }
}
