#ifndef OPTLAB_TRANSCENDENTAL_AVX512_H
#define OPTLAB_TRANSCENDENTAL_AVX512_H
/* The AVX-512 family of kernels.c's unary kernels (transcendental_avx512.c);
 * call only when the CPU has AVX-512 F, DQ, VL and BW. */
#include <stddef.h>
#if defined(__x86_64__)
void optlab_exp_avx512(const float *x, float *y, ptrdiff_t n);
void optlab_tanh_avx512(const float *x, float *y, ptrdiff_t n);
void optlab_sigmoid_avx512(const float *x, float *y, ptrdiff_t n);
void optlab_log_avx512(const float *x, float *y, ptrdiff_t n);
#endif
#endif
