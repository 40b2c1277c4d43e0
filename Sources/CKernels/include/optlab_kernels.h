#ifndef OPTLAB_KERNELS_H
#define OPTLAB_KERNELS_H
/* Vector kernels compiled for AVX-512, AVX2+FMA and baseline x86-64 (or the
 * host's baseline elsewhere), the best one chosen at first use by the CPU's
 * features; OPTLAB_ISA=baseline|avx2|avx512 forces one (never above what the
 * CPU has). Swift compiles for the baseline only: these are the loops where
 * the vector width matters. */
#include <stddef.h>
#include <stdint.h>

void optlab_exp_f32(const float *x, float *y, ptrdiff_t n);
void optlab_tanh_f32(const float *x, float *y, ptrdiff_t n);
void optlab_sigmoid_f32(const float *x, float *y, ptrdiff_t n);
void optlab_log_f32(const float *x, float *y, ptrdiff_t n);

/* Adam's constants for one step: the betas, eps and lr as f32, and the bias
 * corrections 1 - beta^t (computed in double, then rounded to f32). */
struct optlab_adam {
    float beta1, beta2, eps, lr, correction1, correction2;
};

/* One Adam step on n elements of x (gradient g, moments m and v, updated in
 * place); returns the sum of the squared changes. */
double optlab_adam_f32(float *x, const float *g, float *m, float *v, ptrdiff_t n, const struct optlab_adam *k);

/* For tests: the same with family `level` (0 baseline, 1 avx2, 2 avx512, or the best below it the CPU has). */
double optlab_adam_f32_as(int level, float *x, const float *g, float *m, float *v, ptrdiff_t n, const struct optlab_adam *k);

/* Max pooling over 2×2 windows with stride 2 of `planes` h×w planes: y gets
 * the (h/2)×(w/2) maxima of each plane, `at` each winner's offset within its
 * input plane (h·w must fit in int32). A window's first NaN wins, else its
 * first largest value. */
void optlab_maxpool2_f32(const float *x, float *y, int32_t *at, ptrdiff_t planes, ptrdiff_t h, ptrdiff_t w);

/* For tests: the same with family `level` (0 baseline, 2 avx512; AVX2 runs the baseline loop). */
void optlab_maxpool2_f32_as(int level, const float *x, float *y, int32_t *at, ptrdiff_t planes, ptrdiff_t h, ptrdiff_t w);

/* The kernel family in use: "avx512", "avx2" or "baseline". */
const char *optlab_isa(void);

/* For tests: op 0 exp, 1 tanh, 2 sigmoid, 3 log with the family `isa` names (or the
 * best below it the CPU has); returns the family that ran. */
const char *optlab_unary_f32_as(const char *isa, int op, const float *x, float *y, ptrdiff_t n);
#endif
