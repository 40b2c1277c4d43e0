/* The optimizer probes' effective rate of an adaptive rule: over the
 * elements of its second moment v, Σ 1/(√(v·c) + eps) (or 1/(v·c + eps)
 * with root = 0) and v's least and largest, in 16 float lanes (lane j takes
 * the elements j mod 16), each 4096 elements folded into a double; and Σ v²,
 * so the probes' norm of v costs no second pass. */
#include "optlab_kernels.h"
#include "level.h"
#include <math.h>

#define LANES 16

#define RATES(SUFFIX, TARGET)                                                                             \
    TARGET static void rates_##SUFFIX(const float *restrict v, ptrdiff_t n, float c, float eps, int root,   \
                                      double *sum, float *lo, float *hi, double *squares) {              \
        double total = 0, sq = 0;                                                                         \
        float least = INFINITY, most = -INFINITY;                                                         \
        ptrdiff_t i = 0;                                                                                  \
        while (i + LANES <= n) {                                                                          \
            float acc[LANES] = {0}, q[LANES] = {0}, l[LANES], h[LANES];                                   \
            for (int j = 0; j < LANES; j++) { l[j] = INFINITY; h[j] = -INFINITY; }                        \
            ptrdiff_t end = i + 4096 < n ? i + 4096 : n;                                                  \
            for (; i + LANES <= end; i += LANES) {                                                        \
                for (int j = 0; j < LANES; j++) {                                                         \
                    float x = v[i + j], d = x * c;                                                        \
                    acc[j] += 1.0f / ((root ? __builtin_elementwise_sqrt(d) : d) + eps);                  \
                    q[j] += x * x;                                                                        \
                    l[j] = x < l[j] ? x : l[j];                                                           \
                    h[j] = x > h[j] ? x : h[j];                                                           \
                }                                                                                         \
            }                                                                                             \
            for (int j = 0; j < LANES; j++) {                                                             \
                total += (double)acc[j];                                                                  \
                sq += (double)q[j];                                                                       \
                least = l[j] < least ? l[j] : least;                                                      \
                most = h[j] > most ? h[j] : most;                                                         \
            }                                                                                             \
        }                                                                                                 \
        for (; i < n; i++) {                                                                              \
            float x = v[i], d = x * c;                                                                    \
            total += (double)(1.0f / ((root ? sqrtf(d) : d) + eps));                                      \
            sq += (double)x * (double)x;                                                                  \
            least = x < least ? x : least;                                                                \
            most = x > most ? x : most;                                                                   \
        }                                                                                                 \
        *sum = total;                                                                                     \
        *squares = sq;                                                                                    \
        *lo = least;                                                                                      \
        *hi = most;                                                                                       \
    }

RATES(baseline, )
#if defined(__x86_64__)
RATES(avx2, __attribute__((target("avx2,fma"))))
RATES(avx512, __attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,fma"))))
#endif

void optlab_rate_statistics_f32(const float *v, ptrdiff_t n, float c, float eps, int root, double *sum, float *lo, float *hi,
                                double *squares) {
    PICK(rates)(v, n, c, eps, root, sum, lo, hi, squares);
}
