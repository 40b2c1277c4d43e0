#ifndef OPTLAB_CALLOCATOR_H
#define OPTLAB_CALLOCATOR_H
/* Keeps large buffers in malloc's heap (see Storage.swift): raises glibc's
 * mmap and trim thresholds to 1 GiB. */
void optlab_tune_allocator(void);
#endif
