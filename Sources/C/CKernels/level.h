#ifndef OPTLAB_KERNELS_LEVEL_H
#define OPTLAB_KERNELS_LEVEL_H
/* The kernel family chosen for this CPU (0 baseline, 1 avx2, 2 avx512), for
 * the kernel files beside kernels.c. */
int optlab_kernel_level(void);
#endif
