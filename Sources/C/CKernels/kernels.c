/* exp, tanh, sigmoid and log of f32 arrays with branch-free float
 * polynomials (within 2 ulps of the correctly rounded value over the whole
 * range; see TranscendentalTests), in loops the compiler vectorises for the
 * baseline and for AVX2; the AVX-512 family is written with its own
 * instructions in transcendental_avx512.c. */
#include "optlab_kernels.h"
#include "level.h"
#include "transcendental_avx512.h"
#include "cephes.h"
/* Fused multiply-adds where the instruction set has them (AVX2, AVX-512):
 * the polynomials' chains of dependent multiply-then-add were the kernels'
 * bottleneck (exp of 1M floats 657 -> 427 us). So AVX2 and AVX-512 may differ
 * from the baseline in the last bit; each is within 2 ulps of the correctly
 * rounded value (TranscendentalTests checks every family over the whole
 * range), and a given machine gives the same bits run after run. */
#pragma clang fp contract(fast)
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* e^x: Cephes's expf polynomial after a Cody-Waite reduction x = n ln 2 + r
 * (n rounded by adding 1.5 * 2^23, so no conversion can trap on NaN), 2^n
 * applied in two halves so that denormal results are rounded once, not
 * flushed. */
static inline __attribute__((always_inline)) float expf_one(float x) {
    float c = x != x ? 0.0f : (x < -104.0f ? -104.0f : (x > 89.0f ? 89.0f : x));
    const float magic = 12582912.0f; /* 1.5 * 2^23 */
    float k = c * 1.44269504088896341f + magic;
    float n = k - magic;
    float r = c - n * cephes_ln2_hi;
    r = r - n * cephes_ln2_lo;
    float z = r * r;
    float p = cephes_exp_p[0];
    for (int i = 1; i < CEPHES_EXP_TERMS; i++) p = p * r + cephes_exp_p[i];
    p = p * z + r + 1.0f;
    int32_t ni = (int32_t)n; /* n is integral and within [-150, 129]: exact */
    int32_t n1 = ni >> 1, n2 = ni - n1;
    uint32_t b1 = (uint32_t)(n1 + 127) << 23, b2 = (uint32_t)(n2 + 127) << 23;
    float s1, s2;
    memcpy(&s1, &b1, 4);
    memcpy(&s2, &b2, 4);
    float v = p * s1 * s2;
    return x != x ? x : v;
}

static inline __attribute__((always_inline)) float tanhf_one(float x) {
    uint32_t xb;
    memcpy(&xb, &x, 4);
    float a = x < 0 ? -x : x;
    /* small |x|: Cephes's odd polynomial; large: 1 - 2/(e^{2|x|} + 1) */
    float z = a * a;
    float p = -5.70498872745e-3f;
    p = p * z + 2.06390887954e-2f;
    p = p * z - 5.37397155531e-2f;
    p = p * z + 1.33314422036e-1f;
    p = p * z - 3.33332819422e-1f;
    float small = p * z * a + a;
    float e = expf_one(a > 10.0f ? 20.0f : 2.0f * a);
    float large = 1.0f - 2.0f / (e + 1.0f);
    float t = a < 0.625f ? small : large;
    uint32_t tb;
    memcpy(&tb, &t, 4);
    tb |= xb & 0x80000000u;
    memcpy(&t, &tb, 4);
    return x != x ? x : t;
}

static inline __attribute__((always_inline)) float sigmoidf_one(float x) {
    /* e^{-|x|} never overflows; for x < 0, σ(x) = e^{x}/(1 + e^{x}) keeps
     * tiny results. The quotient is taken in double and rounded once: in
     * float, 1 + e's rounding and the division's added up to 3 ulps. */
    float a = x < 0 ? -x : x;
    float e = expf_one(-a);
    double s = (double)(x < 0 ? e : 1.0f) / (1.0 + (double)e);
    float v = (float)s;
    return x != x ? x : v;
}

/* log x = k ln 2 + log m with x = m 2^k, m in [√½, √2): Cephes's logf
 * polynomial in f = m - 1 (exact); a denormal x is first scaled by 2^23. */
static inline __attribute__((always_inline)) float logf_one(float x) {
    int denormal = x < 1.17549435e-38f;
    float s = denormal ? x * 8388608.0f : x;
    uint32_t b;
    memcpy(&b, &s, 4);
    int32_t k = (int32_t)((b >> 23) & 0xff) - 127 - (denormal ? 23 : 0);
    uint32_t mb = (b & 0x007fffffu) | 0x3f800000u; /* m in [1, 2) */
    float m;
    memcpy(&m, &mb, 4);
    int high = m > 1.41421356237f;
    m = high ? m * 0.5f : m;
    float e = (float)(k + high);
    float f = m - 1.0f;
    float z = f * f;
    float p = cephes_log_p[0];
    for (int i = 1; i < CEPHES_LOG_TERMS; i++) p = p * f + cephes_log_p[i];
    float y = p * f * z;
    y = y + e * cephes_ln2_lo;
    y = y - 0.5f * z;
    float v = e * cephes_ln2_hi + (f + y);
    v = x == __builtin_inff() ? x : v;
    v = x == 0.0f ? -__builtin_inff() : v;
    return (x < 0.0f || x != x) ? __builtin_nanf("") : v;
}

#define KERNELS(SUFFIX, TARGET)                                                                        \
    TARGET static void exp_##SUFFIX(const float *x, float *y, ptrdiff_t n) {         \
        for (ptrdiff_t i = 0; i < n; i++) y[i] = expf_one(x[i]);                                       \
    }                                                                                                  \
    TARGET static void tanh_##SUFFIX(const float *x, float *y, ptrdiff_t n) {        \
        for (ptrdiff_t i = 0; i < n; i++) y[i] = tanhf_one(x[i]);                                      \
    }                                                                                                  \
    TARGET static void sigmoid_##SUFFIX(const float *x, float *y, ptrdiff_t n) {     \
        for (ptrdiff_t i = 0; i < n; i++) y[i] = sigmoidf_one(x[i]);                                   \
    }                                                                                                  \
    TARGET static void log_##SUFFIX(const float *x, float *y, ptrdiff_t n) {         \
        for (ptrdiff_t i = 0; i < n; i++) y[i] = logf_one(x[i]);                                       \
    }

KERNELS(baseline, )
#if defined(__x86_64__)
KERNELS(avx2, __attribute__((target("avx2,fma"))))
#endif

typedef void (*unary_kernel)(const float *, float *, ptrdiff_t);
struct kernels {
    unary_kernel exp, tanh, sigmoid, log;
    const char *name;
};

static const struct kernels baseline = {exp_baseline, tanh_baseline, sigmoid_baseline, log_baseline, "baseline"};
#if defined(__x86_64__)
static const struct kernels avx2 = {exp_avx2, tanh_avx2, sigmoid_avx2, log_avx2, "avx2"};
static const struct kernels avx512 = {optlab_exp_avx512, optlab_tanh_avx512, optlab_sigmoid_avx512, optlab_log_avx512, "avx512"};
#endif

/* The best family the CPU has, at most `cap` (0 baseline, 1 avx2, 2 avx512). */
static const struct kernels *best(int cap) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    int level = 0;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) level = 1;
    if (level == 1 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw"))
        level = 2;
    if (level > cap) level = cap;
    if (level == 2) return &avx512;
    if (level == 1) return &avx2;
#endif
    (void)cap;
    return &baseline;
}

static int cap_named(const char *isa) {
    if (isa && strcmp(isa, "baseline") == 0) return 0;
    if (isa && strcmp(isa, "avx2") == 0) return 1;
    return 2;
}

static const struct kernels *chosen;

/* The first call chooses; racing first calls choose the same thing. */
static inline const struct kernels *ready(void) {
    const struct kernels *k = __atomic_load_n(&chosen, __ATOMIC_ACQUIRE);
    if (!k) {
        k = best(cap_named(getenv("OPTLAB_ISA")));
        __atomic_store_n(&chosen, k, __ATOMIC_RELEASE);
    }
    return k;
}

int optlab_kernel_level(void) {
    const struct kernels *k = ready();
#if defined(__x86_64__)
    if (k == &avx512) return 2;
    if (k == &avx2) return 1;
#endif
    return 0;
}

void optlab_exp_f32(const float *x, float *y, ptrdiff_t n) { ready()->exp(x, y, n); }
void optlab_tanh_f32(const float *x, float *y, ptrdiff_t n) { ready()->tanh(x, y, n); }
void optlab_sigmoid_f32(const float *x, float *y, ptrdiff_t n) { ready()->sigmoid(x, y, n); }
void optlab_log_f32(const float *x, float *y, ptrdiff_t n) { ready()->log(x, y, n); }
const char *optlab_isa(void) { return ready()->name; }

const char *optlab_unary_f32_as(const char *isa, int op, const float *x, float *y, ptrdiff_t n) {
    const struct kernels *k = best(cap_named(isa));
    (op == 0 ? k->exp : op == 1 ? k->tanh : op == 2 ? k->sigmoid : k->log)(x, y, n);
    return k->name;
}
