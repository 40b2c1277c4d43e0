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

/* One row of Adafactor's factored step: u[j] = g[j]/√max(r·c[j]/mean, floor); returns Σ u[j]². */
double optlab_adafactor_row_f32(const float *g, const float *c, float *u, ptrdiff_t n, float r, float mean, float floor);
double optlab_adafactor_row_f32_as(int level, const float *g, const float *c, float *u, ptrdiff_t n, float r, float mean, float floor);

/* Over n elements of a second moment v: *sum = Σ 1/(√(v·c) + eps) (root = 0:
 * 1/(v·c + eps)), *lo and *hi v's least and largest, *squares Σv² (the probes' effective rate and ‖v‖). */
void optlab_rate_statistics_f32(const float *v, ptrdiff_t n, float c, float eps, int root, double *sum, float *lo, float *hi,
                                double *squares);

/* One step of an elementwise rule on n elements of x (rule 0 Adagrad, 1
 * RMSprop: s0 the cache; 2 Adamax: s0 m, s1 u; 3 Adadelta: s0 square_avg, s1
 * acc_delta; 4 ASGD: s0 ax; 5 NAdam: s0 m, s1 v; 6 SGD with momentum and 7
 * Nesterov's: s0 the velocity; 8 RAdam: s0 m, s1 v), constants k = {lr, eps}
 * (Adagrad), {lr, eps, decay} (RMSprop), {lr/(1−b1^t), eps, 1−b1, b2}
 * (Adamax), {lr, eps, rho} (Adadelta), {1−λη, η, μ, μ == 1} (ASGD),
 * {grad scale, mean scale, 1−b1, b2, eps, 1−b2^t} (NAdam), {mu, lr}
 * (momentum, Nesterov), {lr, 1−b1^t, 1−b1, b2, eps, √(1−b2^t), r_t,
 * rectified (1 or 0)} (RAdam); k holds 8 floats; returns the sum
 * of the squared changes. */
double optlab_adaptive_rule_f32(int rule, float *x, const float *g, float *s0, float *s1, ptrdiff_t n, const float *k);
double optlab_adaptive_rule_f32_as(int level, int rule, float *x, const float *g, float *s0, float *s1, ptrdiff_t n, const float *k);

/* For tests: the same with family `level` (0 baseline, 1 avx2, 2 avx512, or the best below it the CPU has). */
double optlab_adam_f32_as(int level, float *x, const float *g, float *m, float *v, ptrdiff_t n, const struct optlab_adam *k);

/* Max pooling over 2×2 windows with stride 2 of `planes` h×w planes: y gets
 * the (h/2)×(w/2) maxima of each plane, `at` each winner's offset within its
 * input plane (h·w must fit in int32). A window's first NaN wins, else its
 * first largest value. */
void optlab_maxpool2_f32(const float *x, float *y, int32_t *at, ptrdiff_t planes, ptrdiff_t h, ptrdiff_t w);

/* For tests: the same with family `level` (0 baseline, 2 avx512; AVX2 runs the baseline loop). */
void optlab_maxpool2_f32_as(int level, const float *x, float *y, int32_t *at, ptrdiff_t planes, ptrdiff_t h, ptrdiff_t w);

/* Direct convolution for stride 1 and "same" output (odd k, padding k/2) of
 * f32 NCHW images, on AVX-512 for k = 3 and 5 (optlab_conv_direct says
 * whether this CPU and k have it; otherwise the kernels do nothing).
 * Weights [o][c][k][k] are packed once per call into blocks of 8 outputs
 * (optlab_conv_packed_size floats; `adjoint` packs them transposed and
 * flipped, for the input gradient: c outputs from o inputs); `masks` are
 * the in-image lanes of each 16-position vector and tap (optlab_conv_masks). */
int optlab_conv_direct(ptrdiff_t k);
ptrdiff_t optlab_conv_packed_size(ptrdiff_t outputs, ptrdiff_t inputs, ptrdiff_t k);
void optlab_conv_pack_f32(const float *w, float *packed, ptrdiff_t o, ptrdiff_t c, ptrdiff_t k, int adjoint);
ptrdiff_t optlab_conv_masks_size(ptrdiff_t h, ptrdiff_t w, ptrdiff_t k);
void optlab_conv_masks(uint16_t *masks, ptrdiff_t h, ptrdiff_t w, ptrdiff_t k);

/* One image: y[o][h·w] = bias[o] (bias may be NULL) + the convolution of x[c][h·w]. */
void optlab_conv_same_f32(const float *x, const float *packed, const float *bias, float *y, const uint16_t *masks,
                          ptrdiff_t c, ptrdiff_t o, ptrdiff_t h, ptrdiff_t w, ptrdiff_t k);

/* dw[o][c][k·k] += the weight gradient of outputs [o0, o1) over `images`
 * images of x [n][c][h·w] and dy [n][o][h·w], summed in an order that
 * depends on the shapes only. */
void optlab_conv_same_weight_grad_f32(const float *x, const float *dy, float *dw, const uint16_t *masks,
                                      ptrdiff_t images, ptrdiff_t c, ptrdiff_t o, ptrdiff_t o0, ptrdiff_t o1,
                                      ptrdiff_t h, ptrdiff_t w, ptrdiff_t k);

/* Small-batch products for recurrent layers (panels.c), on AVX-512 only:
 * optlab_panels_available says whether this CPU has them (otherwise the
 * product does nothing and the caller uses BLAS). A panel is k rows of 64
 * floats, four groups of 16; for rows r < m, groups g < 4, lanes u < valid[g]:
 *   c[r·ldc + g·group_stride + u] = Σ_i a[r·lda + i] · panel[i·64 + g·16 + u]. */
int optlab_panels_available(void);
void optlab_panel_product_f32(const float *a, ptrdiff_t lda, ptrdiff_t m, const float *panel, ptrdiff_t k, float *c,
                              ptrdiff_t ldc, ptrdiff_t group_stride, const int32_t valid[4]);

/* An LSTM cell on `width` units of one row (lstm_cell.c); gate rows are
 * `hidden` apart (i, f, g, o) and every pointer is at the first unit.
 * Forward: gates (the recurrent product) += input + bias (bias may be NULL),
 * activated in place; c = f·c_prev + i·g; tanh_c = tanh(c); h = o·tanh_c.
 * Backward, from dh (the later step's product) + grad_h and dc + grad_c:
 * dgates, and dc becomes the gradient of c_prev. */
void optlab_lstm_cell_f32(float *gates, const float *input, const float *bias, const float *c_prev, float *h,
                          float *c, float *tanh_c, ptrdiff_t hidden, ptrdiff_t width);
void optlab_lstm_cell_backward_f32(const float *gates, const float *tanh_c, const float *c_prev, const float *grad_h,
                                   const float *grad_c, const float *dh, float *dc, float *dgates, ptrdiff_t hidden,
                                   ptrdiff_t width);

/* GELU x·Φ(x) in f32 (gelu.c): cdf gets Φ(x) (it may be y itself, then
 * overwritten by the output); the backward pass multiplies grad in place by
 * Φ(x) + x·φ(x). */
void optlab_gelu_f32(const float *x, float *y, float *cdf, ptrdiff_t n);
void optlab_gelu_backward_f32(const float *x, const float *cdf, float *grad, ptrdiff_t n);

/* Batch normalisation over one channel: `batch` blocks of `plane` floats,
 * `stride` floats apart (NCHW: stride = C·H·W). Sums run in 16 f32 lanes
 * over at most 1024 elements, then in double, in one order on every family.
 * moments: the mean, then the biased variance from deviations (two passes).
 * affine: y = x·scale + shift. grad_sums: Σg and Σg·(x − mu).
 * grad_input: dx = k·(g − meanG − (x − mu)·slope). */
void optlab_bn_moments_f32(const float *x, ptrdiff_t batch, ptrdiff_t plane, ptrdiff_t stride, double *mean,
                           double *variance);
void optlab_bn_affine_f32(const float *x, float *y, ptrdiff_t batch, ptrdiff_t plane, ptrdiff_t stride, float scale,
                          float shift);
void optlab_bn_grad_sums_f32(const float *g, const float *x, float mu, ptrdiff_t batch, ptrdiff_t plane,
                             ptrdiff_t stride, double *sumG, double *sumGX);
void optlab_bn_grad_input_f32(const float *g, const float *x, float *dx, ptrdiff_t batch, ptrdiff_t plane,
                              ptrdiff_t stride, float mu, float k, float meanG, float slope);

/* The kernel family in use: "avx512", "avx2" or "baseline". */
const char *optlab_isa(void);

/* For tests: op 0 exp, 1 tanh, 2 sigmoid, 3 log with the family `isa` names (or the
 * best below it the CPU has); returns the family that ran. */
const char *optlab_unary_f32_as(const char *isa, int op, const float *x, float *y, ptrdiff_t n);

/* p[i·n + j] = p[j·n + i] for i in [i0, i1), j in [j0, min(j1, i)): a
 * symmetric matrix's lower triangle from its upper one (mirror.c). Copies
 * only; `_as` runs the given family (for tests), never above the CPU's. */
void optlab_mirror_below_f32(float *p, ptrdiff_t n, ptrdiff_t i0, ptrdiff_t i1, ptrdiff_t j0, ptrdiff_t j1);
void optlab_mirror_below_f32_as(int level, float *p, ptrdiff_t n, ptrdiff_t i0, ptrdiff_t i1, ptrdiff_t j0, ptrdiff_t j1);

/* Σ p[i]² (sum_squares.c): sixteen float lanes folded into a double every
 * 4096 elements, the same bits on every instruction set. */
double optlab_sum_squares_f32(const float *p, ptrdiff_t n);
double optlab_sum_squares_f32_as(int level, const float *p, ptrdiff_t n);

#endif
