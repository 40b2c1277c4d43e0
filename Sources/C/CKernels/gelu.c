/* GELU in f32, x·Φ(x), keeping Φ(x) for the backward pass. In Swift (built
 * for the baseline) the loop ran four lanes wide and took 7% of the
 * character transformer's step; here it runs in the CPU's vector width.
 * Φ(x) = ½(1 + erf(x/√2)) by a rational erf on [−4, 4] (the one Eigen and
 * XLA use; at most 4.2e-7 from erf) for x ≥ −1, where 1 + erf ≥ 0.31 keeps
 * the relative error below 1.4e-6; below −1 that sum cancels and libm's
 * erfc takes over. */
#include <math.h>
#include "optlab_kernels.h"
#include "level.h"

enum { CHUNK = 256 };

#define GELU_KERNELS(SUFFIX, TARGET)                                                                         \
    TARGET static void cdf_##SUFFIX(const float *restrict x, float *restrict c, ptrdiff_t n) {               \
        for (ptrdiff_t i = 0; i < n; i++) {                                                                 \
            float v = x[i] * 0.70710678118654752f;                                                          \
            v = v < -4 ? -4 : v > 4 ? 4 : v;                                                                \
            float v2 = v * v;                                                                               \
            float p = -2.72614225801306e-10f;                                                               \
            p = p * v2 + 2.77068142495902e-08f;                                                             \
            p = p * v2 - 2.10102402082508e-06f;                                                             \
            p = p * v2 - 5.69250639462346e-05f;                                                             \
            p = p * v2 - 7.34990630326855e-04f;                                                             \
            p = p * v2 - 2.95459980854025e-03f;                                                             \
            p = p * v2 - 1.60960333262415e-02f;                                                             \
            float q = -1.45660718464996e-05f;                                                               \
            q = q * v2 - 2.13374055278905e-04f;                                                             \
            q = q * v2 - 1.68282697438203e-03f;                                                             \
            q = q * v2 - 7.37332916720468e-03f;                                                             \
            q = q * v2 - 1.42647390514189e-02f;                                                             \
            c[i] = 0.5f + 0.5f * (v * p / q);                                                               \
        }                                                                                                   \
    }                                                                                                       \
    TARGET static void scale_##SUFFIX(const float *restrict x, const float *c, float *y, ptrdiff_t n) {      \
        for (ptrdiff_t i = 0; i < n; i++) y[i] = x[i] * c[i];                                               \
    }                                                                                                       \
    TARGET static void half_square_##SUFFIX(const float *restrict x, float *restrict e, ptrdiff_t n) {       \
        for (ptrdiff_t i = 0; i < n; i++) e[i] = -x[i] * x[i] * 0.5f;                                       \
    }                                                                                                       \
    TARGET static void slope_##SUFFIX(const float *restrict x, const float *restrict c,                      \
                                      const float *restrict e, float *restrict g, ptrdiff_t n) {             \
        for (ptrdiff_t i = 0; i < n; i++) g[i] *= c[i] + x[i] * 0.39894228040143268f * e[i];                \
    }

GELU_KERNELS(baseline, )
#if defined(__x86_64__)
GELU_KERNELS(avx2, __attribute__((target("avx2,fma"))))
GELU_KERNELS(avx512, __attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,fma"))))
#endif

void optlab_gelu_f32(const float *x, float *y, float *cdf, ptrdiff_t n) {
    PICK(cdf)(x, cdf, n);
    for (ptrdiff_t i = 0; i < n; i++)
        if (x[i] < -1) cdf[i] = 0.5f * erfcf(-x[i] * 0.70710678118654752f);
    PICK(scale)(x, cdf, y, n);
}

void optlab_gelu_backward_f32(const float *x, const float *cdf, float *grad, ptrdiff_t n) {
    float e[CHUNK];
    for (ptrdiff_t i = 0; i < n; i += CHUNK) {
        ptrdiff_t m = n - i < CHUNK ? n - i : CHUNK;
        PICK(half_square)(x + i, e, m);
        optlab_exp_f32(e, e, m);
        PICK(slope)(x + i, cdf + i, e, grad + i, m);
    }
}
