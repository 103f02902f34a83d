/* hugepages.h - an allocator for tinygpt.h that puts its big buffers on
   2 MiB pages where Linux offers them (the example programs and the benchmark
   use it; copy it into your own program if you like).

   Why: sampling one token reads every parameter once, 12.3 MiB for the seed
   model. On 4 KiB pages that is about 3,100 pages per token, more than the
   core's TLB holds, so the walk repeats for every token, and the hardware
   prefetcher stops at each page boundary. On 2 MiB pages the parameters
   span seven. Measured on the machine of docs/performance.md, "Huge pages": a one-pass
   read of 12 MiB went 1.3x as fast, cached sampling 1.15x to 1.56x.

   How: blocks of 2 MiB and more are allocated 2 MiB-aligned and marked with
   madvise(MADV_HUGEPAGE), which asks for huge pages even when the system's
   transparent-huge-page mode is "madvise" (as on the machine measured).
   Where that is unavailable (another OS, THP off) the advice is skipped or
   ignored and the memory is ordinary. Smaller blocks go to malloc. Free
   with free().

   Include this file first, before any other header: it asks the C library
   for the declarations it needs (posix_memalign, madvise), and feature macros
   count only before the first system header. Then define
   TINYGPT_IMPLEMENTATION and include tinygpt.h as usual. */
#ifndef TINYGPT_HUGEPAGES_H
#define TINYGPT_HUGEPAGES_H

#if defined(__linux__) && !defined(_DEFAULT_SOURCE)
#define _DEFAULT_SOURCE
#endif
#include <stdlib.h>
#ifdef __linux__
#include <sys/mman.h>
#endif

#define HUGEPAGES_SIZE ((size_t)2 << 20)
#if defined(__linux__) && defined(MADV_HUGEPAGE)
#define HUGEPAGES_ADVISED 1  /* big blocks are 2 MiB-aligned and advised */
#else
#define HUGEPAGES_ADVISED 0  /* plain malloc throughout */
#endif

/* 0 turns the huge-page path off, for comparing (bench/bench.c does). */
static int hugepages_enabled = 1;

static void *hugepages_alloc(size_t size)
{
    if (size > (size_t)-1 - HUGEPAGES_SIZE) return NULL;  /* never available; rounding up would wrap */
#if HUGEPAGES_ADVISED
    if (hugepages_enabled && size >= HUGEPAGES_SIZE) {
        /* whole huge pages, so the advice never covers memory of another block */
        size_t rounded = (size + HUGEPAGES_SIZE - 1) / HUGEPAGES_SIZE * HUGEPAGES_SIZE;
        void *p = NULL;
        if (posix_memalign(&p, HUGEPAGES_SIZE, rounded) != 0) return NULL;
        (void)madvise(p, rounded, MADV_HUGEPAGE);  /* advice only: on failure the pages are ordinary */
        return p;
    }
#else
    (void)hugepages_enabled;
#endif
    return malloc(size);
}

#define TINYGPT_MALLOC(size) hugepages_alloc(size)
#define TINYGPT_FREE(ptr) free(ptr)

#endif
