/* The product of a few rows with a matrix packed once into 64-column panels,
 * for recurrent layers: every time step multiplies the batch's dozen rows by
 * the same weights. Through GEMM each step repacked the whole matrix first:
 * for 12 rows of an LSTM with 256 units, OpenBLAS's packing took longer than
 * its multiply. Here a panel is K rows of 64 floats, read straight into four
 * vectors; six rows of A make 24 accumulators, the most AVX-512's 32
 * registers hold beside the four panel vectors. */
#include <stdint.h>
#include "optlab_kernels.h"
#include "level.h"

int optlab_panels_available(void) {
#if defined(__x86_64__)
    return optlab_kernel_level() == 2;
#else
    return 0;
#endif
}

#if defined(__x86_64__)
#include "avx512.h"

enum { ROWS = 6 };

/* R rows (R ≤ ROWS, a constant after inlining, so the accumulators stay in registers). */
AVX512 static INLINE void panel_rows(const int R, const float *a, ptrdiff_t lda, const float *panel, ptrdiff_t k,
                                     float *c, ptrdiff_t ldc, ptrdiff_t group_stride, const __mmask16 m[4]) {
    __m512 acc[ROWS][4];
    UNROLL for (int r = 0; r < R; r++)
        UNROLL for (int g = 0; g < 4; g++) acc[r][g] = _mm512_setzero_ps();
    for (ptrdiff_t i = 0; i < k; i++) {
        const float *p = panel + i * 64;
        __m512 b0 = _mm512_loadu_ps(p), b1 = _mm512_loadu_ps(p + 16);
        __m512 b2 = _mm512_loadu_ps(p + 32), b3 = _mm512_loadu_ps(p + 48);
        UNROLL for (int r = 0; r < R; r++) {
            __m512 x = _mm512_set1_ps(a[r * lda + i]);
            acc[r][0] = _mm512_fmadd_ps(x, b0, acc[r][0]);
            acc[r][1] = _mm512_fmadd_ps(x, b1, acc[r][1]);
            acc[r][2] = _mm512_fmadd_ps(x, b2, acc[r][2]);
            acc[r][3] = _mm512_fmadd_ps(x, b3, acc[r][3]);
        }
    }
    UNROLL for (int r = 0; r < R; r++)
        UNROLL for (int g = 0; g < 4; g++) _mm512_mask_storeu_ps(c + r * ldc + g * group_stride, m[g], acc[r][g]);
}

AVX512 static void panel_product_avx512(const float *a, ptrdiff_t lda, ptrdiff_t m, const float *panel, ptrdiff_t k,
                                        float *c, ptrdiff_t ldc, ptrdiff_t group_stride, const int32_t valid[4]) {
    __mmask16 masks[4] = {lanes_below(valid[0]), lanes_below(valid[1]), lanes_below(valid[2]), lanes_below(valid[3])};
    ptrdiff_t r = 0;
    for (; r + ROWS <= m; r += ROWS) panel_rows(ROWS, a + r * lda, lda, panel, k, c + r * ldc, ldc, group_stride, masks);
    switch (m - r) {
    case 5: panel_rows(5, a + r * lda, lda, panel, k, c + r * ldc, ldc, group_stride, masks); break;
    case 4: panel_rows(4, a + r * lda, lda, panel, k, c + r * ldc, ldc, group_stride, masks); break;
    case 3: panel_rows(3, a + r * lda, lda, panel, k, c + r * ldc, ldc, group_stride, masks); break;
    case 2: panel_rows(2, a + r * lda, lda, panel, k, c + r * ldc, ldc, group_stride, masks); break;
    case 1: panel_rows(1, a + r * lda, lda, panel, k, c + r * ldc, ldc, group_stride, masks); break;
    default: break;
    }
}
#endif

void optlab_panel_product_f32(const float *a, ptrdiff_t lda, ptrdiff_t m, const float *panel, ptrdiff_t k, float *c,
                              ptrdiff_t ldc, ptrdiff_t group_stride, const int32_t valid[4]) {
#if defined(__x86_64__)
    if (optlab_panels_available()) panel_product_avx512(a, lda, m, panel, k, c, ldc, group_stride, valid);
#else
    (void)a, (void)lda, (void)m, (void)panel, (void)k, (void)c, (void)ldc, (void)group_stride, (void)valid;
#endif
}
