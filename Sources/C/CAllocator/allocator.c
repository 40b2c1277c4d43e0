#include "CAllocator.h"
#include <malloc.h>

void optlab_tune_allocator(void) {
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
}

int optlab_trim_heap(void) { return malloc_trim(0); }
