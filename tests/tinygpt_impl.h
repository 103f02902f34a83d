/* tinygpt_impl.h - the first include of every test file: feature macros, expect.h, and the file's own copy of tinygpt.h */
/* The tests call the header's internal functions (tinygpt__matmul,
   tinygpt__kv_cache_step, ...), which are static, so every test file compiles
   the implementation itself: TINYGPT_STATIC makes all of it static to the
   file (and, under gcc and clang, the functions a file does not call are no
   warnings). Every copy allocates through the one counter of test_memory.c
   (g_lib_live, ...), so leaks and failing allocations are counted across the
   whole library whichever file's copy made them. No global state lives in the
   header, so a model one file's copy made is any other copy's model too. */
#ifndef TINYGPT_TESTS_IMPL_H
#define TINYGPT_TESTS_IMPL_H

/* Feature macros count only before the first system header, so this file
   comes first. POSIX calls (fork, kill, symlink) for the crash-safety tests
   of test_faults.c; everything else is ISO C. */
/* 64-bit file offsets on 32-bit targets: readdir under qemu-user otherwise
   fails with EOVERFLOW on large directory offsets */
#ifndef _FILE_OFFSET_BITS
#define _FILE_OFFSET_BITS 64
#endif
#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif
/* what examples/hugepages.h asks for (test_memory.c includes it), in every
   file, so that they all see the same declarations */
#if defined(__linux__) && !defined(_DEFAULT_SOURCE)
#define _DEFAULT_SOURCE
#endif

#define TINYGPT_STATIC
#define TINYGPT_MALLOC(size) test_lib_malloc(size)  /* expect.h declares them */
#define TINYGPT_FREE(ptr) test_lib_free(ptr)
#include "expect.h"
#define TINYGPT_IMPLEMENTATION
#include "tinygpt.h"

#endif
