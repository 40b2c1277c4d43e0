/* Adam's update of an f32 parameter, compiled for each instruction set as in
 * kernels.c. The same IEEE operations per element, in the same order, as
 * AdamRule's formula in Swift (no fused multiply-adds), so every instruction
 * set gives the same parameters bit for bit; Σu² (for the update/weight
 * ratio) is summed in 16 float lanes (lane j takes the elements j mod 16),
 * each 4096 elements folded into a double in lane order, so it is the same
 * bits on every instruction set too. */
#include "optlab_kernels.h"
#include "level.h"
#pragma clang fp contract(off)

#define LANES 16

#define ADAM(SUFFIX, TARGET)                                                                              \
    TARGET static double adam_##SUFFIX(float *x, const float *g, float *m, float *v, ptrdiff_t n,        \
                                       const struct optlab_adam *k) {                                    \
        const float b1 = k->beta1, b2 = k->beta2, omb1 = 1.0f - k->beta1, omb2 = 1.0f - k->beta2;         \
        const float c1 = k->correction1, c2 = k->correction2, e = k->eps, nlr = -k->lr;                  \
        double total = 0;                                                                                 \
        ptrdiff_t i = 0;                                                                                  \
        while (i + LANES <= n) {                                                                          \
            float acc[LANES] = {0};                                                                       \
            ptrdiff_t end = i + 4096 < n ? i + 4096 : n;                                                  \
            for (; i + LANES <= end; i += LANES) {                                                        \
                for (int j = 0; j < LANES; j++) {                                                         \
                    float gi = g[i + j];                                                                  \
                    float mi = b1 * m[i + j] + omb1 * gi;                                                 \
                    float vi = b2 * v[i + j] + omb2 * gi * gi;                                            \
                    m[i + j] = mi;                                                                        \
                    v[i + j] = vi;                                                                        \
                    float u = nlr * (mi / c1) / (__builtin_elementwise_sqrt(vi / c2) + e);                \
                    x[i + j] = x[i + j] + u;                                                              \
                    acc[j] += u * u;                                                                      \
                }                                                                                         \
            }                                                                                             \
            for (int j = 0; j < LANES; j++) total += (double)acc[j];                                      \
        }                                                                                                 \
        for (; i < n; i++) {                                                                              \
            float gi = g[i];                                                                              \
            float mi = b1 * m[i] + omb1 * gi;                                                             \
            float vi = b2 * v[i] + omb2 * gi * gi;                                                        \
            m[i] = mi;                                                                                    \
            v[i] = vi;                                                                                    \
            float u = nlr * (mi / c1) / (__builtin_elementwise_sqrt(vi / c2) + e);                        \
            x[i] = x[i] + u;                                                                              \
            total += (double)(u * u);                                                                     \
        }                                                                                                 \
        return total;                                                                                     \
    }

ADAM(baseline, )
#if defined(__x86_64__)
ADAM(avx2, __attribute__((target("avx2,fma"))))
ADAM(avx512, __attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,fma"))))
#endif

double optlab_adam_f32(float *x, const float *g, float *m, float *v, ptrdiff_t n, const struct optlab_adam *k) {
#if defined(__x86_64__)
    switch (optlab_kernel_level()) {
    case 2: return adam_avx512(x, g, m, v, n, k);
    case 1: return adam_avx2(x, g, m, v, n, k);
    default: break;
    }
#endif
    return adam_baseline(x, g, m, v, n, k);
}

double optlab_adam_f32_as(int level, float *x, const float *g, float *m, float *v, ptrdiff_t n, const struct optlab_adam *k) {
#if defined(__x86_64__)
    int have = optlab_kernel_level();
    if (level > have) level = have;
    if (level == 2) return adam_avx512(x, g, m, v, n, k);
    if (level == 1) return adam_avx2(x, g, m, v, n, k);
#endif
    (void)level;
    return adam_baseline(x, g, m, v, n, k);
}
