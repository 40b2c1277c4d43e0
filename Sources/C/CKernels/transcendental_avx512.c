/* exp, tanh, sigmoid and log of f32 arrays for AVX-512, written with the
 * instructions the generic loops of kernels.c cannot reach through the
 * compiler: vscalefps applies 2^n to exp's polynomial in one instruction
 * (one rounding for a denormal result, inf past the top: no two-half
 * scaling, no clamp to build the exponent bits), vgetexpps/vgetmantps split
 * log's argument (denormals included), vpermt2ps looks up tanh's
 * per-interval polynomial, vrcp14ps with one Newton step replaces sigmoid's
 * division, and a masked load and store finish the tail. exp, sigmoid and
 * log use the portable loops' polynomials (cephes.h); each function is within 2
 * ulps of the correctly rounded value over the whole range
 * (TranscendentalTests; measured 1). */
#include "transcendental_avx512.h"
#include "cephes.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define TARGET __attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,fma"), always_inline)) static inline
#define KERNEL __attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,fma")))

/* e^c for c already within [-104, 89] (or NaN, which stays NaN). */
TARGET __m512 exp_clamped(__m512 c) {
    __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(c, _mm512_set1_ps(1.44269504088896341f)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(cephes_ln2_hi), c);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(cephes_ln2_lo), r);
    __m512 z = _mm512_mul_ps(r, r);
    __m512 p = _mm512_set1_ps(cephes_exp_p[0]);
    for (int i = 1; i < CEPHES_EXP_TERMS; i++) p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(cephes_exp_p[i]));
    p = _mm512_add_ps(_mm512_fmadd_ps(p, z, r), _mm512_set1_ps(1.0f));
    return _mm512_scalef_ps(p, n);
}

/* vminps/vmaxps return their second operand when either is NaN: with x
 * second, NaN passes both clamps. */
TARGET __m512 exp16(__m512 x) {
    __m512 c = _mm512_min_ps(_mm512_set1_ps(89.0f), x);
    c = _mm512_max_ps(_mm512_set1_ps(-104.0f), c);
    return exp_clamped(c);
}

/* 1/d for d in [1, 2^30], to about 2^-28 before the last rounding:
 * vrcp14ps's 14 bits, then one Newton step y + y(1 - dy). */
TARGET __m512 reciprocal(__m512 d) {
    __m512 y = _mm512_rcp14_ps(d);
    return _mm512_fmadd_ps(y, _mm512_fnmadd_ps(d, y, _mm512_set1_ps(1.0f)), y);
}

/* tanh a, a = |x|, from a polynomial of degree 5 in a - center on each
 * quarter octave of [1/16, 10) (one interval below 1/16, with tanh 0 = 0
 * exact, and tanh = 1 from 10 on, where f32's tanh is 1 from 8.67): a
 * quarter octave is its float's exponent and two top mantissa bits, so
 * `bits >> 21` picks the interval, and vpermt2ps fetches its center and six
 * coefficients from 32-entry tables held in registers (entry c at
 * (c + 11) % 32, so the shifted bits index them with no subtraction). 18
 * instructions a vector against the two-branch form's 32 (Cephes's odd
 * polynomial below 0.625, 1 - 2/(e^{2a} + 1) above), still within 1 ulp.
 * The tables are fitted by least relative squares in f64 (Chebyshev nodes)
 * and checked in f32 on a dense grid of every interval
 * (scripts/kernels/fit_tanh.py writes them). NaN stays NaN: min(10, NaN)
 * is NaN and so is every step after. */
#include "tanh_avx512_tables.h"

TARGET __m512 table(const float *t, __m512i index) {
    return _mm512_permutex2var_ps(_mm512_loadu_ps(t), index, _mm512_loadu_ps(t + 16));
}

TARGET __m512 tanh16(__m512 x) {
    const __m512 sign = _mm512_castsi512_ps(_mm512_set1_epi32((int)0x80000000u));
    __m512 a = _mm512_min_ps(_mm512_set1_ps(10.0f), _mm512_andnot_ps(sign, x));
    __m512i index = _mm512_max_epi32(_mm512_srli_epi32(_mm512_castps_si512(a), 21), _mm512_set1_epi32(491));
    __m512 t = _mm512_sub_ps(a, table(tanh_center, index));
    __m512 p = table(tanh_c5, index);
    p = _mm512_fmadd_ps(p, t, table(tanh_c4, index));
    p = _mm512_fmadd_ps(p, t, table(tanh_c3, index));
    p = _mm512_fmadd_ps(p, t, table(tanh_c2, index));
    p = _mm512_fmadd_ps(p, t, table(tanh_c1, index));
    p = _mm512_fmadd_ps(p, t, table(tanh_c0, index));
    /* the sign of x onto p: bitwise select, sign bit from x, the rest from p */
    return _mm512_castsi512_ps(_mm512_ternarylogic_epi32(_mm512_castps_si512(sign), _mm512_castps_si512(x), _mm512_castps_si512(p), 0xCA));
}

/* σ(x) from e = e^{-|x|} (never overflows): 1/(1 + e), or e/(1 + e) for
 * x < 0 so that tiny results keep their precision. The quotient is
 * corrected once for 1 + e's rounding error (d + dl = 1 + e exactly, as
 * |e| <= 1) and for its own (the residual num - q(d + dl) by fused
 * multiply-adds): rounded twice in float, it was 3 ulps off. */
TARGET __m512 sigmoid16(__m512 x) {
    const __m512 sign = _mm512_castsi512_ps(_mm512_set1_epi32((int)0x80000000u));
    const __m512 one = _mm512_set1_ps(1.0f);
    __m512 e = exp_clamped(_mm512_max_ps(_mm512_set1_ps(-104.0f), _mm512_or_ps(x, sign)));
    __m512 d = _mm512_add_ps(one, e);
    __m512 dl = _mm512_sub_ps(e, _mm512_sub_ps(d, one));
    __mmask16 negative = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ);
    __m512 num = _mm512_mask_mov_ps(one, negative, e);
    __m512 r = reciprocal(d);
    __m512 q = _mm512_mul_ps(num, r);
    __m512 residual = _mm512_fnmadd_ps(q, dl, _mm512_fnmadd_ps(q, d, num));
    return _mm512_fmadd_ps(residual, r, q);
}

/* log x = k ln 2 + log m with x = m 2^k, m in [√½, √2): Cephes's logf
 * polynomial in f = m - 1 (exact). vgetmantps/vgetexpps give m in [1, 2)
 * and k for normal and denormal x alike; x < 0 and NaN give NaN, 0 gives
 * -inf (k = -inf) and +inf gives +inf. */
TARGET __m512 log16(__m512 x) {
    __m512 m = _mm512_getmant_ps(x, _MM_MANT_NORM_1_2, _MM_MANT_SIGN_nan);
    __m512 k = _mm512_getexp_ps(x);
    __mmask16 high = _mm512_cmp_ps_mask(m, _mm512_set1_ps(1.41421356237f), _CMP_GT_OQ);
    m = _mm512_mask_mul_ps(m, high, m, _mm512_set1_ps(0.5f));
    k = _mm512_mask_add_ps(k, high, k, _mm512_set1_ps(1.0f));
    __m512 f = _mm512_sub_ps(m, _mm512_set1_ps(1.0f));
    __m512 z = _mm512_mul_ps(f, f);
    __m512 p = _mm512_set1_ps(cephes_log_p[0]);
    for (int i = 1; i < CEPHES_LOG_TERMS; i++) p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(cephes_log_p[i]));
    __m512 y = _mm512_mul_ps(_mm512_mul_ps(p, f), z);
    y = _mm512_fmadd_ps(k, _mm512_set1_ps(cephes_ln2_lo), y);
    y = _mm512_fnmadd_ps(_mm512_set1_ps(0.5f), z, y);
    __m512 v = _mm512_fmadd_ps(k, _mm512_set1_ps(cephes_ln2_hi), _mm512_add_ps(f, y));
    /* the polynomial of inf or NaN mantissas is NaN: +inf, 0 and NaN exactly */
    __mmask16 plus_inf = _mm512_cmp_ps_mask(x, _mm512_set1_ps(__builtin_inff()), _CMP_EQ_OQ);
    __mmask16 zero = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_EQ_OQ);
    v = _mm512_mask_mov_ps(v, plus_inf, x);
    return _mm512_mask_mov_ps(v, zero, _mm512_set1_ps(-__builtin_inff()));
}

/* Four vectors an iteration: one vector's chain of dependent operations is
 * longer than the out-of-order window hides (in cache, sigmoid 7.5 → 5.8 ns
 * and exp 4.5 → 3.0 ns a vector); the values are the same. */
#define LOOP(NAME, F)                                                                    \
    KERNEL void NAME(const float *x, float *y, ptrdiff_t n) {                           \
        ptrdiff_t i = 0;                                                                 \
        for (; i + 64 <= n; i += 64) {                                                   \
            __m512 a = F(_mm512_loadu_ps(x + i)), b = F(_mm512_loadu_ps(x + i + 16));    \
            __m512 c = F(_mm512_loadu_ps(x + i + 32)), d = F(_mm512_loadu_ps(x + i + 48)); \
            _mm512_storeu_ps(y + i, a);                                                  \
            _mm512_storeu_ps(y + i + 16, b);                                             \
            _mm512_storeu_ps(y + i + 32, c);                                             \
            _mm512_storeu_ps(y + i + 48, d);                                             \
        }                                                                                \
        for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, F(_mm512_loadu_ps(x + i))); \
        if (i < n) {                                                                     \
            __mmask16 tail = (__mmask16)((1u << (n - i)) - 1);                           \
            _mm512_mask_storeu_ps(y + i, tail, F(_mm512_maskz_loadu_ps(tail, x + i)));   \
        }                                                                                \
    }

LOOP(optlab_exp_avx512, exp16)
LOOP(optlab_tanh_avx512, tanh16)
LOOP(optlab_sigmoid_avx512, sigmoid16)
LOOP(optlab_log_avx512, log16)
#endif
