/* An LSTM cell's elementwise work on a range of units of one row, forward and
 * backward. Each is a few flops per unit, but in Swift (compiled for the
 * baseline, loops over pointers that may alias) they were scalar and took as
 * long as the recurrent products themselves; here they run in the vector
 * width of the CPU. The gates of a row are `hidden` floats apart (i, f, g, o)
 * and every pointer is already at the range's first unit. */
#include "optlab_kernels.h"
#include "level.h"

#define LSTM_CELL_KERNELS(SUFFIX, TARGET)                                                                       \
    TARGET static void add_inputs_##SUFFIX(float *restrict gates, const float *restrict input,                \
                                            const float *restrict bias, ptrdiff_t hidden, ptrdiff_t width) {    \
        for (int g = 0; g < 4; g++) {                                                                          \
            float *restrict a = gates + g * hidden;                                                            \
            const float *restrict x = input + g * hidden;                                                      \
            if (bias) {                                                                                        \
                const float *restrict b = bias + g * hidden;                                                   \
                for (ptrdiff_t j = 0; j < width; j++) a[j] += x[j] + b[j];                                     \
            } else {                                                                                           \
                for (ptrdiff_t j = 0; j < width; j++) a[j] += x[j];                                            \
            }                                                                                                  \
        }                                                                                                      \
    }                                                                                                          \
    TARGET static void cell_##SUFFIX(const float *restrict gates, const float *restrict c_prev,                \
                                     float *restrict c, float *restrict tanh_c, ptrdiff_t hidden,              \
                                     ptrdiff_t width) {                                                        \
        const float *i = gates, *f = gates + hidden, *g = gates + 2 * hidden;                                  \
        for (ptrdiff_t j = 0; j < width; j++) {                                                                \
            c[j] = f[j] * c_prev[j] + i[j] * g[j];                                                             \
            tanh_c[j] = c[j];                                                                                  \
        }                                                                                                      \
    }                                                                                                          \
    TARGET static void output_##SUFFIX(const float *restrict gates, const float *restrict tanh_c,              \
                                       float *restrict h, ptrdiff_t hidden, ptrdiff_t width) {                 \
        const float *o = gates + 3 * hidden;                                                                   \
        for (ptrdiff_t j = 0; j < width; j++) h[j] = o[j] * tanh_c[j];                                         \
    }                                                                                                          \
    TARGET static void backward_##SUFFIX(const float *restrict gates, const float *restrict tanh_c,            \
                                         const float *restrict c_prev, const float *restrict grad_h,           \
                                         const float *restrict grad_c, const float *restrict dh,               \
                                         float *restrict dc, float *restrict dgates, ptrdiff_t hidden,         \
                                         ptrdiff_t width) {                                                    \
        const float *i = gates, *f = gates + hidden, *g = gates + 2 * hidden, *o = gates + 3 * hidden;         \
        float *di = dgates, *df = dgates + hidden, *dg = dgates + 2 * hidden, *dout = dgates + 3 * hidden;     \
        for (ptrdiff_t j = 0; j < width; j++) {                                                                \
            float dhj = dh[j] + grad_h[j], tc = tanh_c[j];                                                     \
            float dcj = dc[j] + grad_c[j] + dhj * o[j] * (1 - tc * tc);                                        \
            di[j] = dcj * g[j] * i[j] * (1 - i[j]);                                                            \
            df[j] = dcj * c_prev[j] * f[j] * (1 - f[j]);                                                       \
            dg[j] = dcj * i[j] * (1 - g[j] * g[j]);                                                            \
            dout[j] = dhj * tc * o[j] * (1 - o[j]);                                                            \
            dc[j] = dcj * f[j];                                                                                \
        }                                                                                                      \
    }

LSTM_CELL_KERNELS(baseline, )
#if defined(__x86_64__)
LSTM_CELL_KERNELS(avx2, __attribute__((target("avx2,fma"))))
LSTM_CELL_KERNELS(avx512, __attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,fma"))))
#endif

void optlab_lstm_cell_f32(float *gates, const float *input, const float *bias, const float *c_prev, float *h,
                          float *c, float *tanh_c, ptrdiff_t hidden, ptrdiff_t width) {
    PICK(add_inputs)(gates, input, bias, hidden, width);
    optlab_sigmoid_f32(gates, gates, width);
    optlab_sigmoid_f32(gates + hidden, gates + hidden, width);
    optlab_tanh_f32(gates + 2 * hidden, gates + 2 * hidden, width);
    optlab_sigmoid_f32(gates + 3 * hidden, gates + 3 * hidden, width);
    PICK(cell)(gates, c_prev, c, tanh_c, hidden, width);
    optlab_tanh_f32(tanh_c, tanh_c, width);
    PICK(output)(gates, tanh_c, h, hidden, width);
}

void optlab_lstm_cell_backward_f32(const float *gates, const float *tanh_c, const float *c_prev, const float *grad_h,
                                   const float *grad_c, const float *dh, float *dc, float *dgates, ptrdiff_t hidden,
                                   ptrdiff_t width) {
    PICK(backward)(gates, tanh_c, c_prev, grad_h, grad_c, dh, dc, dgates, hidden, width);
}
