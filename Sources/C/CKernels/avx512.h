#ifndef OPTLAB_KERNELS_AVX512_H
#define OPTLAB_KERNELS_AVX512_H
/* What the hand-written AVX-512 kernels (convolution.c, panels.c) share:
 * their target attribute, forced inlining, full unrolling and lane masks. */
#if defined(__x86_64__)
#include <immintrin.h>
#include <stddef.h>

#define AVX512 __attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,fma")))
#define INLINE inline __attribute__((always_inline))
/* Accumulators kept in an array indexed by loop counters live in registers
 * only if those loops are unrolled completely. clang does that at -O3 but not
 * at SwiftPM's release -O2, where they went to the stack (the convolution's
 * weight gradient: 69 spilled zmm stores, dW of a 32→64 layer 26 → 13 ms). */
#define UNROLL _Pragma("unroll")

/* The first n of a vector's 16 lanes (none for n ≤ 0). */
static INLINE __mmask16 lanes_below(ptrdiff_t n) {
    return n >= 16 ? (__mmask16)0xFFFF : n <= 0 ? (__mmask16)0 : (__mmask16)((1u << n) - 1);
}
#endif
#endif
