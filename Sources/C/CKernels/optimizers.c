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

/* One element's step: the moments and the parameter updated in place; returns u. */
static inline __attribute__((always_inline)) float adam_one(float *x, float g, float *m, float *v, float b1, float b2,
                                                             float omb1, float omb2, float c1, float c2, float e, float nlr) {
    float mi = b1 * *m + omb1 * g;
    float vi = b2 * *v + omb2 * g * g;
    *m = mi;
    *v = vi;
    float u = nlr * (mi / c1) / (__builtin_elementwise_sqrt(vi / c2) + e);
    *x = *x + u;
    return u;
}

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
                    float u = adam_one(x + i + j, g[i + j], m + i + j, v + i + j, b1, b2, omb1, omb2, c1, c2, e, nlr); \
                    acc[j] += u * u;                                                                      \
                }                                                                                         \
            }                                                                                             \
            for (int j = 0; j < LANES; j++) total += (double)acc[j];                                      \
        }                                                                                                 \
        for (; i < n; i++) {                                                                              \
            float u = adam_one(x + i, g[i], m + i, v + i, b1, b2, omb1, omb2, c1, c2, e, nlr);            \
            total += (double)(u * u);                                                                     \
        }                                                                                                 \
        return total;                                                                                     \
    }

ADAM(baseline, )
#if defined(__x86_64__)
ADAM(avx2, __attribute__((target("avx2,fma"))))
ADAM(avx512, __attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,fma"))))
#endif

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

double optlab_adam_f32(float *x, const float *g, float *m, float *v, ptrdiff_t n, const struct optlab_adam *k) {
    return optlab_adam_f32_as(optlab_kernel_level(), x, g, m, v, n, k);
}
