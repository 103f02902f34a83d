/* test_memory.c - memory: examples/hugepages.h, sizes that wrap a 32-bit size_t, short sequences allocate little */
/* And the counting allocator every test file's copy of the library allocates through. */
#include "tinygpt_impl.h"  /* first: feature macros, expect.h, this file's own copy of tinygpt.h */

/* the example programs' allocator (tested below, and under the counter).
   tinygpt_impl.h has set the feature macro it asks for; the TINYGPT_MALLOC
   and TINYGPT_FREE it defines are for a program's tinygpt.h, and this file's
   copy took test_lib_malloc's already: undefined before and after */
#undef TINYGPT_MALLOC
#undef TINYGPT_FREE
#include "../examples/hugepages.h"
#undef TINYGPT_MALLOC
#undef TINYGPT_FREE

/* The library allocates through this counter, which finds leaks and can fail
   on demand to check every out-of-memory path (tests/test_faults.c). Every
   test file's copy of the library calls it (tinygpt_impl.h); expect.h has
   the declarations. */
long g_lib_live, g_lib_calls, g_lib_fail_at, g_lib_fail_rest;
size_t g_lib_largest;  /* the largest single request so far */
void (*g_lib_hook)(void *p, size_t size);  /* sees every block (size 0: freed); the view tests count bytes */
void *test_lib_malloc(size_t size)
{
    void *p;
    g_lib_calls++;
    if (size > g_lib_largest) g_lib_largest = size;
    if (g_lib_fail_at > 0 && (g_lib_calls == g_lib_fail_at || (g_lib_fail_rest && g_lib_calls > g_lib_fail_at)))
        return NULL;
    p = hugepages_alloc(size);
    if (p) g_lib_live++;
    if (p && g_lib_hook) g_lib_hook(p, size);
    return p;
}
void test_lib_free(void *p)
{
    if (p) g_lib_live--;
    if (p && g_lib_hook) g_lib_hook(p, 0);
    free(p);
}

/* ---------------------------------------------------------------- the huge-page allocator */

/* examples/hugepages.h: big blocks come back usable end to end (and 2 MiB-
   aligned where it advises huge pages), small ones from malloc, and a size
   the rounding would wrap fails instead of giving a short block. */
void test_hugepages(void)
{
    size_t sizes[3], i;
    sizes[0] = 100;
    sizes[1] = HUGEPAGES_SIZE;
    sizes[2] = 3 * HUGEPAGES_SIZE / 2 + 12345;
    for (i = 0; i < 3; i++) {
        int on;
        for (on = 1; on >= 0; on--) {
            unsigned char *p;
            hugepages_enabled = on;
            p = (unsigned char *)hugepages_alloc(sizes[i]);
            EXPECTF(p != NULL, "size %lu, huge pages %s", (unsigned long)sizes[i], on ? "on" : "off");
            if (!p) continue;
            memset(p, 0xA5, sizes[i]);
            EXPECT(p[0] == 0xA5 && p[sizes[i] - 1] == 0xA5);
            if (HUGEPAGES_ADVISED && on && sizes[i] >= HUGEPAGES_SIZE)
                EXPECTF((uintptr_t)p % HUGEPAGES_SIZE == 0, "block at %p", (void *)p);
            free(p);
        }
    }
    hugepages_enabled = 1;
    EXPECT(hugepages_alloc((size_t)-1) == NULL);
    EXPECT(hugepages_alloc((size_t)-1 - HUGEPAGES_SIZE + 1) == NULL);
}


/* Buffers whose size wraps a 32-bit size_t although every parameter count
   fits are refused, not allocated short. Only where size_t has 32 bits (i386,
   armhf, wasm32): with 64 bits these would really allocate tens of GB. */
void test_size_limits(void)
{
    tinygpt_train_config tc = tc_plain();
    tinygpt_model m = zero_model;
    tinygpt_error err;
    tinygpt_rng rng = {1};
    int32_t *x;
    if (sizeof(size_t) > 4) {
        printf("  skipped: size_t has %d bits here\n", (int)(8 * sizeof(size_t)));
        return;
    }
    /* attention keeps more than T(T+1)/2 probabilities per head: past 2^32 at T = 92682 */
    if (make_model(&m, "ab", 92682, 1, 1, 1, &tc) == 0) {
        x = ialloc(92682);
        EXPECT_FAIL(tinygpt_forward(&m, x, NULL, 1, 92682, 0, NULL, &err));
        EXPECT_MENTIONS(err, "large|memory");
        free(x);
        tinygpt_model_free(&m);
    }
    /* the sampler's key/value cache holds L*T*2C floats: 2^33 at L = T = 65536, C = 1
       (a full window: shorter windows get a shorter cache) */
    if (make_model(&m, "ab", 65536, 65536, 1, 1, &tc) == 0) {
        x = ialloc(65536);
        EXPECT_FAIL(generate_old(&m, x, 65536, 1, 0.0f, 0, 1.0f, &rng, NULL, NULL, NULL, NULL, &err));
        EXPECT_MENTIONS(err, "large|memory");
        free(x);
        tinygpt_model_free(&m);
    }
}

/* Memory follows the shapes actually run, not block_size: a model with a
   long context that trains and samples on short sequences allocates little
   (the fuzzer found attention scratch sized by block_size: 1.2 GB for a
   17,410-position model that ran T = 3). */
void test_short_sequences_allocate_little(void)
{
    tinygpt_train_config tc = tc_plain();
    tinygpt_model m = zero_model;
    tinygpt_error err;
    tinygpt_rng rng;
    int32_t x[3] = {0, 1, 0}, y[3] = {1, 0, 1}, out[4];
    int T = 17410;
    size_t params, bound;
    if (make_model(&m, "ab", T, 1, 1, 2, &tc)) return;
    params = 4 * m.num_params;
    /* the parameters, or the activations: the matmul's packing space and a few
       rows (the attention scratch at T = block_size alone would be 1.2 GB) */
    bound = params + 4 * tinygpt__matmul_work_size(tinygpt__threads(&m)) + (1u << 20);
    g_lib_largest = 0;
    EXPECT_OK(tinygpt_train_step(&m, x, y, 1, 3, NULL, &err), err);
    tinygpt_rng_seed(&rng, 3);
    EXPECT_OK(generate_old(&m, x, 3, 4, 1.0f, 0, 1.0f, &rng, out, NULL, NULL, NULL, &err), err);
    EXPECT_OK(generate_uncached(&m, x, 3, 4, 1.0f, 0, 1.0f, &rng, out, NULL, NULL, NULL, &err), err);
    printf("  block_size %d, T = 3: largest allocation %lu bytes (parameters %lu)\n", T,
           (unsigned long)g_lib_largest, (unsigned long)params);
    EXPECTF(g_lib_largest <= bound, "a T = 3 step and 4 samples allocated %lu bytes at once",
            (unsigned long)g_lib_largest);
    tinygpt_model_free(&m);
}
