/* Adafactor's factored step for one row of a matrix: with the row's second
 * moment r, the column moments c[j] and the rows' mean, U[j] = g[j]/√max(r·c[j]/mean,
 * floor), the same IEEE operations in the same order as AdafactorRule's Swift
 * formula (torch's (row_var @ col_var).div_(mean), clamp, rsqrt, times grad),
 * in 16 float lanes; returns Σ U[j]² (each lane's squares folded into a
 * double), which the step's clipping by RMS needs. */
#include "optlab_kernels.h"
#include "level.h"
#include <math.h>

#define LANES 16

#define ROW(SUFFIX, TARGET)                                                                                  \
    TARGET static double row_##SUFFIX(const float *restrict g, const float *restrict c, float *restrict u,   \
                                      ptrdiff_t n, float r, float mean, float floor) {                       \
        double total = 0;                                                                                    \
        ptrdiff_t j = 0;                                                                                     \
        float acc[LANES] = {0};                                                                              \
        for (; j + LANES <= n; j += LANES) {                                                                 \
            for (int k = 0; k < LANES; k++) {                                                                \
                float e = r * c[j + k] / mean;                                                               \
                e = floor >= e ? floor : e; /* Swift.max(e, floor), NaN included */                         \
                float x = 1.0f / __builtin_elementwise_sqrt(e) * g[j + k];                                   \
                u[j + k] = x;                                                                                \
                acc[k] += x * x;                                                                             \
            }                                                                                                \
        }                                                                                                    \
        for (int k = 0; k < LANES; k++) total += (double)acc[k];                                             \
        for (; j < n; j++) {                                                                                 \
            float e = r * c[j] / mean;                                                                       \
            e = floor >= e ? floor : e;                                                                      \
            float x = 1.0f / sqrtf(e) * g[j];                                                                \
            u[j] = x;                                                                                        \
            total += (double)(x * x);                                                                        \
        }                                                                                                    \
        return total;                                                                                        \
    }

ROW(baseline, )
#if defined(__x86_64__)
ROW(avx2, __attribute__((target("avx2,fma"))))
ROW(avx512, __attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,fma"))))
#endif

double optlab_adafactor_row_f32_as(int level, const float *g, const float *c, float *u, ptrdiff_t n, float r, float mean, float floor) {
#if defined(__x86_64__)
    int have = optlab_kernel_level();
    if (level > have) level = have;
    if (level == 2) return row_avx512(g, c, u, n, r, mean, floor);
    if (level == 1) return row_avx2(g, c, u, n, r, mean, floor);
#endif
    return row_baseline(g, c, u, n, r, mean, floor);
}

double optlab_adafactor_row_f32(const float *g, const float *c, float *u, ptrdiff_t n, float r, float mean, float floor) {
    return optlab_adafactor_row_f32_as(optlab_kernel_level(), g, c, u, n, r, mean, floor);
}
