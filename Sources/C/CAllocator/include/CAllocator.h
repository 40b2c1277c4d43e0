#ifndef OPTLAB_CALLOCATOR_H
#define OPTLAB_CALLOCATOR_H
/* Keeps large buffers in malloc's heap (see Storage.swift): raises glibc's
 * mmap and trim thresholds to 1 GiB. */
void optlab_tune_allocator(void);
/* Gives the free memory at the heaps' tops back to the system (malloc_trim):
   under an address-space limit, freed tensors count against it until then. */
int optlab_trim_heap(void);
#endif
