/* SGD with momentum and Nesterov's form of it on an f32 parameter, compiled
 * for each instruction set as optimizers.c compiles Adam: the same IEEE
 * operations per element as MomentumRule and NesterovRule in Swift (no fused
 * multiply-adds), Σu² in 16 float lanes folded into a double every 4096
 * elements, so every instruction set gives the same bits. */
#include "optlab_kernels.h"
#include "level.h"
#pragma clang fp contract(off)

#define LANES 16

static inline __attribute__((always_inline)) float momentum_one(float *x, float g, float *v, float mu, float lr, int nesterov) {
    float prev = *v;
    float vi = mu * prev - lr * g;
    *v = vi;
    float u = nesterov ? -mu * prev + (1.0f + mu) * vi : vi;
    *x = *x + u;
    return u;
}

#define MOMENTUM(SUFFIX, TARGET)                                                                          \
    TARGET static double momentum_##SUFFIX(float *restrict x, const float *restrict g, float *restrict v, ptrdiff_t n, float mu, \
                                           float lr, int nesterov) {                                      \
        double total = 0;                                                                                 \
        ptrdiff_t i = 0;                                                                                  \
        while (i + LANES <= n) {                                                                          \
            float acc[LANES] = {0};                                                                       \
            ptrdiff_t end = i + 4096 < n ? i + 4096 : n;                                                  \
            if (nesterov)                                                                                 \
                for (; i + LANES <= end; i += LANES)                                                      \
                    for (int j = 0; j < LANES; j++) {                                                     \
                        float u = momentum_one(x + i + j, g[i + j], v + i + j, mu, lr, 1);               \
                        acc[j] += u * u;                                                                  \
                    }                                                                                     \
            else                                                                                          \
                for (; i + LANES <= end; i += LANES)                                                      \
                    for (int j = 0; j < LANES; j++) {                                                     \
                        float u = momentum_one(x + i + j, g[i + j], v + i + j, mu, lr, 0);               \
                        acc[j] += u * u;                                                                  \
                    }                                                                                     \
            for (int j = 0; j < LANES; j++) total += (double)acc[j];                                      \
        }                                                                                                 \
        for (; i < n; i++) {                                                                              \
            float u = momentum_one(x + i, g[i], v + i, mu, lr, nesterov);                                 \
            total += (double)(u * u);                                                                     \
        }                                                                                                 \
        return total;                                                                                     \
    }

MOMENTUM(baseline, )
#if defined(__x86_64__)
MOMENTUM(avx2, __attribute__((target("avx2,fma"))))
MOMENTUM(avx512, __attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,fma"))))
#endif

double optlab_momentum_f32_as(int level, float *x, const float *g, float *v, ptrdiff_t n, float mu, float lr, int nesterov) {
#if defined(__x86_64__)
    int have = optlab_kernel_level();
    if (level > have) level = have;
    if (level == 2) return momentum_avx512(x, g, v, n, mu, lr, nesterov);
    if (level == 1) return momentum_avx2(x, g, v, n, mu, lr, nesterov);
#endif
    (void)level;
    return momentum_baseline(x, g, v, n, mu, lr, nesterov);
}

double optlab_momentum_f32(float *x, const float *g, float *v, ptrdiff_t n, float mu, float lr, int nesterov) {
    return optlab_momentum_f32_as(optlab_kernel_level(), x, g, v, n, mu, lr, nesterov);
}
