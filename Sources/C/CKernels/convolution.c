/* Direct convolution of f32 images for stride 1 and "same" output (an odd
 * k×k kernel, padding (k−1)/2): the layers of nearly every small convnet.
 * Lowered to GEMM, a 32→64 3×3 layer on 14×14 images spent half its time
 * outside the multiply: unrolling patches, OpenBLAS's packing of them, and
 * copies between the GEMM's layout and NCHW.
 *
 * Here the output plane is flattened and taken 16 positions a vector, so a
 * 14-wide row does not leave a vector two-thirds empty. A tap (ki, kj) reads
 * the input at a fixed offset from the output position; the lanes whose
 * source falls outside the image (above, below, or across a row's end) are
 * masked off at the multiply-add, so they add nothing. That is the padding,
 * with nothing written and nothing multiplied. The input gradient is the
 * same kernel with the weights transposed and flipped; the weight gradient
 * sums, per (o, c, tap), the products of the output gradient with the same
 * shifted inputs. */
#include <stdint.h>
#include "optlab_kernels.h"
#include "level.h"

enum { BLOCK = 8 }; /* output channels per register block, one broadcast each */

ptrdiff_t optlab_conv_packed_size(ptrdiff_t outputs, ptrdiff_t inputs, ptrdiff_t k) {
    return (outputs + BLOCK - 1) / BLOCK * BLOCK * inputs * k * k;
}

void optlab_conv_pack_f32(const float *w, float *packed, ptrdiff_t o, ptrdiff_t c, ptrdiff_t k, int adjoint) {
    ptrdiff_t kk = k * k;
    ptrdiff_t outs = adjoint ? c : o, ins = adjoint ? o : c;
    ptrdiff_t blocks = (outs + BLOCK - 1) / BLOCK;
    for (ptrdiff_t b = 0; b < blocks; b++)
        for (ptrdiff_t i = 0; i < ins; i++)
            for (ptrdiff_t t = 0; t < kk; t++)
                for (ptrdiff_t j = 0; j < BLOCK; j++) {
                    ptrdiff_t out = b * BLOCK + j;
                    float v = 0;
                    if (out < outs) v = adjoint ? w[(i * c + out) * kk + (kk - 1 - t)] : w[(out * c + i) * kk + t];
                    packed[((b * ins + i) * kk + t) * BLOCK + j] = v;
                }
}

ptrdiff_t optlab_conv_masks_size(ptrdiff_t h, ptrdiff_t w, ptrdiff_t k) { return (h * w + 15) / 16 * k * k; }

void optlab_conv_masks(uint16_t *masks, ptrdiff_t h, ptrdiff_t w, ptrdiff_t k) {
    ptrdiff_t hw = h * w, nv = (hw + 15) / 16, pad = k / 2;
    for (ptrdiff_t v = 0; v < nv; v++)
        for (ptrdiff_t ki = 0; ki < k; ki++)
            for (ptrdiff_t kj = 0; kj < k; kj++) {
                uint16_t m = 0;
                for (int lane = 0; lane < 16; lane++) {
                    ptrdiff_t p = v * 16 + lane;
                    if (p >= hw) break;
                    ptrdiff_t r = p / w + ki - pad, q = p % w + kj - pad;
                    if (r >= 0 && r < h && q >= 0 && q < w) m |= (uint16_t)(1u << lane);
                }
                masks[v * k * k + ki * k + kj] = m;
            }
}

int optlab_conv_direct(ptrdiff_t k) {
#if defined(__x86_64__)
    return optlab_kernel_level() == 2 && (k == 3 || k == 5);
#else
    (void)k;
    return 0;
#endif
}

#if defined(__x86_64__)
#include "avx512.h"

/* Each tap's offset from the output position in a w-wide plane; returns the
 * farthest (a vector whose loads stay that far from the plane's ends reads
 * only the plane). */
static ptrdiff_t tap_offsets(ptrdiff_t off[25], ptrdiff_t w, ptrdiff_t k) {
    ptrdiff_t pad = k / 2;
    for (ptrdiff_t ki = 0; ki < k; ki++)
        for (ptrdiff_t kj = 0; kj < k; kj++) off[ki * k + kj] = (ki - pad) * w + (kj - pad);
    return pad * w + pad;
}

/* A tap's 16 inputs. Where the whole vector lies inside the input plane it is
 * a plain load, and the lanes outside the image are masked at the
 * multiply-add instead (merge-masked: those lanes add nothing, as if the
 * padding were not there). On this CPU a masked load that crosses a cache
 * line, as most taps' do, made the weight gradient 1.4× slower. Near the
 * plane's ends it is a masked load, which touches no memory outside. */
AVX512 static INLINE __m512 tap_load(const int inside, __mmask16 m, const float *p) {
    return inside ? _mm512_loadu_ps(p) : _mm512_maskz_loadu_ps(m, p);
}

/* One register block: BLOCK output channels × V vectors of positions from
 * p0, summed over every input channel and tap; stored with the bias.
 * `inside`: every tap's load of the block lies inside the plane. */
AVX512 static INLINE void conv_block(const int V, const int inside, const float *x, const float *wb, const float *bias,
                                     float *y, const uint16_t *masks, const ptrdiff_t *off, ptrdiff_t c, ptrdiff_t hw,
                                     int kk, ptrdiff_t p0, ptrdiff_t outs) {
    __m512 acc[BLOCK][3];
    __mmask16 m[3][25];
    for (int v = 0; v < V; v++)
        for (int t = 0; t < kk; t++) m[v][t] = masks[(p0 / 16 + v) * kk + t];
    for (int j = 0; j < BLOCK; j++)
        for (int v = 0; v < V; v++) acc[j][v] = _mm512_setzero_ps();
    for (ptrdiff_t ci = 0; ci < c; ci++) {
        const float *xc = x + ci * hw + p0;
        const float *wc = wb + ci * kk * BLOCK;
        for (int t = 0; t < kk; t++) {
            __m512 xv[3];
            for (int v = 0; v < V; v++) xv[v] = tap_load(inside, m[v][t], xc + v * 16 + off[t]);
            for (int j = 0; j < BLOCK; j++) {
                __m512 wj = _mm512_set1_ps(wc[t * BLOCK + j]);
                for (int v = 0; v < V; v++) acc[j][v] = _mm512_mask3_fmadd_ps(wj, xv[v], acc[j][v], m[v][t]);
            }
        }
    }
    for (int j = 0; j < BLOCK && j < outs; j++) {
        __m512 b = _mm512_set1_ps(bias ? bias[j] : 0.0f);
        for (int v = 0; v < V; v++) {
            ptrdiff_t p = p0 + v * 16;
            _mm512_mask_storeu_ps(y + j * hw + p, lanes_below(hw - p), _mm512_add_ps(acc[j][v], b));
        }
    }
}

AVX512 static void conv_image_avx512(const float *x, const float *packed, const float *bias, float *y,
                                     const uint16_t *masks, ptrdiff_t c, ptrdiff_t o, ptrdiff_t h, ptrdiff_t w,
                                     ptrdiff_t k) {
    ptrdiff_t hw = h * w, nv = (hw + 15) / 16, off[25], reach = tap_offsets(off, w, k);
    int kk = (int)(k * k);
    for (ptrdiff_t b = 0; b * BLOCK < o; b++) {
        const float *wb = packed + b * c * kk * BLOCK;
        const float *bb = bias ? bias + b * BLOCK : 0;
        float *yb = y + b * BLOCK * hw;
        ptrdiff_t outs = o - b * BLOCK;
        /* blocks of 3 vectors; a remainder of 4 as 2 + 2 (a block of 1 is
         * bound by its loads: 8 broadcasts for 8 multiply-adds) */
        ptrdiff_t v = 0;
#define CONV_BLOCK(V)                                                                                   \
    do {                                                                                                \
        if (v * 16 >= reach && (v + (V)) * 16 + reach <= hw)                                            \
            conv_block((V), 1, x, wb, bb, yb, masks, off, c, hw, kk, v * 16, outs);                     \
        else                                                                                            \
            conv_block((V), 0, x, wb, bb, yb, masks, off, c, hw, kk, v * 16, outs);                     \
        v += (V);                                                                                       \
    } while (0)
        while (nv - v >= 5 || nv - v == 3) CONV_BLOCK(3);
        while (nv - v >= 2) CONV_BLOCK(2);
        if (nv - v == 1) CONV_BLOCK(1);
#undef CONV_BLOCK
    }
}

/* One vector of positions v: the products of G outputs' gradients with the
 * KK shifted inputs, into acc (the lanes outside the image add nothing). */
AVX512 static INLINE void weight_grad_step(const int G, const int KK, const int inside, const float *xc,
                                           const float *dyo, const uint16_t *masks, const ptrdiff_t *off,
                                           ptrdiff_t hw, ptrdiff_t v, __m512 acc[3][25]) {
    __mmask16 valid = lanes_below(hw - v * 16);
    __m512 d[3];
    UNROLL for (int g = 0; g < G; g++)
        d[g] = v * 16 + 16 <= hw ? _mm512_loadu_ps(dyo + g * hw + v * 16) : _mm512_maskz_loadu_ps(valid, dyo + g * hw + v * 16);
    const uint16_t *mv = masks + v * KK;
    if (inside) {
        /* every row of these taps is inside the image: a tap's mask is its
         * column's (the middle row's), and the middle column needs none
         * (k masks to load instead of k², dW 10.6 → 9.6 ms) */
        const int k = KK == 9 ? 3 : 5, pad = k / 2;
        UNROLL for (int t = 0; t < KK; t++) {
            __m512 xv = _mm512_loadu_ps(xc + v * 16 + off[t]);
            const int kj = t % k;
            UNROLL for (int g = 0; g < G; g++)
                acc[g][t] = kj == pad ? _mm512_fmadd_ps(d[g], xv, acc[g][t])
                                      : _mm512_mask3_fmadd_ps(d[g], xv, acc[g][t], mv[pad * k + kj]);
        }
        return;
    }
    UNROLL for (int t = 0; t < KK; t++) {
        __m512 xv = _mm512_maskz_loadu_ps(mv[t], xc + v * 16 + off[t]);
        UNROLL for (int g = 0; g < G; g++) acc[g][t] = _mm512_mask3_fmadd_ps(d[g], xv, acc[g][t], mv[t]);
    }
}

/* dW[o][c][tap] += Σ over `images` and positions of dy[n][o][p]·x[n][c][p + off(tap)],
 * for G consecutive outputs and one input channel; KK taps in registers.
 * Each load of x serves G outputs: with G = 3 the loop is bound by
 * multiply-adds rather than loads (a 32→64 layer's dW 13.8 → 11.3 ms). */
AVX512 static INLINE void weight_grad_group(const int G, const int KK, const float *x, const float *dy, float *dw,
                                            const uint16_t *masks, const ptrdiff_t *off, ptrdiff_t images,
                                            ptrdiff_t c, ptrdiff_t o, ptrdiff_t hw, ptrdiff_t reach, ptrdiff_t og,
                                            ptrdiff_t ci) {
    __m512 acc[3][25];
    ptrdiff_t nv = (hw + 15) / 16;
    UNROLL for (int g = 0; g < G; g++)
        UNROLL for (int t = 0; t < KK; t++) acc[g][t] = _mm512_setzero_ps();
    for (ptrdiff_t n = 0; n < images; n++) {
        const float *xc = x + (n * c + ci) * hw;
        const float *dyo = dy + (n * o + og) * hw;
        for (ptrdiff_t v = 0; v < nv; v++) {
            if (v * 16 >= reach && v * 16 + 16 + reach <= hw)
                weight_grad_step(G, KK, 1, xc, dyo, masks, off, hw, v, acc);
            else
                weight_grad_step(G, KK, 0, xc, dyo, masks, off, hw, v, acc);
        }
    }
    UNROLL for (int g = 0; g < G; g++)
        UNROLL for (int t = 0; t < KK; t++) dw[((og + g) * c + ci) * KK + t] += _mm512_reduce_add_ps(acc[g][t]);
}

AVX512 static void weight_grad_avx512(const float *x, const float *dy, float *dw, const uint16_t *masks,
                                      ptrdiff_t images, ptrdiff_t c, ptrdiff_t o, ptrdiff_t o0, ptrdiff_t o1,
                                      ptrdiff_t h, ptrdiff_t w, ptrdiff_t k) {
    ptrdiff_t hw = h * w, off[25], reach = tap_offsets(off, w, k);
    /* blocks of images whose input and output gradient stay in L2 (about 1 MB)
     * while every (o, c) pair of the range passes over them; sized by the
     * whole layer, so that the sums' order does not depend on the range */
    ptrdiff_t per = (c + o) * hw * (ptrdiff_t)sizeof(float);
    ptrdiff_t block = per > 0 ? (1 << 20) / per : images;
    if (block < 1) block = 1;
    for (ptrdiff_t n0 = 0; n0 < images; n0 += block) {
        ptrdiff_t count = images - n0 < block ? images - n0 : block;
        const float *xb = x + n0 * c * hw, *dyb = dy + n0 * o * hw;
        /* groups of 3 outputs for 3×3 kernels (the rest as 2 or 1); one for 5×5, whose 25 taps fill the registers */
        for (ptrdiff_t og = o0; og < o1;) {
            ptrdiff_t g = k == 5 ? 1 : o1 - og >= 3 ? 3 : o1 - og;
#define GROUP(G, KK) \
    for (ptrdiff_t ci = 0; ci < c; ci++) weight_grad_group((G), (KK), xb, dyb, dw, masks, off, count, c, o, hw, reach, og, ci)
            if (k == 5) GROUP(1, 25);
            else if (g == 3) GROUP(3, 9);
            else if (g == 2) GROUP(2, 9);
            else GROUP(1, 9);
#undef GROUP
            og += g;
        }
    }
}
#endif

void optlab_conv_same_f32(const float *x, const float *packed, const float *bias, float *y, const uint16_t *masks,
                          ptrdiff_t c, ptrdiff_t o, ptrdiff_t h, ptrdiff_t w, ptrdiff_t k) {
#if defined(__x86_64__)
    if (optlab_conv_direct(k)) conv_image_avx512(x, packed, bias, y, masks, c, o, h, w, k);
#else
    (void)x, (void)packed, (void)bias, (void)y, (void)masks, (void)c, (void)o, (void)h, (void)w, (void)k;
#endif
}

void optlab_conv_same_weight_grad_f32(const float *x, const float *dy, float *dw, const uint16_t *masks,
                                      ptrdiff_t images, ptrdiff_t c, ptrdiff_t o, ptrdiff_t o0, ptrdiff_t o1,
                                      ptrdiff_t h, ptrdiff_t w, ptrdiff_t k) {
#if defined(__x86_64__)
    if (optlab_conv_direct(k)) weight_grad_avx512(x, dy, dw, masks, images, c, o, o0, o1, h, w, k);
#else
    (void)x, (void)dy, (void)dw, (void)masks, (void)images, (void)c, (void)o, (void)o0, (void)o1, (void)h, (void)w, (void)k;
#endif
}
