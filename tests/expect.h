/* expect.h - what the test files share: the checks (EXPECT...), the counters, the helpers and the groups' entry points */
/* Counting: every EXPECT is one check. A failed check prints one line
   (file:line, the expression, the values involved); main (test_main.c) prints
   one summary line per test group and last exactly "N passed, N failed".

   Include it through tinygpt_impl.h, which comes first in every test file:
   the declarations below use tinygpt.h's types, and tinygpt.h must be seen
   with TINYGPT_STATIC from its first inclusion on. Definitions: helpers.c,
   except the allocator's (test_memory.c) and the entry points (each file). */
#ifndef TINYGPT_TESTS_EXPECT_H
#define TINYGPT_TESTS_EXPECT_H

#ifndef TINYGPT_STATIC
#error "include tests/tinygpt_impl.h, not expect.h: it defines TINYGPT_STATIC before tinygpt.h is first seen"
#endif
#include "tinygpt.h"

#include <ctype.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ======================================================================== */
/*                     the library's allocator (test_memory.c)              */
/* ======================================================================== */

/* The library allocates through this counter (every test file's copy of it:
   tinygpt_impl.h), which finds leaks and can fail on demand to check every
   out-of-memory path (test_faults.c). */
extern long g_lib_live, g_lib_calls, g_lib_fail_at, g_lib_fail_rest;
extern size_t g_lib_largest;  /* the largest single request so far */
extern void (*g_lib_hook)(void *p, size_t size);  /* sees every block (size 0: freed); the view tests count bytes */
void *test_lib_malloc(size_t size);
void test_lib_free(void *p);

/* ======================================================================== */
/*                              expect machinery                            */
/* ======================================================================== */

extern int g_passed, g_failed, g_quick;  /* g_quick: --quick, smaller sizes for slow emulated platforms */
extern char g_golden_dir[512];           /* GOLDEN_DIR, tests/golden unless given */

#if defined(__GNUC__)
#define TEST_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define TEST_PRINTF(f, a)
#endif

int expect_at(int ok, const char *file, int line, const char *expr);
int expectf_at(int ok, const char *file, int line, const char *expr, const char *fmt, ...)
    TEST_PRINTF(5, 6);
int finite_d(double x);
int expect_near_at(double a, double b, double tol, const char *file, int line, const char *ea, const char *eb);

#define EXPECT(c) expect_at((c) ? 1 : 0, __FILE__, __LINE__, #c)
#define EXPECTF(c, ...) expectf_at((c) ? 1 : 0, __FILE__, __LINE__, #c, __VA_ARGS__)
#define EXPECT_NEAR(a, b, tol) \
    expect_near_at((double)(a), (double)(b), (double)(tol), __FILE__, __LINE__, #a, #b)
/* a call returning 0 on success; prints the library's message when it fails */
#define EXPECT_OK(call, err) \
    expectf_at((call) == 0, __FILE__, __LINE__, #call " succeeds", "error: %s", (err).message)
#define EXPECT_FAIL(call) \
    expectf_at((call) != 0, __FILE__, __LINE__, #call " fails", "it returned success")

/* ---------------------------------------------------------------- message checks */

/* case-insensitive substring; '_', '-' and ' ' count as the same character */
int mentions(const char *msg, const char *word);
/* any of the '|'-separated alternatives */
int mentions_any(const char *msg, const char *alts);
/* the decimal number n appears on its own (not inside a longer number or a hex literal) */
int has_number(const char *msg, unsigned long n);

#define EXPECT_MENTIONS(err, alts) \
    expectf_at(mentions_any((err).message, alts), __FILE__, __LINE__, \
               "message mentions " #alts, "message was \"%s\"", (err).message)

/* ======================================================================== */
/*                                   helpers                                */
/* ======================================================================== */

void *xmalloc(size_t n);  /* malloc, or exit(2) */
float *falloc(size_t n);  /* zeroed */
int32_t *ialloc(size_t n);

/* The test's own generator (xorshift64*), independent of the library's rng. */
typedef struct { uint64_t s; } trng;
void trng_seed(trng *r, uint64_t seed);
int trng_below(trng *r, int n);
float trng_normal(trng *r);
void fill_normal(float *x, size_t n, float scale, float offset, trng *r);

double dot_d(const float *a, const float *b, size_t n);
double max_abs_diff(const float *a, const float *b, size_t n);  /* NaN sticks */
double max_abs(const float *a, size_t n);

/* little-endian fields of a checkpoint (crc32_ref.h has the tests' own CRC) */
uint32_t get_u32(const unsigned char *p);
void put_u32(unsigned char *p, uint32_t v);
void put_u64(unsigned char *p, uint64_t v);
void put_f32(unsigned char *p, float f);
int same_bits(float a, float b);
void fix_crc(unsigned char *b, size_t len);  /* a valid CRC trailer over b[0..len-4) */

/* Whole file, or NULL. */
unsigned char *read_bytes(const char *path, size_t *len);
/* GOLDEN_DIR/prefix name, in one of four rotating buffers (a call may take two). */
const char *data_path(const char *prefix, const char *name);
const char *golden_path(const char *name);

double ce_from_logits(const float *logits, const int32_t *targets, int N, int V);

/* ---------------------------------------------------------------- finite differences */

typedef double (*loss_fn)(void *ctx);

/* Compares analytic[i] with a central difference of f at x[i], for the
   indices idx[0..nidx) (or every index when idx is NULL). The error is
   max|analytic - fd| / (max|fd| + floor); prints it per tensor by name. */
double fd_check_at(const char *name, float *x, size_t n, const size_t *idx, size_t nidx,
                   const float *analytic, loss_fn f, void *ctx, float eps, int richardson,
                   double tol, const char *file, int line);
#define FD_CHECK(name, x, n, idx, nidx, an, f, ctx, eps, tol) \
    fd_check_at(name, x, n, idx, nidx, an, f, ctx, eps, 0, tol, __FILE__, __LINE__)
#define FD_CHECK_RICHARDSON(name, x, n, idx, nidx, an, f, ctx, eps, tol) \
    fd_check_at(name, x, n, idx, nidx, an, f, ctx, eps, 1, tol, __FILE__, __LINE__)

extern float *g_work; /* exactly tinygpt__matmul_work_size(1) floats (main allocates it) */

/* ======================================================================== */
/*                  models, checkpoints, sampling: shared parts             */
/* ======================================================================== */

/* Objects the library fills start zeroed (or live): copies of these. */
extern tinygpt_model zero_model;
extern tinygpt_vocab zero_vocab;

/* tinygpt_generate with the sampler's fields as arguments (the rng is
   advanced in place), and the same with the cache switched off: most sampling
   tests vary one field at a time. */
int generate_at(tinygpt_model *m, const int32_t *ctx, size_t n, size_t new_tokens, float temperature,
                int top_k, float top_p, tinygpt_rng *rng, int32_t *out, size_t *n_out,
                tinygpt_token_fn cb, void *user, int use_cache, tinygpt_error *err);
#define generate_old(m, ctx, n, nt, t, k, p, rng, out, n_out, cb, user, err) \
    generate_at(m, ctx, n, nt, t, k, p, rng, out, n_out, cb, user, 1, err)
#define generate_uncached(m, ctx, n, nt, t, k, p, rng, out, n_out, cb, user, err) \
    generate_at(m, ctx, n, nt, t, k, p, rng, out, n_out, cb, user, 0, err)

#define TMP_FILE "tests/tmp_roundtrip.bin"
#define TMP_FILE2 "tests/tmp_roundtrip2.bin"

typedef struct { char name[48]; size_t off, n; int decayed; } tensor_info;
#define MAX_TENSORS 64

/* FORMAT.md's tensor order, written out independently of the library. */
int tensor_table(const tinygpt_config *c, tensor_info *t);
size_t table_total(const tensor_info *t, int k);
int is_ln_weight(const char *name);

tinygpt_train_config tc_plain(void);  /* the defaults without dropout */
/* A model over the characters of `text`; the vocabulary is freed right away
   (the model must have copied it). */
int make_model(tinygpt_model *m, const char *text, int T, int L, int H, int C, const tinygpt_train_config *tc);
/* Larger random parameters than the init, so gradients are well above float noise. */
void randomize_params(tinygpt_model *m, float scale, trng *r);
void random_tokens(int32_t *ids, size_t n, int V, trng *r);

/* a snapshot, to check that a failed call left a model untouched */
typedef struct { tinygpt_model shallow; float *params, *m, *v; uint32_t *cps; } model_snap;
void snap_take(model_snap *s, const tinygpt_model *m);
int snap_same(const model_snap *s, const tinygpt_model *m);
void snap_free(model_snap *s);

/* Checks a checkpoint's bytes against a model field by field, with the
   test's own reader: what the writer wrote, or what the reader read. */
void check_bytes_match_model(const unsigned char *b, size_t len, const tinygpt_model *m, int with_opt,
                             const char *what);
void train_steps(tinygpt_model *m, const int32_t *tokens, size_t n, int B, int steps);
int models_identical(const tinygpt_model *a, const tinygpt_model *b, int with_opt);

/* ======================================================================== */
/*               the test groups, in the order main runs them               */
/* ======================================================================== */

void test_vocab(void);                           /* test_vocab.c */
void test_batches(void);                         /* test_data.c */
void test_matmul(void);                          /* test_ops.c */
void test_ops(void);
void test_model_create(void);                    /* test_model.c */
void test_model_gradients(void);
void test_reference_model(void);
void test_golden(void);
void test_portable(void);                        /* test_checkpoint.c */
void test_size_limits(void);                     /* test_memory.c */
void test_short_sequences_allocate_little(void);
void test_optimizer(void);                       /* test_optim.c */
void test_save_load(void);                       /* test_checkpoint.c */
void test_resume(void);
void test_reading_rules(void);
void test_overfit(void);                         /* test_optim.c */
void test_sampling(void);                        /* test_sampling.c */
void test_evaluate(void);                        /* test_model.c */
void test_two_models(void);
void test_hugepages(void);                       /* test_memory.c */
void test_errors(void);                          /* test_model.c */
void test_alloc_failures(void);                  /* test_faults.c */
void test_crash_safe_save(void);
void test_save_errors(void);
void test_save_paths(void);
void test_hostile_state(void);
void test_numeric_faults(void);
void test_load_layers(void);
void test_fuzz_regressions(void);
void test_no_leaks(void);
void test_int8(void);                            /* test_checkpoint.c */
void test_views(void);

#endif
