/* The elementwise rules' updates (Adagrad, RMSprop, Adamax, Adadelta, ASGD,
 * NAdam, SGD with momentum and Nesterov's, RAdam) of an f32 parameter, compiled for
 * each instruction set as optimizers.c compiles Adam: the same IEEE operations
 * per element, in the same order, as the rules' formulas in Swift (no fused multiply-adds), Σu² in 16 float lanes folded into a
 * double every 4096 elements. */
#include "optlab_kernels.h"
#include "level.h"
#pragma clang fp contract(off)

#define LANES 16

static inline __attribute__((always_inline)) float adagrad_one(float *x, float g, float *c, const float *k) {
    float ci = *c + g * g;
    *c = ci;
    float u = -k[0] * g / (__builtin_elementwise_sqrt(ci) + k[1]);
    *x = *x + u;
    return u;
}

static inline __attribute__((always_inline)) float rmsprop_one(float *x, float g, float *c, const float *k) {
    float d = k[2];
    float ci = d * *c + (1.0f - d) * g * g;
    *c = ci;
    float u = -k[0] * g / (__builtin_elementwise_sqrt(ci) + k[1]);
    *x = *x + u;
    return u;
}

/* m = lerp(m, g, 1 − b1) as torch rounds it (w = 1 − b1 < 0.5: m + w·(g − m)),
 * u = max(b2·u, |g| + eps) as Swift.max picks, x += −step·m/u. */
static inline __attribute__((always_inline)) float adamax_one(float *x, float g, float *m, float *inf, const float *k) {
    float w = k[2], mi;
    if (w < 0.5f && w > -0.5f) mi = *m + w * (g - *m); else mi = g - (g - *m) * (1.0f - w);
    *m = mi;
    float a = *inf * k[3], b = __builtin_elementwise_abs(g) + k[1];
    float ui = b >= a ? b : a;
    *inf = ui;
    float u = -k[0] * mi / ui;
    *x = *x + u;
    return u;
}

/* s = ρ·s + (1−ρ)·g², δ = √(a + eps)/√(s + eps)·g, a = ρ·a + (1−ρ)·δ², x += −lr·δ. */
static inline __attribute__((always_inline)) float adadelta_one(float *x, float g, float *sq, float *acc, const float *k) {
    float r = k[2], omr = 1.0f - k[2], e = k[1];
    float si = r * *sq + omr * g * g;
    *sq = si;
    float delta = __builtin_elementwise_sqrt(*acc + e) / __builtin_elementwise_sqrt(si + e) * g;
    *acc = r * *acc + omr * delta * delta;
    float u = -k[0] * delta;
    *x = *x + u;
    return u;
}

/* x = x·decay − η·g; ax += (x − ax)·μ (μ ≠ 1, k[3] = 0) or ax = x (k[3] = 1). */
static inline __attribute__((always_inline)) float asgd_one(float *x, float g, float *ax, const float *k) {
    float before = *x;
    float xi = before * k[0] - k[1] * g;
    *x = xi;
    if (k[3] != 0.0f) *ax = xi; else *ax = *ax + (xi - *ax) * k[2];
    return xi - before;
}

/* NAdam: m = lerp(m, g, 1 − b1), v = b2·v + (1 − b2)·g², d = √(v/bc2) + eps,
 * then torch's two addcdivs x += (−a·g)/d, x += (−b·m)/d; k = {a, b, 1 − b1, b2, eps, bc2}. */
static inline __attribute__((always_inline)) float nadam_one(float *x, float g, float *m, float *v, const float *k) {
    float w = k[2], mi;
    if (w < 0.5f && w > -0.5f) mi = *m + w * (g - *m); else mi = g - (g - *m) * (1.0f - w);
    *m = mi;
    float b2 = k[3];
    float vi = b2 * *v + (1.0f - b2) * g * g;
    *v = vi;
    float d = __builtin_elementwise_sqrt(vi / k[5]) + k[4];
    float x0 = *x;
    float x1 = x0 + -k[0] * g / d;
    float x2 = x1 + -k[1] * mi / d;
    *x = x2;
    return x2 - x0;
}

/* SGD with momentum, v = mu·v − lr·g, x += v; with Nesterov's form the step is
 * −mu·v_prev + (1 + mu)·v (MomentumRule, NesterovRule); k = {mu, lr}. */
static inline __attribute__((always_inline)) float momentum_one(float *x, float g, float *v, const float *k, int nesterov) {
    float mu = k[0], prev = *v;
    float vi = mu * prev - k[1] * g;
    *v = vi;
    float u = nesterov ? -mu * prev + (1.0f + mu) * vi : vi;
    *x = *x + u;
    return u;
}

/* RAdam: m = lerp(m, g, 1 − b1), v = b2·v + (1 − b2)·g², m̂ = m/(1 − b1^t); once rectified
 * x −= m̂·lr·(√(1 − b2^t)/(√v + eps))·r_t, before x −= m̂·lr; k = {lr, bc1, 1 − b1, b2, eps, √bc2, r_t, rectified}. */
static inline __attribute__((always_inline)) float radam_one(float *x, float g, float *m, float *v, const float *k) {
    float w = k[2], mi;
    if (w < 0.5f && w > -0.5f) mi = *m + w * (g - *m); else mi = g - (g - *m) * (1.0f - w);
    *m = mi;
    float b2 = k[3];
    float vi = b2 * *v + (1.0f - b2) * g * g;
    *v = vi;
    float mean = mi / k[1];
    float q = k[7] != 0.0f ? mean * k[0] * (k[5] / (__builtin_elementwise_sqrt(vi) + k[4])) * k[6] : mean * k[0];
    *x = *x - q;
    return -q;
}

/* One loop per rule: `ONE(x + i, g[i], s0 + i, s1 + i, k)` updates an element. */
#define RULE(NAME, SUFFIX, TARGET, ONE)                                                                   \
    TARGET static double NAME##_##SUFFIX(float *restrict x, const float *restrict g, float *restrict s0,  \
                                         float *restrict s1, ptrdiff_t n, const float *k) {               \
        double total = 0;                                                                                 \
        ptrdiff_t i = 0;                                                                                  \
        while (i + LANES <= n) {                                                                          \
            float acc[LANES] = {0};                                                                       \
            ptrdiff_t end = i + 4096 < n ? i + 4096 : n;                                                  \
            for (; i + LANES <= end; i += LANES) {                                                        \
                for (int j = 0; j < LANES; j++) {                                                         \
                    float u = ONE;                                                                        \
                    acc[j] += u * u;                                                                      \
                }                                                                                         \
            }                                                                                             \
            for (int j = 0; j < LANES; j++) total += (double)acc[j];                                      \
        }                                                                                                 \
        for (; i < n; i++) {                                                                              \
            const int j = 0;                                                                              \
            float u = ONE;                                                                                \
            total += (double)(u * u);                                                                     \
        }                                                                                                 \
        return total;                                                                                     \
    }

#define FAMILY(NAME, ONE)                                                                                 \
    RULE(NAME, baseline, , ONE)                                                                           \
    RULE(NAME, avx2, __attribute__((target("avx2,fma"))), ONE)                                            \
    RULE(NAME, avx512, __attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,fma"))), ONE)

#if defined(__x86_64__)
FAMILY(adagrad, adagrad_one(x + i + j, g[i + j], s0 + i + j, k))
FAMILY(rmsprop, rmsprop_one(x + i + j, g[i + j], s0 + i + j, k))
FAMILY(adamax, adamax_one(x + i + j, g[i + j], s0 + i + j, s1 + i + j, k))
FAMILY(adadelta, adadelta_one(x + i + j, g[i + j], s0 + i + j, s1 + i + j, k))
FAMILY(asgd, asgd_one(x + i + j, g[i + j], s0 + i + j, k))
FAMILY(nadam, nadam_one(x + i + j, g[i + j], s0 + i + j, s1 + i + j, k))
FAMILY(momentum, momentum_one(x + i + j, g[i + j], s0 + i + j, k, 0))
FAMILY(nesterov, momentum_one(x + i + j, g[i + j], s0 + i + j, k, 1))
FAMILY(radam, radam_one(x + i + j, g[i + j], s0 + i + j, s1 + i + j, k))
#else
RULE(adagrad, baseline, , adagrad_one(x + i + j, g[i + j], s0 + i + j, k))
RULE(rmsprop, baseline, , rmsprop_one(x + i + j, g[i + j], s0 + i + j, k))
RULE(adamax, baseline, , adamax_one(x + i + j, g[i + j], s0 + i + j, s1 + i + j, k))
RULE(adadelta, baseline, , adadelta_one(x + i + j, g[i + j], s0 + i + j, s1 + i + j, k))
RULE(asgd, baseline, , asgd_one(x + i + j, g[i + j], s0 + i + j, k))
RULE(nadam, baseline, , nadam_one(x + i + j, g[i + j], s0 + i + j, s1 + i + j, k))
RULE(momentum, baseline, , momentum_one(x + i + j, g[i + j], s0 + i + j, k, 0))
RULE(nesterov, baseline, , momentum_one(x + i + j, g[i + j], s0 + i + j, k, 1))
RULE(radam, baseline, , radam_one(x + i + j, g[i + j], s0 + i + j, s1 + i + j, k))
#endif

typedef double (*rule_loop)(float *restrict, const float *restrict, float *restrict, float *restrict, ptrdiff_t, const float *);

double optlab_adaptive_rule_f32_as(int level, int rule, float *x, const float *g, float *s0, float *s1, ptrdiff_t n, const float *k) {
    static const rule_loop baseline[] = {adagrad_baseline, rmsprop_baseline, adamax_baseline, adadelta_baseline, asgd_baseline, nadam_baseline, momentum_baseline, nesterov_baseline, radam_baseline};
#if defined(__x86_64__)
    static const rule_loop avx2[] = {adagrad_avx2, rmsprop_avx2, adamax_avx2, adadelta_avx2, asgd_avx2, nadam_avx2, momentum_avx2, nesterov_avx2, radam_avx2};
    static const rule_loop avx512[] = {adagrad_avx512, rmsprop_avx512, adamax_avx512, adadelta_avx512, asgd_avx512, nadam_avx512, momentum_avx512, nesterov_avx512, radam_avx512};
    int have = optlab_kernel_level();
    if (level > have) level = have;
    if (level == 2) return avx512[rule](x, g, s0, s1, n, k);
    if (level == 1) return avx2[rule](x, g, s0, s1, n, k);
#endif
    (void)level;
    return baseline[rule](x, g, s0, s1, n, k);
}

double optlab_adaptive_rule_f32(int rule, float *x, const float *g, float *s0, float *s1, ptrdiff_t n, const float *k) {
    return optlab_adaptive_rule_f32_as(optlab_kernel_level(), rule, x, g, s0, s1, n, k);
}
