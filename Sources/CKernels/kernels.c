/* exp, tanh and sigmoid of f32 arrays, evaluated in double with a
 * branch-free polynomial and rounded to float once (within 1 ulp of the
 * correctly rounded value; see TranscendentalTests), in loops the compiler
 * vectorises for each instruction set below. The algorithm is the one of
 * Sources/Runtime/Kernels/Transcendental.swift, which these replace. */
#include "optlab_kernels.h"
/* No fused multiply-adds: every instruction set then computes the same bits. */
#pragma clang fp contract(off)
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const double LN2 = 0.693147180559945309417232121458176568;
static const double LOG2E = 1.44269504088896340735992468100189214;
static const double MAGIC = 6755399441055744.0; /* 1.5 * 2^52 */

/* (2^n, e^r - 1) with x = n ln 2 + r, |r| <= ln 2 / 2. */
static inline __attribute__((always_inline)) double split(double x, double *em1) {
    double k = x * LOG2E + MAGIC;
    double n = k - MAGIC;
    double r = x - n * LN2;
    double p = 1.0 / 39916800;
    p = p * r + 1.0 / 3628800;
    p = p * r + 1.0 / 362880;
    p = p * r + 1.0 / 40320;
    p = p * r + 1.0 / 5040;
    p = p * r + 1.0 / 720;
    p = p * r + 1.0 / 120;
    p = p * r + 1.0 / 24;
    p = p * r + 1.0 / 6;
    p = p * r + 0.5;
    p = p * r + 1;
    *em1 = p * r;
    uint64_t bits;
    memcpy(&bits, &k, 8);
    bits = (bits + 1023) << 52;
    double scale;
    memcpy(&scale, &bits, 8);
    return scale;
}

static inline __attribute__((always_inline)) double clamp(double v, double lo, double hi) {
    v = v < lo ? lo : v;
    return v > hi ? hi : v;
}

static inline __attribute__((always_inline)) float exp_one(float x) {
    double c = x != x ? 0 : clamp((double)x, -110, 100);
    double em1, scale = split(c, &em1);
    float v = (float)(scale * (em1 + 1));
    return x != x ? x : v;
}

static inline __attribute__((always_inline)) float tanh_one(float x) {
    double a = (double)x;
    a = a < 0 ? -a : a;
    a = x != x ? 0 : clamp(a * 2, 0, 40);
    double em1, scale = split(a, &em1);
    double e = scale == 1 ? em1 : scale * (em1 + 1) - 1;
    float t = (float)(e / (e + 2));
    uint32_t tb, xb;
    memcpy(&tb, &t, 4);
    memcpy(&xb, &x, 4);
    tb |= xb & 0x80000000u; /* the sign of x, -0 included */
    memcpy(&t, &tb, 4);
    return x != x ? x : t;
}

static inline __attribute__((always_inline)) float sigmoid_one(float x) {
    double c = x != x ? 0 : clamp(-(double)x, -110, 700);
    double em1, scale = split(c, &em1);
    float v = (float)(1 / (1 + scale * (em1 + 1)));
    return x != x ? x : v;
}

#define KERNELS(SUFFIX, TARGET)                                                                        \
    TARGET static void exp_##SUFFIX(const float *x, float *y, ptrdiff_t n) {         \
        for (ptrdiff_t i = 0; i < n; i++) y[i] = exp_one(x[i]);                                        \
    }                                                                                                  \
    TARGET static void tanh_##SUFFIX(const float *x, float *y, ptrdiff_t n) {        \
        for (ptrdiff_t i = 0; i < n; i++) y[i] = tanh_one(x[i]);                                       \
    }                                                                                                  \
    TARGET static void sigmoid_##SUFFIX(const float *x, float *y, ptrdiff_t n) {     \
        for (ptrdiff_t i = 0; i < n; i++) y[i] = sigmoid_one(x[i]);                                    \
    }

KERNELS(baseline, )
#if defined(__x86_64__)
KERNELS(avx2, __attribute__((target("avx2,fma"))))
KERNELS(avx512, __attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,fma"))))
#endif

typedef void (*unary_kernel)(const float *, float *, ptrdiff_t);
struct kernels {
    unary_kernel exp, tanh, sigmoid;
    const char *name;
};

static const struct kernels baseline = {exp_baseline, tanh_baseline, sigmoid_baseline, "baseline"};
#if defined(__x86_64__)
static const struct kernels avx2 = {exp_avx2, tanh_avx2, sigmoid_avx2, "avx2"};
static const struct kernels avx512 = {exp_avx512, tanh_avx512, sigmoid_avx512, "avx512"};
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

void optlab_exp_f32(const float *x, float *y, ptrdiff_t n) { ready()->exp(x, y, n); }
void optlab_tanh_f32(const float *x, float *y, ptrdiff_t n) { ready()->tanh(x, y, n); }
void optlab_sigmoid_f32(const float *x, float *y, ptrdiff_t n) { ready()->sigmoid(x, y, n); }
const char *optlab_isa(void) { return ready()->name; }

const char *optlab_unary_f32_as(const char *isa, int op, const float *x, float *y, ptrdiff_t n) {
    const struct kernels *k = best(cap_named(isa));
    (op == 0 ? k->exp : op == 1 ? k->tanh : k->sigmoid)(x, y, n);
    return k->name;
}
