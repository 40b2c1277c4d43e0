#ifndef OPTLAB_KERNELS_LEVEL_H
#define OPTLAB_KERNELS_LEVEL_H
/* The kernel family chosen for this CPU (0 baseline, 1 avx2, 2 avx512), for
 * the kernel files beside kernels.c. */
int optlab_kernel_level(void);

/* The family of a kernel compiled as name_baseline, name_avx2 and name_avx512. */
#if defined(__x86_64__)
#define PICK(name) (optlab_kernel_level() == 2 ? name##_avx512 : optlab_kernel_level() == 1 ? name##_avx2 : name##_baseline)
#else
#define PICK(name) name##_baseline
#endif
#endif
