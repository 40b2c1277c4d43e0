/* Batch normalisation's passes over one channel of NCHW memory: `batch`
 * blocks of `plane` floats, `stride` floats apart. In Swift these loops were
 * one scalar chain each (a float sum is not reassociated), 24% of a convnet
 * step; here each sum runs in 16 lanes, in the same order on every
 * instruction set, so every family gives the same bits. Lanes are summed in
 * f32 over at most CHUNK elements, then added in double. */
#include "optlab_kernels.h"
#include "level.h"

enum { LANES = 16, CHUNK = 1024 };

/* Σ f(i) over a block, in LANES partial sums of f32 per CHUNK, added to *total in double. */
#define LANE_SUM(total, n, EXPR)                                                  \
    do {                                                                          \
        for (ptrdiff_t c0 = 0; c0 < (n); c0 += CHUNK) {                           \
            ptrdiff_t c1 = c0 + CHUNK < (n) ? c0 + CHUNK : (n);                   \
            float lane[LANES] = {0};                                              \
            ptrdiff_t i = c0;                                                     \
            for (; i + LANES <= c1; i += LANES)                                   \
                for (int l = 0; l < LANES; l++) { ptrdiff_t j = i + l; lane[l] += (EXPR); } \
            for (int l = 0; i + l < c1; l++) { ptrdiff_t j = i + l; lane[l] += (EXPR); } \
            double s = 0;                                                         \
            for (int l = 0; l < LANES; l++) s += lane[l];                         \
            *(total) += s;                                                        \
        }                                                                         \
    } while (0)

#define BATCHNORM_KERNELS(SUFFIX, TARGET)                                                                      \
    TARGET static void moments_##SUFFIX(const float *x, ptrdiff_t batch, ptrdiff_t plane, ptrdiff_t stride,   \
                                        double *mean, double *variance) {                                     \
        double sum = 0, squares = 0;                                                                           \
        for (ptrdiff_t n = 0; n < batch; n++) {                                                                \
            const float *p = x + n * stride;                                                                   \
            LANE_SUM(&sum, plane, p[j]);                                                                       \
        }                                                                                                      \
        double m = (double)(batch * plane);                                                                    \
        *mean = sum / m;                                                                                       \
        float mu = (float)*mean;                                                                               \
        for (ptrdiff_t n = 0; n < batch; n++) {                                                                \
            const float *p = x + n * stride;                                                                   \
            LANE_SUM(&squares, plane, (p[j] - mu) * (p[j] - mu));                                              \
        }                                                                                                      \
        *variance = squares / m;                                                                               \
    }                                                                                                          \
    TARGET static void affine_##SUFFIX(const float *x, float *y, ptrdiff_t batch, ptrdiff_t plane,            \
                                       ptrdiff_t stride, float scale, float shift) {                          \
        for (ptrdiff_t n = 0; n < batch; n++) {                                                                \
            const float *p = x + n * stride;                                                                   \
            float *q = y + n * stride;                                                                         \
            for (ptrdiff_t i = 0; i < plane; i++) q[i] = p[i] * scale + shift;                                \
        }                                                                                                      \
    }                                                                                                          \
    TARGET static void grad_sums_##SUFFIX(const float *g, const float *x, float mu, ptrdiff_t batch,          \
                                          ptrdiff_t plane, ptrdiff_t stride, double *sumG, double *sumGX) {   \
        double a = 0, b = 0;                                                                                   \
        for (ptrdiff_t n = 0; n < batch; n++) {                                                                \
            const float *gp = g + n * stride, *xp = x + n * stride;                                            \
            LANE_SUM(&a, plane, gp[j]);                                                                        \
            LANE_SUM(&b, plane, gp[j] * (xp[j] - mu));                                                         \
        }                                                                                                      \
        *sumG = a;                                                                                             \
        *sumGX = b;                                                                                            \
    }                                                                                                          \
    TARGET static void grad_input_##SUFFIX(const float *g, const float *x, float *dx, ptrdiff_t batch,        \
                                           ptrdiff_t plane, ptrdiff_t stride, float mu, float k, float meanG, \
                                           float slope) {                                                      \
        for (ptrdiff_t n = 0; n < batch; n++) {                                                                \
            const float *gp = g + n * stride, *xp = x + n * stride;                                            \
            float *dp = dx + n * stride;                                                                       \
            for (ptrdiff_t i = 0; i < plane; i++) dp[i] = k * (gp[i] - meanG - (xp[i] - mu) * slope);          \
        }                                                                                                      \
    }

/* No fused multiply-adds: the same expression gives the same bits on every family. */
#pragma clang fp contract(off)
BATCHNORM_KERNELS(baseline, )
#if defined(__x86_64__)
BATCHNORM_KERNELS(avx2, __attribute__((target("avx2"))))
BATCHNORM_KERNELS(avx512, __attribute__((target("avx512f,avx512dq,avx512vl,avx512bw"))))
#endif

void optlab_bn_moments_f32(const float *x, ptrdiff_t batch, ptrdiff_t plane, ptrdiff_t stride, double *mean,
                           double *variance) {
    PICK(moments)(x, batch, plane, stride, mean, variance);
}

void optlab_bn_affine_f32(const float *x, float *y, ptrdiff_t batch, ptrdiff_t plane, ptrdiff_t stride, float scale,
                          float shift) {
    PICK(affine)(x, y, batch, plane, stride, scale, shift);
}

void optlab_bn_grad_sums_f32(const float *g, const float *x, float mu, ptrdiff_t batch, ptrdiff_t plane,
                             ptrdiff_t stride, double *sumG, double *sumGX) {
    PICK(grad_sums)(g, x, mu, batch, plane, stride, sumG, sumGX);
}

void optlab_bn_grad_input_f32(const float *g, const float *x, float *dx, ptrdiff_t batch, ptrdiff_t plane,
                              ptrdiff_t stride, float mu, float k, float meanG, float slope) {
    PICK(grad_input)(g, x, dx, batch, plane, stride, mu, k, meanG, slope);
}
