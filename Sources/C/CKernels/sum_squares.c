/* Σ p[i]² of f32 elements, for the update/weight ratio and the probes'
 * norms, which the optimizer sums block by block beside every update: in
 * Swift (baseline SSE, eight lanes) that sum cost about a quarter of an
 * SGD-with-momentum step on L1-resident blocks. Sixteen float lanes
 * (one AVX-512 register, two AVX2 or four SSE ones: the same lanes, the
 * same operations in the same order, so the same bits on every
 * instruction set), folded into a double every 4096 elements. */
#include "optlab_kernels.h"
#include "level.h"
#pragma clang fp contract(off)

#define LANES 16

#define SUM_SQUARES(SUFFIX, TARGET)                                                    \
    TARGET static double sum_squares_##SUFFIX(const float *restrict p, ptrdiff_t n) { \
        double total = 0;                                                              \
        ptrdiff_t i = 0;                                                               \
        while (i + LANES <= n) {                                                       \
            float acc[LANES] = {0};                                                    \
            ptrdiff_t end = i + 4096 < n ? i + 4096 : n;                               \
            for (; i + LANES <= end; i += LANES) {                                     \
                for (int j = 0; j < LANES; j++) acc[j] += p[i + j] * p[i + j];         \
            }                                                                          \
            for (int j = 0; j < LANES; j++) total += (double)acc[j];                   \
        }                                                                              \
        for (; i < n; i++) total += (double)(p[i] * p[i]);                             \
        return total;                                                                  \
    }

SUM_SQUARES(baseline, )
#if defined(__x86_64__)
SUM_SQUARES(avx2, __attribute__((target("avx2,fma"))))
SUM_SQUARES(avx512, __attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,fma"))))
#endif

double optlab_sum_squares_f32_as(int level, const float *p, ptrdiff_t n) {
#if defined(__x86_64__)
    int have = optlab_kernel_level();
    if (level > have) level = have;
    if (level == 2) return sum_squares_avx512(p, n);
    if (level == 1) return sum_squares_avx2(p, n);
#endif
    (void)level;
    return sum_squares_baseline(p, n);
}

double optlab_sum_squares_f32(const float *p, ptrdiff_t n) {
    return optlab_sum_squares_f32_as(optlab_kernel_level(), p, n);
}
