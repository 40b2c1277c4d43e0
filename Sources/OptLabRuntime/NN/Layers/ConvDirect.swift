import CKernels

/// Stride-1 "same" convolutions of f32 images by CKernels' direct kernels
/// (convolution.c): no patch matrix, no packing by BLAS, no copies between
/// layouts. Images run in parallel for the output and the input gradient;
/// the weight gradient splits the output channels. Every sum is added in an
/// order set by the shapes alone, so results are the same at any thread count.
extension ConvGeometry {
    /// Whether the direct kernels compute this convolution (when it is f32).
    var direct: Bool {
        isPlain && stride == 1 && 2 * pad == k - 1 && ConvGeometry.allowDirect && optlab_conv_direct(k) != 0
    }

    /// Settable so tests can compare the direct kernels with the GEMM path.
    nonisolated(unsafe) static var allowDirect = true

    /// The in-image lanes of every 16-position vector and tap.
    func directMasks() -> [UInt16] {
        let count = optlab_conv_masks_size(h, w, k)
        return [UInt16](unsafeUninitializedCapacity: count) { buffer, n in
            optlab_conv_masks(buffer.baseAddress!, h, w, k)
            n = count
        }
    }

    /// The weights in the kernels' blocks: [O, C, k, k] as is, or (adjoint)
    /// transposed and flipped for the input gradient.
    func packed(_ weight: Tensor, adjoint: Bool) -> [Float] {
        let count = adjoint ? optlab_conv_packed_size(c, o, k) : optlab_conv_packed_size(o, c, k)
        return [Float](unsafeUninitializedCapacity: count) { buffer, n in
            optlab_conv_pack_f32(weight.ptr(Float.self), buffer.baseAddress!, o, c, k, adjoint ? 1 : 0)
            n = count
        }
    }
}

/// The kernel over every image, in parallel: `inputs` channels of `source`
/// to `outputs` channels of `target` with the packed weights.
private func convolveImages(_ G: ConvGeometry, _ source: UnsafeMutablePointer<Float>, inputs: Int,
                            _ target: UnsafeMutablePointer<Float>, outputs: Int, _ packed: [Float],
                            bias: UnsafeMutablePointer<Float>?, _ masks: [UInt16]) {
    let plane = G.h * G.w
    masks.withUnsafeBufferPointer { m in
        packed.withUnsafeBufferPointer { wp in
            Parallel.forRanges(G.n, grain: 2) { images in
                for img in images {
                    optlab_conv_same_f32(source + img * inputs * plane, wp.baseAddress!, bias, target + img * outputs * plane,
                                         m.baseAddress!, inputs, outputs, G.h, G.w, G.k)
                }
            }
        }
    }
}

func convForwardDirect(_ G: ConvGeometry, _ x: Tensor, _ weight: Tensor, _ bias: Tensor?, _ out: Tensor) {
    convolveImages(G, x.ptr(Float.self), inputs: G.c, out.ptr(Float.self), outputs: G.o, G.packed(weight, adjoint: false),
                   bias: bias?.ptr(Float.self), G.directMasks())
}

func convBackwardDirect(_ G: ConvGeometry, _ x: Tensor, _ weight: Tensor, _ g: Tensor, _ needs: [Bool]) throws -> (Tensor?, Tensor?) {
    let masks = G.directMasks()
    let xp = x.ptr(Float.self), gp = g.ptr(Float.self)
    var dx: Tensor?, dw: Tensor?
    if needs[0] {
        // the input gradient: the output gradient convolved with the weights transposed and flipped
        let result = try Tensor(uninitialized: x.shape, dtype: .f32)
        convolveImages(G, gp, inputs: G.o, result.ptr(Float.self), outputs: G.c, G.packed(weight, adjoint: true), bias: nil, masks)
        dx = result
    }
    if needs[1] {
        let result = try Tensor.zeros(weight.shape, dtype: .f32)
        let dp = result.ptr(Float.self)
        masks.withUnsafeBufferPointer { m in
            // ranges of at least 3 outputs: the kernel's group
            Parallel.forRanges(G.o, grain: 6) { r in
                optlab_conv_same_weight_grad_f32(xp, gp, dp, m.baseAddress!, G.n, G.c, G.o, r.lowerBound, r.upperBound,
                                                 G.h, G.w, G.k)
            }
        }
        dw = result
    }
    return (dx, dw)
}
