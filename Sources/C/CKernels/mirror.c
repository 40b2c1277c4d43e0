/* A symmetric matrix's lower triangle copied from its upper one (the SYRKs
 * and symmetric products of Muon's Newton–Schulz iteration compute one
 * triangle). A row below reads a column above: element by element that was
 * ~4 cycles an element, 8% of a Muon step on two threads; here 16×16 tiles
 * below the diagonal are transposed in registers (AVX-512), the tiles the
 * diagonal or a range's edge cuts element by element. Copies only: the
 * same bits on every instruction set. */
#include "optlab_kernels.h"
#include "level.h"

static void mirror_scalar(float *p, ptrdiff_t n, ptrdiff_t i0, ptrdiff_t i1, ptrdiff_t j0, ptrdiff_t j1) {
    for (ptrdiff_t i = i0; i < i1; i++) {
        ptrdiff_t end = j1 < i ? j1 : i;
        for (ptrdiff_t j = j0; j < end; j++) p[i * n + j] = p[j * n + i];
    }
}

#if defined(__x86_64__)
#include "avx512.h"

/* Rows ti..ti+15 from columns tj..tj+15 = the transpose of rows tj..tj+15 at columns ti..ti+15. */
AVX512 static void tile_avx512(float *p, ptrdiff_t n, ptrdiff_t ti, ptrdiff_t tj) {
    __m512 r[16], t[16], u[16];
    UNROLL for (int k = 0; k < 16; k++) r[k] = _mm512_loadu_ps(p + (tj + k) * n + ti);
    /* within 128-bit lanes: pairs of rows interleaved, then quadruples: u[4k+m]'s
     * lane L holds column 4L+m of rows 4k..4k+3 */
    UNROLL for (int k = 0; k < 8; k++) {
        t[2 * k] = _mm512_unpacklo_ps(r[2 * k], r[2 * k + 1]);
        t[2 * k + 1] = _mm512_unpackhi_ps(r[2 * k], r[2 * k + 1]);
    }
    UNROLL for (int k = 0; k < 4; k++) {
        __m512d a = _mm512_castps_pd(t[4 * k]), b = _mm512_castps_pd(t[4 * k + 1]);
        __m512d c = _mm512_castps_pd(t[4 * k + 2]), d = _mm512_castps_pd(t[4 * k + 3]);
        u[4 * k + 0] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, c));
        u[4 * k + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, c));
        u[4 * k + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(b, d));
        u[4 * k + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(b, d));
    }
    /* across lanes: column 4L+m gathers lane L of u[m], u[4+m], u[8+m], u[12+m] */
    UNROLL for (int m = 0; m < 4; m++) {
        __m512 v0 = _mm512_shuffle_f32x4(u[m], u[4 + m], 0x88), v1 = _mm512_shuffle_f32x4(u[m], u[4 + m], 0xdd);
        __m512 w0 = _mm512_shuffle_f32x4(u[8 + m], u[12 + m], 0x88), w1 = _mm512_shuffle_f32x4(u[8 + m], u[12 + m], 0xdd);
        _mm512_storeu_ps(p + (ti + m) * n + tj, _mm512_shuffle_f32x4(v0, w0, 0x88));
        _mm512_storeu_ps(p + (ti + 4 + m) * n + tj, _mm512_shuffle_f32x4(v1, w1, 0x88));
        _mm512_storeu_ps(p + (ti + 8 + m) * n + tj, _mm512_shuffle_f32x4(v0, w0, 0xdd));
        _mm512_storeu_ps(p + (ti + 12 + m) * n + tj, _mm512_shuffle_f32x4(v1, w1, 0xdd));
    }
}
#endif

void optlab_mirror_below_f32_as(int level, float *p, ptrdiff_t n, ptrdiff_t i0, ptrdiff_t i1, ptrdiff_t j0, ptrdiff_t j1) {
#if defined(__x86_64__)
    if (level > optlab_kernel_level()) level = optlab_kernel_level();
    if (level == 2) {
        for (ptrdiff_t ti = i0; ti < i1; ti += 16) {
            ptrdiff_t ti1 = ti + 16 < i1 ? ti + 16 : i1;
            for (ptrdiff_t tj = j0; tj < j1 && tj < ti1 - 1; tj += 16) {
                ptrdiff_t tj1 = tj + 16 < j1 ? tj + 16 : j1;
                /* whole tiles below the diagonal in registers, the others element by element */
                if (ti1 - ti == 16 && tj1 - tj == 16 && tj1 <= ti) tile_avx512(p, n, ti, tj);
                else mirror_scalar(p, n, ti, ti1, tj, tj1);
            }
        }
        return;
    }
#endif
    (void)level;
    mirror_scalar(p, n, i0, i1, j0, j1);
}

void optlab_mirror_below_f32(float *p, ptrdiff_t n, ptrdiff_t i0, ptrdiff_t i1, ptrdiff_t j0, ptrdiff_t j1) {
    optlab_mirror_below_f32_as(optlab_kernel_level(), p, n, i0, i1, j0, j1);
}
