#ifndef OPTLAB_CEPHES_H
#define OPTLAB_CEPHES_H
/* Cephes's single-precision expf and logf polynomials (highest degree
 * first) and its two-part ln 2, shared by the portable loops (kernels.c)
 * and the AVX-512 ones (transcendental_avx512.c), so both evaluate the same
 * approximation in the same order. */
static const float cephes_ln2_hi = 0.693359375f, cephes_ln2_lo = -2.12194440e-4f;

/* e^r ≈ 1 + r + r² P(r) for |r| <= ln2/2 */
#define CEPHES_EXP_TERMS 6
static const float cephes_exp_p[CEPHES_EXP_TERMS] = {1.9875691500e-4f, 1.3981999507e-3f, 8.3334519073e-3f,
                                                     4.1665795894e-2f, 1.6666665459e-1f, 5.0000001201e-1f};

/* log(1 + f) ≈ f - f²/2 + f³ P(f) for 1 + f in [√½, √2) */
#define CEPHES_LOG_TERMS 9
static const float cephes_log_p[CEPHES_LOG_TERMS] = {7.0376836292e-2f, -1.1514610310e-1f, 1.1676998740e-1f,
                                                     -1.2420140846e-1f, 1.4249322787e-1f, -1.6668057665e-1f,
                                                     2.0000714765e-1f, -2.4999993993e-1f, 3.3333331174e-1f};
#endif
