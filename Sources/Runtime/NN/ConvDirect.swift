import CKernels

/// Stride-1 "same" convolutions of f32 images by CKernels' direct kernels
/// (convolution.c): no patch matrix, no packing by BLAS, no copies between
/// layouts. Images run in parallel for the output and the input gradient;
/// the weight gradient splits the output channels. Every sum is added in an
/// order set by the shapes alone, so results are the same at any thread count.
extension ConvGeometry {
    /// Whether the direct kernels compute this convolution (when it is f32).
    var direct: Bool {
        stride == 1 && 2 * pad == k - 1 && ConvGeometry.allowDirect && optlab_conv_direct(k) != 0
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

func convForwardDirect(_ G: ConvGeometry, _ x: Tensor, _ weight: Tensor, _ bias: Tensor?, _ out: Tensor) {
    let masks = G.directMasks(), packed = G.packed(weight, adjoint: false)
    let plane = G.h * G.w, xp = x.ptr(Float.self), yp = out.ptr(Float.self), bp = bias?.ptr(Float.self)
    masks.withUnsafeBufferPointer { m in
        packed.withUnsafeBufferPointer { wp in
            Parallel.forRanges(G.n, grain: 2) { images in
                for img in images {
                    optlab_conv_same_f32(xp + img * G.c * plane, wp.baseAddress!, bp, yp + img * G.o * plane, m.baseAddress!,
                                         G.c, G.o, G.h, G.w, G.k)
                }
            }
        }
    }
}

func convBackwardDirect(_ G: ConvGeometry, _ x: Tensor, _ weight: Tensor, _ g: Tensor, _ needs: [Bool]) throws -> (Tensor?, Tensor?) {
    let masks = G.directMasks()
    let plane = G.h * G.w, xp = x.ptr(Float.self), gp = g.ptr(Float.self)
    var dx: Tensor?, dw: Tensor?
    if needs[0] {
        let result = try Tensor(uninitialized: x.shape, dtype: .f32)
        let packed = G.packed(weight, adjoint: true), dp = result.ptr(Float.self)
        masks.withUnsafeBufferPointer { m in
            packed.withUnsafeBufferPointer { wp in
                Parallel.forRanges(G.n, grain: 2) { images in
                    for img in images {
                        optlab_conv_same_f32(gp + img * G.o * plane, wp.baseAddress!, nil, dp + img * G.c * plane, m.baseAddress!,
                                             G.o, G.c, G.h, G.w, G.k)
                    }
                }
            }
        }
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
