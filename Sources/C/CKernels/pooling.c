/* 2×2 max pooling with stride 2 on f32 planes: the pooling layer of nearly
 * every small convnet, and 7.7% of a Fashion-MNIST convnet epoch as a scalar
 * loop with a branch per element. The AVX-512 version takes 16 windows at a
 * time: each row pair's even and odd columns are split apart with one
 * permute, and the four candidates are compared in window order. */
#include <stdint.h>
#include "optlab_kernels.h"
#include "level.h"

/* The rules of every max pooling path: the window's first NaN wins (a NaN is
 * never hidden); otherwise its first largest value. `at` is the winner's
 * offset within the input plane. */
static void maxpool2_rows_scalar(const float *r0, const float *r1, float *y, int32_t *at,
                                 ptrdiff_t ow, int32_t row0, int32_t w) {
    for (ptrdiff_t xo = 0; xo < ow; xo++) {
        const float v[4] = {r0[2 * xo], r0[2 * xo + 1], r1[2 * xo], r1[2 * xo + 1]};
        const int32_t off[4] = {0, 1, w, w + 1};
        int best = 0;
        for (int i = 1; i < 4 && v[best] == v[best]; i++) {
            if (v[i] != v[i] || v[i] > v[best]) best = i;
        }
        y[xo] = v[best];
        at[xo] = row0 + (int32_t)(2 * xo) + off[best];
    }
}

#if defined(__x86_64__)
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,fma")))

/* Candidate v replaces the best so far where it is larger, or where it is a
 * NaN and the best is not (then nothing replaces it: v > NaN is false). */
AVX512 static inline void maxpool2_take(__m512 v, __m512i code, __m512 *best, __m512i *which) {
    __mmask16 bigger = _mm512_cmp_ps_mask(v, *best, _CMP_GT_OQ);
    __mmask16 nan = _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q) & ~_mm512_cmp_ps_mask(*best, *best, _CMP_UNORD_Q);
    __mmask16 take = bigger | nan;
    *best = _mm512_mask_mov_ps(*best, take, v);
    *which = _mm512_mask_mov_epi32(*which, take, code);
}

AVX512 static void maxpool2_rows_avx512(const float *r0, const float *r1, float *y, int32_t *at,
                                        ptrdiff_t ow, int32_t row0, int32_t w) {
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
    const __m512i lane2 = _mm512_add_epi32(even, _mm512_set1_epi32(row0));   /* 2·lane + row0 */
    const __m512i zero = _mm512_setzero_si512(), one = _mm512_set1_epi32(1);
    const __m512i down = _mm512_set1_epi32(w), downRight = _mm512_set1_epi32(w + 1);
    for (ptrdiff_t xo = 0; xo < ow; xo += 16) {
        ptrdiff_t left = ow - xo;
        __mmask16 out = left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1);
        /* the 2·16 input columns of these windows; past the last window, none is read */
        ptrdiff_t cols = 2 * (left >= 16 ? 16 : left);
        __mmask16 lo = cols >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << cols) - 1);
        __mmask16 hi = cols >= 32 ? (__mmask16)0xFFFF : cols > 16 ? (__mmask16)((1u << (cols - 16)) - 1) : 0;
        const float *p0 = r0 + 2 * xo, *p1 = r1 + 2 * xo;
        __m512 a0 = _mm512_maskz_loadu_ps(lo, p0), a1 = _mm512_maskz_loadu_ps(hi, p0 + 16);
        __m512 b0 = _mm512_maskz_loadu_ps(lo, p1), b1 = _mm512_maskz_loadu_ps(hi, p1 + 16);
        __m512 best = _mm512_permutex2var_ps(a0, even, a1);
        __m512i which = zero;
        maxpool2_take(_mm512_permutex2var_ps(a0, odd, a1), one, &best, &which);
        maxpool2_take(_mm512_permutex2var_ps(b0, even, b1), down, &best, &which);
        maxpool2_take(_mm512_permutex2var_ps(b0, odd, b1), downRight, &best, &which);
        __m512i where = _mm512_add_epi32(_mm512_add_epi32(lane2, _mm512_set1_epi32((int32_t)(2 * xo))), which);
        _mm512_mask_storeu_ps(y + xo, out, best);
        _mm512_mask_storeu_epi32(at + xo, out, where);
    }
}
#endif

void optlab_maxpool2_f32_as(int level, const float *x, float *y, int32_t *at, ptrdiff_t planes, ptrdiff_t h, ptrdiff_t w) {
    ptrdiff_t oh = h / 2, ow = w / 2;
    if (level > optlab_kernel_level()) level = optlab_kernel_level();
    for (ptrdiff_t p = 0; p < planes; p++) {
        const float *plane = x + p * h * w;
        for (ptrdiff_t yo = 0; yo < oh; yo++) {
            const float *r0 = plane + 2 * yo * w;
            float *yr = y + (p * oh + yo) * ow;
            int32_t *ar = at + (p * oh + yo) * ow;
            int32_t row0 = (int32_t)(2 * yo * w);
#if defined(__x86_64__)
            if (level == 2) { maxpool2_rows_avx512(r0, r0 + w, yr, ar, ow, row0, (int32_t)w); continue; }
#endif
            maxpool2_rows_scalar(r0, r0 + w, yr, ar, ow, row0, (int32_t)w);
        }
    }
}

void optlab_maxpool2_f32(const float *x, float *y, int32_t *at, ptrdiff_t planes, ptrdiff_t h, ptrdiff_t w) {
    optlab_maxpool2_f32_as(optlab_kernel_level(), x, y, at, planes, h, w);
}
