/* test_tinygpt.c - test driver for tinygpt.h
   Build and run from the top directory:  make test
   (or: cc -std=c99 -O2 -I. -o tests/test_tinygpt tests/test_tinygpt.c -lm && ./tests/test_tinygpt)

       ./tests/test_tinygpt [--quick] [GOLDEN_DIR]

   --quick shrinks sizes (for slow emulated platforms); every test still runs.
   GOLDEN_DIR defaults to tests/golden (init.bin, trained.bin, stepped.bin, text.txt).
   Temporary files go to tests/tmp_*.bin and are removed afterwards.

   Counting: every EXPECT is one check. A failed check prints one line
   (file:line, the expression, the values involved); each test group prints
   one summary line; the last line is exactly "N passed, N failed", and the
   exit status is 0 only when nothing failed. Nothing here asserts on time. */
/* POSIX calls (fork, kill, symlink) for the crash-safety tests in
   tests/test_faults.c; everything else is ISO C. */
/* 64-bit file offsets on 32-bit targets: readdir under qemu-user otherwise
   fails with EOVERFLOW on large directory offsets */
#ifndef _FILE_OFFSET_BITS
#define _FILE_OFFSET_BITS 64
#endif
#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif
/* the example programs' allocator (tested below, and under the counter) */
#include "../examples/hugepages.h"
#undef TINYGPT_MALLOC
#undef TINYGPT_FREE
#include <stdlib.h>

/* The library allocates through this counter, which finds leaks and can fail
   on demand to check every out-of-memory path (tests/test_faults.c). */
static long g_lib_live, g_lib_calls, g_lib_fail_at, g_lib_fail_rest;
static size_t g_lib_largest;  /* the largest single request so far */
static void (*g_lib_hook)(void *p, size_t size);  /* sees every block (size 0: freed); the view tests count bytes */
static void *test_lib_malloc(size_t size)
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
static void test_lib_free(void *p)
{
    if (p) g_lib_live--;
    if (p && g_lib_hook) g_lib_hook(p, 0);
    free(p);
}
#define TINYGPT_MALLOC(size) test_lib_malloc(size)
#define TINYGPT_FREE(ptr) test_lib_free(ptr)
#define TINYGPT_IMPLEMENTATION
#include "tinygpt.h"
/* Objects the library fills start zeroed (or live): copies of these. */
static tinygpt_model zero_model;
static tinygpt_vocab zero_vocab;

/* tinygpt_generate with the sampler's fields as arguments (the rng is
   advanced in place), and the same with the cache switched off: most sampling
   tests vary one field at a time. */
static int generate_at(tinygpt_model *m, const int32_t *ctx, size_t n, size_t new_tokens, float temperature,
                       int top_k, float top_p, tinygpt_rng *rng, int32_t *out, size_t *n_out,
                       tinygpt_token_fn cb, void *user, int use_cache, tinygpt_error *err)
{
    tinygpt_sampler s;
    int rc;
    s.temperature = temperature;
    s.top_k = top_k;
    s.top_p = top_p;
    s.rng = *rng;
    rc = use_cache ? tinygpt_generate(m, &s, ctx, n, new_tokens, out, n_out, cb, user, err)
                   : tinygpt__generate(m, &s, ctx, n, new_tokens, out, n_out, cb, user, 0, err);
    *rng = s.rng;
    return rc;
}
#define generate_old(m, ctx, n, nt, t, k, p, rng, out, n_out, cb, user, err) \
    generate_at(m, ctx, n, nt, t, k, p, rng, out, n_out, cb, user, 1, err)
#define generate_uncached(m, ctx, n, nt, t, k, p, rng, out, n_out, cb, user, err) \
    generate_at(m, ctx, n, nt, t, k, p, rng, out, n_out, cb, user, 0, err)

#include <ctype.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef TEST_MODEL
#define TEST_MODEL 1 /* the model/checkpoint/sampling tests; -DTEST_MODEL=0 runs only the ops */
#endif

/* ======================================================================== */
/*                              expect machinery                            */
/* ======================================================================== */

static int g_passed, g_failed, g_quick;
static char g_golden_dir[512] = "tests/golden";

#if defined(__GNUC__)
#define TEST_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define TEST_PRINTF(f, a)
#endif

static int expect_at(int ok, const char *file, int line, const char *expr)
{
    if (ok) { g_passed++; return 1; }
    g_failed++;
    printf("%s:%d: FAILED: %s\n", file, line, expr);
    fflush(stdout);
    return 0;
}

static int expectf_at(int ok, const char *file, int line, const char *expr, const char *fmt, ...)
    TEST_PRINTF(5, 6);
static int expectf_at(int ok, const char *file, int line, const char *expr, const char *fmt, ...)
{
    va_list ap;
    if (ok) { g_passed++; return 1; }
    g_failed++;
    printf("%s:%d: FAILED: %s -- ", file, line, expr);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
    return 0;
}

static int finite_d(double x) { return x == x && x - x == 0.0; }

static int expect_near_at(double a, double b, double tol, const char *file, int line,
                          const char *ea, const char *eb)
{
    int ok = finite_d(a) && finite_d(b) && fabs(a - b) <= tol;
    if (ok) { g_passed++; return 1; }
    g_failed++;
    printf("%s:%d: FAILED: %s ~= %s -- %.10g vs %.10g, |diff| %.3g > tol %.3g\n", file, line, ea,
           eb, a, b, fabs(a - b), tol);
    fflush(stdout);
    return 0;
}

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

static int norm_ch(int c)
{
    c = tolower((unsigned char)c);
    return (c == '_' || c == '-') ? ' ' : c;
}

/* case-insensitive substring; '_', '-' and ' ' count as the same character */
static int mentions(const char *msg, const char *word)
{
    size_t i, j, n = strlen(msg), k = strlen(word);
    for (i = 0; i + k <= n; i++) {
        for (j = 0; j < k && norm_ch(msg[i + j]) == norm_ch(word[j]); j++) {}
        if (j == k) return 1;
    }
    return 0;
}

/* any of the '|'-separated alternatives */
static int mentions_any(const char *msg, const char *alts)
{
    char word[64];
    const char *p = alts;
    while (*p) {
        size_t k = strcspn(p, "|");
        if (k >= sizeof word) k = sizeof word - 1;
        memcpy(word, p, k);
        word[k] = 0;
        if (mentions(msg, word)) return 1;
        p += k;
        if (*p == '|') p++;
    }
    return 0;
}

/* the decimal number n appears on its own (not inside a longer number or a hex literal) */
static int has_number(const char *msg, unsigned long n)
{
    char num[32];
    size_t k, i, len = strlen(msg);
    sprintf(num, "%lu", n);
    k = strlen(num);
    for (i = 0; i + k <= len; i++) {
        if (memcmp(msg + i, num, k) != 0) continue;
        if (i > 0 && (isxdigit((unsigned char)msg[i - 1]) || msg[i - 1] == 'x' || msg[i - 1] == 'X' ||
                      msg[i - 1] == '+'))
            continue;
        if (isdigit((unsigned char)msg[i + k])) continue;
        return 1;
    }
    return 0;
}

#define EXPECT_MENTIONS(err, alts) \
    expectf_at(mentions_any((err).message, alts), __FILE__, __LINE__, \
               "message mentions " #alts, "message was \"%s\"", (err).message)

/* ======================================================================== */
/*                                   helpers                                */
/* ======================================================================== */

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) { printf("out of memory (%lu bytes)\n", (unsigned long)n); exit(2); }
    return p;
}
static float *falloc(size_t n) { float *p = (float *)xmalloc(n * sizeof(float)); memset(p, 0, n * sizeof(float)); return p; }
static int32_t *ialloc(size_t n) { int32_t *p = (int32_t *)xmalloc(n * sizeof(int32_t)); memset(p, 0, n * sizeof(int32_t)); return p; }

/* The test's own generator (xorshift64*), independent of the library's rng. */
typedef struct { uint64_t s; } trng;
static void trng_seed(trng *r, uint64_t seed) { r->s = seed * 0x9E3779B97F4A7C15ull + 0x1234567ull; if (!r->s) r->s = 1; }
static uint64_t trng_u64(trng *r)
{
    r->s ^= r->s >> 12; r->s ^= r->s << 25; r->s ^= r->s >> 27;
    return r->s * 0x2545F4914F6CDD1Dull;
}
static double trng_unif(trng *r) { return (double)(trng_u64(r) >> 11) * (1.0 / 9007199254740992.0); }
static int trng_below(trng *r, int n) { return (int)(trng_u64(r) % (uint64_t)n); }
static float trng_normal(trng *r)
{
    double u1 = trng_unif(r) + 1e-300, u2 = trng_unif(r);
    return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}
static void fill_normal(float *x, size_t n, float scale, float offset, trng *r)
{
    size_t i;
    for (i = 0; i < n; i++) x[i] = offset + scale * trng_normal(r);
}

static double dot_d(const float *a, const float *b, size_t n)
{
    double s = 0.0;
    size_t i;
    for (i = 0; i < n; i++) s += (double)a[i] * (double)b[i];
    return s;
}

static double max_abs_diff(const float *a, const float *b, size_t n)
{
    double m = 0.0;
    size_t i;
    for (i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        if (!(d <= m)) m = d; /* NaN sticks */
    }
    return m;
}

static double max_abs(const float *a, size_t n)
{
    double m = 0.0;
    size_t i;
    for (i = 0; i < n; i++) if (fabs((double)a[i]) > m) m = fabs((double)a[i]);
    return m;
}

#include "crc32_ref.h"  /* crc32_ieee: the tests' own CRC, not the library's */

static uint32_t get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static uint64_t get_u64(const unsigned char *p) { return (uint64_t)get_u32(p) | ((uint64_t)get_u32(p + 4) << 32); }
static float get_f32(const unsigned char *p)
{
    uint32_t u = get_u32(p);
    float f;
    memcpy(&f, &u, 4);
    return f;
}
static void put_u32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v; p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16); p[3] = (unsigned char)(v >> 24);
}
static void put_u64(unsigned char *p, uint64_t v) { put_u32(p, (uint32_t)v); put_u32(p + 4, (uint32_t)(v >> 32)); }
static void put_f32(unsigned char *p, float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    put_u32(p, u);
}
static int same_bits(float a, float b) { return memcmp(&a, &b, sizeof a) == 0; }
static void fix_crc(unsigned char *b, size_t len) { put_u32(b + len - 4, crc32_ieee(b, len - 4)); }

/* Whole file, or NULL. */
static unsigned char *read_bytes(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf = NULL;
    size_t cap = 0, n = 0;
    *len = 0;
    if (!f) return NULL;
    for (;;) {
        size_t got;
        if (n == cap) {
            unsigned char *nb = (unsigned char *)xmalloc(cap = cap ? cap * 2 : 65536);
            if (n) memcpy(nb, buf, n);
            free(buf);
            buf = nb;
        }
        got = fread(buf + n, 1, cap - n, f);
        if (got == 0) break;
        n += got;
    }
    fclose(f);
    *len = n;
    return buf;
}

/* GOLDEN_DIR/prefix name, in one of four rotating buffers (a call may take two). */
static const char *data_path(const char *prefix, const char *name)
{
    static char buf[4][700];
    static int which;
    char *p = buf[which++ & 3];
    sprintf(p, "%.500s/%.40s%.100s", g_golden_dir, prefix, name);
    return p;
}
static const char *golden_path(const char *name) { return data_path("", name); }

static double ce_from_logits(const float *logits, const int32_t *targets, int N, int V)
{
    double total = 0.0;
    int n, i;
    for (n = 0; n < N; n++) {
        const float *l = logits + (size_t)n * V;
        double mx = l[0], s = 0.0;
        for (i = 1; i < V; i++) if (l[i] > mx) mx = l[i];
        for (i = 0; i < V; i++) s += exp((double)l[i] - mx);
        total += log(s) + mx - (double)l[targets[n]];
    }
    return total / N;
}

/* ---------------------------------------------------------------- finite differences */

typedef double (*loss_fn)(void *ctx);

static double central_diff(float *x, size_t i, float eps, loss_fn f, void *ctx)
{
    float x0 = x[i], xp, xm;
    double lp, lm;
    x[i] = x0 + eps; xp = x[i]; lp = f(ctx);
    x[i] = x0 - eps; xm = x[i]; lm = f(ctx);
    x[i] = x0;
    return (lp - lm) / ((double)xp - (double)xm);
}

/* Compares analytic[i] with a central difference of f at x[i], for the
   indices idx[0..nidx) (or every index when idx is NULL). The error is
   max|analytic - fd| / (max|fd| + floor); prints it per tensor by name. */
static double fd_check_at(const char *name, float *x, size_t n, const size_t *idx, size_t nidx,
                          const float *analytic, loss_fn f, void *ctx, float eps, int richardson,
                          double tol, const char *file, int line)
{
    double maxdiff = 0.0, maxfd = 0.0, rel;
    size_t k, count = idx ? nidx : n, worst = 0;
    for (k = 0; k < count; k++) {
        size_t i = idx ? idx[k] : k;
        float x0 = x[i];
        double fd, d;
        if (richardson) /* (4 D(eps/2) - D(eps)) / 3 cancels the eps^2 term */
            fd = (4.0 * central_diff(x, i, eps * 0.5f, f, ctx) - central_diff(x, i, eps, f, ctx)) / 3.0;
        else
            fd = central_diff(x, i, eps, f, ctx);
        x[i] = x0;
        d = fabs(fd - (double)analytic[i]);
        if (!(d <= maxdiff)) { maxdiff = d; worst = i; }
        if (fabs(fd) > maxfd) maxfd = fabs(fd);
    }
    rel = maxdiff / (maxfd + 1e-7);
    printf("    %-26s max|analytic-fd| %.3e  max|fd| %.3e  rel %.3e  (%lu checked)\n", name, maxdiff,
           maxfd, rel, (unsigned long)count);
    expectf_at(finite_d(rel) && rel <= tol, file, line, "gradient matches finite differences",
               "%s: rel error %.3e > %.1e (worst index %lu: analytic %.6g)", name, rel, tol,
               (unsigned long)worst, (double)analytic[worst]);
    return rel;
}
#define FD_CHECK(name, x, n, idx, nidx, an, f, ctx, eps, tol) \
    fd_check_at(name, x, n, idx, nidx, an, f, ctx, eps, 0, tol, __FILE__, __LINE__)
#define FD_CHECK_RICHARDSON(name, x, n, idx, nidx, an, f, ctx, eps, tol) \
    fd_check_at(name, x, n, idx, nidx, an, f, ctx, eps, 1, tol, __FILE__, __LINE__)

/* Backward ops add into their outputs: after two calls the gradient is twice one call's. */
static void check_adds_at(const char *name, const float *once, const float *twice, size_t n,
                          const char *file, int line)
{
    double worst = 0.0;
    size_t i;
    for (i = 0; i < n; i++) {
        double d = fabs((double)twice[i] - 2.0 * once[i]) / (fabs((double)once[i]) + 1e-3);
        if (!(d <= worst)) worst = d;
    }
    expectf_at(worst <= 1e-4, file, line, "backward adds into its gradient output",
               "%s: after two backward calls the gradient is not twice one call's (rel %.3g)", name, worst);
}
#define CHECK_ADDS(name, once, twice, n) check_adds_at(name, once, twice, n, __FILE__, __LINE__)

static float *g_work; /* exactly tinygpt__matmul_work_size(1) floats */

/* ======================================================================== */
/*                               1. vocabulary                              */
/* ======================================================================== */

/* "héllo — ok ✓ 😀!\n": 1-, 2-, 3- and 4-byte characters */
static const char vocab_text[] = "h\xC3\xA9llo \xE2\x80\x94 ok \xE2\x9C\x93 \xF0\x9F\x98\x80!\n";
static const uint32_t vocab_text_cps[16] = {0x68, 0xE9, 0x6C, 0x6C, 0x6F, 0x20, 0x2014, 0x20,
                                            0x6F, 0x6B, 0x20, 0x2713, 0x20, 0x1F600, 0x21, 0x0A};
static const uint32_t vocab_expected[11] = {0x0A, 0x20, 0x21, 0x68, 0x6B, 0x6C,
                                            0x6F, 0xE9, 0x2014, 0x2713, 0x1F600};

static void test_vocab_malformed(const char *bad, size_t badlen, size_t offset, const char *what)
{
    tinygpt_vocab v = zero_vocab, ascii = zero_vocab;
    tinygpt_error err;
    char text[128];
    int32_t ids[128];
    size_t i, n_ids = 0, len = offset + badlen + 2;
    for (i = 0; i < offset; i++) text[i] = (char)('a' + i % 26);
    memcpy(text + offset, bad, badlen);
    text[offset + badlen] = 'b';
    text[offset + badlen + 1] = 'c';
    /* "truncated at the end" cases pass the bytes as the very end of the text */
    if (strstr(what, "end")) len = offset + badlen;
    err.message[0] = 0;
    EXPECTF(tinygpt_vocab_build(&v, "xyz", 3, &err) == 0, "%s: %s", what, err.message);
    {   /* a live vocabulary survives a failed build untouched (the one fill rule) */
        uint32_t *held = v.codepoints;
        EXPECTF(tinygpt_vocab_build(&v, text, len, &err) != 0, "%s: vocab_build accepted it", what);
        EXPECTF(has_number(err.message, (unsigned long)offset), "%s: message \"%s\" lacks offset %lu", what,
                err.message, (unsigned long)offset);
        EXPECTF(v.size == 3 && v.codepoints == held && held[0] == 'x', "%s: the live vocab changed on failure (size %d)",
                what, v.size);
    }
    tinygpt_vocab_free(&v);
    if (tinygpt_vocab_build(&ascii, "abcdefghijklmnopqrstuvwxyz", 26, &err) == 0) {
        err.message[0] = 0;
        EXPECTF(tinygpt_encode(&ascii, text, len, ids, &n_ids, &err) != 0, "%s: encode accepted it", what);
        EXPECTF(has_number(err.message, (unsigned long)offset), "%s: encode message \"%s\" lacks offset %lu",
                what, err.message, (unsigned long)offset);
        tinygpt_vocab_free(&ascii);
    }
}

static void test_vocab(void)
{
    tinygpt_vocab v = zero_vocab, w = zero_vocab;
    tinygpt_error err;
    int32_t ids[64];
    size_t n_ids = 0, out_len = 0, len = strlen(vocab_text), i;
    char out[4 * 64 + 1], u8[4];
    int k;

    EXPECT_OK(tinygpt_vocab_build(&v, vocab_text, len, &err), err);
    EXPECTF(v.size == 11, "size %d", v.size);
    if (v.size == 11)
        for (k = 0; k < 11; k++)
            EXPECTF(v.codepoints[k] == vocab_expected[k], "id %d: U+%04lX, expected U+%04lX", k,
                    (unsigned long)v.codepoints[k], (unsigned long)vocab_expected[k]);
    for (k = 0; k + 1 < v.size; k++) EXPECT(v.codepoints[k] < v.codepoints[k + 1]);
    for (k = 0; k < 11; k++) EXPECT(tinygpt_vocab_find(&v, vocab_expected[k]) == k);
    EXPECT(tinygpt_vocab_find(&v, 'z') == -1);
    EXPECT(tinygpt_vocab_find(&v, 0x1F601) == -1);

    /* encode: one token per character, multi-byte characters included */
    EXPECT_OK(tinygpt_encode(&v, vocab_text, len, ids, &n_ids, &err), err);
    EXPECTF(n_ids == 16, "n_ids %lu", (unsigned long)n_ids);
    if (n_ids == 16)
        for (i = 0; i < 16; i++)
            EXPECTF(ids[i] >= 0 && ids[i] < v.size && v.codepoints[ids[i]] == vocab_text_cps[i],
                    "position %lu: id %ld", (unsigned long)i, (long)ids[i]);
    EXPECT_OK(tinygpt_encode(&v, "\xF0\x9F\x98\x80", 4, ids, &n_ids, &err), err);
    EXPECT(n_ids == 1 && ids[0] == 10);
    EXPECT_OK(tinygpt_encode(&v, "\xC3\xA9", 2, ids, &n_ids, &err), err);
    EXPECT(n_ids == 1 && ids[0] == 7);
    EXPECT_OK(tinygpt_encode(&v, "\xE2\x80\x94", 3, ids, &n_ids, &err), err);
    EXPECT(n_ids == 1 && ids[0] == 8);
    EXPECT_OK(tinygpt_encode(&v, "", 0, ids, &n_ids, &err), err);
    EXPECT(n_ids == 0);

    /* decode: byte-exact round trip */
    EXPECT_OK(tinygpt_encode(&v, vocab_text, len, ids, &n_ids, &err), err);
    memset(out, 'X', sizeof out);
    EXPECT_OK(tinygpt_decode(&v, ids, n_ids, out, &out_len, &err), err);
    EXPECTF(out_len == len && memcmp(out, vocab_text, len) == 0 && out[len] == 0,
            "decoded %lu bytes \"%s\"", (unsigned long)out_len, out);
    EXPECT(tinygpt_token_utf8(&v, 10, u8) == 4 && memcmp(u8, "\xF0\x9F\x98\x80", 4) == 0);
    EXPECT(tinygpt_token_utf8(&v, 7, u8) == 2 && memcmp(u8, "\xC3\xA9", 2) == 0);
    EXPECT(tinygpt_token_utf8(&v, 3, u8) == 1 && u8[0] == 'h');
    EXPECT(tinygpt_token_utf8(&v, 11, u8) == 0);
    EXPECT(tinygpt_token_utf8(&v, -1, u8) == 0);

    /* decode of an out-of-range id */
    ids[0] = 3; ids[1] = 11;
    err.message[0] = 0;
    EXPECT_FAIL(tinygpt_decode(&v, ids, 2, out, &out_len, &err));
    EXPECT_MENTIONS(err, "11");
    ids[0] = -1;
    EXPECT_FAIL(tinygpt_decode(&v, ids, 1, out, &out_len, &err));

    /* encode of a character missing from the vocabulary names it and its offset */
    err.message[0] = 0;
    EXPECT_FAIL(tinygpt_encode(&v, "hollo oh\xE2\x88\x9E", 11, ids, &n_ids, &err)); /* U+221E at 8 */
    EXPECTF(has_number(err.message, 8), "message \"%s\" lacks offset 8", err.message);
    EXPECT_MENTIONS(err, "221E|\xE2\x88\x9E");
    err.message[0] = 0;
    EXPECT_FAIL(tinygpt_encode(&v, "hhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhz", 38, ids, &n_ids, &err));
    EXPECTF(has_number(err.message, 37), "message \"%s\" lacks offset 37", err.message);
    tinygpt_vocab_free(&v);
    EXPECT(v.size == 0 && v.codepoints == NULL);
    tinygpt_vocab_free(&v); /* safe on a zeroed vocab */

    /* malformed UTF-8 of every kind, each at a distinct offset */
    test_vocab_malformed("\x80", 1, 13, "lone continuation byte");
    test_vocab_malformed("\xBF", 1, 14, "lone continuation byte 0xBF");
    test_vocab_malformed("\xE2\x80", 2, 17, "3-byte sequence truncated at the end");
    test_vocab_malformed("\xF0\x9F\x98", 3, 18, "4-byte sequence truncated at the end");
    test_vocab_malformed("\xC3", 1, 19, "2-byte sequence truncated at the end");
    test_vocab_malformed("\xE2\x80", 2, 33, "3-byte sequence cut short by ASCII");
    test_vocab_malformed("\xC0\x80", 2, 21, "overlong C0 80");
    test_vocab_malformed("\xC1\xBF", 2, 25, "overlong C1 BF");
    test_vocab_malformed("\xE0\x80\x80", 3, 22, "overlong E0 80 80");
    test_vocab_malformed("\xE0\x9F\xBF", 3, 27, "overlong E0 9F BF");
    test_vocab_malformed("\xF0\x80\x80\x80", 4, 34, "overlong F0 80 80 80");
    test_vocab_malformed("\xED\xA0\x80", 3, 23, "surrogate ED A0 80");
    test_vocab_malformed("\xED\xBF\xBF", 3, 35, "surrogate ED BF BF");
    test_vocab_malformed("\xF4\x90\x80\x80", 4, 26, "above U+10FFFF F4 90 80 80");
    test_vocab_malformed("\xF5\x80\x80\x80", 4, 36, "lead byte F5");
    test_vocab_malformed("\xFF", 1, 29, "invalid byte 0xFF");
    test_vocab_malformed("\xFE", 1, 31, "invalid byte 0xFE");

    /* well-formed edge cases are accepted */
    EXPECT_OK(tinygpt_vocab_build(&v, "\xF4\x8F\xBF\xBF\xED\x9F\xBF\xEE\x80\x80", 10, &err), err);
    EXPECT(v.size == 3 && v.codepoints[0] == 0xD7FF && v.codepoints[1] == 0xE000 && v.codepoints[2] == 0x10FFFF);
    tinygpt_vocab_free(&v);
    /* a byte-order mark, CR LF and NUL are ordinary characters */
    EXPECT_OK(tinygpt_vocab_build(&v, "\xEF\xBB\xBF" "a\r\n\0b", 8, &err), err);
    EXPECT(v.size == 6 && v.codepoints[0] == 0 && v.codepoints[1] == 0x0A && v.codepoints[2] == 0x0D &&
           v.codepoints[5] == 0xFEFF);
    tinygpt_vocab_free(&v);

    /* empty text: refused, and a zeroed vocabulary stays zeroed */
    EXPECT_FAIL(tinygpt_vocab_build(&v, "", 0, &err));
    EXPECT(v.size == 0 && v.codepoints == NULL);
    /* building over a live vocabulary replaces it (no leak: the no-leaks group counts blocks) */
    EXPECT_OK(tinygpt_vocab_build(&v, "ab", 2, &err), err);
    EXPECT_OK(tinygpt_vocab_build(&v, "cde", 3, &err), err);
    EXPECT(v.size == 3 && v.codepoints[0] == 'c');
    tinygpt_vocab_free(&v);

    /* from code points: any order, ids follow the given order */
    {
        uint32_t cps[5] = {'z', 0x1F600, 'a', 0, 0x10FFFF};
        uint32_t rep[3] = {'a', 'b', 'a'}, sur[2] = {'a', 0xD800}, sur2[1] = {0xDFFF}, big[2] = {'a', 0x110000};
        EXPECT_OK(tinygpt_vocab_from_codepoints(&w, cps, 5, &err), err);
        EXPECT(w.size == 5 && tinygpt_vocab_find(&w, 'z') == 0 && tinygpt_vocab_find(&w, 0x1F600) == 1 &&
               tinygpt_vocab_find(&w, 'a') == 2 && tinygpt_vocab_find(&w, 0) == 3 &&
               tinygpt_vocab_find(&w, 0x10FFFF) == 4 && tinygpt_vocab_find(&w, 'b') == -1);
        EXPECT_OK(tinygpt_encode(&w, "az\xF0\x9F\x98\x80", 6, ids, &n_ids, &err), err);
        EXPECT(n_ids == 3 && ids[0] == 2 && ids[1] == 0 && ids[2] == 1);
        tinygpt_vocab_free(&w);
        err.message[0] = 0;
        EXPECT_FAIL(tinygpt_vocab_from_codepoints(&w, rep, 3, &err));
        EXPECT_MENTIONS(err, "repeat|duplicate");
        EXPECT(w.size == 0);
        EXPECT_FAIL(tinygpt_vocab_from_codepoints(&w, sur, 2, &err));
        EXPECT_MENTIONS(err, "D800");
        EXPECT_FAIL(tinygpt_vocab_from_codepoints(&w, sur2, 1, &err));
        EXPECT_FAIL(tinygpt_vocab_from_codepoints(&w, big, 2, &err));
        EXPECT_MENTIONS(err, "110000");
        EXPECT_FAIL(tinygpt_vocab_from_codepoints(&w, cps, 0, &err));
    }
}

/* ======================================================================== */
/*                           2. rng, batches, split                         */
/* ======================================================================== */

static void test_batches(void)
{
    enum { N = 100, B = 8, T = 10 };
    int32_t tokens[N], x[B * T], y[B * T], x2[B * T], y2[B * T];
    tinygpt_rng rng, rng2;
    tinygpt_error err;
    int b, t, i, ok, seen[16];
    size_t n;

    for (i = 0; i < N; i++) tokens[i] = 1000 + i; /* the window start is recoverable */
    tinygpt_rng_seed(&rng, 7);
    ok = 1;
    for (i = 0; i < 50 && ok; i++) {
        EXPECT_OK(tinygpt_get_batch(tokens, N, B, T, &rng, x, y, &err), err);
        for (b = 0; b < B; b++) {
            int start = x[b * T] - 1000;
            if (start < 0 || start + T + 1 > N) { ok = 0; break; }
            for (t = 0; t < T; t++)
                if (x[b * T + t] != tokens[start + t] || y[b * T + t] != tokens[start + t + 1]) ok = 0;
        }
    }
    EXPECTF(ok, "a window is not tokens[i..i+T] / tokens[i+1..i+T+1] inside [0, n) (batch %d)", i);

    /* every window start appears, and nothing outside the valid range */
    memset(seen, 0, sizeof seen);
    ok = 1;
    tinygpt_rng_seed(&rng, 11);
    for (i = 0; i < 400; i++) {
        tinygpt_get_batch(tokens, 15, 1, 5, &rng, x, y, &err);
        if (x[0] - 1000 < 0 || x[0] - 1000 > 9) ok = 0; else seen[x[0] - 1000]++;
    }
    EXPECT(ok);
    for (i = 0, b = 1; i <= 9; i++) if (!seen[i]) b = 0;
    EXPECTF(b, "some window start in 0..9 never drawn (n=15, T=5)");

    /* exactly T+1 tokens: the one window */
    EXPECT_OK(tinygpt_get_batch(tokens, T + 1, 2, T, &rng, x, y, &err), err);
    EXPECT(x[0] == 1000 && y[T - 1] == 1000 + T && x[T] == 1000);
    /* too few */
    err.message[0] = 0;
    EXPECT_FAIL(tinygpt_get_batch(tokens, T, 1, T, &rng, x, y, &err));
    EXPECT(err.message[0] != 0);
    EXPECT_FAIL(tinygpt_get_batch(tokens, 0, 1, T, &rng, x, y, &err));
    EXPECT_FAIL(tinygpt_get_batch(tokens, N, 0, T, &rng, x, y, &err));
    EXPECT_FAIL(tinygpt_get_batch(tokens, N, 1, 0, &rng, x, y, &err));

    /* determinism for a given seed; another seed differs */
    tinygpt_rng_seed(&rng, 42);
    tinygpt_rng_seed(&rng2, 42);
    tinygpt_get_batch(tokens, N, B, T, &rng, x, y, &err);
    tinygpt_get_batch(tokens, N, B, T, &rng2, x2, y2, &err);
    EXPECT(memcmp(x, x2, sizeof x) == 0 && memcmp(y, y2, sizeof y) == 0 && rng.state == rng2.state);
    tinygpt_rng_seed(&rng2, 43);
    tinygpt_get_batch(tokens, N, B, T, &rng2, x2, y2, &err);
    EXPECT(memcmp(x, x2, sizeof x) != 0);

    /* train split = floor(0.9 n) */
    {
        size_t small[] = {0, 1, 2, 9, 10, 11, 19, 20, 99, 100, 101, 925, 12345};
        for (i = 0; i < (int)(sizeof small / sizeof small[0]); i++)
            EXPECTF(tinygpt_train_split(small[i]) == small[i] * 9 / 10, "n=%lu: %lu", (unsigned long)small[i],
                    (unsigned long)tinygpt_train_split(small[i]));
        n = (size_t)-1;
        EXPECT(tinygpt_train_split(n) == n / 10 * 9 + (n % 10) * 9 / 10);
        n = (size_t)-1 / 9 * 10 + 3; /* wraps in 9*n */
        EXPECT(tinygpt_train_split(n) == n / 10 * 9 + (n % 10) * 9 / 10);
    }

    /* rng basics: ranges and determinism */
    {
        double s = 0, s2 = 0;
        int lo = 1, below_ok = 1;
        tinygpt_rng_seed(&rng, 5);
        tinygpt_rng_seed(&rng2, 5);
        EXPECT(tinygpt_rng_u64(&rng) == tinygpt_rng_u64(&rng2));
        for (i = 0; i < 20000; i++) {
            float f = tinygpt_rng_float(&rng), z = tinygpt_rng_normal(&rng);
            size_t r = tinygpt_rng_below(&rng, 7);
            if (!(f >= 0.0f && f < 1.0f)) lo = 0;
            if (r >= 7) below_ok = 0;
            s += z; s2 += (double)z * z;
        }
        EXPECT(lo);
        EXPECT(below_ok);
        EXPECT_NEAR(s / 20000, 0.0, 0.05);
        EXPECT_NEAR(s2 / 20000, 1.0, 0.05);
    }
}

/* ======================================================================== */
/*                                 3. matmul                                */
/* ======================================================================== */

static void test_matmul_shape(int M, int N, int K, trng *r)
{
    /* A stored [M,K] or [K,M] with a padded row stride; B [K,N] or [N,K] */
    size_t pad = 3, ta, tb, acc, i, j, k;
    size_t a_rows_n = (size_t)M > (size_t)K ? (size_t)M : (size_t)K;
    float *abuf = falloc(a_rows_n * (a_rows_n + pad) + 1);
    size_t b_rows_n = (size_t)K > (size_t)N ? (size_t)K : (size_t)N;
    float *bbuf = falloc(b_rows_n * (b_rows_n + pad) + 1);
    float *c = falloc((size_t)M * N + 8), *c0 = falloc((size_t)M * N + 8);
    double *ref = (double *)xmalloc(((size_t)M * N + 1) * sizeof(double));
    double *mag = (double *)xmalloc(((size_t)M * N + 1) * sizeof(double));
    fill_normal(abuf, a_rows_n * (a_rows_n + pad) + 1, 1.0f, 0.0f, r);
    fill_normal(bbuf, b_rows_n * (b_rows_n + pad) + 1, 1.0f, 0.0f, r);
    for (ta = 0; ta < 2; ta++)
        for (tb = 0; tb < 2; tb++) {
            tinygpt__view a, b;
            double worst = 0.0;
            int canary_ok = 1;
            if (!ta) { a.p = abuf; a.rs = (size_t)K + pad; a.cs = 1; }      /* A(i,k) = abuf[i*(K+pad) + k] */
            else     { a.p = abuf; a.rs = 1; a.cs = (size_t)M + pad; }      /* A(i,k) = abuf[k*(M+pad) + i] */
            if (!tb) { b.p = bbuf; b.rs = (size_t)N + pad; b.cs = 1; }
            else     { b.p = bbuf; b.rs = 1; b.cs = (size_t)K + pad; }
            for (i = 0; i < (size_t)M; i++)
                for (j = 0; j < (size_t)N; j++) {
                    double s = 0.0, m = 0.0;
                    for (k = 0; k < (size_t)K; k++) {
                        double p = (double)a.p[i * a.rs + k * a.cs] * (double)b.p[k * b.rs + j * b.cs];
                        s += p;
                        m += fabs(p);
                    }
                    ref[i * N + j] = s;
                    mag[i * N + j] = m;
                }
            for (acc = 0; acc < 2; acc++) {
                fill_normal(c0, (size_t)M * N + 8, 1.0f, 0.0f, r);
                memcpy(c, c0, ((size_t)M * N + 8) * sizeof(float));
                tinygpt__matmul(c, a, b, M, N, K, (int)acc, g_work, 1);
                worst = 0.0;
                for (i = 0; i < (size_t)M * N; i++) {
                    double want = ref[i] + (acc ? (double)c0[i] : 0.0);
                    double e = fabs((double)c[i] - want) / (mag[i] + (acc ? fabs((double)c0[i]) : 0.0) + 1e-6);
                    if (!(e <= worst)) worst = e;
                }
                for (i = (size_t)M * N; i < (size_t)M * N + 8; i++)
                    if (!same_bits(c[i], c0[i])) canary_ok = 0;
                EXPECTF(worst <= 2e-6, "%dx%dx%d transA=%d transB=%d accumulate=%d: max rel error %.3g", M, N, K,
                        (int)ta, (int)tb, (int)acc, worst);
                EXPECTF(canary_ok, "%dx%dx%d: wrote past the end of C", M, N, K);
            }
            {   /* the blocked kernel against the library's plain reference matmul (itself against double) */
                double worst_ref = 0.0, worst_fast = 0.0;
                tinygpt__matmul_reference(c0, a, b, M, N, K);
                tinygpt__matmul(c, a, b, M, N, K, 0, g_work, 1);
                for (i = 0; i < (size_t)M * N; i++) {
                    double er = fabs((double)c0[i] - ref[i]) / (mag[i] + 1e-6);
                    double ef = fabs((double)c[i] - (double)c0[i]) / (mag[i] + 1e-6);
                    if (!(er <= worst_ref)) worst_ref = er;
                    if (!(ef <= worst_fast)) worst_fast = ef;
                }
                EXPECTF(worst_ref <= 2e-6 && worst_fast <= 4e-6,
                        "%dx%dx%d transA=%d transB=%d: reference matmul error %.3g, blocked vs reference %.3g",
                        M, N, K, (int)ta, (int)tb, worst_ref, worst_fast);
            }
        }
    free(abuf); free(bbuf); free(c); free(c0); free(ref); free(mag);
}

static void test_matmul(void)
{
    trng r;
    int s;
    static const int shapes[][3] = {{1, 1, 1}, {7, 13, 5}, {65, 33, 17}, {4, 16, 1}, {5, 17, 3},
                                    {64, 1024, 256}, {3, 2, 257}, {63, 1025, 255}, {1, 40, 600}};
    trng_seed(&r, 1);
    for (s = 0; s < (int)(sizeof shapes / sizeof shapes[0]); s++) {
        /* quick (emulators): N = NC, NC+1 become 40, 41; the edge shape below
           still has whole and partial blocks in every dimension */
        int N = g_quick && shapes[s][1] >= TINYGPT__NC ? shapes[s][1] - TINYGPT__NC + 40 : shapes[s][1];
        test_matmul_shape(shapes[s][0], N, shapes[s][2], &r);
    }
    /* larger than MC, KC and NC in every dimension (MxNxK) so every edge path runs */
    if (g_quick) test_matmul_shape(TINYGPT__MC + 3, TINYGPT__NC + 5, TINYGPT__KC + 7, &r);
    else test_matmul_shape(2 * TINYGPT__MC + 2, TINYGPT__NC + 76, TINYGPT__KC + 44, &r);
    /* K = 0: C = 0, or unchanged when accumulating */
    {
        float c[6] = {1, 2, 3, 4, 5, 6}, a1[1] = {0}, b1[1] = {0};
        tinygpt__view a, b;
        a.p = a1; a.rs = 1; a.cs = 1; b.p = b1; b.rs = 1; b.cs = 1;
        tinygpt__matmul(c, a, b, 2, 3, 0, 1, g_work, 1);
        EXPECT(c[0] == 1 && c[5] == 6);
        tinygpt__matmul(c, a, b, 2, 3, 0, 0, g_work, 1);
        EXPECT(c[0] == 0 && c[5] == 0);
    }
    /* two threads' workspace gives the same answer as one; N = 1100: rows of B
       a page apart, packed a group of slivers at a time, then a partial sliver */
    for (s = 0; s < 2; s++) {
        int M = s ? 13 : 130, N = s ? 1100 : 70, K = s ? 30 : 40;
        float *a1 = falloc((size_t)M * K), *b1 = falloc((size_t)K * N), *c1 = falloc((size_t)M * N), *c2 = falloc((size_t)M * N);
        tinygpt__view a, b;
        fill_normal(a1, (size_t)M * K, 1, 0, &r);
        fill_normal(b1, (size_t)K * N, 1, 0, &r);
        a.p = a1; a.rs = (size_t)K; a.cs = 1; b.p = b1; b.rs = (size_t)N; b.cs = 1;
        tinygpt__matmul(c1, a, b, M, N, K, 0, g_work, 1);
        {
            float *work2 = falloc(tinygpt__matmul_work_size(2));
            tinygpt__matmul(c2, a, b, M, N, K, 0, work2, 2);
            free(work2);
        }
        EXPECT(max_abs_diff(c1, c2, (size_t)M * N) <= 1e-5);
        free(a1); free(b1); free(c1); free(c2);
    }
}

/* ======================================================================== */
/*                      4. ops: forward and backward vs FD                  */
/* ======================================================================== */

/* ---------------------------------------------------------------- linear */

typedef struct { int N, IC, OC; float *inp, *w, *bias, *out, *R; } linear_ctx;
static double linear_loss(void *p)
{
    linear_ctx *c = (linear_ctx *)p;
    tinygpt__linear_forward(c->out, c->inp, c->w, c->bias, c->N, c->IC, c->OC, g_work, 1);
    return dot_d(c->out, c->R, (size_t)c->N * c->OC);
}

static void test_op_linear(int N, int IC, int OC, int with_bias, trng *r)
{
    linear_ctx c;
    float *dinp = falloc((size_t)N * IC), *dw = falloc((size_t)OC * IC), *db = falloc((size_t)OC);
    float *dinp1 = falloc((size_t)N * IC), *dw1 = falloc((size_t)OC * IC), *db1 = falloc((size_t)OC);
    double worst = 0.0;
    int n, o, i;
    c.N = N; c.IC = IC; c.OC = OC;
    c.inp = falloc((size_t)N * IC); c.w = falloc((size_t)OC * IC); c.bias = with_bias ? falloc((size_t)OC) : NULL;
    c.out = falloc((size_t)N * OC); c.R = falloc((size_t)N * OC);
    fill_normal(c.inp, (size_t)N * IC, 1, 0, r);
    fill_normal(c.w, (size_t)OC * IC, 0.5f, 0, r);
    if (c.bias) fill_normal(c.bias, (size_t)OC, 1, 0, r);
    fill_normal(c.R, (size_t)N * OC, 1, 0, r);
    printf("  linear N=%d IC=%d OC=%d bias=%d\n", N, IC, OC, with_bias);
    /* forward against y = x W^T + b in double */
    linear_loss(&c);
    for (n = 0; n < N; n++)
        for (o = 0; o < OC; o++) {
            double s = c.bias ? c.bias[o] : 0.0;
            for (i = 0; i < IC; i++) s += (double)c.inp[n * IC + i] * c.w[o * IC + i];
            if (fabs(s - c.out[n * OC + o]) > worst) worst = fabs(s - c.out[n * OC + o]);
        }
    EXPECTF(worst <= 1e-4, "linear forward max error %.3g", worst);
    tinygpt__linear_backward(dinp, dw, c.bias ? db : NULL, c.R, c.inp, c.w, N, IC, OC, g_work, 1);
    FD_CHECK("linear.dinp", c.inp, (size_t)N * IC, NULL, 0, dinp, linear_loss, &c, 1e-2f, 1e-3);
    FD_CHECK("linear.dw", c.w, (size_t)OC * IC, NULL, 0, dw, linear_loss, &c, 1e-2f, 1e-3);
    if (c.bias) FD_CHECK("linear.dbias", c.bias, (size_t)OC, NULL, 0, db, linear_loss, &c, 1e-2f, 1e-3);
    memcpy(dinp1, dinp, (size_t)N * IC * sizeof(float));
    memcpy(dw1, dw, (size_t)OC * IC * sizeof(float));
    memcpy(db1, db, (size_t)OC * sizeof(float));
    tinygpt__linear_backward(dinp, dw, c.bias ? db : NULL, c.R, c.inp, c.w, N, IC, OC, g_work, 1);
    /* dinp is written, not added to (the input feeds nothing else) */
    EXPECTF(memcmp(dinp1, dinp, (size_t)N * IC * sizeof(float)) == 0, "linear.dinp: a second call changed it");
    CHECK_ADDS("linear.dw", dw1, dw, (size_t)OC * IC);
    if (c.bias) CHECK_ADDS("linear.dbias", db1, db, (size_t)OC);
    free(dinp); free(dw); free(db); free(dinp1); free(dw1); free(db1);
    free(c.inp); free(c.w); free(c.bias); free(c.out); free(c.R);
}

/* ---------------------------------------------------------------- layernorm */

typedef struct { int N, C; float *inp, *w, *b, *out, *mean, *rstd, *R; } ln_ctx;
static double ln_loss(void *p)
{
    ln_ctx *c = (ln_ctx *)p;
    tinygpt__layernorm_forward(c->out, c->mean, c->rstd, c->inp, c->w, c->b, c->N, c->C, 1);
    return dot_d(c->out, c->R, (size_t)c->N * c->C);
}

static void test_op_layernorm(int N, int C, trng *r)
{
    ln_ctx c;
    float *dinp = falloc((size_t)N * C), *dw = falloc((size_t)C), *db = falloc((size_t)C);
    float *dinp1 = falloc((size_t)N * C), *dw1 = falloc((size_t)C), *db1 = falloc((size_t)C);
    double worst = 0.0;
    int n, i;
    c.N = N; c.C = C;
    c.inp = falloc((size_t)N * C); c.w = falloc((size_t)C); c.b = falloc((size_t)C);
    c.out = falloc((size_t)N * C); c.mean = falloc((size_t)N); c.rstd = falloc((size_t)N); c.R = falloc((size_t)N * C);
    fill_normal(c.inp, (size_t)N * C, 1.5f, 0.7f, r);
    fill_normal(c.w, (size_t)C, 0.5f, 1.0f, r);
    fill_normal(c.b, (size_t)C, 0.5f, 0.0f, r);
    fill_normal(c.R, (size_t)N * C, 1, 0, r);
    printf("  layernorm N=%d C=%d\n", N, C);
    ln_loss(&c);
    for (n = 0; n < N; n++) {
        double m = 0, v = 0;
        for (i = 0; i < C; i++) m += c.inp[n * C + i];
        m /= C;
        for (i = 0; i < C; i++) v += (c.inp[n * C + i] - m) * (c.inp[n * C + i] - m);
        v /= C; /* biased variance */
        for (i = 0; i < C; i++) {
            double y = (c.inp[n * C + i] - m) / sqrt(v + 1e-5) * c.w[i] + c.b[i];
            if (fabs(y - c.out[n * C + i]) > worst) worst = fabs(y - c.out[n * C + i]);
        }
    }
    EXPECTF(worst <= 1e-5, "layernorm forward max error %.3g", worst);
    tinygpt__layernorm_backward(dinp, dw, db, c.R, c.inp, c.w, c.mean, c.rstd, N, C, 1);
    FD_CHECK("layernorm.dinp", c.inp, (size_t)N * C, NULL, 0, dinp, ln_loss, &c, 1e-2f, 1e-2);
    FD_CHECK("layernorm.dw", c.w, (size_t)C, NULL, 0, dw, ln_loss, &c, 1e-2f, 1e-2);
    FD_CHECK("layernorm.db", c.b, (size_t)C, NULL, 0, db, ln_loss, &c, 1e-2f, 1e-2);
    memcpy(dinp1, dinp, (size_t)N * C * sizeof(float));
    memcpy(dw1, dw, (size_t)C * sizeof(float));
    memcpy(db1, db, (size_t)C * sizeof(float));
    ln_loss(&c);
    tinygpt__layernorm_backward(dinp, dw, db, c.R, c.inp, c.w, c.mean, c.rstd, N, C, 1);
    CHECK_ADDS("layernorm.dinp", dinp1, dinp, (size_t)N * C);
    CHECK_ADDS("layernorm.dw", dw1, dw, (size_t)C);
    CHECK_ADDS("layernorm.db", db1, db, (size_t)C);
    free(dinp); free(dw); free(db); free(dinp1); free(dw1); free(db1);
    free(c.inp); free(c.w); free(c.b); free(c.out); free(c.mean); free(c.rstd); free(c.R);
}

/* ---------------------------------------------------------------- gelu */

typedef struct { size_t n; float *inp, *out, *R; } gelu_ctx;
static double gelu_loss(void *p)
{
    gelu_ctx *c = (gelu_ctx *)p;
    tinygpt__gelu_forward(c->out, c->inp, c->n, 1);
    return dot_d(c->out, c->R, c->n);
}

static void test_op_gelu(trng *r)
{
    gelu_ctx c;
    size_t i, n = 64;
    float *dinp = falloc(n), *dinp1 = falloc(n);
    double worst = 0.0;
    c.n = n; c.inp = falloc(n); c.out = falloc(n); c.R = falloc(n);
    for (i = 0; i < n; i++) c.inp[i] = (float)(-5.0 + 10.0 * (double)i / (double)(n - 1)) + 0.01f * trng_normal(r);
    fill_normal(c.R, n, 1, 0, r);
    printf("  gelu n=%lu\n", (unsigned long)n);
    gelu_loss(&c);
    for (i = 0; i < n; i++) {
        double x = c.inp[i], y = 0.5 * x * (1.0 + erf(x / sqrt(2.0)));
        if (fabs(y - c.out[i]) > worst) worst = fabs(y - c.out[i]);
    }
    EXPECTF(worst <= 1e-6, "gelu forward (exact erf form) max error %.3g", worst);
    tinygpt__gelu_backward(dinp, c.inp, c.R, n);
    FD_CHECK("gelu.dinp", c.inp, n, NULL, 0, dinp, gelu_loss, &c, 1e-2f, 1e-2);
    memcpy(dinp1, dinp, n * sizeof(float));
    tinygpt__gelu_backward(dinp, c.inp, c.R, n);
    CHECK_ADDS("gelu.dinp", dinp1, dinp, n);
    free(dinp); free(dinp1); free(c.inp); free(c.out); free(c.R);
}

/* ---------------------------------------------------------------- dropout */

typedef struct { size_t n; float p; uint64_t seed; float *inp, *out, *R; } drop_ctx;
static double drop_loss(void *q)
{
    drop_ctx *c = (drop_ctx *)q;
    tinygpt__dropout_forward(c->out, c->inp, c->n, c->p, c->seed, 1);
    return dot_d(c->out, c->R, c->n);
}

static void test_op_dropout(trng *r)
{
    drop_ctx c;
    size_t i, n = 40, big = 100000, dropped = 0, bad = 0, mismatch = 0;
    float *dinp = falloc(big), *dinp1 = falloc(n), *x = falloc(big), *y = falloc(big), *y2 = falloc(big);
    c.n = n; c.p = 0.3f; c.seed = 12345; c.inp = falloc(n); c.out = falloc(n); c.R = falloc(n);
    fill_normal(c.inp, n, 1, 2.0f, r); /* nonzero inputs */
    fill_normal(c.R, n, 1, 0, r);
    printf("  dropout p=0.3\n");
    drop_loss(&c);
    tinygpt__dropout_backward(dinp, c.R, n, c.p, c.seed, 1, 1);
    FD_CHECK("dropout.dinp", c.inp, n, NULL, 0, dinp, drop_loss, &c, 1e-2f, 1e-3);
    drop_loss(&c); /* out of the unperturbed input again */
    /* the backward reuses forward's mask: dinp = dout * (out / inp) */
    for (i = 0; i < n; i++) {
        double scale = (double)c.out[i] / c.inp[i];
        if (fabs(dinp[i] - c.R[i] * scale) > 1e-5 * (1 + fabs(c.R[i]))) mismatch++;
    }
    EXPECTF(mismatch == 0, "%lu elements: backward scale differs from forward's", (unsigned long)mismatch);
    /* accumulate 0 writes what adding into zeros gives */
    tinygpt__dropout_backward(y, c.R, n, c.p, c.seed, 0, 1);
    for (i = 0, mismatch = 0; i < n; i++) mismatch += y[i] != dinp[i];
    EXPECTF(mismatch == 0, "%lu elements: dropout_backward with accumulate 0 differs", (unsigned long)mismatch);
    memcpy(dinp1, dinp, n * sizeof(float));
    tinygpt__dropout_backward(dinp, c.R, n, c.p, c.seed, 1, 1);
    CHECK_ADDS("dropout.dinp", dinp1, dinp, n);

    /* kept elements are scaled by 1/(1-p), about p of them are dropped */
    for (i = 0; i < big; i++) x[i] = 1.0f + (float)(i % 7);
    tinygpt__dropout_forward(y, x, big, 0.3f, 99, 1);
    for (i = 0; i < big; i++) {
        if (y[i] == 0.0f) dropped++;
        else if (fabs(y[i] - x[i] / 0.7) > 1e-5 * x[i]) bad++;
    }
    EXPECTF(bad == 0, "%lu kept elements not scaled by 1/(1-p)", (unsigned long)bad);
    EXPECTF(fabs((double)dropped / big - 0.3) < 0.01, "dropped fraction %.4f for p=0.3", (double)dropped / big);
    /* same seed same mask, other seed another mask, in place allowed */
    tinygpt__dropout_forward(y2, x, big, 0.3f, 99, 1);
    EXPECT(memcmp(y, y2, big * sizeof(float)) == 0);
    tinygpt__dropout_forward(y2, x, big, 0.3f, 100, 1);
    EXPECT(memcmp(y, y2, big * sizeof(float)) != 0);
    memcpy(y2, x, big * sizeof(float));
    tinygpt__dropout_forward(y2, y2, big, 0.3f, 99, 1);
    EXPECT(memcmp(y, y2, big * sizeof(float)) == 0);
    /* p = 0 is the identity, forward and backward */
    tinygpt__dropout_forward(y, x, big, 0.0f, 99, 1);
    EXPECT(memcmp(y, x, big * sizeof(float)) == 0);
    memset(dinp, 0, big * sizeof(float));
    tinygpt__dropout_backward(dinp, x, big, 0.0f, 99, 1, 1);
    EXPECT(memcmp(dinp, x, big * sizeof(float)) == 0);
    free(dinp); free(dinp1); free(x); free(y); free(y2); free(c.inp); free(c.out); free(c.R);
}

/* ---------------------------------------------------------------- embedding */

typedef struct { int B, T, C; const int32_t *tok; float *wte, *wpe, *out, *R; } emb_ctx;
static double emb_loss(void *p)
{
    emb_ctx *c = (emb_ctx *)p;
    tinygpt__embedding_forward(c->out, c->tok, c->wte, c->wpe, c->B, c->T, c->C, 1);
    return dot_d(c->out, c->R, (size_t)c->B * c->T * c->C);
}

static void test_op_embedding(trng *r)
{
    enum { B = 2, T = 5, C = 4, V = 6 };
    static const int32_t tok[B * T] = {1, 3, 1, 1, 5, 3, 3, 0, 2, 1}; /* repeats; id 4 unused */
    emb_ctx c;
    float wte[V * C], wpe[T * C], out[B * T * C], R[B * T * C], dwte[V * C], dwpe[T * C], dwte1[V * C], dwpe1[T * C];
    double worst = 0.0;
    int b, t, i;
    c.B = B; c.T = T; c.C = C; c.tok = tok; c.wte = wte; c.wpe = wpe; c.out = out; c.R = R;
    fill_normal(wte, V * C, 1, 0, r);
    fill_normal(wpe, T * C, 1, 0, r);
    fill_normal(R, B * T * C, 1, 0, r);
    memset(dwte, 0, sizeof dwte);
    memset(dwpe, 0, sizeof dwpe);
    printf("  embedding B=%d T=%d C=%d V=%d\n", B, T, C, V);
    emb_loss(&c);
    for (b = 0; b < B; b++)
        for (t = 0; t < T; t++)
            for (i = 0; i < C; i++) {
                double want = (double)wte[tok[b * T + t] * C + i] + wpe[t * C + i];
                if (fabs(want - out[(b * T + t) * C + i]) > worst) worst = fabs(want - out[(b * T + t) * C + i]);
            }
    EXPECTF(worst <= 1e-6, "embedding forward max error %.3g", worst);
    tinygpt__embedding_backward(dwte, dwpe, R, tok, B, T, C, 1);
    FD_CHECK("embedding.dwte", wte, V * C, NULL, 0, dwte, emb_loss, &c, 1e-2f, 1e-3);
    FD_CHECK("embedding.dwpe", wpe, T * C, NULL, 0, dwpe, emb_loss, &c, 1e-2f, 1e-3);
    EXPECT(max_abs(dwte + 4 * C, C) == 0.0); /* the unused token gets nothing */
    memcpy(dwte1, dwte, sizeof dwte);
    memcpy(dwpe1, dwpe, sizeof dwpe);
    tinygpt__embedding_backward(dwte, dwpe, R, tok, B, T, C, 1);
    CHECK_ADDS("embedding.dwte", dwte1, dwte, V * C);
    CHECK_ADDS("embedding.dwpe", dwpe1, dwpe, T * C);
}

/* ---------------------------------------------------------------- attention */

typedef struct { int B, T, C, H; float p; uint64_t seed; float *qkv, *out, *att, *R, *scratch; } att_ctx;
static double att_loss(void *q)
{
    att_ctx *c = (att_ctx *)q;
    tinygpt__attention_forward(c->out, c->att, c->scratch, c->qkv, c->B, c->T, c->C, c->H, c->p, c->seed, 1);
    return dot_d(c->out, c->R, (size_t)c->B * c->T * c->C);
}

/* naive causal attention in double, no dropout; probs[b][h][t][s] into P (B*H*T*T) */
static void attention_ref(double *out, double *P, const float *qkv, int B, int T, int C, int H)
{
    int hs = C / H, b, h, t, s, i;
    for (b = 0; b < B; b++)
        for (h = 0; h < H; h++)
            for (t = 0; t < T; t++) {
                double sc[64], mx = -1e300, sum = 0.0;
                const float *q = qkv + ((size_t)b * T + t) * 3 * C + h * hs;
                for (s = 0; s <= t; s++) {
                    const float *k = qkv + ((size_t)b * T + s) * 3 * C + C + h * hs;
                    double d = 0.0;
                    for (i = 0; i < hs; i++) d += (double)q[i] * k[i];
                    sc[s] = d / sqrt((double)hs);
                    if (sc[s] > mx) mx = sc[s];
                }
                for (s = 0; s <= t; s++) { sc[s] = exp(sc[s] - mx); sum += sc[s]; }
                for (i = 0; i < hs; i++) out[((size_t)b * T + t) * C + h * hs + i] = 0.0;
                for (s = 0; s < T; s++) P[(((size_t)b * H + h) * T + t) * T + s] = s <= t ? sc[s] / sum : 0.0;
                for (s = 0; s <= t; s++) {
                    const float *v = qkv + ((size_t)b * T + s) * 3 * C + 2 * C + h * hs;
                    for (i = 0; i < hs; i++) out[((size_t)b * T + t) * C + h * hs + i] += sc[s] / sum * v[i];
                }
            }
}

static void test_op_attention(int B, int T, int C, int H, float p, trng *r)
{
    att_ctx c;
    size_t nqkv = (size_t)B * T * 3 * C, nout = (size_t)B * T * C, natt = (size_t)B * H * tinygpt__tri(T);
    int ok = 1;
    size_t nscratch = tinygpt__attention_scratch_size(T, C / H, &ok);
    float *dqkv = falloc(nqkv), *dqkv1 = falloc(nqkv), *scratch = falloc(nscratch), *out0 = falloc(nout);
    double *ref = (double *)xmalloc(nout * sizeof(double)), *P = (double *)xmalloc((size_t)B * H * T * T * sizeof(double));
    double worst = 0.0, worst_att = 0.0;
    int b, h, t, s;
    char name[64];
    c.B = B; c.T = T; c.C = C; c.H = H; c.p = p; c.seed = 777; c.scratch = scratch;
    c.qkv = falloc(nqkv); c.out = falloc(nout); c.att = falloc(natt); c.R = falloc(nout);
    fill_normal(c.qkv, nqkv, 1, 0, r);
    fill_normal(c.R, nout, 1, 0, r);
    printf("  attention B=%d T=%d C=%d H=%d p=%.1f\n", B, T, C, H, (double)p);
    att_loss(&c);
    attention_ref(ref, P, c.qkv, B, T, C, H);
    /* the stored probabilities are the softmax before dropout, packed row t = t+1 entries */
    for (b = 0; b < B; b++)
        for (h = 0; h < H; h++)
            for (t = 0; t < T; t++)
                for (s = 0; s <= t; s++) {
                    double got = c.att[((size_t)b * H + h) * tinygpt__tri(T) + tinygpt__tri(t) + s];
                    double e = fabs(got - P[(((size_t)b * H + h) * T + t) * T + s]);
                    if (e > worst_att) worst_att = e;
                }
    EXPECTF(worst_att <= 1e-6, "attention probabilities max error %.3g", worst_att);
    if (p == 0.0f) {
        size_t i;
        for (i = 0; i < nout; i++) if (fabs(ref[i] - c.out[i]) > worst) worst = fabs(ref[i] - c.out[i]);
        EXPECTF(worst <= 1e-5, "attention forward max error %.3g", worst);
        /* causality: changing the last position's key and value leaves earlier outputs alone */
        memcpy(out0, c.out, nout * sizeof(float));
        for (b = 0; b < B; b++)
            for (s = C; s < 3 * C; s++) c.qkv[((size_t)b * T + T - 1) * 3 * C + s] += 1.0f;
        att_loss(&c);
        worst = 0.0;
        for (b = 0; b < B; b++)
            for (t = 0; t + 1 < T; t++)
                for (s = 0; s < C; s++)
                    if (!same_bits(out0[((size_t)b * T + t) * C + s], c.out[((size_t)b * T + t) * C + s])) worst = 1;
        EXPECTF(worst == 0.0, "attention output at t < T-1 depends on position T-1");
        for (b = 0; b < B; b++)
            for (s = C; s < 3 * C; s++) c.qkv[((size_t)b * T + T - 1) * 3 * C + s] -= 1.0f;
        att_loss(&c);
    } else {
        /* with dropout the output differs from the undropped one, and is a function of the seed */
        size_t i;
        memcpy(out0, c.out, nout * sizeof(float));
        for (i = 0; i < nout; i++) if (fabs(ref[i] - c.out[i]) > worst) worst = fabs(ref[i] - c.out[i]);
        EXPECTF(worst > 1e-3, "attention dropout p=%.1f changed nothing", (double)p);
        att_loss(&c);
        EXPECT(memcmp(out0, c.out, nout * sizeof(float)) == 0);
    }
    tinygpt__attention_backward(dqkv, scratch, c.R, c.qkv, c.att, B, T, C, H, p, c.seed, 1);
    sprintf(name, "attention(p=%.1f).dqkv", (double)p);
    FD_CHECK(name, c.qkv, nqkv, NULL, 0, dqkv, att_loss, &c, 1e-2f, 1e-2);
    memcpy(dqkv1, dqkv, nqkv * sizeof(float));
    att_loss(&c);
    tinygpt__attention_backward(dqkv, scratch, c.R, c.qkv, c.att, B, T, C, H, p, c.seed, 1);
    CHECK_ADDS(name, dqkv1, dqkv, nqkv);
    free(dqkv); free(dqkv1); free(scratch); free(out0); free(ref); free(P);
    free(c.qkv); free(c.out); free(c.att); free(c.R);
}

/* ---------------------------------------------------------------- cross-entropy */

typedef struct { int N, V; float *logits; const int32_t *targets; double scale; } ce_ctx;
static double ce_loss(void *p)
{
    ce_ctx *c = (ce_ctx *)p;
    return c->scale * tinygpt__crossentropy_forward(c->logits, c->targets, c->N, c->V, 1);
}

static void test_op_crossentropy(trng *r)
{
    enum { N = 6, V = 7 };
    static const int32_t targets[N] = {0, 6, 3, 3, 1, 5};
    float logits[N * V], dl[N * V], dl1[N * V], big[2 * V];
    ce_ctx c;
    int32_t t2[2] = {2, 4};
    fill_normal(logits, N * V, 2, 0, r);
    c.N = N; c.V = V; c.logits = logits; c.targets = targets; c.scale = 2.5;
    printf("  crossentropy N=%d V=%d\n", N, V);
    EXPECT_NEAR(tinygpt__crossentropy_forward(logits, targets, N, V, 1), ce_from_logits(logits, targets, N, V), 1e-6);
    memset(dl, 0, sizeof dl);
    tinygpt__crossentropy_backward(dl, logits, targets, N, V, 2.5f / N, 1);
    FD_CHECK("crossentropy.dlogits", logits, N * V, NULL, 0, dl, ce_loss, &c, 1e-2f, 1e-2);
    memcpy(dl1, dl, sizeof dl);
    tinygpt__crossentropy_backward(dl, logits, targets, N, V, 2.5f / N, 1);
    CHECK_ADDS("crossentropy.dlogits", dl1, dl, N * V);
    /* large logits stay finite */
    fill_normal(big, 2 * V, 1, 0, r);
    big[2] = 1000.0f; big[V + 3] = -1000.0f; big[V + 4] = 900.0f;
    EXPECT(finite_d(tinygpt__crossentropy_forward(big, t2, 2, V, 1)));
    EXPECT_NEAR(tinygpt__crossentropy_forward(big, t2, 2, V, 1), ce_from_logits(big, t2, 2, V), 1e-4);
}

/* ---------------------------------------------------------------- gelu: accuracy */

/* GELU and GELU' (the header's own erf-free form) against the double-precision
   formula over a dense sweep of [-10, 10] and at the edges: within 2e-6
   relative or 1e-7 absolute, whichever is larger. */
static void test_op_gelu_accuracy(void)
{
    static const float edges[] = {0.0f, -0.0f, 1e-30f, -1e-30f, 1e-40f, -1e-40f, 1.0f, -1.0f, 0.99999994f,
                                  -0.99999994f, 1.00000012f, -1.00000012f, 11.99f, -11.99f, 12.0f, -12.0f,
                                  12.5f, -12.5f, 30.0f, -30.0f, 1e30f, -1e30f, FLT_MAX, -FLT_MAX};
    size_t sweep = 200001, ne = sizeof edges / sizeof edges[0], n = sweep + ne, i, bad = 0;
    float *x = falloc(n + 3), *y = falloc(n + 3), *g = falloc(n + 3), *y1 = falloc(n + 3), *d = falloc(n + 3),
          *ones = falloc(n + 3);
    double worst_g = 0.0, worst_d = 0.0, wx_g = 0.0, wx_d = 0.0;
    for (i = 0; i < sweep; i++) x[i] = (float)(-10.0 + 20.0 * (double)i / (double)(sweep - 1));
    for (i = 0; i < ne; i++) x[sweep + i] = edges[i];
    x[n] = INFINITY; x[n + 1] = -INFINITY; x[n + 2] = NAN;
    for (i = 0; i < n + 3; i++) ones[i] = 1.0f;
    printf("  gelu accuracy: %lu points in [-10, 10], %lu edge values, inf, NaN\n", (unsigned long)sweep,
           (unsigned long)ne);
    tinygpt__gelu_forward_and_grad(y, g, x, n + 3, 1);
    for (i = 0; i < n; i++) {
        double X = x[i], cdf = 0.5 * erfc(-X / sqrt(2.0)), G = X * cdf;
        double D = cdf + X * exp(-0.5 * X * X) / sqrt(2.0 * 3.14159265358979323846);
        double eg = fabs(y[i] - G) / fmax(2e-6 * fabs(G), 1e-7), ed = fabs(g[i] - D) / fmax(2e-6 * fabs(D), 1e-7);
        if (!(eg <= worst_g)) { worst_g = eg; wx_g = X; }
        if (!(ed <= worst_d)) { worst_d = ed; wx_d = X; }
    }
    EXPECTF(worst_g <= 1.0, "GELU: error %.3g times the tolerance at x = %.9g", worst_g, wx_g);
    EXPECTF(worst_d <= 1.0, "GELU': error %.3g times the tolerance at x = %.9g", worst_d, wx_d);
    printf("    worst error / tolerance: GELU %.2f (x = %.6g), GELU' %.2f (x = %.6g)\n", worst_g, wx_g, worst_d, wx_d);
    EXPECTF(y[n] == INFINITY && g[n] == 1.0f, "GELU(inf) = %g, GELU'(inf) = %g", (double)y[n], (double)g[n]);
    EXPECTF(y[n + 1] == 0.0f && g[n + 1] == 0.0f, "GELU(-inf) = %g, GELU'(-inf) = %g", (double)y[n + 1],
            (double)g[n + 1]);
    EXPECTF(y[n + 2] != y[n + 2] && g[n + 2] != g[n + 2], "GELU(NaN) = %g, GELU'(NaN) = %g", (double)y[n + 2],
            (double)g[n + 2]);
    /* the forward, the fused pass and the backward agree bit for bit */
    tinygpt__gelu_forward(y1, x, n + 3, 1);
    tinygpt__gelu_backward(d, x, ones, n + 3);
    for (i = 0; i < n + 3; i++)
        if (memcmp(&y1[i], &y[i], sizeof(float)) != 0 || memcmp(&d[i], &g[i], sizeof(float)) != 0) bad++;
    EXPECTF(bad == 0, "%lu values: gelu_forward / gelu_backward differ from gelu_forward_and_grad", (unsigned long)bad);
    free(x); free(y); free(g); free(y1); free(d); free(ones);
}

/* ---------------------------------------------------------------- ops: 1 thread against 2 */

static int same_floats(const float *a, const float *b, size_t n) { return memcmp(a, b, n * sizeof(float)) == 0; }

/* The element-wise, per-row and column-sum ops split their work over
   threads without splitting a sum (sums over everything go in fixed runs), so
   two threads give the bytes one does (sizes past TINYGPT__PAR_MIN, where the
   threads are used). */
static void test_ops_threads(trng *r)
{
    enum { N = 301, C = 200, OC = 600, IC = 8, B = 3, T = 60, V = 65 };
    size_t n = (size_t)N * C, big = (size_t)N * OC, k;
    float *x = falloc(big), *y = falloc(big), *wz = falloc(OC * IC), *dwz = falloc(OC * IC), *dxz = falloc(N * IC);
    float *bias = falloc(OC), *lw = falloc(C), *lb = falloc(C);
    float *o1 = falloc(big), *o2 = falloc(big), *g1 = falloc(big), *g2 = falloc(big), *s1 = falloc(OC), *s2 = falloc(OC);
    float *t1 = falloc(OC), *t2 = falloc(OC), *m1 = falloc(N), *m2 = falloc(N), *r1 = falloc(N), *r2 = falloc(N);
    float *work2 = falloc(tinygpt__matmul_work_size(2));
    int32_t *tok = ialloc((size_t)B * T), *tgt = ialloc((size_t)big / V);
    int th;
    printf("  ops at 1 and 2 threads\n");
    fill_normal(x, big, 1.5f, 0.2f, r);
    fill_normal(y, big, 1, 0, r);
    fill_normal(bias, OC, 1, 0, r);
    fill_normal(lw, C, 0.5f, 1, r);
    fill_normal(lb, C, 0.5f, 0, r);
    for (k = 0; k < (size_t)B * T; k++) tok[k] = trng_below(r, 7);  /* repeats */
    for (k = 0; k < big / V; k++) tgt[k] = trng_below(r, V);
    EXPECT(n >= TINYGPT__PAR_MIN && (size_t)B * T * C >= TINYGPT__PAR_MIN);
    /* linear, zero weights: the output is the bias in every row; the bias gradient (column sums) */
    for (th = 1; th <= 2; th++) {
        float *out = th == 1 ? o1 : o2, *db = th == 1 ? s1 : s2;
        tinygpt__linear_forward(out, x, wz, bias, N, IC, OC, work2, th);
        memcpy(db, bias, OC * sizeof(float));
        tinygpt__linear_backward(dxz, dwz, db, y, x, wz, N, IC, OC, work2, th);
    }
    for (k = 0; k < (size_t)N; k++) EXPECT(same_floats(o2 + k * OC, bias, OC));
    EXPECT(same_floats(o1, o2, big) && same_floats(s1, s2, OC));
    /* layernorm forward and backward (C = 200: a part that is not whole cache lines) */
    for (th = 1; th <= 2; th++) {
        float *out = th == 1 ? o1 : o2, *dx = th == 1 ? g1 : g2, *dw = th == 1 ? s1 : s2, *db = th == 1 ? t1 : t2;
        float *mean = th == 1 ? m1 : m2, *rstd = th == 1 ? r1 : r2;
        memset(dx, 0, n * sizeof(float));
        memcpy(dw, lw, C * sizeof(float));
        memcpy(db, lb, C * sizeof(float));
        tinygpt__layernorm_forward(out, mean, rstd, x, lw, lb, N, C, th);
        tinygpt__layernorm_backward(dx, dw, db, y, x, lw, mean, rstd, N, C, th);
    }
    EXPECT(same_floats(o1, o2, n) && same_floats(m1, m2, N) && same_floats(r1, r2, N));
    EXPECT(same_floats(g1, g2, n) && same_floats(s1, s2, C) && same_floats(t1, t2, C));
    /* GELU, dropout, the residual, the element-wise product, zeroing */
    for (th = 1; th <= 2; th++) {
        float *out = th == 1 ? o1 : o2, *grad = th == 1 ? g1 : g2;
        tinygpt__gelu_forward_and_grad(out, grad, x, n, th);
        tinygpt__mul_each(grad, y, n, th);
        tinygpt__gelu_forward(out + n, x + n, n, th);
    }
    EXPECT(same_floats(o1, o2, 2 * n) && same_floats(g1, g2, n));
    for (th = 1; th <= 2; th++) {
        float *out = th == 1 ? o1 : o2, *grad = th == 1 ? g1 : g2;
        tinygpt__dropout_forward(out, x, n, 0.3f, 7, th);
        tinygpt__residual_forward(out + n, y, x, n, 0.3f, 7, th);
        memcpy(grad, y, n * sizeof(float));
        tinygpt__dropout_backward(grad, x, n, 0.3f, 7, 1, th);
        tinygpt__dropout_backward(grad + n, x, n, 0.3f, 7, 0, th);
    }
    EXPECT(same_floats(o1, o2, 2 * n) && same_floats(g1, g2, 2 * n));
    tinygpt__zero(o2, big, 2);
    EXPECT(max_abs(o2, big) == 0.0);
    /* embedding forward and backward (C = 200, tokens repeat) */
    for (th = 1; th <= 2; th++) {
        float *out = th == 1 ? o1 : o2, *dwte = th == 1 ? g1 : g2;
        memcpy(dwte, y, (size_t)(7 + T) * C * sizeof(float));
        tinygpt__embedding_forward(out, tok, x, x + 7 * C, B, T, C, th);
        tinygpt__embedding_backward(dwte, dwte + 7 * C, x, tok, B, T, C, th);
    }
    EXPECT(same_floats(o1, o2, (size_t)B * T * C) && same_floats(g1, g2, (size_t)(7 + T) * C));
    /* cross-entropy: the loss (summed in fixed runs) and its gradient */
    {
        int rows = (int)(big / V);
        double l1 = tinygpt__crossentropy_forward(x, tgt, rows, V, 1), l2 = tinygpt__crossentropy_forward(x, tgt, rows, V, 2);
        EXPECTF(memcmp(&l1, &l2, sizeof l1) == 0, "cross-entropy: %.17g at 1 thread, %.17g at 2", l1, l2);
        memset(g1, 0, big * sizeof(float));
        memset(g2, 0, big * sizeof(float));
        tinygpt__crossentropy_backward(g1, x, tgt, rows, V, 1.0f / rows, 1);
        tinygpt__crossentropy_backward(g2, x, tgt, rows, V, 1.0f / rows, 2);
        EXPECT(same_floats(g1, g2, (size_t)rows * V));
    }
    /* the optimizer's sum of squares (in fixed runs) */
    {
        double q1 = tinygpt__sum_squares(x, big, 1), q2 = tinygpt__sum_squares(x, big, 2);
        EXPECTF(memcmp(&q1, &q2, sizeof q1) == 0, "sum of squares: %.17g at 1 thread, %.17g at 2", q1, q2);
        EXPECT_NEAR(q1, dot_d(x, x, big), 1e-9 * q1);
    }
    free(x); free(y); free(wz); free(dwz); free(dxz); free(bias); free(lw); free(lb); free(o1); free(o2); free(g1); free(g2);
    free(s1); free(s2); free(t1); free(t2); free(m1); free(m2); free(r1); free(r2); free(work2); free(tok); free(tgt);
}

static void test_ops(void)
{
    trng r;
    trng_seed(&r, 2);
    test_op_linear(5, 7, 6, 1, &r);
    test_op_linear(9, 20, 33, 1, &r);
    test_op_linear(3, 4, 5, 0, &r);
    test_op_layernorm(4, 10, &r);
    test_op_gelu(&r);
    test_op_gelu_accuracy();
    test_op_dropout(&r);
    test_op_embedding(&r);
    test_op_attention(2, 5, 8, 2, 0.0f, &r);
    test_op_attention(2, 5, 8, 2, 0.3f, &r);
    test_op_attention(1, 7, 12, 3, 0.0f, &r);
    test_op_attention(1, 1, 4, 1, 0.0f, &r);
    test_op_crossentropy(&r);
    test_ops_threads(&r);
}

#if TEST_MODEL
/* ======================================================================== */
/*                 5. model, optimizer, checkpoints, sampling               */
/* ======================================================================== */

#define TMP_FILE "tests/tmp_roundtrip.bin"
#define TMP_FILE2 "tests/tmp_roundtrip2.bin"

typedef struct { char name[48]; size_t off, n; int decayed; } tensor_info;
#define MAX_TENSORS 64

/* FORMAT.md's tensor order, written out independently of the library. */
static int tensor_table(const tinygpt_config *c, tensor_info *t)
{
    static const char *const names[12] = {"ln1.weight", "ln1.bias", "attn.qkv.weight", "attn.qkv.bias",
                                          "attn.proj.weight", "attn.proj.bias", "ln2.weight", "ln2.bias",
                                          "mlp.fc.weight", "mlp.fc.bias", "mlp.proj.weight", "mlp.proj.bias"};
    size_t V = (size_t)c->vocab_size, T = (size_t)c->block_size, C = (size_t)c->n_embd, off = 0;
    size_t sizes[12];
    int k = 0, l, j;
    sizes[0] = C; sizes[1] = C; sizes[2] = 3 * C * C; sizes[3] = 3 * C; sizes[4] = C * C; sizes[5] = C;
    sizes[6] = C; sizes[7] = C; sizes[8] = 4 * C * C; sizes[9] = 4 * C; sizes[10] = 4 * C * C; sizes[11] = C;
#define ADD_TENSOR(nm, count, dec) do { sprintf(t[k].name, "%s", nm); t[k].off = off; t[k].n = (count); \
        t[k].decayed = (dec); off += (count); k++; } while (0)
    ADD_TENSOR("wte", V * C, 1);
    ADD_TENSOR("wpe", T * C, 1);
    for (l = 0; l < c->n_layer && k + 12 + 3 <= MAX_TENSORS; l++)
        for (j = 0; j < 12; j++) {
            char nm[48];
            sprintf(nm, "h%d.%s", l, names[j]);
            ADD_TENSOR(nm, sizes[j], j == 2 || j == 4 || j == 8 || j == 10);
        }
    ADD_TENSOR("lnf.weight", C, 0);
    ADD_TENSOR("lnf.bias", C, 0);
    ADD_TENSOR("lm_head.weight", V * C, 1);
#undef ADD_TENSOR
    return k;
}

static size_t table_total(const tensor_info *t, int k) { return t[k - 1].off + t[k - 1].n; }

static int is_ln_weight(const char *name) { return strstr(name, "ln") && strstr(name, ".weight"); }

static tinygpt_train_config tc_plain(void)
{
    tinygpt_train_config tc = tinygpt_train_config_default();
    tc.dropout = 0.0f;
    return tc;
}

/* A model over the characters of `text`; the vocabulary is freed right away
   (the model must have copied it). */
static int make_model(tinygpt_model *m, const char *text, int T, int L, int H, int C,
                      const tinygpt_train_config *tc)
{
    tinygpt_vocab v = zero_vocab;
    tinygpt_config cfg;
    tinygpt_error err;
    int rc;
    memset(m, 0, sizeof *m);
    if (tinygpt_vocab_build(&v, text, strlen(text), &err) != 0) {
        EXPECTF(0, "vocab_build: %s", err.message);
        return -1;
    }
    cfg.vocab_size = 0; cfg.block_size = T; cfg.n_layer = L; cfg.n_head = H; cfg.n_embd = C;
    rc = tinygpt_model_create(m, &cfg, &v, tc, &err);
    tinygpt_vocab_free(&v);
    EXPECTF(rc == 0, "model_create(T=%d L=%d H=%d C=%d): %s", T, L, H, C, err.message);
    return rc;
}

/* Larger random parameters than the init, so gradients are well above float noise. */
static void randomize_params(tinygpt_model *m, float scale, trng *r)
{
    tensor_info t[MAX_TENSORS];
    int k = tensor_table(&m->config, t), i;
    for (i = 0; i < k; i++) {
        if (t[i].decayed) fill_normal(m->params + t[i].off, t[i].n, scale, 0.0f, r);
        else if (is_ln_weight(t[i].name)) fill_normal(m->params + t[i].off, t[i].n, 0.2f, 1.0f, r);
        else fill_normal(m->params + t[i].off, t[i].n, 0.1f, 0.0f, r);
    }
}

static void random_tokens(int32_t *ids, size_t n, int V, trng *r)
{
    size_t i;
    for (i = 0; i < n; i++) ids[i] = (int32_t)trng_below(r, V);
}

/* a snapshot, to check that a failed call left a model untouched */
typedef struct { tinygpt_model shallow; float *params, *m, *v; uint32_t *cps; } model_snap;
static void snap_take(model_snap *s, const tinygpt_model *m)
{
    memcpy(&s->shallow, m, sizeof *m);
    s->params = s->m = s->v = NULL;
    s->cps = NULL;
    if (m->params) { s->params = falloc(m->num_params); memcpy(s->params, m->params, m->num_params * sizeof(float)); }
    if (m->m) { s->m = falloc(m->num_params); memcpy(s->m, m->m, m->num_params * sizeof(float)); }
    if (m->v) { s->v = falloc(m->num_params); memcpy(s->v, m->v, m->num_params * sizeof(float)); }
    if (m->vocab.codepoints) {
        s->cps = (uint32_t *)xmalloc((size_t)m->vocab.size * sizeof(uint32_t));
        memcpy(s->cps, m->vocab.codepoints, (size_t)m->vocab.size * sizeof(uint32_t));
    }
}
static int snap_same(const model_snap *s, const tinygpt_model *m)
{
    if (memcmp(&s->shallow, m, sizeof *m) != 0) return 0;
    if (m->params && memcmp(s->params, m->params, m->num_params * sizeof(float)) != 0) return 0;
    if (m->m && memcmp(s->m, m->m, m->num_params * sizeof(float)) != 0) return 0;
    if (m->v && memcmp(s->v, m->v, m->num_params * sizeof(float)) != 0) return 0;
    if (m->vocab.codepoints && memcmp(s->cps, m->vocab.codepoints, (size_t)m->vocab.size * sizeof(uint32_t)) != 0) return 0;
    return 1;
}
static void snap_free(model_snap *s) { free(s->params); free(s->m); free(s->v); free(s->cps); }

/* FORMAT.md's schedule in double */
static double ref_lr(const tinygpt_train_config *tc, uint64_t s)
{
    double lr = tc->learning_rate, mn = tc->min_lr;
    if (s < tc->warmup_steps) return lr * (double)(s + 1) / (double)tc->warmup_steps;
    if (tc->max_steps > tc->warmup_steps) {
        double p = (double)(s - tc->warmup_steps) / (double)(tc->max_steps - tc->warmup_steps);
        if (p > 1.0) p = 1.0;
        return mn + 0.5 * (1.0 + cos(3.14159265358979323846 * p)) * (lr - mn);
    }
    return lr;
}

/* Checks a checkpoint's bytes against a model field by field, with the
   test's own reader: what the writer wrote, or what the reader read. */
static void check_bytes_match_model(const unsigned char *b, size_t len, const tinygpt_model *m, int with_opt,
                                    const char *what)
{
    size_t V = (size_t)m->config.vocab_size, P = m->num_params, i, bad;
    size_t want = 128 + 4 * V + 4 * P * (with_opt ? 3 : 1) + 4, off;
    const tinygpt_train_config *tc = &m->train;
    EXPECTF(len == want, "%s: %lu bytes, FORMAT.md says %lu", what, (unsigned long)len, (unsigned long)want);
    if (len != want) return;
    EXPECTF(memcmp(b, "tinygpt\0", 8) == 0 && get_u32(b + 8) == 1, "%s: magic/version", what);
    EXPECTF(get_u32(b + 12) == (uint32_t)(with_opt ? 1 : 0), "%s: flags %lu", what, (unsigned long)get_u32(b + 12));
    EXPECTF(get_u32(b + 16) == (uint32_t)m->config.vocab_size && get_u32(b + 20) == (uint32_t)m->config.block_size &&
            get_u32(b + 24) == (uint32_t)m->config.n_layer && get_u32(b + 28) == (uint32_t)m->config.n_head &&
            get_u32(b + 32) == (uint32_t)m->config.n_embd, "%s: V T L H C differ", what);
    EXPECTF(get_u32(b + 36) == tc->batch_size, "%s: batch_size %lu vs %lu", what, (unsigned long)get_u32(b + 36),
            (unsigned long)tc->batch_size);
    EXPECTF(get_u64(b + 40) == m->step, "%s: step %llu vs %llu", what, (unsigned long long)get_u64(b + 40),
            (unsigned long long)m->step);
    EXPECTF(same_bits(get_f32(b + 48), tc->learning_rate) && same_bits(get_f32(b + 52), tc->beta1) &&
            same_bits(get_f32(b + 56), tc->beta2) && same_bits(get_f32(b + 60), tc->eps) &&
            same_bits(get_f32(b + 64), tc->weight_decay) && same_bits(get_f32(b + 68), tc->grad_clip) &&
            same_bits(get_f32(b + 72), tc->dropout) && same_bits(get_f32(b + 104), tc->min_lr),
            "%s: a float training field differs", what);
    EXPECTF(get_u32(b + 76) == tc->warmup_steps && get_u64(b + 80) == tc->max_steps && get_u64(b + 88) == tc->seed,
            "%s: warmup/max_steps/seed differ", what);
    EXPECTF(get_u64(b + 96) == m->rng.state, "%s: rng_state %llu vs %llu", what, (unsigned long long)get_u64(b + 96),
            (unsigned long long)m->rng.state);
    for (i = 108, bad = 0; i < 128; i++) if (b[i]) bad++;
    EXPECTF(bad == 0, "%s: %lu reserved bytes nonzero", what, (unsigned long)bad);
    for (i = 0, bad = 0; i < V; i++) if (get_u32(b + 128 + 4 * i) != m->vocab.codepoints[i]) bad++;
    EXPECTF(bad == 0, "%s: %lu vocabulary entries differ", what, (unsigned long)bad);
    off = 128 + 4 * V;
    for (i = 0, bad = 0; i < P; i++) if (!same_bits(get_f32(b + off + 4 * i), m->params[i])) bad++;
    EXPECTF(bad == 0, "%s: %lu parameters differ", what, (unsigned long)bad);
    if (with_opt) {
        off += 4 * P;
        for (i = 0, bad = 0; i < P; i++)
            if (!m->m || !same_bits(get_f32(b + off + 4 * i), m->m[i])) bad++;
        EXPECTF(bad == 0, "%s: %lu first moments differ", what, (unsigned long)bad);
        off += 4 * P;
        for (i = 0, bad = 0; i < P; i++)
            if (!m->v || !same_bits(get_f32(b + off + 4 * i), m->v[i])) bad++;
        EXPECTF(bad == 0, "%s: %lu second moments differ", what, (unsigned long)bad);
    }
    EXPECTF(get_u32(b + len - 4) == crc32_ieee(b, len - 4), "%s: CRC trailer %08lX, computed %08lX", what,
            (unsigned long)get_u32(b + len - 4), (unsigned long)crc32_ieee(b, len - 4));
}

/* ---------------------------------------------------------------- model creation */

static void test_model_create(void)
{
    tinygpt_model m = zero_model, m2 = zero_model, m3 = zero_model;
    tinygpt_train_config tc = tc_plain();
    tensor_info t[MAX_TENSORS];
    int k, i, ok;
    if (make_model(&m, "hello world", 8, 2, 2, 16, &tc)) return;
    EXPECT(m.config.vocab_size == 8 && m.vocab.size == 8 && m.config.block_size == 8 && m.config.n_layer == 2 &&
           m.config.n_head == 2 && m.config.n_embd == 16);
    EXPECT(m.vocab.codepoints && m.vocab.codepoints[0] == ' ' && m.vocab.codepoints[7] == 'w');
    k = tensor_table(&m.config, t);
    EXPECTF(m.num_params == table_total(t, k) && tinygpt_num_params(&m.config) == m.num_params,
            "num_params %lu, FORMAT.md formula %lu", (unsigned long)m.num_params, (unsigned long)table_total(t, k));
    EXPECT(m.step == 0 && m.rng.state == tc.seed);
    EXPECT(memcmp(&m.train, &tc, sizeof tc) == 0);
    /* GPT-2 init: biases 0, LayerNorm weights 1, 2-D weights normal(0, 0.02) */
    for (i = 0; i < k; i++) {
        const float *p = m.params + t[i].off;
        size_t j, n = t[i].n;
        if (t[i].decayed) {
            double s = 0, s2 = 0, sd;
            for (j = 0; j < n; j++) { s += p[j]; s2 += (double)p[j] * p[j]; }
            sd = sqrt(s2 / n - (s / n) * (s / n));
            if (strstr(t[i].name, "proj.weight")) /* GPT-2 may scale residual projections down */
                EXPECTF(sd > 0.002 && sd < 0.0215, "%s: std %.4f", t[i].name, sd);
            else
                EXPECTF(fabs(sd - 0.02) < 0.02 * (n >= 1000 ? 0.1 : 0.3), "%s: std %.4f, expected 0.02", t[i].name, sd);
            EXPECTF(fabs(s / n) < 4 * 0.02 / sqrt((double)n) + 1e-6, "%s: mean %.5f", t[i].name, s / n);
        } else {
            float want = is_ln_weight(t[i].name) ? 1.0f : 0.0f;
            for (j = 0, ok = 1; j < n; j++) if (p[j] != want) ok = 0;
            EXPECTF(ok, "%s: not all %g", t[i].name, (double)want);
        }
    }
    EXPECT(memcmp(m.params + t[0].off, m.params + t[k - 1].off, t[0].n * sizeof(float)) != 0); /* untied lm_head */
    /* same seed, same parameters; another seed, others */
    if (make_model(&m2, "hello world", 8, 2, 2, 16, &tc) == 0) {
        EXPECT(m2.num_params == m.num_params && memcmp(m.params, m2.params, m.num_params * sizeof(float)) == 0);
        tinygpt_model_free(&m2);
    }
    tc.seed = 1338;
    if (make_model(&m3, "hello world", 8, 2, 2, 16, &tc) == 0) {
        EXPECT(memcmp(m.params, m3.params, m.num_params * sizeof(float)) != 0);
        EXPECT(m3.rng.state == 1338);
        tinygpt_model_free(&m3);
    }
    tinygpt_model_free(&m);
    EXPECT(m.params == NULL && m.acts == NULL && m.vocab.codepoints == NULL);
    tinygpt_model_free(&m); /* safe on a freed (zeroed) model */
}

/* ---------------------------------------------------------------- whole-model gradient check */

typedef struct { tinygpt_model *m; const int32_t *x, *y; int B, T; uint64_t rng_state; } model_ctx;
static double model_loss(void *p)
{
    model_ctx *c = (model_ctx *)p;
    tinygpt_error err;
    c->m->rng.state = c->rng_state; /* the same dropout masks every time */
    if (tinygpt_forward(c->m, c->x, c->y, c->B, c->T, 1, NULL, &err) != 0) return NAN;
    return ce_from_logits(tinygpt_logits(c->m), c->y, c->B * c->T, c->m->config.vocab_size);
}

static void model_gradcheck(float dropout, int samples)
{
    enum { B = 2, T = 8 };
    tinygpt_model m = zero_model;
    tinygpt_train_config tc = tc_plain();
    tinygpt_error err;
    tensor_info t[MAX_TENSORS];
    int32_t x[B * T], y[B * T];
    size_t idx[64];
    float *grads, loss = 0.0f;
    model_ctx c;
    trng r;
    int k, i, j, V;
    double worst = 0.0;
    tc.dropout = dropout;
    trng_seed(&r, 77);
    if (make_model(&m, "the quick brown fox jumps", T, 2, 2, 16, &tc)) return;
    V = m.config.vocab_size;
    randomize_params(&m, 0.3f, &r);
    random_tokens(x, B * T, V, &r);
    random_tokens(y, B * T, V, &r);
    c.m = &m; c.x = x; c.y = y; c.B = B; c.T = T; c.rng_state = m.rng.state;
    tinygpt_zero_grad(&m);
    EXPECT_OK(tinygpt_forward(&m, x, y, B, T, 1, &loss, &err), err);
    EXPECT_OK(tinygpt_backward(&m, &err), err);
    if (!m.grads) { EXPECT(m.grads != NULL); tinygpt_model_free(&m); return; }
    EXPECT_NEAR(loss, ce_from_logits(tinygpt_logits(&m), y, B * T, V), 2e-5);
    grads = falloc(m.num_params);
    memcpy(grads, m.grads, m.num_params * sizeof(float));
    printf("  whole model, dropout %.1f: V=%d T=%d C=16 H=2 L=2 B=%d, %d samples per tensor\n", (double)dropout, V,
           T, B, samples);
    k = tensor_table(&m.config, t);
    for (i = 0; i < k; i++) {
        int n = (int)(t[i].n < (size_t)samples ? t[i].n : (size_t)samples);
        for (j = 0; j < n; j++) {
            if (i == 0) /* wte: rows of tokens that occur */
                idx[j] = t[i].off + (size_t)x[trng_below(&r, B * T)] * 16 + (size_t)trng_below(&r, 16);
            else if (j == 0) idx[j] = t[i].off;
            else if (j == 1) idx[j] = t[i].off + t[i].n - 1;
            else idx[j] = t[i].off + (size_t)trng_below(&r, (int)t[i].n);
        }
        worst = fmax(worst, FD_CHECK_RICHARDSON(t[i].name, m.params, m.num_params, idx, (size_t)n, grads,
                                                model_loss, &c, 1e-2f, 1e-2));
    }
    printf("  worst relative error over all tensors: %.3e\n", worst);
    free(grads);
    tinygpt_model_free(&m);
}

static void test_model_gradients(void)
{
    model_gradcheck(0.0f, g_quick ? 4 : 10);
    model_gradcheck(0.2f, g_quick ? 3 : 6);
}

/* ---------------------------------------------------------------- reference path: whole model */

/* Issue 4, "speed never costs correctness": the whole model's forward (mean
   cross-entropy, no dropout) and backward in plain nested loops and double,
   written from FORMAT.md alone. Nothing here calls the header: the parameter
   layout comes from the test's own tensor_table. The fast path is checked
   against it on the loss, the logits and every parameter's gradient. */

#define REF_TOL 1e-5
/* layer tensor j of layer l, in tensor_table order */
#define REF_LT(l, j) (2 + 12 * (l) + (j))

static double *ref_dalloc(size_t n)
{
    double *p = (double *)xmalloc(n * sizeof(double));
    size_t i;
    for (i = 0; i < n; i++) p[i] = 0.0;
    return p;
}

/* out = (x - mean) / sqrt(var + 1e-5) * w + b per row; keeps xhat and rstd */
static void ref_layernorm(double *out, double *xhat, double *rstd, const double *x, const float *w,
                          const float *b, int N, int C)
{
    int n, i;
    for (n = 0; n < N; n++) {
        const double *xr = x + (size_t)n * C;
        double mean = 0.0, var = 0.0;
        for (i = 0; i < C; i++) mean += xr[i];
        mean /= C;
        for (i = 0; i < C; i++) var += (xr[i] - mean) * (xr[i] - mean);
        var /= C;
        rstd[n] = 1.0 / sqrt(var + 1e-5);
        for (i = 0; i < C; i++) {
            xhat[(size_t)n * C + i] = (xr[i] - mean) * rstd[n];
            out[(size_t)n * C + i] = xhat[(size_t)n * C + i] * w[i] + b[i];
        }
    }
}

/* dx += J^T dy with the full Jacobian: d xhat_j / d x_i = rstd (delta_ij - 1/C - xhat_i xhat_j / C) */
static void ref_layernorm_back(double *dx, double *dw, double *db, const double *dy, const double *xhat,
                               const double *rstd, const float *w, int N, int C)
{
    int n, i, j;
    for (n = 0; n < N; n++) {
        const double *xh = xhat + (size_t)n * C, *g = dy + (size_t)n * C;
        for (j = 0; j < C; j++) {
            dw[j] += g[j] * xh[j];
            db[j] += g[j];
        }
        for (i = 0; i < C; i++) {
            double s = 0.0;
            for (j = 0; j < C; j++)
                s += g[j] * w[j] * rstd[n] * ((i == j ? 1.0 : 0.0) - 1.0 / C - xh[i] * xh[j] / C);
            dx[(size_t)n * C + i] += s;
        }
    }
}

/* out[n][o] = b[o] + sum_i in[n][i] W[o][i], W stored [OC, IC]; b may be NULL */
static void ref_linear(double *out, const double *in, const float *W, const float *b, int N, int IC, int OC)
{
    int n, o, i;
    for (n = 0; n < N; n++)
        for (o = 0; o < OC; o++) {
            double s = b ? (double)b[o] : 0.0;
            for (i = 0; i < IC; i++) s += in[(size_t)n * IC + i] * W[(size_t)o * IC + i];
            out[(size_t)n * OC + o] = s;
        }
}

/* din += dout W, dW += dout^T in, db += column sums of dout (db may be NULL) */
static void ref_linear_back(double *din, double *dW, double *db, const double *dout, const double *in,
                            const float *W, int N, int IC, int OC)
{
    int n, o, i;
    for (n = 0; n < N; n++)
        for (o = 0; o < OC; o++) {
            double g = dout[(size_t)n * OC + o];
            if (db) db[o] += g;
            for (i = 0; i < IC; i++) {
                din[(size_t)n * IC + i] += g * W[(size_t)o * IC + i];
                dW[(size_t)o * IC + i] += g * in[(size_t)n * IC + i];
            }
        }
}

/* causal self-attention over qkv [B*T, 3C]; probabilities into att [B, H, T, T] */
static void ref_attention(double *out, double *att, const double *qkv, int B, int T, int C, int H)
{
    int hs = C / H, b, h, t, s, d;
    double scale = 1.0 / sqrt((double)hs);
    for (b = 0; b < B; b++)
        for (h = 0; h < H; h++)
            for (t = 0; t < T; t++) {
                double *p = att + (((size_t)b * H + h) * T + t) * T, mx = -1e300, sum = 0.0;
                const double *q = qkv + ((size_t)b * T + t) * 3 * C + h * hs;
                for (s = 0; s < T; s++) p[s] = 0.0;
                for (s = 0; s <= t; s++) {
                    const double *k = qkv + ((size_t)b * T + s) * 3 * C + C + h * hs;
                    double dot = 0.0;
                    for (d = 0; d < hs; d++) dot += q[d] * k[d];
                    p[s] = dot * scale;
                    if (p[s] > mx) mx = p[s];
                }
                for (s = 0; s <= t; s++) { p[s] = exp(p[s] - mx); sum += p[s]; }
                for (s = 0; s <= t; s++) p[s] /= sum;
                for (d = 0; d < hs; d++) {
                    double o = 0.0;
                    for (s = 0; s <= t; s++) o += p[s] * qkv[((size_t)b * T + s) * 3 * C + 2 * C + h * hs + d];
                    out[((size_t)b * T + t) * C + h * hs + d] = o;
                }
            }
}

static void ref_attention_back(double *dqkv, const double *dout, const double *qkv, const double *att,
                               int B, int T, int C, int H)
{
    int hs = C / H, b, h, t, s, d;
    double scale = 1.0 / sqrt((double)hs), *dp = ref_dalloc((size_t)T);
    for (b = 0; b < B; b++)
        for (h = 0; h < H; h++)
            for (t = 0; t < T; t++) {
                const double *p = att + (((size_t)b * H + h) * T + t) * T;
                const double *go = dout + ((size_t)b * T + t) * C + h * hs;
                size_t qo = ((size_t)b * T + t) * 3 * C + h * hs;
                double pdp = 0.0; /* dp[s] = d(probability s) */
                for (s = 0; s <= t; s++) {
                    size_t vo = ((size_t)b * T + s) * 3 * C + 2 * C + h * hs;
                    dp[s] = 0.0;
                    for (d = 0; d < hs; d++) {
                        dp[s] += go[d] * qkv[vo + d];
                        dqkv[vo + d] += p[s] * go[d];
                    }
                    pdp += p[s] * dp[s];
                }
                for (s = 0; s <= t; s++) {
                    size_t ko = ((size_t)b * T + s) * 3 * C + C + h * hs;
                    double ds = p[s] * (dp[s] - pdp) * scale; /* softmax Jacobian, then the scale */
                    for (d = 0; d < hs; d++) {
                        dqkv[qo + d] += ds * qkv[ko + d];
                        dqkv[ko + d] += ds * qkv[qo + d];
                    }
                }
            }
    free(dp);
}

static double ref_gelu(double x) { return 0.5 * x * (1.0 + erf(x / sqrt(2.0))); }
static double ref_gelu_grad(double x)
{
    return 0.5 * (1.0 + erf(x / sqrt(2.0))) + x * exp(-0.5 * x * x) / sqrt(2.0 * 3.14159265358979323846);
}

/* The whole model on B sequences of T tokens: returns the mean cross-entropy,
   fills logits [B*T, V] and sets grads [P] to the gradient of that loss. */
static double ref_model(const tinygpt_config *cfg, const float *params, const int32_t *x, const int32_t *y,
                        int B, int T, double *logits, double *grads)
{
    tensor_info t[MAX_TENSORS];
    int k = tensor_table(cfg, t), V = cfg->vocab_size, C = cfg->n_embd, H = cfg->n_head, L = cfg->n_layer;
    int N = B * T, l, n, i;
    size_t NC = (size_t)N * C, P = table_total(t, k), j;
    /* activations: residual stream res[0..L] and res_mid, per layer everything backward reads */
    double *res = ref_dalloc((size_t)(L + 1) * NC), *mid = ref_dalloc((size_t)L * NC);
    double *ln1 = ref_dalloc((size_t)L * NC), *xh1 = ref_dalloc((size_t)L * NC), *rs1 = ref_dalloc((size_t)L * N);
    double *ln2 = ref_dalloc((size_t)L * NC), *xh2 = ref_dalloc((size_t)L * NC), *rs2 = ref_dalloc((size_t)L * N);
    double *qkv = ref_dalloc((size_t)L * 3 * NC), *att = ref_dalloc((size_t)L * B * H * T * T);
    double *atty = ref_dalloc((size_t)L * NC), *fc = ref_dalloc((size_t)L * 4 * NC), *ge = ref_dalloc((size_t)L * 4 * NC);
    double *lnf = ref_dalloc(NC), *xhf = ref_dalloc(NC), *rsf = ref_dalloc((size_t)N), *tmp = ref_dalloc(NC);
    double *dlogits = ref_dalloc((size_t)N * V), *dres = ref_dalloc(NC), *dln = ref_dalloc(NC);
    double *dqkv = ref_dalloc(3 * NC), *dge = ref_dalloc(4 * NC), *datty = ref_dalloc(NC), loss = 0.0;
#define REF_P(ti) (params + t[ti].off)
#define REF_G(ti) (grads + t[ti].off)
    for (j = 0; j < P; j++) grads[j] = 0.0;
    /* x = wte[token] + wpe[position] */
    for (n = 0; n < N; n++)
        for (i = 0; i < C; i++)
            res[(size_t)n * C + i] = (double)REF_P(0)[(size_t)x[n] * C + i] + REF_P(1)[(size_t)(n % T) * C + i];
    for (l = 0; l < L; l++) {
        const double *xin = res + (size_t)l * NC;
        double *xout = res + (size_t)(l + 1) * NC, *xm = mid + (size_t)l * NC;
        ref_layernorm(ln1 + l * NC, xh1 + l * NC, rs1 + (size_t)l * N, xin, REF_P(REF_LT(l, 0)), REF_P(REF_LT(l, 1)), N, C);
        ref_linear(qkv + l * 3 * NC, ln1 + l * NC, REF_P(REF_LT(l, 2)), REF_P(REF_LT(l, 3)), N, C, 3 * C);
        ref_attention(atty + l * NC, att + (size_t)l * B * H * T * T, qkv + l * 3 * NC, B, T, C, H);
        ref_linear(tmp, atty + l * NC, REF_P(REF_LT(l, 4)), REF_P(REF_LT(l, 5)), N, C, C);
        for (j = 0; j < NC; j++) xm[j] = xin[j] + tmp[j];
        ref_layernorm(ln2 + l * NC, xh2 + l * NC, rs2 + (size_t)l * N, xm, REF_P(REF_LT(l, 6)), REF_P(REF_LT(l, 7)), N, C);
        ref_linear(fc + l * 4 * NC, ln2 + l * NC, REF_P(REF_LT(l, 8)), REF_P(REF_LT(l, 9)), N, C, 4 * C);
        for (j = 0; j < 4 * NC; j++) ge[l * 4 * NC + j] = ref_gelu(fc[l * 4 * NC + j]);
        ref_linear(tmp, ge + l * 4 * NC, REF_P(REF_LT(l, 10)), REF_P(REF_LT(l, 11)), N, 4 * C, C);
        for (j = 0; j < NC; j++) xout[j] = xm[j] + tmp[j];
    }
    ref_layernorm(lnf, xhf, rsf, res + (size_t)L * NC, REF_P(k - 3), REF_P(k - 2), N, C);
    ref_linear(logits, lnf, REF_P(k - 1), NULL, N, C, V);
    /* loss = mean over rows of logsumexp(logits) - logits[target]; dlogits = (softmax - onehot) / N */
    for (n = 0; n < N; n++) {
        const double *lr = logits + (size_t)n * V;
        double mx = lr[0], sum = 0.0;
        for (i = 1; i < V; i++) if (lr[i] > mx) mx = lr[i];
        for (i = 0; i < V; i++) sum += exp(lr[i] - mx);
        loss += mx + log(sum) - lr[y[n]];
        for (i = 0; i < V; i++)
            dlogits[(size_t)n * V + i] = (exp(lr[i] - mx) / sum - (i == y[n] ? 1.0 : 0.0)) / N;
    }
    loss /= N;
    /* backward, in reverse */
    for (j = 0; j < NC; j++) dln[j] = 0.0;
    ref_linear_back(dln, REF_G(k - 1), NULL, dlogits, lnf, REF_P(k - 1), N, C, V);
    ref_layernorm_back(dres, REF_G(k - 3), REF_G(k - 2), dln, xhf, rsf, REF_P(k - 3), N, C);
    for (l = L - 1; l >= 0; l--) {
        /* dres = d res[l+1]: the MLP branch, then the identity path, give d mid */
        for (j = 0; j < 4 * NC; j++) dge[j] = 0.0;
        ref_linear_back(dge, REF_G(REF_LT(l, 10)), REF_G(REF_LT(l, 11)), dres, ge + l * 4 * NC,
                        REF_P(REF_LT(l, 10)), N, 4 * C, C);
        for (j = 0; j < 4 * NC; j++) dge[j] *= ref_gelu_grad(fc[l * 4 * NC + j]);
        for (j = 0; j < NC; j++) dln[j] = 0.0;
        ref_linear_back(dln, REF_G(REF_LT(l, 8)), REF_G(REF_LT(l, 9)), dge, ln2 + l * NC, REF_P(REF_LT(l, 8)),
                        N, C, 4 * C);
        ref_layernorm_back(dres, REF_G(REF_LT(l, 6)), REF_G(REF_LT(l, 7)), dln, xh2 + l * NC, rs2 + (size_t)l * N,
                           REF_P(REF_LT(l, 6)), N, C);
        /* dres = d mid: the attention branch, then the identity path, give d res[l] */
        for (j = 0; j < NC; j++) datty[j] = 0.0;
        ref_linear_back(datty, REF_G(REF_LT(l, 4)), REF_G(REF_LT(l, 5)), dres, atty + l * NC, REF_P(REF_LT(l, 4)),
                        N, C, C);
        for (j = 0; j < 3 * NC; j++) dqkv[j] = 0.0;
        ref_attention_back(dqkv, datty, qkv + l * 3 * NC, att + (size_t)l * B * H * T * T, B, T, C, H);
        for (j = 0; j < NC; j++) dln[j] = 0.0;
        ref_linear_back(dln, REF_G(REF_LT(l, 2)), REF_G(REF_LT(l, 3)), dqkv, ln1 + l * NC, REF_P(REF_LT(l, 2)),
                        N, C, 3 * C);
        ref_layernorm_back(dres, REF_G(REF_LT(l, 0)), REF_G(REF_LT(l, 1)), dln, xh1 + l * NC, rs1 + (size_t)l * N,
                           REF_P(REF_LT(l, 0)), N, C);
    }
    for (n = 0; n < N; n++)
        for (i = 0; i < C; i++) {
            REF_G(0)[(size_t)x[n] * C + i] += dres[(size_t)n * C + i];
            REF_G(1)[(size_t)(n % T) * C + i] += dres[(size_t)n * C + i];
        }
#undef REF_P
#undef REF_G
    free(res); free(mid); free(ln1); free(xh1); free(rs1); free(ln2); free(xh2); free(rs2); free(qkv); free(att);
    free(atty); free(fc); free(ge); free(lnf); free(xhf); free(rsf); free(tmp); free(dlogits); free(dres); free(dln);
    free(dqkv); free(dge); free(datty);
    return loss;
}

/* max |fast - ref| / max |ref| (NaN if anything is); *ref_max gets max |ref| */
static double ref_rel_err(const float *fast, const double *ref, size_t n, double *ref_max)
{
    double m = 0.0, r = 0.0;
    size_t i;
    for (i = 0; i < n; i++) {
        double d = fabs((double)fast[i] - ref[i]);
        if (!(d <= m)) m = d; /* NaN sticks */
        if (fabs(ref[i]) > r) r = fabs(ref[i]);
    }
    if (ref_max) *ref_max = r;
    return m / (r > 1e-30 ? r : 1e-30);
}

/* One fast forward (training 0: loss, logits) and forward + backward (training
   1, dropout 0: loss, gradients) at model->threads, checked against the
   reference; the gradients go to g_out. Returns the worst relative error. */
static double ref_compare(tinygpt_model *m, const int32_t *x, const int32_t *y, int B, int T, double ref_loss,
                          const double *ref_logits, const double *ref_grads, float *g_out, const char *what)
{
    tinygpt_error err;
    tensor_info t[MAX_TENSORS];
    int k = tensor_table(&m->config, t), i, worst_i = -1;
    float loss0 = 0.0f, loss1 = 0.0f;
    double e, rmax, worst = 0.0, el0, el1, elog;
    EXPECT_OK(tinygpt_forward(m, x, y, B, T, 0, &loss0, &err), err);
    el0 = fabs((double)loss0 - ref_loss) / fabs(ref_loss);
    EXPECTF(el0 <= REF_TOL, "%s, training 0: loss %.9g, reference %.12g, relative error %.3e", what, (double)loss0,
            ref_loss, el0);
    elog = tinygpt_logits(m) ? ref_rel_err(tinygpt_logits(m), ref_logits, (size_t)B * T * m->config.vocab_size, NULL)
                             : NAN;
    EXPECTF(elog <= REF_TOL, "%s: logits relative error %.3e", what, elog);
    tinygpt_zero_grad(m);
    EXPECT_OK(tinygpt_forward(m, x, y, B, T, 1, &loss1, &err), err);
    EXPECT_OK(tinygpt_backward(m, &err), err);
    el1 = fabs((double)loss1 - ref_loss) / fabs(ref_loss);
    EXPECTF(el1 <= REF_TOL, "%s, training 1: loss %.9g, reference %.12g, relative error %.3e", what, (double)loss1,
            ref_loss, el1);
    if (!m->grads) { EXPECT(m->grads != NULL); return NAN; }
    for (i = 0; i < k; i++) {
        e = ref_rel_err(m->grads + t[i].off, ref_grads + t[i].off, t[i].n, &rmax);
        EXPECTF(e <= REF_TOL, "%s: %s gradient relative error %.3e (max |ref| %.3e)", what, t[i].name, e, rmax);
        EXPECTF(rmax > 1e-6, "%s: %s reference gradient is trivial (max %.3e)", what, t[i].name, rmax);
        if (!(e <= worst)) { worst = e; worst_i = i; }
    }
    memcpy(g_out, m->grads, m->num_params * sizeof(float));
    printf("    %s: loss %.7f (ref %.7f), rel err loss %.2e / %.2e, logits %.2e, worst gradient %.2e (%s)\n", what,
           (double)loss1, ref_loss, el0, el1, elog, worst, worst_i >= 0 ? t[worst_i].name : "-");
    return fmax(fmax(worst, elog), fmax(el0, el1));
}

static void ref_check_config(const char *label, const char *text, int want_V, int T, int C, int H, int L, int B,
                             uint64_t seed)
{
    tinygpt_model m = zero_model;
    tinygpt_train_config tc = tc_plain(); /* dropout 0 */
    int32_t *x, *y;
    double *ref_logits, *ref_grads, ref_loss, worst;
    char what[96];
    float *g1;
    size_t N = (size_t)B * T;
    int V;
    trng r;
    trng_seed(&r, seed);
    if (make_model(&m, text, T, L, H, C, &tc)) return;
    V = m.config.vocab_size;
    if (want_V) EXPECTF(V == want_V, "%s: vocabulary of %d, wanted %d", label, V, want_V);
    /* weights of std 1.2/sqrt(C) (0.3 at C=16): pre-activations of order 1, logits of a few units */
    randomize_params(&m, (float)(1.2 / sqrt((double)C)), &r);
    x = ialloc(N); y = ialloc(N);
    random_tokens(x, N, V, &r);
    random_tokens(y, N, V, &r);
    ref_logits = ref_dalloc(N * V);
    ref_grads = ref_dalloc(m.num_params);
    g1 = falloc(m.num_params);
    printf("  %s: V=%d T=%d C=%d H=%d L=%d B=%d (%lu parameters)\n", label, V, T, C, H, L, B,
           (unsigned long)m.num_params);
    ref_loss = ref_model(&m.config, m.params, x, y, B, T, ref_logits, ref_grads);
    EXPECTF(finite_d(ref_loss) && ref_loss > 0.5, "%s: reference loss %g", label, ref_loss);
    m.threads = 1;
    sprintf(what, "%s, 1 thread", label);
    worst = ref_compare(&m, x, y, B, T, ref_loss, ref_logits, ref_grads, g1, what);
#ifdef _OPENMP
    {
        float *g2 = falloc(m.num_params);
        tensor_info t[MAX_TENSORS];
        int k = tensor_table(&m.config, t), i;
        double worst12 = 0.0, e;
        m.threads = 2;
        sprintf(what, "%s, 2 threads", label);
        worst = fmax(worst, ref_compare(&m, x, y, B, T, ref_loss, ref_logits, ref_grads, g2, what));
        for (i = 0; i < k; i++) { /* 2 threads against 1: float rounding at most */
            e = max_abs_diff(g2 + t[i].off, g1 + t[i].off, t[i].n) / fmax(max_abs(g1 + t[i].off, t[i].n), 1e-30);
            EXPECTF(e <= 1e-6, "%s: %s gradient, 2 threads vs 1: relative difference %.3e", label, t[i].name, e);
            if (!(e <= worst12)) worst12 = e;
        }
        printf("    2 threads vs 1 thread: worst gradient relative difference %.2e\n", worst12);
        free(g2);
    }
#endif
    printf("    worst relative error against the reference (loss, logits, gradients): %.2e (tolerance %.0e)\n",
           worst, REF_TOL);
    free(g1); free(ref_grads); free(ref_logits); free(x); free(y);
    tinygpt_model_free(&m);
}

static void test_reference_model(void)
{
    /* small: V=8 ("hello world") */
    ref_check_config("small", "hello world", 8, 8, 16, 2, 2, 3, 4242);
    /* odd sizes: V=17 and T=13 prime; C=65 (odd, not a multiple of 3), so C, 3C=195, 4C=260,
       B*T=273 and V are multiples of none of 6, 8, 16 (the matmul's tile rows and vector widths);
       head size 13. The 273 rows span several row blocks (MC), and the MLP projection's depth
       4C=260 and the weight gradients' depth B*T=273 span two depth panels (KC=256). */
    ref_check_config("odd sizes", "the quick brown fox!", 17, 13, 65, 5, 2, 21, 4243);
}

/* ---------------------------------------------------------------- golden checkpoints */

static void test_golden(void)
{
    static const char *const files[3] = {"init.bin", "trained.bin", "stepped.bin"};
    static const double losses[3] = {3.922751, 3.316809, 3.299750};
    static const size_t sizes[3] = {117068, 350540, 350540};
    static const uint64_t steps[3] = {0, 30, 31};
    tinygpt_model m = zero_model, s = zero_model;
    tinygpt_error err;
    char *text = NULL;
    size_t len = 0, n = 0, flen;
    int32_t *ids, x[64], y[64];
    int f, b, t;
    double loss = 0;

    if (tinygpt_read_file(golden_path("text.txt"), &text, &len, &err) != 0) {
        EXPECTF(0, "cannot read the golden text: %s", err.message);
        return;
    }
    EXPECT(len == 925 && text[len] == 0);
    ids = ialloc(len + 1);
    for (f = 0; f < 3; f++) {
        unsigned char *bytes = read_bytes(golden_path(files[f]), &flen);
        memset(&m, 0, sizeof m);
        EXPECTF(bytes != NULL, "cannot read %s", golden_path(files[f]));
        if (!bytes) continue;
        EXPECT(flen == sizes[f]);
        EXPECTF(get_u32(bytes + flen - 4) == crc32_ieee(bytes, flen - 4), "the test's CRC-32 disagrees with %s", files[f]);
        if (tinygpt_load(&m, golden_path(files[f]), &err) != 0) {
            EXPECTF(0, "load %s: %s", files[f], err.message);
            free(bytes);
            continue;
        }
        EXPECT(m.config.vocab_size == 50 && m.config.block_size == 16 && m.config.n_layer == 2 &&
               m.config.n_head == 4 && m.config.n_embd == 32);
        EXPECTF(m.step == steps[f], "%s: step %llu", files[f], (unsigned long long)m.step);
        EXPECT(tinygpt_checkpoint_size(&m, 1) == sizes[f]);
        EXPECT(tinygpt_checkpoint_size(&m, 0) == 117068);
        EXPECT((f == 0) == (m.m == NULL));
        check_bytes_match_model(bytes, flen, &m, f != 0, files[f]);
        for (b = 0, t = 1; b + 1 < m.vocab.size; b++) if (m.vocab.codepoints[b] >= m.vocab.codepoints[b + 1]) t = 0;
        EXPECT(t); /* ascending, as built from the text */
        EXPECT_OK(tinygpt_encode(&m.vocab, text, len, ids, &n, &err), err);
        EXPECT(n > 800 && n < 925);
        {
            int Bs[4] = {1, 4, 7, 100};
            double first = 0;
            for (b = 0; b < 4; b++) {
                loss = -1;
                EXPECT_OK(tinygpt_evaluate_tokens(&m, ids, n, Bs[b], &loss, &err), err);
                printf("  %s: evaluate_tokens(B=%d) = %.6f (README %.6f)\n", files[f], Bs[b], loss, losses[f]);
                EXPECT_NEAR(loss, losses[f], 1e-4);
                if (b == 0) first = loss;
                else EXPECT_NEAR(loss, first, 1e-6);
            }
        }
        /* saving what was loaded gives back the same bytes */
        EXPECT_OK(tinygpt_save(&m, TMP_FILE, 1, &err), err);
        {
            size_t l2;
            unsigned char *again = read_bytes(TMP_FILE, &l2);
            EXPECTF(again && l2 == flen && memcmp(again, bytes, flen) == 0, "%s: save(load(file)) differs from the file",
                    files[f]);
            free(again);
        }
        remove(TMP_FILE);
        free(bytes);
        tinygpt_model_free(&m);
    }

    /* one AdamW update from trained.bin on the first 4 windows */
    memset(&m, 0, sizeof m);
    memset(&s, 0, sizeof s);
    if (tinygpt_load(&m, golden_path("trained.bin"), &err) == 0 && tinygpt_load(&s, golden_path("stepped.bin"), &err) == 0 &&
        tinygpt_encode(&m.vocab, text, len, ids, &n, &err) == 0 && n >= 65) {
        float l = 0, gn = 0;
        for (b = 0; b < 4; b++)
            for (t = 0; t < 16; t++) { x[b * 16 + t] = ids[16 * b + t]; y[b * 16 + t] = ids[16 * b + t + 1]; }
        EXPECTF(m.train.dropout == 0.0f, "trained.bin dropout %g", (double)m.train.dropout);
        m.train.dropout = 0.0f;
        EXPECT_NEAR(m.train.learning_rate, 1e-3, 1e-9);
        EXPECT_NEAR(m.train.min_lr, 1e-4, 1e-10);
        EXPECT(m.train.warmup_steps == 10 && m.train.max_steps == 100 && m.train.batch_size == 4);
        EXPECT(same_bits(m.train.grad_clip, 1.0f) && same_bits(m.train.beta1, 0.9f) && same_bits(m.train.beta2, 0.95f) &&
               same_bits(m.train.eps, 1e-8f));
        EXPECT(same_bits(m.train.weight_decay, 0.1f));
        tinygpt_zero_grad(&m);
        EXPECT_OK(tinygpt_forward(&m, x, y, 4, 16, 1, &l, &err), err);
        printf("  trained.bin batch loss %.6f (README 3.277380)\n", (double)l);
        EXPECT_NEAR(l, 3.277380, 1e-4);
        EXPECT_OK(tinygpt_backward(&m, &err), err);
        EXPECT_NEAR(tinygpt_lr(&m.train, 30), 0.000894720041, 1e-6 * 0.000894720041);
        EXPECT_OK(tinygpt_optimizer_step(&m, &gn, &err), err);
        printf("  grad norm %.8f (README 1.26719808)\n", (double)gn);
        EXPECT_NEAR(gn, 1.26719808, 1e-4 * 1.26719808);
        EXPECT_NEAR(m.last_grad_norm, 1.26719808, 1e-4 * 1.26719808);
        EXPECT(m.step == 31 && s.step == 31);
        EXPECT(m.num_params == s.num_params && m.m && m.v && s.m && s.v);
        if (m.num_params == s.num_params && m.m && m.v && s.m && s.v) {
            double dp = max_abs_diff(m.params, s.params, m.num_params), dm = max_abs_diff(m.m, s.m, m.num_params),
                   dv = max_abs_diff(m.v, s.v, m.num_params);
            printf("  vs stepped.bin: max|dparams| %.3g  max|dm| %.3g  max|dv| %.3g\n", dp, dm, dv);
            EXPECTF(dp <= 1e-5, "params differ from stepped.bin by %.3g", dp);
            EXPECTF(dm <= 1e-5, "m differs from stepped.bin by %.3g", dm);
            EXPECTF(dv <= 1e-5, "v differs from stepped.bin by %.3g", dv);
        }
        EXPECT_OK(tinygpt_evaluate_tokens(&m, ids, n, 8, &loss, &err), err);
        EXPECT_NEAR(loss, 3.299750, 1e-4);
    } else {
        EXPECTF(0, "golden update setup: %s", err.message);
    }
    tinygpt_model_free(&m);
    tinygpt_model_free(&s);
    free(ids);
    tinygpt_free(text);
}

/* ---------------------------------------------------------------- AdamW and the schedule */

static void adamw_case(float clip, trng *r)
{
    enum { B = 2, T = 4 };
    tinygpt_model m = zero_model;
    tinygpt_train_config tc = tc_plain();
    tinygpt_error err;
    tensor_info t[MAX_TENSORS];
    int32_t x[B * T], y[B * T];
    int k, i, step;
    size_t P, j;
    tc.learning_rate = 1e-2f; tc.min_lr = 1e-3f; tc.beta1 = 0.8f; tc.beta2 = 0.9f; tc.eps = 1e-6f;
    tc.weight_decay = 0.5f; tc.grad_clip = clip; tc.warmup_steps = 2; tc.max_steps = 6;
    if (make_model(&m, "abcdef", T, 1, 2, 4, &tc)) return;
    P = m.num_params;
    k = tensor_table(&m.config, t);
    random_tokens(x, B * T, 6, r);
    random_tokens(y, B * T, 6, r);
    randomize_params(&m, 0.3f, r);
    EXPECT(m.m == NULL || max_abs(m.m, P) == 0.0);
    tinygpt_zero_grad(&m);
    EXPECT_OK(tinygpt_forward(&m, x, y, B, T, 1, NULL, &err), err);
    EXPECT_OK(tinygpt_backward(&m, &err), err);
    EXPECT(m.grads != NULL);
    if (!m.grads) { tinygpt_model_free(&m); return; }
    for (step = 0; step < 3; step++) {
        float *p0 = falloc(P), *m0 = falloc(P), *v0 = falloc(P), *g = falloc(P), gn = -1;
        double norm = 0, scale, lr = ref_lr(&tc, m.step), b1 = tc.beta1, b2 = tc.beta2, tt = (double)(m.step + 1);
        double wp = 0, wm = 0, wv = 0, wd_seen = 0;
        uint64_t s0 = m.step;
        fill_normal(g, P, 0.5f, 0.0f, r);
        g[3] = 0.0f;
        memcpy(m.grads, g, P * sizeof(float));
        memcpy(p0, m.params, P * sizeof(float));
        if (m.m) memcpy(m0, m.m, P * sizeof(float));
        if (m.v) memcpy(v0, m.v, P * sizeof(float));
        for (j = 0; j < P; j++) norm += (double)g[j] * g[j];
        norm = sqrt(norm);
        scale = (clip > 0 && norm > clip) ? clip / norm : 1.0;
        EXPECT_OK(tinygpt_optimizer_step(&m, &gn, &err), err);
        EXPECT_NEAR(gn, norm, 1e-5 * norm);
        EXPECT_NEAR(m.last_grad_norm, norm, 1e-5 * norm);
        EXPECT(m.step == s0 + 1);
        if (!m.m || !m.v) { EXPECT(m.m && m.v); free(p0); free(m0); free(v0); free(g); break; }
        for (i = 0; i < k; i++)
            for (j = t[i].off; j < t[i].off + t[i].n; j++) {
                double gj = g[j] * scale, em = b1 * m0[j] + (1 - b1) * gj, ev = b2 * v0[j] + (1 - b2) * gj * gj;
                double ep = p0[j], tol;
                if (t[i].decayed) { ep -= lr * tc.weight_decay * ep; wd_seen = 1; }
                ep -= lr * (em / (1 - pow(b1, tt))) / (sqrt(ev / (1 - pow(b2, tt))) + tc.eps);
                tol = 1e-6 * fabs(ep) + 1e-5 * lr;
                if (fabs(ep - m.params[j]) / tol > wp) wp = fabs(ep - m.params[j]) / tol;
                /* float rounding scales with the terms summed, not with the (possibly cancelled) sum */
                tol = 1e-6 * (b1 * fabs(m0[j]) + (1 - b1) * fabs(gj)) + 1e-12;
                if (fabs(em - m.m[j]) / tol > wm) wm = fabs(em - m.m[j]) / tol;
                tol = 1e-6 * (b2 * v0[j] + (1 - b2) * gj * gj) + 1e-15;
                if (fabs(ev - m.v[j]) / tol > wv) wv = fabs(ev - m.v[j]) / tol;
            }
        EXPECTF(wp <= 1.0 && wm <= 1.0 && wv <= 1.0,
                "clip %g, update %d (lr %.6g): worst error / tolerance: params %.3g, m %.3g, v %.3g", (double)clip,
                step + 1, lr, wp, wm, wv);
        EXPECT(wd_seen);
        free(p0); free(m0); free(v0); free(g);
    }
    /* a non-finite gradient norm is an error and changes nothing */
    {
        model_snap snap;
        float bad[2];
        int q;
        bad[0] = NAN; bad[1] = INFINITY;
        for (q = 0; q < 2; q++) {
            fill_normal(m.grads, P, 0.5f, 0.0f, r);
            m.grads[P / 2] = bad[q];
            snap_take(&snap, &m);
            err.message[0] = 0;
            EXPECT_FAIL(tinygpt_optimizer_step(&m, NULL, &err));
            EXPECT(err.message[0] != 0);
            EXPECT(snap.m && m.step == snap.shallow.step &&
                   memcmp(snap.params, m.params, P * sizeof(float)) == 0 &&
                   memcmp(snap.m, m.m, P * sizeof(float)) == 0 && memcmp(snap.v, m.v, P * sizeof(float)) == 0);
            snap_free(&snap);
        }
    }
    tinygpt_model_free(&m);
}

/* ---------------------------------------------------------------- portable checkpoint */

/* tests/portable/ckpt.bin was trained by this library (train_shakespeare on
   x86-64; tests/portable/README.md has the command) on tests/portable/text.txt,
   a text of our own, and `./evaluate ckpt.bin text.txt` printed PORTABLE_LOSS.
   Every platform must read the same model from it (same loss) and, saving it
   again, write the very same bytes: the format's byte order, not the host's. */
#define PORTABLE_LOSS 2.282908
#define PORTABLE_SIZE 97052

/* GOLDEN_DIR/../portable/name: beside tests/golden wherever that is */
static const char *portable_path(const char *name) { return data_path("../portable/", name); }

static void test_portable(void)
{
    tinygpt_model m = zero_model, l = zero_model;
    tinygpt_error err;
    unsigned char *bytes, *again;
    char *text = NULL;
    size_t flen = 0, len = 0, n = 0, l2 = 0;
    int32_t *ids;
    double loss = -1;

    bytes = read_bytes(portable_path("ckpt.bin"), &flen);
    EXPECTF(bytes != NULL, "cannot read %s", portable_path("ckpt.bin"));
    if (!bytes) return;
    EXPECTF(flen == PORTABLE_SIZE, "ckpt.bin is %lu bytes", (unsigned long)flen);
    EXPECT(flen > 4 && get_u32(bytes + flen - 4) == crc32_ieee(bytes, flen - 4));
    memset(&m, 0, sizeof m);
    if (tinygpt_load(&m, portable_path("ckpt.bin"), &err) != 0) {
        EXPECTF(0, "load: %s", err.message);
        free(bytes);
        return;
    }
    EXPECT(m.config.vocab_size == 38 && m.config.block_size == 16 && m.config.n_layer == 2 &&
           m.config.n_head == 2 && m.config.n_embd == 16);
    EXPECT(m.step == 300 && m.m != NULL && m.v != NULL);
    check_bytes_match_model(bytes, flen, &m, 1, "ckpt.bin");

    /* the loss ./evaluate printed on x86-64 (batches of 8 windows, as it does) */
    if (tinygpt_read_file(portable_path("text.txt"), &text, &len, &err) != 0) {
        EXPECTF(0, "%s", err.message);
    } else {
        ids = ialloc(len + 1);
        EXPECT_OK(tinygpt_encode(&m.vocab, text, len, ids, &n, &err), err);
        EXPECT(n == 1408);
        EXPECT_OK(tinygpt_evaluate_tokens(&m, ids, n, 8, &loss, &err), err);
        printf("  ckpt.bin on text.txt: loss %.6f (./evaluate on x86-64: %.6f)\n", loss, PORTABLE_LOSS);
        EXPECT_NEAR(loss, PORTABLE_LOSS, 1e-4);
        free(ids);
        tinygpt_free(text);
    }

    /* saved here, it is byte for byte the file saved on x86-64 */
    EXPECT_OK(tinygpt_save(&m, TMP_FILE, 1, &err), err);
    again = read_bytes(TMP_FILE, &l2);
    EXPECTF(again && l2 == flen && memcmp(again, bytes, flen) == 0, "save(load(ckpt.bin)) differs from ckpt.bin");
    free(again);

    /* bit patterns a float register could change pass through untouched: a
       signalling NaN (x87 would quiet it), -0, the smallest subnormals */
    {
        static const uint32_t odd[5] = {0x7F800001u, 0xFFBFFFFFu, 0x80000000u, 0x00000001u, 0x807FFFFFu};
        size_t first = 128 + 4 * (size_t)m.config.vocab_size, i;
        unsigned char *b = (unsigned char *)xmalloc(flen);
        memcpy(b, bytes, flen);
        for (i = 0; i < 5; i++) {
            put_u32(b + first + 4 * i, odd[i]);                              /* wte[0][i] */
            put_u32(b + first + 4 * (m.num_params + i), odd[i]);             /* its m */
        }
        fix_crc(b, flen);
        memset(&l, 0, sizeof l);
        if (tinygpt_load_memory(&l, b, flen, &err) != 0) {  /* a reader may refuse NaN weights, saying so */
            EXPECTF(mentions_any(err.message, "finite|nan"), "load refused the NaN: %s", err.message);
        } else {
            EXPECT_OK(tinygpt_save(&l, TMP_FILE, 1, &err), err);
            again = read_bytes(TMP_FILE, &l2);
            EXPECTF(again && l2 == flen && memcmp(again, b, flen) == 0, "NaN, -0 or subnormal bits changed in load + save");
            free(again);
        }
        tinygpt_model_free(&l);
        free(b);
    }
    remove(TMP_FILE);
    free(bytes);
    tinygpt_model_free(&m);
}

/* Buffers whose size wraps a 32-bit size_t although every parameter count
   fits are refused, not allocated short. Only where size_t has 32 bits (i386,
   armhf, wasm32): with 64 bits these would really allocate tens of GB. */
static void test_size_limits(void)
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
    /* attention keeps T(T+1)/2 probabilities per head: past 2^32 at T = 92682 */
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
static void test_short_sequences_allocate_little(void)
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

static void test_optimizer(void)
{
    static const struct { float lr, min_lr; uint32_t warmup; uint64_t max_steps; } cases[] = {
        {1e-3f, 1e-4f, 10, 100}, {3e-4f, 3e-5f, 100, 0}, {1e-3f, 1e-4f, 10, 10}, {1e-3f, 1e-4f, 10, 5},
        {1e-3f, 0.0f, 0, 50}, {2e-3f, 1e-4f, 0, 0}, {1e-3f, 2e-3f, 3, 20}, {1e-2f, 0.0f, 1, 2}};
    trng r;
    int c;
    trng_seed(&r, 3);
    printf("  AdamW against a hand computation: clip active, clip inactive, no clip\n");
    adamw_case(1.0f, &r);
    adamw_case(1e6f, &r);
    adamw_case(0.0f, &r);
    /* the schedule */
    for (c = 0; c < (int)(sizeof cases / sizeof cases[0]); c++) {
        tinygpt_train_config tc = tc_plain();
        uint64_t s;
        double worst = 0;
        tc.learning_rate = cases[c].lr; tc.min_lr = cases[c].min_lr;
        tc.warmup_steps = cases[c].warmup; tc.max_steps = cases[c].max_steps;
        for (s = 0; s < 130; s++) {
            double want = ref_lr(&tc, s), e = fabs(tinygpt_lr(&tc, s) - want) / (want + 1e-12);
            if (!(e <= worst)) worst = e;
        }
        EXPECTF(worst <= 1e-5, "schedule case %d: max rel error %.3g", c, worst);
        EXPECT_NEAR(tinygpt_lr(&tc, (uint64_t)1 << 40), ref_lr(&tc, (uint64_t)1 << 40), 1e-9);
    }
    {
        tinygpt_train_config tc = tc_plain();
        tc.learning_rate = 1e-3f; tc.min_lr = 1e-4f; tc.warmup_steps = 10; tc.max_steps = 100;
        EXPECT_NEAR(tinygpt_lr(&tc, 0), 1e-4, 1e-10);    /* warmup (s+1)/warmup */
        EXPECT_NEAR(tinygpt_lr(&tc, 9), 1e-3, 1e-10);
        EXPECT_NEAR(tinygpt_lr(&tc, 10), 1e-3, 1e-10);   /* cosine starts at the peak */
        EXPECT_NEAR(tinygpt_lr(&tc, 55), 5.5e-4, 1e-9);  /* half way */
        EXPECT_NEAR(tinygpt_lr(&tc, 100), 1e-4, 1e-10);  /* ends at min_lr and stays */
        EXPECT_NEAR(tinygpt_lr(&tc, 5000), 1e-4, 1e-10);
        EXPECT_NEAR(tinygpt_lr(&tc, 30), 0.000894720041, 1e-9);
        tc.max_steps = 10;                              /* max_steps <= warmup: constant */
        EXPECT_NEAR(tinygpt_lr(&tc, 50), 1e-3, 1e-10);
        tc.max_steps = 3;
        EXPECT_NEAR(tinygpt_lr(&tc, 50), 1e-3, 1e-10);
        EXPECT_NEAR(tinygpt_lr(&tc, 4), 5e-4, 1e-10);
    }
}

/* ---------------------------------------------------------------- save / load / resume */

static void train_steps(tinygpt_model *m, const int32_t *tokens, size_t n, int B, int steps)
{
    int32_t x[256], y[256];
    tinygpt_error err;
    int s, T = m->config.block_size;
    for (s = 0; s < steps; s++) {
        float loss = 0;
        if (tinygpt_get_batch(tokens, n, B, T, &m->rng, x, y, &err) != 0 ||
            tinygpt_train_step(m, x, y, B, T, &loss, &err) != 0) {
            EXPECTF(0, "training step %d: %s", s, err.message);
            return;
        }
    }
}

static int models_identical(const tinygpt_model *a, const tinygpt_model *b, int with_opt)
{
    size_t P = a->num_params;
    if (memcmp(&a->config, &b->config, sizeof a->config) != 0) return 0;
    if (memcmp(&a->train, &b->train, sizeof a->train) != 0) return 0;
    if (a->step != b->step || a->rng.state != b->rng.state || P != b->num_params) return 0;
    if (a->vocab.size != b->vocab.size ||
        memcmp(a->vocab.codepoints, b->vocab.codepoints, (size_t)a->vocab.size * sizeof(uint32_t)) != 0)
        return 0;
    if (memcmp(a->params, b->params, P * sizeof(float)) != 0) return 0;
    if (with_opt && (!a->m || !b->m || !a->v || !b->v || memcmp(a->m, b->m, P * sizeof(float)) != 0 ||
                     memcmp(a->v, b->v, P * sizeof(float)) != 0))
        return 0;
    return 1;
}

static void test_save_load(void)
{
    static const uint32_t cps[6] = {'z', 'a', 0x1F600, 0xE9, '\n', ' '}; /* not ascending */
    tinygpt_vocab voc = zero_vocab;
    tinygpt_config cfg;
    tinygpt_train_config tc = tc_plain();
    tinygpt_model m = zero_model, l = zero_model, l2 = zero_model;
    tinygpt_error err;
    int32_t tokens[80];
    unsigned char *b1, *b2;
    size_t n1, n2;
    trng r;
    FILE *f;
    trng_seed(&r, 9);
    tc.dropout = 0.1f; tc.batch_size = 3; tc.warmup_steps = 2; tc.max_steps = 20; tc.seed = 99;
    cfg.vocab_size = 0; cfg.block_size = 6; cfg.n_layer = 2; cfg.n_head = 2; cfg.n_embd = 8;
    memset(&m, 0, sizeof m);
    if (tinygpt_vocab_from_codepoints(&voc, cps, 6, &err) != 0 || tinygpt_model_create(&m, &cfg, &voc, &tc, &err) != 0) {
        EXPECTF(0, "setup: %s", err.message);
        return;
    }
    tinygpt_vocab_free(&voc);
    random_tokens(tokens, 80, 6, &r);
    train_steps(&m, tokens, 80, 3, 3);
    EXPECT(m.step == 3 && m.m && m.v);
    EXPECT_OK(tinygpt_save(&m, TMP_FILE, 1, &err), err);
    b1 = read_bytes(TMP_FILE, &n1);
    EXPECT(b1 && n1 == tinygpt_checkpoint_size(&m, 1));
    f = fopen(TMP_FILE ".tmp", "rb");
    EXPECTF(f == NULL, "%s.tmp left behind", TMP_FILE);
    if (f) fclose(f);
    if (b1) check_bytes_match_model(b1, n1, &m, 1, "saved checkpoint");
    memset(&l, 0, sizeof l);
    EXPECT_OK(tinygpt_load(&l, TMP_FILE, &err), err);
    EXPECTF(models_identical(&m, &l, 1), "load(save(model)) differs from the model");
    EXPECT(l.vocab.size == 6 && tinygpt_vocab_find(&l.vocab, 'z') == 0 && tinygpt_vocab_find(&l.vocab, 0x1F600) == 2);
    /* saving the loaded model gives identical bytes */
    EXPECT_OK(tinygpt_save(&l, TMP_FILE2, 1, &err), err);
    b2 = read_bytes(TMP_FILE2, &n2);
    EXPECT(b1 && b2 && n1 == n2 && memcmp(b1, b2, n1) == 0);
    free(b2);
    /* the loaded model trains on exactly like the original */
    train_steps(&m, tokens, 80, 3, 2);
    train_steps(&l, tokens, 80, 3, 2);
    EXPECT(models_identical(&m, &l, 1));
    /* without the optimizer state */
    EXPECT_OK(tinygpt_save(&m, TMP_FILE2, 0, &err), err);
    b2 = read_bytes(TMP_FILE2, &n2);
    EXPECT(b2 && n2 == tinygpt_checkpoint_size(&m, 0) && n2 < n1);
    if (b2) check_bytes_match_model(b2, n2, &m, 0, "saved checkpoint without AdamW state");
    memset(&l2, 0, sizeof l2);
    EXPECT_OK(tinygpt_load(&l2, TMP_FILE2, &err), err);
    EXPECT(models_identical(&m, &l2, 0));
    EXPECT(l2.m == NULL || (max_abs(l2.m, l2.num_params) == 0.0 && max_abs(l2.v, l2.num_params) == 0.0));
    /* a model that never took a step saves no moments even when asked */
    {
        tinygpt_model fresh = zero_model;
        if (make_model(&fresh, "abc", 4, 1, 1, 4, &tc) == 0) {
            EXPECT_OK(tinygpt_save(&fresh, TMP_FILE2, 1, &err), err);
            free(b2);
            b2 = read_bytes(TMP_FILE2, &n2);
            EXPECT(b2 && n2 == tinygpt_checkpoint_size(&fresh, 0) && get_u32(b2 + 12) == 0);
            tinygpt_model_free(&fresh);
        }
    }
    /* loading over a model that holds something replaces it */
    EXPECT_OK(tinygpt_load(&l2, TMP_FILE, &err), err);
    if (b1) check_bytes_match_model(b1, n1, &l2, 1, "checkpoint loaded over another model");
    free(b1); free(b2);
    remove(TMP_FILE); remove(TMP_FILE2);
    tinygpt_model_free(&m); tinygpt_model_free(&l); tinygpt_model_free(&l2);
}

static void test_resume(void)
{
    tinygpt_train_config tc = tc_plain();
    tinygpt_model a = zero_model, b = zero_model, c = zero_model, d = zero_model;
    tinygpt_error err;
    int32_t tokens[200];
    int K = g_quick ? 4 : 8;
    trng r;
    trng_seed(&r, 10);
    tc.dropout = 0.1f; tc.warmup_steps = 2; tc.max_steps = 10; tc.learning_rate = 3e-3f;
    if (make_model(&a, "abcdefghij", 8, 2, 2, 16, &tc) || make_model(&b, "abcdefghij", 8, 2, 2, 16, &tc)) return;
    random_tokens(tokens, 200, 10, &r);
    train_steps(&a, tokens, 200, 4, K);
    train_steps(&b, tokens, 200, 4, K / 2);
    EXPECT_OK(tinygpt_save(&b, TMP_FILE, 1, &err), err);
    memset(&c, 0, sizeof c);
    memset(&d, 0, sizeof d);
    EXPECT_OK(tinygpt_load(&c, TMP_FILE, &err), err);
    EXPECT_OK(tinygpt_load(&d, TMP_FILE, &err), err);
    remove(TMP_FILE);
    train_steps(&c, tokens, 200, 4, K - K / 2);
    EXPECT(c.step == (uint64_t)K && a.step == (uint64_t)K);
    EXPECTF(models_identical(&a, &c, 1), "%d steps differ from %d + save + load + %d", K, K / 2, K - K / 2);
    /* the test has teeth: another dropout stream gives other parameters */
    d.rng.state ^= 0x5555;
    train_steps(&d, tokens, 200, 4, K - K / 2);
    EXPECT(memcmp(a.params, d.params, a.num_params * sizeof(float)) != 0);
    tinygpt_model_free(&a); tinygpt_model_free(&b); tinygpt_model_free(&c); tinygpt_model_free(&d);
}

/* ---------------------------------------------------------------- reading rules */

static unsigned char *g_base;  /* a valid small checkpoint with AdamW state */
static size_t g_base_len;
static tinygpt_model g_victim; /* a model that already holds something */

static unsigned char *base_copy(void)
{
    unsigned char *b = (unsigned char *)xmalloc(g_base_len);
    memcpy(b, g_base, g_base_len);
    return b;
}

/* Loads bytes into g_victim; a failure must leave it untouched and name the problem. */
static int try_load_at(const unsigned char *bytes, size_t len, int want_ok, const char *alts, const char *what,
                       const char *file, int line)
{
    unsigned char *buf = (unsigned char *)xmalloc(len); /* exactly len: out-of-bounds reads show in sanitizers */
    model_snap snap;
    tinygpt_error err;
    int rc;
    memcpy(buf, bytes, len);
    snap_take(&snap, &g_victim);
    err.message[0] = 0;
    rc = tinygpt_load_memory(&g_victim, buf, len, &err);
    if (want_ok) {
        expectf_at(rc == 0, file, line, "load_memory accepts", "%s: rejected: %s", what, err.message);
    } else {
        expectf_at(rc != 0, file, line, "load_memory rejects", "%s: accepted", what);
        if (rc != 0) {
            if (alts)
                expectf_at(mentions_any(err.message, alts), file, line, "message names the problem",
                           "%s: message \"%s\" mentions none of \"%s\"", what, err.message, alts);
            expectf_at(snap_same(&snap, &g_victim), file, line, "failed load leaves the model unchanged", "%s", what);
        }
    }
    snap_free(&snap);
    free(buf);
    return rc;
}
#define TRY_LOAD(bytes, len, ok, alts, what) try_load_at(bytes, len, ok, alts, what, __FILE__, __LINE__)

static int mut_u32_at(size_t off, uint32_t v, int want_ok, const char *alts, const char *what, const char *file, int line)
{
    unsigned char *b = base_copy();
    int rc;
    put_u32(b + off, v);
    fix_crc(b, g_base_len);
    rc = try_load_at(b, g_base_len, want_ok, alts, what, file, line);
    free(b);
    return rc;
}
static int mut_f32_at(size_t off, float v, int want_ok, const char *alts, const char *what, const char *file, int line)
{
    unsigned char *b = base_copy();
    int rc;
    put_f32(b + off, v);
    fix_crc(b, g_base_len);
    rc = try_load_at(b, g_base_len, want_ok, alts, what, file, line);
    free(b);
    return rc;
}
#define MUT_U32(off, v, ok, alts, what) mut_u32_at(off, v, ok, alts, what, __FILE__, __LINE__)
#define MUT_F32(off, v, ok, alts, what) mut_f32_at(off, v, ok, alts, what, __FILE__, __LINE__)

#define SIZE_WORDS "overflow|large|big|size|exceed"
#define LENGTH_WORDS "short|truncat|length|size|bytes|long|expect|extra|trailing"

static void test_reading_rules(void)
{
    static const uint32_t cps[5] = {'q', 'a', 0xE9, 0x2713, 'b'};
    static const struct { size_t off; const char *name; int kind; } ff[8] = {
        {48, "learning_rate", 0}, {52, "beta1", 2}, {56, "beta2", 2}, {60, "eps", 1},
        {64, "weight_decay", 0}, {68, "grad_clip", 0}, {72, "dropout", 2}, {104, "min_lr", 0}};
    tinygpt_vocab voc = zero_vocab;
    tinygpt_config cfg;
    tinygpt_train_config tc = tc_plain();
    tinygpt_model m = zero_model;
    tinygpt_error err;
    int32_t tokens[40];
    unsigned char *b;
    size_t i, V = 5, P, accepted;
    trng r;
    char what[96];
    int q;

    trng_seed(&r, 12);
    cfg.vocab_size = 0; cfg.block_size = 4; cfg.n_layer = 1; cfg.n_head = 2; cfg.n_embd = 4;
    memset(&m, 0, sizeof m);
    if (tinygpt_vocab_from_codepoints(&voc, cps, 5, &err) != 0 || tinygpt_model_create(&m, &cfg, &voc, &tc, &err) != 0) {
        EXPECTF(0, "setup: %s", err.message);
        return;
    }
    tinygpt_vocab_free(&voc);
    random_tokens(tokens, 40, 5, &r);
    train_steps(&m, tokens, 40, 2, 1);
    EXPECT_OK(tinygpt_save(&m, TMP_FILE, 1, &err), err);
    g_base = read_bytes(TMP_FILE, &g_base_len);
    remove(TMP_FILE);
    P = m.num_params;
    tinygpt_model_free(&m);
    EXPECT(g_base && g_base_len == 128 + 4 * V + 12 * P + 4);
    if (!g_base || g_base_len != 128 + 4 * V + 12 * P + 4) { free(g_base); return; }
    memset(&g_victim, 0, sizeof g_victim);
    if (make_model(&g_victim, "a different model", 6, 1, 1, 8, &tc)) { free(g_base); return; }

    /* controls: the unchanged file, and harmless edits with the CRC fixed, load */
    TRY_LOAD(g_base, g_base_len, 1, NULL, "unchanged file");
    MUT_U32(128 + 4 * V + 8, 0x3FC00000u, 1, NULL, "a parameter set to 1.5");
    EXPECT(g_victim.params && g_victim.params[2] == 1.5f);
    MUT_U32(36, 77, 1, NULL, "batch_size 77");
    EXPECT(g_victim.train.batch_size == 77);
    MUT_U32(76, 123456, 1, NULL, "warmup_steps 123456");
    b = base_copy(); put_u64(b + 40, 0x123456789ull); put_u64(b + 80, 0); put_u64(b + 96, 0xDEADBEEFCAFEull);
    fix_crc(b, g_base_len);
    TRY_LOAD(b, g_base_len, 1, NULL, "step 0x123456789, max_steps 0, rng_state");
    EXPECT(g_victim.step == 0x123456789ull && g_victim.rng.state == 0xDEADBEEFCAFEull && g_victim.train.max_steps == 0);
    free(b);
    b = base_copy(); put_u32(b + 128, cps[1]); put_u32(b + 132, cps[0]); fix_crc(b, g_base_len);
    TRY_LOAD(b, g_base_len, 1, NULL, "vocabulary in another order");
    EXPECT(g_victim.vocab.size == 5 && g_victim.vocab.codepoints[0] == 'a' && tinygpt_vocab_find(&g_victim.vocab, 'q') == 1);
    free(b);
    MUT_U32(128 + 8, 0x10FFFF, 1, NULL, "code point U+10FFFF");
    MUT_U32(128 + 8, 0, 1, NULL, "code point U+0000");
    /* without moments: flags 0 and the file cut after the parameters */
    b = base_copy();
    put_u32(b + 12, 0);
    fix_crc(b, 128 + 4 * V + 4 * P + 4);
    TRY_LOAD(b, 128 + 4 * V + 4 * P + 4, 1, NULL, "no AdamW state");
    EXPECT(g_victim.m == NULL || max_abs(g_victim.m, g_victim.num_params) == 0.0);
    free(b);

    /* magic, version, flags, reserved */
    MUT_U32(0, 0x796E6974u ^ 0x20u, 0, "magic", "magic with a changed letter");
    b = base_copy(); b[7] = '!'; fix_crc(b, g_base_len);
    TRY_LOAD(b, g_base_len, 0, "magic", "magic without its zero byte");
    free(b);
    MUT_U32(8, 2, 0, "version", "version 2");
    MUT_U32(8, 0, 0, "version", "version 0");
    MUT_U32(12, 3, 0, "flag", "flags bit 1");
    MUT_U32(12, 0x80000001u, 0, "flag", "flags bit 31");
    MUT_U32(12, 0, 0, LENGTH_WORDS, "flags 0 with the moments still there (file too long)");
    for (i = 108; i < 128; i++) {
        b = base_copy(); b[i] = 1; fix_crc(b, g_base_len);
        sprintf(what, "reserved byte %lu nonzero", (unsigned long)i);
        TRY_LOAD(b, g_base_len, 0, "reserved", what);
        free(b);
    }
    /* dimensions */
    MUT_U32(16, 0, 0, "vocab size", "V = 0");
    MUT_U32(20, 0, 0, "block size", "T = 0");
    MUT_U32(24, 0, 0, "n layer", "L = 0");
    MUT_U32(28, 0, 0, "n head", "H = 0");
    MUT_U32(32, 0, 0, "n embd", "C = 0");
    MUT_U32(28, 3, 0, "n head", "H = 3 does not divide C = 4");
    MUT_U32(28, 8, 0, "n head", "H = 8 > C = 4");
    MUT_U32(16, 6, 0, LENGTH_WORDS, "V = 6: file shorter than the header says");
    MUT_U32(16, 4, 0, LENGTH_WORDS, "V = 4: file longer than the header says");
    b = base_copy(); put_u32(b + 16, 0xFFFFFFFFu); put_u32(b + 32, 0xFFFFFFFFu); put_u32(b + 28, 1); fix_crc(b, g_base_len);
    TRY_LOAD(b, g_base_len, 0, SIZE_WORDS "|vocab size|n embd", "V = C = 0xFFFFFFFF, H = 1");
    free(b);
    b = base_copy(); put_u32(b + 20, 0xFFFFFFFFu); put_u32(b + 24, 0xFFFFFFFFu); put_u32(b + 32, 0x10000u); put_u32(b + 28, 1);
    fix_crc(b, g_base_len);
    TRY_LOAD(b, g_base_len, 0, SIZE_WORDS "|block size|n layer", "T = L = 0xFFFFFFFF, C = 0x10000, H = 1");
    free(b);
    b = base_copy(); put_u32(b + 16, 0x7FFFFFFFu); put_u32(b + 32, 0x7FFFFFFFu); put_u32(b + 28, 1); fix_crc(b, g_base_len);
    TRY_LOAD(b, g_base_len, 0, SIZE_WORDS "|" LENGTH_WORDS, "V = C = 0x7FFFFFFF, H = 1 (huge but no overflow on 64-bit)");
    free(b);
    b = base_copy(); put_u32(b + 24, 0x40000000u); fix_crc(b, g_base_len);
    TRY_LOAD(b, g_base_len, 0, SIZE_WORDS "|" LENGTH_WORDS, "L = 2^30");
    free(b);
    b = base_copy(); put_u32(b + 16, 0x01000000u); fix_crc(b, g_base_len);
    TRY_LOAD(b, g_base_len, 0, SIZE_WORDS "|" LENGTH_WORDS, "V = 2^24: vocabulary beyond the end of the file");
    free(b);

    /* length */
    b = base_copy();
    memmove(b + g_base_len - 5, b + g_base_len - 4, 4); /* drop the last moment byte */
    fix_crc(b, g_base_len - 1);
    TRY_LOAD(b, g_base_len - 1, 0, LENGTH_WORDS, "one byte short (CRC fixed)");
    free(b);
    TRY_LOAD(g_base, g_base_len - 1, 0, NULL, "trailer cut by one byte");
    TRY_LOAD(g_base, g_base_len - 1000, 0, LENGTH_WORDS "|crc|checksum", "1000 bytes short");
    TRY_LOAD(g_base, 128, 0, NULL, "header only");
    TRY_LOAD(g_base, 64, 0, NULL, "half a header");
    b = (unsigned char *)xmalloc(g_base_len + 1);
    memcpy(b, g_base, g_base_len - 4);
    b[g_base_len - 4] = 0;
    fix_crc(b, g_base_len + 1);
    TRY_LOAD(b, g_base_len + 1, 0, LENGTH_WORDS, "one byte too long (CRC fixed)");
    memcpy(b, g_base, g_base_len);
    b[g_base_len] = 0;
    TRY_LOAD(b, g_base_len + 1, 0, NULL, "one byte appended after the CRC");
    free(b);
    {
        int unchanged = 1;
        model_snap snap;
        snap_take(&snap, &g_victim);
        for (i = 0, accepted = 0; i < g_base_len; i++) {
            unsigned char *p = (unsigned char *)xmalloc(i ? i : 1);
            memcpy(p, g_base, i);
            if (tinygpt_load_memory(&g_victim, p, i, &err) == 0) accepted++;
            free(p);
        }
        unchanged = snap_same(&snap, &g_victim);
        snap_free(&snap);
        EXPECTF(accepted == 0, "%lu of the %lu proper prefixes loaded", (unsigned long)accepted, (unsigned long)g_base_len);
        EXPECT(unchanged);
    }
    {   /* a zeroed model stays zeroed after a failed load */
        tinygpt_model z = zero_model;
        memset(&z, 0, sizeof z);
        EXPECT_FAIL(tinygpt_load_memory(&z, g_base, g_base_len - 1, &err));
        EXPECT(z.params == NULL && z.num_params == 0 && z.vocab.size == 0);
    }

    /* vocabulary */
    MUT_U32(128, 0xD800, 0, "code point|codepoint|vocab", "code point 0xD800");
    MUT_U32(128 + 12, 0xDFFF, 0, "code point|codepoint|vocab", "code point 0xDFFF");
    MUT_U32(128, 0x110000, 0, "code point|codepoint|vocab", "code point 0x110000");
    MUT_U32(128 + 16, 0xFFFFFFFFu, 0, "code point|codepoint|vocab", "code point 0xFFFFFFFF");
    MUT_U32(128 + 4, 'q', 0, "repeat|duplicate", "code point q twice");
    MUT_U32(128 + 16, 0x2713, 0, "repeat|duplicate", "code point U+2713 twice");

    /* training fields */
    for (q = 0; q < 8; q++) {
        const char *nm = ff[q].name;
        size_t off = ff[q].off;
        sprintf(what, "%s NaN", nm);           MUT_F32(off, NAN, 0, nm, what);
        sprintf(what, "%s +inf", nm);          MUT_F32(off, INFINITY, 0, nm, what);
        sprintf(what, "%s -inf", nm);          MUT_F32(off, -INFINITY, 0, nm, what);
        sprintf(what, "%s -1e-3", nm);         MUT_F32(off, -1e-3f, 0, nm, what);
        sprintf(what, "%s -1e-30", nm);        MUT_F32(off, -1e-30f, 0, nm, what);
        if (ff[q].kind == 1) {
            sprintf(what, "%s 0", nm);         MUT_F32(off, 0.0f, 0, nm, what);
            sprintf(what, "%s -0", nm);        MUT_F32(off, -0.0f, 0, nm, what);
            sprintf(what, "%s 1e-30", nm);     MUT_F32(off, 1e-30f, 1, NULL, what);
            sprintf(what, "%s 2", nm);         MUT_F32(off, 2.0f, 1, NULL, what);
        } else {
            sprintf(what, "%s 0", nm);         MUT_F32(off, 0.0f, 1, NULL, what);
            sprintf(what, "%s -0 (counts as 0)", nm);
            if (MUT_F32(off, -0.0f, 1, NULL, what) == 0) {
                float got = 1.0f;
                switch (q) {
                case 0: got = g_victim.train.learning_rate; break;
                case 1: got = g_victim.train.beta1; break;
                case 2: got = g_victim.train.beta2; break;
                case 4: got = g_victim.train.weight_decay; break;
                case 5: got = g_victim.train.grad_clip; break;
                case 6: got = g_victim.train.dropout; break;
                default: got = g_victim.train.min_lr; break;
                }
                EXPECTF(got == 0.0f, "%s -0 loaded as %g", nm, (double)got);
            }
        }
        if (ff[q].kind == 2) {
            sprintf(what, "%s 1.0", nm);       MUT_F32(off, 1.0f, 0, nm, what);
            sprintf(what, "%s 1.5", nm);       MUT_F32(off, 1.5f, 0, nm, what);
            sprintf(what, "%s 0.99999994", nm); MUT_F32(off, 0.99999994f, 1, NULL, what);
        } else {
            sprintf(what, "%s 1e30", nm);      MUT_F32(off, 1e30f, 1, NULL, what);
        }
    }

    /* values: parameters and moments finite, second moments >= 0 (docs/FORMAT.md) */
    {
        static const struct { const char *array; int which; } arr[3] = {{"parameter", 0}, {"first moment", 1},
                                                                         {"second moment", 2}};
        size_t base = 128 + 4 * V;
        for (q = 0; q < 3; q++) {
            size_t off = base + 4 * P * (size_t)arr[q].which + 4 * (P - 1);  /* the last value: every one is read */
            sprintf(what, "%s NaN", arr[q].array);  MUT_F32(off, NAN, 0, "finite|NaN|nan", what);
            sprintf(what, "%s +inf", arr[q].array); MUT_F32(off, INFINITY, 0, "finite|inf", what);
            sprintf(what, "%s -inf", arr[q].array); MUT_F32(off, -INFINITY, 0, "finite|inf", what);
            sprintf(what, "%s NaN, first value", arr[q].array);
            MUT_F32(base + 4 * P * (size_t)arr[q].which, NAN, 0, "lm_head|wte", what);
            sprintf(what, "%s -2", arr[q].array);
            MUT_F32(off, -2.0f, arr[q].which != 2, "negative", what);
        }
        MUT_F32(base + 8 * P, -0.0f, 1, NULL, "second moment -0 (counts as 0)");
        MUT_F32(base + 8 * P, 3e38f, 1, NULL, "second moment 3e38");
    }
    /* the step counter has no range: 2^64-1 loads and samples, but cannot train */
    b = base_copy(); put_u64(b + 40, UINT64_MAX); fix_crc(b, g_base_len);
    if (TRY_LOAD(b, g_base_len, 1, NULL, "step 2^64-1") == 0) {
        int32_t out[8];
        tinygpt_rng rr = {5};
        model_snap snap;
        float l = 0;
        EXPECT_OK(generate_old(&g_victim, tokens, 2, 8, 1.0f, 0, 1.0f, &rr, out, NULL, NULL, NULL, &err), err);
        snap_take(&snap, &g_victim);
        err.message[0] = 0;
        EXPECT_FAIL(tinygpt_train_step(&g_victim, tokens, tokens + 1, 1, 4, &l, &err));
        EXPECT_MENTIONS(err, "step");
        EXPECTF(g_victim.step == UINT64_MAX && memcmp(snap.params, g_victim.params, g_victim.num_params * sizeof(float)) == 0,
                "a training step from step 2^64-1 changed the model (step now %llu)", (unsigned long long)g_victim.step);
        snap_free(&snap);
    }
    free(b);

    /* CRC */
    b = base_copy(); b[128 + 4 * V + 17] ^= 0x40;
    TRY_LOAD(b, g_base_len, 0, "crc|checksum", "a parameter byte flipped, CRC not fixed");
    free(b);
    b = base_copy(); b[3] ^= 1;
    TRY_LOAD(b, g_base_len, 0, "crc|checksum|magic", "a magic byte flipped, CRC not fixed");
    free(b);
    b = base_copy(); b[g_base_len - 2] ^= 0x10;
    TRY_LOAD(b, g_base_len, 0, "crc|checksum", "the CRC itself changed");
    free(b);

    tinygpt_model_free(&g_victim);
    free(g_base);
    g_base = NULL;
}

/* ---------------------------------------------------------------- training reduces the loss */

static void test_overfit(void)
{
    char text[400];
    tinygpt_model m = zero_model;
    tinygpt_train_config tc = tc_plain();
    tinygpt_error err;
    int32_t ids[400], x[8 * 16], y[8 * 16];
    size_t n = 0;
    double before = 0, after = 0, first = 0, last = 0;
    /* quick (emulators): a model a quarter the size, a higher rate, fewer steps;
       it still ends near 0.1 whatever the seed */
    int i, steps = g_quick ? 120 : 300;
    text[0] = 0;
    for (i = 0; i < 12; i++) strcat(text, "hello world, hello tinygpt. ");
    tc.learning_rate = g_quick ? 1e-2f : 3e-3f; tc.min_lr = tc.learning_rate / 10; tc.warmup_steps = 20;
    tc.max_steps = (uint64_t)steps;
    tc.weight_decay = 0.0f;
    if (make_model(&m, text, 16, 2, 2, g_quick ? 16 : 32, &tc)) return;
    EXPECT_OK(tinygpt_encode(&m.vocab, text, strlen(text), ids, &n, &err), err);
    EXPECT_OK(tinygpt_evaluate_tokens(&m, ids, n, 4, &before, &err), err);
    for (i = 0; i < steps; i++) {
        float loss = 0;
        if (tinygpt_get_batch(ids, n, 8, 16, &m.rng, x, y, &err) != 0 || tinygpt_train_step(&m, x, y, 8, 16, &loss, &err) != 0) {
            EXPECTF(0, "step %d: %s", i, err.message);
            break;
        }
        if (i < 10) first += loss / 10.0;
        if (i >= steps - 10) last += loss / 10.0;
    }
    EXPECT_OK(tinygpt_evaluate_tokens(&m, ids, n, 4, &after, &err), err);
    printf("  V=%d, %d steps: whole-text loss %.4f -> %.4f (train loss %.4f -> %.4f)\n", m.config.vocab_size, steps,
           before, after, first, last);
    EXPECT(m.step == (uint64_t)steps);
    EXPECTF(before > 2.0 && after < 0.3 && after < before / 8, "loss %.4f -> %.4f", before, after);
    EXPECT(last < first / 4);
    tinygpt_model_free(&m);
}

/* ---------------------------------------------------------------- sampling */

typedef struct { int32_t tokens[128]; size_t n, stop_after; } cb_state;
static int record_token(void *user, int32_t token)
{
    cb_state *s = (cb_state *)user;
    if (s->n < 128) s->tokens[s->n] = token;
    s->n++;
    return s->stop_after && s->n >= s->stop_after;
}

/* Softmax(logits / temperature) of the last position of the last block_size
   tokens of seq, in double; returns the argmax (first of equals). */
static int32_t next_token_probs(tinygpt_model *m, const int32_t *seq, size_t len, double temperature, double *probs)
{
    tinygpt_error err;
    size_t T = (size_t)m->config.block_size, start = len > T ? len - T : 0;
    int Tw = (int)(len - start), V = m->config.vocab_size, i, best = 0;
    const float *lg;
    double mx, s = 0;
    if (tinygpt_forward(m, seq + start, NULL, 1, Tw, 0, NULL, &err) != 0) { EXPECTF(0, "forward: %s", err.message); return -1; }
    lg = tinygpt_logits(m) + (size_t)(Tw - 1) * V;
    for (i = 1; i < V; i++) if (lg[i] > lg[best]) best = i;
    if (probs) {
        mx = lg[best];
        for (i = 0; i < V; i++) { probs[i] = exp(((double)lg[i] - mx) / temperature); s += probs[i]; }
        for (i = 0; i < V; i++) probs[i] /= s;
    }
    return best;
}

/* draws `draws` single tokens and compares frequencies with want[] (0 = must never appear) */
static void check_distribution(tinygpt_model *m, const int32_t *ctx, size_t nctx, float temperature, int top_k, float top_p,
                               const double *want, int draws, const char *what)
{
    tinygpt_rng rng;
    tinygpt_error err;
    int counts[256], i, V = m->config.vocab_size, outside = 0;
    double worst = 0;
    memset(counts, 0, sizeof counts);
    tinygpt_rng_seed(&rng, 2024);
    for (i = 0; i < draws; i++) {
        int32_t tok = -1;
        size_t got = 0;
        if (generate_old(m, ctx, nctx, 1, temperature, top_k, top_p, &rng, &tok, &got, NULL, NULL, &err) != 0 || got != 1 ||
            tok < 0 || tok >= V) {
            EXPECTF(0, "%s: generate: %s", what, err.message);
            return;
        }
        counts[tok]++;
    }
    for (i = 0; i < V; i++) {
        double d = fabs((double)counts[i] / draws - want[i]);
        if (want[i] == 0.0 && counts[i] > 0) outside += counts[i];
        if (d > worst) worst = d;
    }
    printf("  sampling %s: max |frequency - probability| %.4f over %d draws\n", what, worst, draws);
    EXPECTF(outside == 0, "%s: %d draws outside the allowed set", what, outside);
    EXPECTF(worst <= (g_quick ? 0.06 : 0.04), "%s: frequencies off by %.4f", what, worst);
}

/* The key/value cache: each cached step's logits equal a full forward over
   the same window, and sampling with the cache equals sampling without it,
   token for token, from short and long contexts and through window slides. */
static void test_kv_cache(trng *r)
{
    tinygpt_model m = zero_model;
    tinygpt_train_config tc = tc_plain();
    tinygpt_error err;
    tinygpt__kv_cache kc;
    int32_t seq[40], with[60], without[60];
    size_t n_with, n_without;
    int T = 12, V, t, c;
    double worst = 0.0;
    if (make_model(&m, "the cache must not change a single sample. 0123456789", T, 2, 2, 24, &tc)) return;
    V = m.config.vocab_size;
    randomize_params(&m, 0.4f, r);
    random_tokens(seq, 40, V, r);
    /* logits: cached step t against a forward over seq[0..t] */
    if (EXPECT(tinygpt__kv_cache_alloc(&kc, &m.config, T) == 0)) {
        EXPECT_OK(tinygpt_forward(&m, seq, NULL, 1, 3, 0, NULL, &err), err);
        tinygpt__kv_cache_fill(&kc, &m, 3);
        for (t = 3; t < T; t++) {
            float cached[64];
            const float *full;
            tinygpt__kv_cache_step(&kc, &m, seq[t]);
            memcpy(cached, kc.logits, (size_t)V * sizeof(float));
            EXPECT_OK(tinygpt_forward(&m, seq, NULL, 1, t + 1, 0, NULL, &err), err);
            full = tinygpt_logits(&m) + (size_t)t * V;
            for (c = 0; c < V; c++) {
                double d = fabs((double)cached[c] - (double)full[c]) / (1.0 + fabs((double)full[c]));
                if (d > worst) worst = d;
            }
        }
        EXPECTF(worst <= 1e-5, "cached logits differ from a full forward by %g (relative)", worst);
        tinygpt_free(kc.kt);
    }
    /* samples, cache on and off, from contexts of 1 to beyond block_size; with
       few new tokens the window (and the cache) stays shorter than block_size */
    for (c = 1; c <= 2 * T; c += 5) {
        size_t counts[3] = {1, 4, 60}, k;
        for (k = 0; k < 3; k++) {
            tinygpt_rng r1, r2;
            size_t want = counts[k];
            tinygpt_rng_seed(&r1, (uint64_t)c);
            tinygpt_rng_seed(&r2, (uint64_t)c);
            EXPECT_OK(generate_old(&m, seq, (size_t)c, want, 1.0f, 0, 1.0f, &r1, with, &n_with, NULL, NULL, &err), err);
            EXPECT_OK(generate_uncached(&m, seq, (size_t)c, want, 1.0f, 0, 1.0f, &r2, without, &n_without, NULL, NULL, &err), err);
            EXPECTF(n_with == want && n_without == want && memcmp(with, without, want * sizeof with[0]) == 0,
                    "context %d, %d new tokens: samples with and without the cache differ", c, (int)want);
        }
    }
    tinygpt_model_free(&m);
}

static void test_sampling(void)
{
    tinygpt_model m = zero_model;
    tinygpt_train_config tc = tc_plain();
    tinygpt_error err;
    tinygpt_rng rng, rng2;
    int32_t ctx[3], out[64], out2[64], seq[128];
    double probs[64], want[64] = {0};
    size_t n_out = 0, len;
    int V, T = 8, j, nnew = 2 * 8 + 3, same, draws = g_quick ? 1500 : 4000;
    trng r;
    cb_state cb;
    trng_seed(&r, 31);
    if (make_model(&m, "hello world, hello tinygpt. ", T, 1, 2, 16, &tc)) return;
    V = m.config.vocab_size;
    randomize_params(&m, 0.3f, &r);
    ctx[0] = 1; ctx[1] = 4; ctx[2] = 7;

    /* temperature 0 is greedy, through more than block_size tokens */
    tinygpt_rng_seed(&rng, 1);
    EXPECT_OK(generate_old(&m, ctx, 3, (size_t)nnew, 0.0f, 0, 1.0f, &rng, out, &n_out, NULL, NULL, &err), err);
    EXPECT(n_out == (size_t)nnew);
    memcpy(seq, ctx, sizeof ctx);
    len = 3;
    same = 1;
    for (j = 0; j < nnew; j++) {
        int32_t g = next_token_probs(&m, seq, len, 1.0, NULL);
        if (j == 0) EXPECTF(out[0] == g, "first greedy token %ld, argmax of the last logits %ld", (long)out[0], (long)g);
        if (out[j] != g) same = 0;
        seq[len++] = g;
    }
    EXPECTF(same, "temperature 0 differs from a manual argmax loop over the last block_size tokens");
    /* the same with a model whose next token depends on the whole window (strong
       attention), from contexts shorter and longer than block_size */
    {
        tinygpt_model s2 = zero_model;
        tensor_info ti[MAX_TENSORS];
        int nt, q, c, mismatches = 0;
        size_t e;
        if (make_model(&s2, "abcdefghijklmnop", 6, 2, 2, 16, &tc) == 0) {
            randomize_params(&s2, 0.5f, &r);
            nt = tensor_table(&s2.config, ti);
            for (q = 0; q < nt; q++)
                if (strstr(ti[q].name, "qkv.weight") || strstr(ti[q].name, "attn.proj.weight"))
                    for (e = 0; e < ti[q].n; e++) s2.params[ti[q].off + e] *= 3.0f;
            for (c = 0; c < 6; c++) {
                int32_t ctx2[12], got[24];
                size_t nc = (size_t)(1 + 2 * c), k;
                random_tokens(ctx2, nc, 16, &r);
                tinygpt_rng_seed(&rng, 1);
                EXPECT_OK(generate_old(&s2, ctx2, nc, 24, 0.0f, 0, 1.0f, &rng, got, &n_out, NULL, NULL, &err), err);
                memcpy(seq, ctx2, nc * sizeof(int32_t));
                len = nc;
                for (k = 0; k < 24; k++) {
                    int32_t g = next_token_probs(&s2, seq, len, 1.0, NULL);
                    if (got[k] != g) { mismatches++; break; }
                    seq[len++] = g;
                }
            }
            EXPECTF(mismatches == 0, "%d of 6 greedy runs differ from the manual loop over the last block_size tokens",
                    mismatches);
            tinygpt_model_free(&s2);
        }
    }
    /* top_k 1 is greedy at any temperature and seed; so is a tiny top_p */
    tinygpt_rng_seed(&rng, 99);
    EXPECT_OK(generate_old(&m, ctx, 3, (size_t)nnew, 0.7f, 1, 1.0f, &rng, out2, &n_out, NULL, NULL, &err), err);
    EXPECT(n_out == (size_t)nnew && memcmp(out, out2, (size_t)nnew * sizeof(int32_t)) == 0);
    tinygpt_rng_seed(&rng, 5);
    EXPECT_OK(generate_old(&m, ctx, 3, (size_t)nnew, 2.5f, 1, 1.0f, &rng, out2, &n_out, NULL, NULL, &err), err);
    EXPECT(memcmp(out, out2, (size_t)nnew * sizeof(int32_t)) == 0);
    tinygpt_rng_seed(&rng, 6);
    EXPECT_OK(generate_old(&m, ctx, 3, (size_t)nnew, 1.0f, 0, 1e-6f, &rng, out2, &n_out, NULL, NULL, &err), err);
    EXPECT(memcmp(out, out2, (size_t)nnew * sizeof(int32_t)) == 0);
    /* a tiny positive temperature is greedy in the limit, also where logits / temperature
       overflows to infinity: never some other token */
    {
        float tiny[3];
        int32_t greedy = next_token_probs(&m, ctx, 3, 1.0, NULL);
        int q, kk;
        tiny[0] = 1e-30f; tiny[1] = FLT_MIN; tiny[2] = FLT_MIN / 64.0f;
        for (q = 0; q < 3; q++)
            for (kk = 0; kk < 2; kk++) {
                int rc;
                out2[0] = -1;
                tinygpt_rng_seed(&rng, 8);
                rc = generate_old(&m, ctx, 3, 1, tiny[q], kk, 1.0f, &rng, out2, &n_out, NULL, NULL, &err);
                EXPECTF(rc != 0 || out2[0] == greedy, "temperature %g, top_k %d: token %ld, greedy %ld",
                        (double)tiny[q], kk, (long)out2[0], (long)greedy);
            }
    }
    /* a context longer than block_size */
    tinygpt_rng_seed(&rng, 1);
    EXPECT_OK(generate_old(&m, seq, len, 3, 0.0f, 0, 1.0f, &rng, out2, &n_out, NULL, NULL, &err), err);
    EXPECT(n_out == 3 && out2[0] == next_token_probs(&m, seq, len, 1.0, NULL));

    /* same seed, same samples; another seed, others */
    tinygpt_rng_seed(&rng, 42);
    tinygpt_rng_seed(&rng2, 42);
    EXPECT_OK(generate_old(&m, ctx, 3, 40, 1.0f, 0, 1.0f, &rng, out, &n_out, NULL, NULL, &err), err);
    EXPECT_OK(generate_old(&m, ctx, 3, 40, 1.0f, 0, 1.0f, &rng2, out2, &n_out, NULL, NULL, &err), err);
    EXPECT(memcmp(out, out2, 40 * sizeof(int32_t)) == 0 && rng.state == rng2.state);
    tinygpt_rng_seed(&rng2, 43);
    EXPECT_OK(generate_old(&m, ctx, 3, 40, 1.0f, 0, 1.0f, &rng2, out2, &n_out, NULL, NULL, &err), err);
    EXPECT(memcmp(out, out2, 40 * sizeof(int32_t)) != 0);

    /* the distributions: temperature, top_k, top_p */
    next_token_probs(&m, ctx, 3, 1.0, probs);
    check_distribution(&m, ctx, 3, 1.0f, 0, 1.0f, probs, draws, "temperature 1");
    next_token_probs(&m, ctx, 3, 0.5, probs);
    check_distribution(&m, ctx, 3, 0.5f, 0, 1.0f, probs, draws, "temperature 0.5");
    check_distribution(&m, ctx, 3, 0.5f, V + 10, 1.0f, probs, draws, "temperature 0.5, top_k above V");
    next_token_probs(&m, ctx, 3, 1.0, probs);
    {
        double kept = 0;
        int a, c, rank;
        for (a = 0; a < V; a++) {        /* top 3 */
            for (c = 0, rank = 0; c < V; c++) if (probs[c] > probs[a]) rank++;
            want[a] = rank < 3 ? probs[a] : 0.0;
            kept += want[a];
        }
        for (a = 0; a < V; a++) want[a] /= kept;
        check_distribution(&m, ctx, 3, 1.0f, 3, 1.0f, want, draws, "top_k 3");
        kept = 0;
        for (a = 0; a < V; a++) {        /* nucleus 0.6: tokens whose more likely tokens sum below 0.6 */
            double above = 0;
            for (c = 0; c < V; c++) if (probs[c] > probs[a]) above += probs[c];
            want[a] = above < 0.6 ? probs[a] : 0.0;
            kept += want[a];
        }
        for (a = 0; a < V; a++) want[a] /= kept;
        check_distribution(&m, ctx, 3, 1.0f, 0, 0.6f, want, draws, "top_p 0.6");
    }

    /* invalid arguments */
    tinygpt_rng_seed(&rng, 1);
    EXPECT_FAIL(generate_old(&m, ctx, 3, 5, -1.0f, 0, 1.0f, &rng, out, &n_out, NULL, NULL, &err));
    EXPECT_MENTIONS(err, "temperature");
    EXPECT_FAIL(generate_old(&m, ctx, 3, 5, NAN, 0, 1.0f, &rng, out, &n_out, NULL, NULL, &err));
    EXPECT_MENTIONS(err, "temperature");
    EXPECT_FAIL(generate_old(&m, ctx, 3, 5, 1.0f, -1, 1.0f, &rng, out, &n_out, NULL, NULL, &err));
    EXPECT_MENTIONS(err, "top k");
    EXPECT_FAIL(generate_old(&m, ctx, 3, 5, 1.0f, 0, 0.0f, &rng, out, &n_out, NULL, NULL, &err));
    EXPECT_MENTIONS(err, "top p");
    EXPECT_FAIL(generate_old(&m, ctx, 3, 5, 1.0f, 0, 1.5f, &rng, out, &n_out, NULL, NULL, &err));
    EXPECT_MENTIONS(err, "top p");
    EXPECT_FAIL(generate_old(&m, ctx, 3, 5, 1.0f, 0, NAN, &rng, out, &n_out, NULL, NULL, &err));
    EXPECT_FAIL(generate_old(&m, ctx, 0, 5, 1.0f, 0, 1.0f, &rng, out, &n_out, NULL, NULL, &err));
    EXPECT_MENTIONS(err, "context");
    seq[0] = V;
    EXPECT_FAIL(generate_old(&m, seq, 1, 5, 1.0f, 0, 1.0f, &rng, out, &n_out, NULL, NULL, &err));
    seq[0] = -1;
    EXPECT_FAIL(generate_old(&m, seq, 1, 5, 1.0f, 0, 1.0f, &rng, out, &n_out, NULL, NULL, &err));

    /* the callback sees what out[] gets, and can stop early */
    memset(&cb, 0, sizeof cb);
    tinygpt_rng_seed(&rng, 77);
    EXPECT_OK(generate_old(&m, ctx, 3, 30, 1.0f, 0, 1.0f, &rng, out, &n_out, record_token, &cb, &err), err);
    EXPECT(n_out == 30 && cb.n == 30 && memcmp(cb.tokens, out, 30 * sizeof(int32_t)) == 0);
    memset(&cb, 0, sizeof cb);
    cb.stop_after = 5;
    tinygpt_rng_seed(&rng, 77);
    EXPECT_OK(generate_old(&m, ctx, 3, 30, 1.0f, 0, 1.0f, &rng, out2, &n_out, record_token, &cb, &err), err);
    EXPECTF(cb.n == 5 && n_out == 5, "callback called %lu times, n_out %lu", (unsigned long)cb.n, (unsigned long)n_out);
    EXPECT(memcmp(cb.tokens, out, 5 * sizeof(int32_t)) == 0 && memcmp(out2, out, 5 * sizeof(int32_t)) == 0);
    /* no out buffer; zero tokens */
    memset(&cb, 0, sizeof cb);
    tinygpt_rng_seed(&rng, 77);
    EXPECT_OK(generate_old(&m, ctx, 3, 10, 1.0f, 0, 1.0f, &rng, NULL, &n_out, record_token, &cb, &err), err);
    EXPECT(n_out == 10 && cb.n == 10 && memcmp(cb.tokens, out, 10 * sizeof(int32_t)) == 0);
    memset(&cb, 0, sizeof cb);
    n_out = 99;
    EXPECT_OK(generate_old(&m, ctx, 3, 0, 1.0f, 0, 1.0f, &rng, out, &n_out, record_token, &cb, &err), err);
    EXPECT(n_out == 0 && cb.n == 0);
    tinygpt_model_free(&m);
    test_kv_cache(&r);
}

/* ---------------------------------------------------------------- evaluation */

static void test_evaluate(void)
{
    enum { T = 8 };
    tinygpt_model m = zero_model;
    tinygpt_train_config tc = tc_plain();
    tinygpt_error err;
    tinygpt_rng rng, rng2;
    int32_t ids[5 * T + 3], x[4 * T], y[4 * T];
    size_t lens[3] = {5 * T + 3, 5 * T + 1, 5 * T}, k, nwin;
    int c, bi, Bs[4] = {1, 2, 3, 16}, V;
    double loss = 0, manual;
    float est = 0, est2 = 0;
    trng r;
    trng_seed(&r, 41);
    if (make_model(&m, "abcdefghijk", T, 2, 2, 16, &tc)) return;
    V = m.config.vocab_size;
    randomize_params(&m, 0.3f, &r);
    random_tokens(ids, 5 * T + 3, V, &r);
    for (c = 0; c < 3; c++) {
        size_t n = lens[c];
        nwin = (n - 1) / T; /* windows k with k*T + T + 1 <= n */
        manual = 0;
        for (k = 0; k < nwin; k++) {
            EXPECT_OK(tinygpt_forward(&m, ids + k * T, ids + k * T + 1, 1, T, 0, NULL, &err), err);
            manual += ce_from_logits(tinygpt_logits(&m), ids + k * T + 1, T, V);
        }
        manual /= (double)nwin;
        for (bi = 0; bi < 4; bi++) {
            loss = -1;
            EXPECT_OK(tinygpt_evaluate_tokens(&m, ids, n, Bs[bi], &loss, &err), err);
            EXPECTF(fabs(loss - manual) <= 1e-5, "n=%lu (%lu windows) B=%d: %.7f, manual loop %.7f", (unsigned long)n,
                    (unsigned long)nwin, Bs[bi], loss, manual);
        }
    }
    /* exactly one window; too short */
    EXPECT_OK(tinygpt_evaluate_tokens(&m, ids, T + 1, 1, &loss, &err), err);
    EXPECT_OK(tinygpt_forward(&m, ids, ids + 1, 1, T, 0, NULL, &err), err);
    EXPECT_NEAR(loss, ce_from_logits(tinygpt_logits(&m), ids + 1, T, V), 1e-5);
    err.message[0] = 0;
    EXPECT_FAIL(tinygpt_evaluate_tokens(&m, ids, T, 1, &loss, &err));
    EXPECT(err.message[0] != 0);
    EXPECT_FAIL(tinygpt_evaluate_tokens(&m, ids, 0, 1, &loss, &err));
    EXPECT_FAIL(tinygpt_evaluate_tokens(&m, ids, 5 * T, 0, &loss, &err));
    /* estimate_loss: random batches from the caller's rng, dropout off */
    m.train.dropout = 0.5f;
    tinygpt_rng_seed(&rng, 3);
    tinygpt_rng_seed(&rng2, 3);
    EXPECT_OK(tinygpt_estimate_loss(&m, ids, 5 * T + 3, 4, 3, &rng, &est, &err), err);
    manual = 0;
    for (c = 0; c < 3; c++) {
        tinygpt_get_batch(ids, 5 * T + 3, 4, T, &rng2, x, y, &err);
        EXPECT_OK(tinygpt_forward(&m, x, y, 4, T, 0, NULL, &err), err);
        manual += ce_from_logits(tinygpt_logits(&m), y, 4 * T, V) / 3;
    }
    EXPECTF(fabs(est - manual) <= 1e-5, "estimate_loss %.7f, manual get_batch loop %.7f", (double)est, manual);
    tinygpt_rng_seed(&rng, 3);
    EXPECT_OK(tinygpt_estimate_loss(&m, ids, 5 * T + 3, 4, 3, &rng, &est2, &err), err);
    EXPECT(est == est2 && rng.state == rng2.state);
    EXPECT_FAIL(tinygpt_estimate_loss(&m, ids, T, 4, 3, &rng, &est, &err));
    tinygpt_model_free(&m);
}

/* ---------------------------------------------------------------- independence of models */

static void test_two_models(void)
{
    tinygpt_model a = zero_model, a2 = zero_model, b = zero_model;
    tinygpt_train_config tc = tc_plain(), tb = tc_plain();
    tinygpt_error err;
    int32_t tokens[300], x[4 * 8], y[4 * 8], bx[2 * 12], by[2 * 12];
    float *bparams, *blogits, *ga, lb = 0, lb2 = 0;
    size_t nb;
    trng r;
    trng_seed(&r, 51);
    tb.seed = 4242;
    tb.dropout = 0.2f;
    if (make_model(&a, "abcdefgh", 8, 2, 2, 16, &tc) || make_model(&a2, "abcdefgh", 8, 2, 2, 16, &tc) ||
        make_model(&b, "0123456789xyz", 12, 1, 4, 24, &tb))
        return;
    random_tokens(tokens, 300, 8, &r);
    random_tokens(bx, 24, 13, &r);
    random_tokens(by, 24, 13, &r);
    bparams = falloc(b.num_params);
    memcpy(bparams, b.params, b.num_params * sizeof(float));
    EXPECT_OK(tinygpt_forward(&b, bx, by, 2, 12, 0, &lb, &err), err);
    nb = (size_t)24 * b.config.vocab_size;
    blogits = falloc(nb);
    memcpy(blogits, tinygpt_logits(&b), nb * sizeof(float));
    train_steps(&a, tokens, 300, 4, 3);
    EXPECT(a.step == 3 && b.step == 0);
    EXPECT(memcmp(bparams, b.params, b.num_params * sizeof(float)) == 0);
    EXPECT_OK(tinygpt_forward(&b, bx, by, 2, 12, 0, &lb2, &err), err);
    EXPECT(lb == lb2 && memcmp(blogits, tinygpt_logits(&b), nb * sizeof(float)) == 0);
    /* interleaving another model between forward and backward changes nothing */
    tinygpt_get_batch(tokens, 300, 4, 8, &a.rng, x, y, &err);
    tinygpt_zero_grad(&a);
    tinygpt_zero_grad(&a2);
    memcpy(a2.params, a.params, a.num_params * sizeof(float));
    EXPECT_OK(tinygpt_forward(&a2, x, y, 4, 8, 1, NULL, &err), err);
    EXPECT_OK(tinygpt_backward(&a2, &err), err);
    EXPECT_OK(tinygpt_forward(&a, x, y, 4, 8, 1, NULL, &err), err);
    EXPECT_OK(tinygpt_forward(&b, bx, by, 2, 12, 1, NULL, &err), err);
    EXPECT_OK(tinygpt_backward(&b, &err), err);
    EXPECT_OK(tinygpt_backward(&a, &err), err);
    ga = a.grads;
    EXPECT(ga && a2.grads && memcmp(ga, a2.grads, a.num_params * sizeof(float)) == 0);
    free(bparams); free(blogits);
    tinygpt_model_free(&a); tinygpt_model_free(&a2); tinygpt_model_free(&b);
}

/* ---------------------------------------------------------------- error paths */

static void test_errors(void)
{
    tinygpt_model m = zero_model;
    tinygpt_config cfg;
    tinygpt_train_config tc = tc_plain();
    tinygpt_vocab voc = zero_vocab;
    tinygpt_error err;
    int32_t x[16], y[16];
    float loss = 0;
    int i;
    model_snap snap;

    /* missing files are named */
    memset(&m, 0, sizeof m);
    err.message[0] = 0;
    EXPECT_FAIL(tinygpt_load(&m, "tests/no_such_checkpoint_42.bin", &err));
    EXPECT_MENTIONS(err, "no_such_checkpoint_42.bin");
    EXPECT(m.params == NULL);
    {
        char *data = NULL;
        size_t len = 0;
        EXPECT_FAIL(tinygpt_read_file("tests/no_such_text_42.txt", &data, &len, &err));
        EXPECT_MENTIONS(err, "no_such_text_42.txt");
    }

    /* config checks */
    cfg.vocab_size = 10; cfg.block_size = 8; cfg.n_layer = 2; cfg.n_head = 2; cfg.n_embd = 16;
    EXPECT_OK(tinygpt_config_check(&cfg, &err), err);
    cfg.n_head = 3;
    EXPECT_FAIL(tinygpt_config_check(&cfg, &err));
    EXPECT_MENTIONS(err, "n head");
    cfg.n_head = 2;
    {
        int *fields[5];
        static const char *const names[5] = {"vocab size", "block size", "n layer", "n head", "n embd"};
        fields[0] = &cfg.vocab_size; fields[1] = &cfg.block_size; fields[2] = &cfg.n_layer; fields[3] = &cfg.n_head;
        fields[4] = &cfg.n_embd;
        for (i = 0; i < 5; i++) {
            int keep = *fields[i];
            *fields[i] = 0;
            err.message[0] = 0;
            EXPECTF(tinygpt_config_check(&cfg, &err) != 0, "%s = 0 accepted", names[i]);
            EXPECTF(mentions(err.message, names[i]), "%s = 0: message \"%s\"", names[i], err.message);
            *fields[i] = -4;
            EXPECTF(tinygpt_config_check(&cfg, &err) != 0, "%s = -4 accepted", names[i]);
            *fields[i] = keep;
        }
    }
    {   /* num_params per FORMAT.md, and 0 on overflow */
        tensor_info t[MAX_TENSORS];
        int k = tensor_table(&cfg, t);
        EXPECT(tinygpt_num_params(&cfg) == table_total(t, k));
        EXPECT(tinygpt_num_params(&cfg) == (size_t)(2 * 10 * 16 + 8 * 16 + 2 * (12 * 16 * 16 + 13 * 16) + 2 * 16));
        cfg.block_size = 1 << 30; cfg.n_layer = 1 << 30; cfg.n_embd = 1 << 30; cfg.n_head = 1;
        EXPECT(tinygpt_num_params(&cfg) == 0);
        EXPECT_FAIL(tinygpt_config_check(&cfg, &err));
    }
    /* training config checks */
    EXPECT_OK(tinygpt_train_config_check(&tc, &err), err);
    {
        tinygpt_train_config bad = tc;
        bad.learning_rate = NAN;
        EXPECT_FAIL(tinygpt_train_config_check(&bad, &err));
        EXPECT_MENTIONS(err, "learning_rate");
        bad = tc; bad.beta1 = 1.0f;
        EXPECT_FAIL(tinygpt_train_config_check(&bad, &err));
        EXPECT_MENTIONS(err, "beta1");
        bad = tc; bad.eps = 0.0f;
        EXPECT_FAIL(tinygpt_train_config_check(&bad, &err));
        bad = tc; bad.grad_clip = -1.0f;
        EXPECT_FAIL(tinygpt_train_config_check(&bad, &err));
        bad = tc; bad.dropout = -0.0f;
        EXPECT_OK(tinygpt_train_config_check(&bad, &err), err);
    }

    /* model_create fails cleanly on impossible configs */
    if (tinygpt_vocab_build(&voc, "abcdef", 6, &err) == 0) {
        tinygpt_train_config badtc = tc;
        cfg.vocab_size = 0; cfg.block_size = 8; cfg.n_layer = 1; cfg.n_head = 4; cfg.n_embd = 6;
        memset(&m, 0x00, sizeof m);
        err.message[0] = 0;
        EXPECT_FAIL(tinygpt_model_create(&m, &cfg, &voc, &tc, &err));
        EXPECT_MENTIONS(err, "n head");
        EXPECT(m.params == NULL && m.acts == NULL);
        tinygpt_model_free(&m);
        cfg.n_head = 1; cfg.block_size = 1 << 30; cfg.n_layer = 1 << 30; cfg.n_embd = 1 << 30;
        EXPECT_FAIL(tinygpt_model_create(&m, &cfg, &voc, &tc, &err));
        EXPECT(m.params == NULL);
        tinygpt_model_free(&m);
        cfg.block_size = 8; cfg.n_layer = 1; cfg.n_embd = 8; cfg.n_head = 2;
        badtc.beta2 = 1.5f;
        EXPECT_FAIL(tinygpt_model_create(&m, &cfg, &voc, &badtc, &err));
        EXPECT_MENTIONS(err, "beta2");
        tinygpt_model_free(&m);
        tinygpt_vocab_free(&voc);
    }

    /* forward, backward and training reject what they cannot do */
    if (make_model(&m, "abcdef", 8, 1, 2, 8, &tc) == 0) {
        for (i = 0; i < 16; i++) { x[i] = i % 6; y[i] = (i + 1) % 6; }
        err.message[0] = 0;
        EXPECT_FAIL(tinygpt_backward(&m, &err));           /* no forward yet */
        EXPECT(err.message[0] != 0);
        EXPECT_FAIL(tinygpt_forward(&m, x, y, 0, 8, 1, &loss, &err));
        EXPECT_FAIL(tinygpt_forward(&m, x, y, 1, 0, 1, &loss, &err));
        EXPECT_FAIL(tinygpt_forward(&m, x, y, 1, 9, 1, &loss, &err)); /* T > block_size */
        EXPECT_MENTIONS(err, "block size|block_size|T");
        x[3] = 6;
        EXPECT_FAIL(tinygpt_forward(&m, x, y, 1, 8, 1, &loss, &err));
        x[3] = -1;
        EXPECT_FAIL(tinygpt_forward(&m, x, y, 1, 8, 1, &loss, &err));
        x[3] = 3;
        y[5] = 6;
        EXPECT_FAIL(tinygpt_forward(&m, x, y, 1, 8, 1, &loss, &err));
        y[5] = 0;
        EXPECT_OK(tinygpt_forward(&m, x, NULL, 2, 8, 1, NULL, &err), err);
        EXPECT_FAIL(tinygpt_backward(&m, &err));           /* no targets */
        EXPECT_OK(tinygpt_forward(&m, x, y, 2, 3, 0, &loss, &err), err); /* T < block_size is fine */
        EXPECT(finite_d(loss));
        /* a non-finite loss takes no step */
        m.params[(size_t)x[0] * 8] = NAN;
        snap_take(&snap, &m);
        EXPECT_FAIL(tinygpt_train_step(&m, x, y, 2, 8, &loss, &err));
        EXPECT(m.step == 0 && memcmp(snap.params, m.params, m.num_params * sizeof(float)) == 0);
        snap_free(&snap);
        /* saving where nothing can be written names the file */
        err.message[0] = 0;
        EXPECT_FAIL(tinygpt_save(&m, "tests/no_such_dir_42/model.bin", 1, &err));
        EXPECT_MENTIONS(err, "no_such_dir_42");
        tinygpt_model_free(&m);
    }
}

/* ---------------------------------------------------------------- the huge-page allocator */

/* examples/hugepages.h: big blocks come back usable end to end (and 2 MiB-
   aligned where it advises huge pages), small ones from malloc, and a size
   the rounding would wrap fails instead of giving a short block. */
static void test_hugepages(void)
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

/* hostile input and faults: allocation failure, killed saves, NaN, ... */
#include "test_faults.c"

/* ======================================================================== */
/*            int8 checkpoints (docs/FORMAT.md section 7, issue 17)         */
/* ======================================================================== */

/* An int8 file of a trained model with C = 3 (so wte's 15 values need a
   padding byte): round trip, sizes, and every reading rule of section 7. */
static void test_int8(void)
{
    static const uint32_t cps[5] = {'q', 'a', 0xE9, 0x2713, 'b'};
    tinygpt_vocab voc = zero_vocab;
    tinygpt_config cfg;
    tinygpt_train_config tc = tc_plain();
    tinygpt_model m = zero_model, back = zero_model;
    tinygpt_error err;
    int32_t tokens[40], out[8];
    unsigned char *img, *b;
    size_t V = 5, C = 3, T = 4, size, expect_size, i, accepted, wte_sc, wte_q, wpe_sc, ln1_w;
    double worst = 0.0;
    trng r;
    int k;

    trng_seed(&r, 17);
    cfg.vocab_size = 0; cfg.block_size = (int)T; cfg.n_layer = 1; cfg.n_head = 1; cfg.n_embd = (int)C;
    memset(&m, 0, sizeof m);
    memset(&back, 0, sizeof back);
    if (tinygpt_vocab_from_codepoints(&voc, cps, 5, &err) != 0 || tinygpt_model_create(&m, &cfg, &voc, &tc, &err) != 0) {
        EXPECTF(0, "setup: %s", err.message);
        return;
    }
    tinygpt_vocab_free(&voc);
    random_tokens(tokens, 40, 5, &r);
    train_steps(&m, tokens, 40, 2, 2);
    m.params[0] = 0.0f; m.params[1] = 0.0f; m.params[2] = 0.0f;  /* wte row 0 all zero: scale 0 */

    /* size: header, vocabulary, matrices as R scales + R*K bytes padded to 4, vectors as floats, CRC */
    expect_size = 128 + 4 * V
                  + (4 * V + ((V * C + 3) & ~(size_t)3)) + (4 * T + ((T * C + 3) & ~(size_t)3))  /* wte, wpe */
                  + 4 * C * 2 + (4 * 3 * C + ((3 * C * C + 3) & ~(size_t)3)) + 4 * 3 * C
                  + (4 * C + ((C * C + 3) & ~(size_t)3)) + 4 * C + 4 * C * 2
                  + (4 * 4 * C + 4 * C * C) + 4 * 4 * C + (4 * C + 4 * C * C) + 4 * C              /* the layer */
                  + 4 * C * 2 + (4 * V + ((V * C + 3) & ~(size_t)3)) + 4;                          /* lnf, lm_head, CRC */
    size = tinygpt_int8_checkpoint_size(&m);
    EXPECTF(size == expect_size, "int8 size %lu, FORMAT.md says %lu", (unsigned long)size, (unsigned long)expect_size);
    img = (unsigned char *)xmalloc(size);
    EXPECT_FAIL(tinygpt_save_int8_memory(&m, img, size - 1, &err));
    EXPECT_OK(tinygpt_save_int8_memory(&m, img, size, &err), err);
    EXPECT(memcmp(img, "tinygpt8", 8) == 0 && get_u32(img + 8) == 1 && get_u32(img + 12) == 0);
    EXPECT(get_u32(img + size - 4) == crc32_ieee(img, size - 4));
    {   /* the file version is the same bytes */
        size_t flen = 0;
        unsigned char *f;
        EXPECT_OK(tinygpt_save_int8(&m, TMP_FILE, &err), err);
        f = read_bytes(TMP_FILE, &flen);
        EXPECT(f && flen == size && memcmp(f, img, size) == 0);
        free(f);
        EXPECT_OK(tinygpt_load(&back, TMP_FILE, &err), err);
        remove(TMP_FILE);
    }
    /* dequantised: matrices within half a step of their row's scale, vectors exact */
    EXPECT(back.num_params == m.num_params && back.m == NULL && back.step == m.step && back.rng.state == m.rng.state);
    for (k = 0; k < tinygpt__num_tensors(&m.config) && back.params; k++) {
        tinygpt__tensor t = tinygpt__tensor_at(&m.config, k);
        int ok = 1;
        size_t K = tinygpt__dim(&m.config, t.spec->cols, &ok);
        for (i = 0; i < t.count; i++) {
            size_t row = i / K, j;
            float mx = 0.0f, d = fabsf(back.params[t.offset + i] - m.params[t.offset + i]);
            for (j = 0; j < K; j++) mx = fabsf(m.params[t.offset + row * K + j]) > mx ? fabsf(m.params[t.offset + row * K + j]) : mx;
            if (t.spec->rows == TINYGPT__DIM_1) EXPECT(same_bits(back.params[t.offset + i], m.params[t.offset + i]));
            else if (mx > 0.0f && d / (mx / 127.0f) > worst) worst = d / (mx / 127.0f);
        }
    }
    EXPECTF(worst <= 0.5001, "dequantised values within half a step: worst %.4f steps", worst);
    EXPECT(back.params && back.params[0] == 0.0f && back.params[2] == 0.0f);
    {   /* it samples, cached and not, the same tokens */
        tinygpt_sampler s1 = tinygpt_sampler_default(3), s2 = tinygpt_sampler_default(3);
        int32_t out2[8];
        EXPECT_OK(tinygpt_generate(&back, &s1, tokens, 1, 8, out, NULL, NULL, NULL, &err), err);
        EXPECT_OK(tinygpt__generate(&back, &s2, tokens, 1, 8, out2, NULL, NULL, NULL, 0, &err), err);
        EXPECT(memcmp(out, out2, sizeof out) == 0);
    }
    {   /* saving refuses a non-finite parameter */
        float keep = m.params[5];
        m.params[5] = NAN;
        EXPECT_FAIL(tinygpt_save_int8_memory(&m, img, size, &err));
        EXPECT_MENTIONS(err, "finite");
        m.params[5] = keep;
    }
    tinygpt_model_free(&back);
    tinygpt_model_free(&m);

    /* reading rules, each with a crafted file (CRC fixed unless the CRC is the point) */
    g_base = img;
    g_base_len = size;
    memset(&g_victim, 0, sizeof g_victim);
    if (make_model(&g_victim, "a different model", 6, 1, 1, 8, &tc)) { free(img); g_base = NULL; return; }
    wte_sc = 128 + 4 * V;
    wte_q = wte_sc + 4 * V;
    wpe_sc = wte_q + ((V * C + 3) & ~(size_t)3);
    ln1_w = wpe_sc + 4 * T + ((T * C + 3) & ~(size_t)3);
    TRY_LOAD(g_base, g_base_len, 1, NULL, "unchanged int8 file");
    MUT_F32(wte_sc + 4, -0.0f, 1, NULL, "a scale of -0 (counts as 0)");
    {
        b = base_copy(); b[wte_q + 3] = 127; b[wte_q + 4] = 0x81; fix_crc(b, g_base_len);
        TRY_LOAD(b, g_base_len, 1, NULL, "int8 values 127 and -127");
        free(b);
    }
    MUT_U32(8, 2, 0, "version", "int8: version 2");
    MUT_U32(12, 1, 0, "flag", "int8: flags bit 0 (no moments in an int8 file)");
    MUT_U32(12, 2, 0, "flag", "int8: flags bit 1");
    b = base_copy(); b[120] = 1; fix_crc(b, g_base_len);
    TRY_LOAD(b, g_base_len, 0, "reserved", "int8: reserved byte");
    free(b);
    b = base_copy(); memcpy(b, "tinygpt", 8); fix_crc(b, g_base_len);
    TRY_LOAD(b, g_base_len, 0, LENGTH_WORDS, "int8 body under the float magic (sizes differ)");
    free(b);
    b = base_copy(); b[7] = '9'; fix_crc(b, g_base_len);
    TRY_LOAD(b, g_base_len, 0, "magic", "magic tinygpt9");
    free(b);
    MUT_U32(28, 2, 0, "n head", "int8: H = 2 does not divide C = 3");
    MUT_U32(16, 6, 0, LENGTH_WORDS, "int8: V = 6 (file too short)");
    MUT_U32(20, 3, 0, LENGTH_WORDS, "int8: T = 3 (file too long)");
    MUT_F32(48, NAN, 0, "learning_rate", "int8: learning_rate NaN");
    b = base_copy(); b[wte_q] ^= 1;
    TRY_LOAD(b, g_base_len, 0, "crc|corrupt", "int8: a flipped bit, CRC not fixed");
    free(b);
    TRY_LOAD(g_base, g_base_len - 1, 0, NULL, "int8: trailer cut by one byte");
    MUT_U32(128 + 4, 'q', 0, "repeat|duplicate", "int8: code point q twice");
    MUT_U32(128, 0xD800, 0, "code point|codepoint|vocab", "int8: code point 0xD800");
    MUT_F32(wte_sc + 8, NAN, 0, "scale", "int8: a scale NaN");
    MUT_F32(wte_sc + 8, INFINITY, 0, "scale", "int8: a scale +inf");
    MUT_F32(wpe_sc, -1e-3f, 0, "scale", "int8: a negative scale");
    MUT_F32(wpe_sc, 1e37f, 0, "scale", "int8: a scale above FLT_MAX/127");
    MUT_F32(wpe_sc, 2.6e36f, 1, NULL, "int8: a scale just below FLT_MAX/127");
    b = base_copy(); b[wte_q + 7] = 0x80; fix_crc(b, g_base_len);
    TRY_LOAD(b, g_base_len, 0, "-128", "int8: value -128");
    free(b);
    b = base_copy(); b[wte_q + V * C] = 1; fix_crc(b, g_base_len);
    TRY_LOAD(b, g_base_len, 0, "padding", "int8: nonzero padding byte");
    free(b);
    MUT_F32(ln1_w + 4, NAN, 0, "finite", "int8: a LayerNorm weight NaN");
    MUT_F32(ln1_w, -INFINITY, 0, "finite", "int8: a LayerNorm weight -inf");
    {
        model_snap snap;
        snap_take(&snap, &g_victim);
        for (i = 0, accepted = 0; i < g_base_len; i++) {
            unsigned char *p = (unsigned char *)xmalloc(i ? i : 1);
            memcpy(p, g_base, i);
            if (tinygpt_load_memory(&g_victim, p, i, &err) == 0) accepted++;
            free(p);
        }
        EXPECTF(accepted == 0, "%lu of the %lu proper prefixes of the int8 file loaded", (unsigned long)accepted,
                (unsigned long)g_base_len);
        EXPECT(snap_same(&snap, &g_victim));
        snap_free(&snap);
    }
    tinygpt_model_free(&g_victim);
    free(g_base);
    g_base = NULL;
}

/* ======================================================================== */
/*        views: tinygpt_load_view, tinygpt_sampling_memory (issue 17)      */
/* ======================================================================== */

/* Live bytes and their high-water mark, through g_lib_hook. */
static struct { void *p; size_t size; } g_blocks[64];
static size_t g_bytes_live, g_bytes_high;
static int g_blocks_lost;
static void count_bytes(void *p, size_t size)
{
    int i;
    for (i = 0; i < 64; i++) {
        if (size && !g_blocks[i].p) { g_blocks[i].p = p; g_blocks[i].size = size; break; }
        if (!size && g_blocks[i].p == p) { g_bytes_live -= g_blocks[i].size; g_blocks[i].p = NULL; return; }
    }
    if (!size) return;  /* allocated before counting began */
    if (i == 64) { g_blocks_lost++; return; }
    g_bytes_live += size;
    if (g_bytes_live > g_bytes_high) g_bytes_high = g_bytes_live;
}

/* load_view + generate of 1 + new_tokens tokens from image under the byte counter: the peak. */
static size_t view_peak(const unsigned char *image, size_t len, size_t new_tokens, int32_t *out)
{
    tinygpt_model v = zero_model;
    tinygpt_sampler s = tinygpt_sampler_default(5);
    tinygpt_error err;
    int32_t ctx[1] = {1};
    memset(&v, 0, sizeof v);
    memset(g_blocks, 0, sizeof g_blocks);
    g_bytes_live = g_bytes_high = 0;
    g_blocks_lost = 0;
    g_lib_hook = count_bytes;
    EXPECT_OK(tinygpt_load_view(&v, image, len, &err), err);
    EXPECT_OK(tinygpt_generate(&v, &s, ctx, 1, new_tokens, out, NULL, NULL, NULL, &err), err);
    tinygpt_model_free(&v);
    g_lib_hook = NULL;
    EXPECT(g_blocks_lost == 0 && g_bytes_live == 0);
    return g_bytes_high;
}

static void test_views(void)
{
    tinygpt_train_config tc = tc_plain();
    tinygpt_model m = zero_model, view = zero_model, copy = zero_model;
    tinygpt_error err;
    tinygpt__kv_cache k1, k2;
    int32_t tokens[64], out1[40], out2[40];
    unsigned char *fimg = NULL, *qimg, *b;
    size_t flen = 0, qlen, i, need, peak;
    double worst = 0.0;
    trng r;
    int kind, pos;

    trng_seed(&r, 29);
    memset(&m, 0, sizeof m); memset(&view, 0, sizeof view); memset(&copy, 0, sizeof copy);
    if (make_model(&m, "abcdefghij klmnop", 8, 2, 2, 8, &tc)) return;
    random_tokens(tokens, 64, m.config.vocab_size, &r);
    train_steps(&m, tokens, 64, 2, 3);
    EXPECT_OK(tinygpt_save(&m, TMP_FILE, 1, &err), err);  /* with moments: the view checks and skips them */
    fimg = read_bytes(TMP_FILE, &flen);
    remove(TMP_FILE);
    qlen = tinygpt_int8_checkpoint_size(&m);
    qimg = (unsigned char *)xmalloc(qlen);
    EXPECT_OK(tinygpt_save_int8_memory(&m, qimg, qlen, &err), err);
    if (!fimg) { free(qimg); tinygpt_model_free(&m); return; }
    {   /* a big-endian host cannot read the little-endian image in place: refused, with the way out */
        const uint32_t one = 1;
        unsigned char first;
        memcpy(&first, &one, 1);
        if (first != 1) {
            err.message[0] = 0;
            EXPECT_FAIL(tinygpt_load_view(&view, fimg, flen, &err));
            EXPECT_MENTIONS(err, "little-endian");
            EXPECT(view.params == NULL);
            printf("  big-endian host: load_view refused as documented; the in-place checks skipped\n");
            free(fimg); free(qimg); tinygpt_model_free(&m);
            return;
        }
    }

    for (kind = 0; kind < 2; kind++) {
        const unsigned char *img = kind ? qimg : fimg;
        size_t len = kind ? qlen : flen;
        const char *name = kind ? "int8" : "float";
        tinygpt_sampler s1 = tinygpt_sampler_default(11), s2 = tinygpt_sampler_default(11);
        EXPECT_OK(tinygpt_load_view(&view, img, len, &err), err);
        EXPECT_OK(tinygpt_load_memory(&copy, img, len, &err), err);
        EXPECT(view.image == img && view.num_params == m.num_params && view.vocab.size == m.vocab.size);
        EXPECT(kind ? view.params == NULL : (const unsigned char *)view.params == img + 128 + 4 * (size_t)m.vocab.size);
        /* the view's cached step against the copy's (dequantised for int8): the same logits to rounding */
        if (tinygpt__kv_cache_alloc(&k1, &view.config, 8) == 0 && tinygpt__kv_cache_alloc(&k2, &copy.config, 8) == 0) {
            for (pos = 0, worst = 0.0; pos < 8; pos++) {
                tinygpt__kv_cache_step(&k1, &view, tokens[pos]);
                tinygpt__kv_cache_step(&k2, &copy, tokens[pos]);
                for (i = 0; i < (size_t)view.config.vocab_size; i++)
                    if (fabs(k1.logits[i] - k2.logits[i]) > worst) worst = fabs(k1.logits[i] - k2.logits[i]);
            }
            EXPECTF(worst < 1e-4, "%s view: cached-step logits within 1e-4 of the loaded model's: %g", name, worst);
            tinygpt_free(k1.kt);
            tinygpt_free(k2.kt);
        }
        /* sampling past block_size (the window slides: the view re-reads it token by token) */
        EXPECT_OK(tinygpt_generate(&view, &s1, tokens, 3, 40, out1, NULL, NULL, NULL, &err), err);
        EXPECT_OK(tinygpt_generate(&copy, &s2, tokens, 3, 40, out2, NULL, NULL, NULL, &err), err);
        EXPECTF(memcmp(out1, out2, sizeof out1) == 0, "%s view samples the loaded model's 40 tokens", name);
        /* read-only */
        EXPECT_FAIL(tinygpt_train_step(&view, tokens, tokens + 1, 1, 8, NULL, &err));
        EXPECT_MENTIONS(err, kind ? "int8 view" : "read-only");
        EXPECT_FAIL(tinygpt_backward(&view, &err));
        EXPECT_MENTIONS(err, "read-only");
        EXPECT_FAIL(tinygpt_optimizer_step(&view, NULL, &err));
        EXPECT_MENTIONS(err, "read-only");
        EXPECT_FAIL(tinygpt_save(&view, TMP_FILE, 0, &err));
        EXPECT_MENTIONS(err, "read-only");
        EXPECT_FAIL(tinygpt_save_int8(&view, TMP_FILE, &err));
        EXPECT_MENTIONS(err, "read-only");
        if (kind) {
            double loss;
            EXPECT_FAIL(tinygpt_evaluate_tokens(&view, tokens, 64, 2, &loss, &err));
            EXPECT_MENTIONS(err, "int8 view");
        } else {
            double l1, l2;
            EXPECT_OK(tinygpt_evaluate_tokens(&view, tokens, 64, 2, &l1, &err), err);
            EXPECT_OK(tinygpt_evaluate_tokens(&copy, tokens, 64, 2, &l2, &err), err);
            EXPECT(l1 == l2);
        }
        /* misaligned, and the reading rules still hold (the view is unchanged by a failure) */
        b = (unsigned char *)xmalloc(len + 1);
        memcpy(b + 1, img, len);
        EXPECT_FAIL(tinygpt_load_view(&view, b + 1, len, &err));
        EXPECT_MENTIONS(err, "tinygpt_load_memory");
        EXPECT(view.image == img);
        memcpy(b, img, len);
        b[len / 2] ^= 4;
        EXPECT_FAIL(tinygpt_load_view(&view, b, len, &err));
        EXPECT_MENTIONS(err, "crc");
        EXPECT_FAIL(tinygpt_load_view(&view, b, len - 1, &err));
        memcpy(b, img, len);
        put_f32(b + 128 + 4 * (size_t)m.vocab.size, kind ? -1.0f : NAN);  /* wte's first scale, or wte[0][0] */
        fix_crc(b, len);
        EXPECT_FAIL(tinygpt_load_view(&view, b, len, &err));
        EXPECT_MENTIONS(err, kind ? "scale" : "finite");
        EXPECT(view.image == img);
        free(b);
        /* tinygpt_sampling_memory: the bytes a view and a generate of that window allocate, at most */
        EXPECT(tinygpt_sampling_memory(img, 100, 8) == 0);
        for (i = 0; i < 3; i++) {
            static const size_t new_tokens[3] = {2, 7, 30};
            size_t ctx = 1 + new_tokens[i];
            need = tinygpt_sampling_memory(img, len, ctx);
            peak = view_peak(img, len, new_tokens[i], out1);
            EXPECTF(need > 0 && peak <= need && peak * 10 >= need * 9,
                    "%s view, window %lu: peak %lu bytes, tinygpt_sampling_memory %lu", name,
                    (unsigned long)(ctx < 8 ? ctx : 8), (unsigned long)peak, (unsigned long)need);
        }
        EXPECT(tinygpt_sampling_memory(img, len, 0) == tinygpt_sampling_memory(img, len, 8));
        tinygpt_model_free(&view);
        tinygpt_model_free(&copy);
        memset(&view, 0, sizeof view); memset(&copy, 0, sizeof copy);
    }
    free(fimg);
    free(qimg);
    tinygpt_model_free(&m);
}

#define MODEL_GROUPS \
    {"model creation", test_model_create}, \
    {"whole-model gradient vs finite differences", test_model_gradients}, \
    {"reference path: whole model forward and backward", test_reference_model}, \
    {"golden checkpoints (PyTorch)", test_golden}, \
    {"portable checkpoint (tests/portable)", test_portable}, \
    {"sizes that wrap a 32-bit size_t", test_size_limits}, \
    {"short sequences allocate little", test_short_sequences_allocate_little}, \
    {"AdamW and the lr schedule", test_optimizer}, \
    {"save / load round trip", test_save_load}, \
    {"resume bit for bit", test_resume}, \
    {"checkpoint reading rules", test_reading_rules}, \
    {"overfit a tiny text", test_overfit}, \
    {"sampling", test_sampling}, \
    {"evaluate_tokens and estimate_loss", test_evaluate}, \
    {"two models in one process", test_two_models}, \
    {"huge-page allocator (examples/hugepages.h)", test_hugepages}, \
    {"error paths", test_errors}, \
    FAULT_GROUPS \
    {"int8 checkpoints", test_int8}, \
    {"views: sampling from an image in place (tinygpt_load_view)", test_views}
#endif /* TEST_MODEL */

/* ======================================================================== */
/*                                    main                                  */
/* ======================================================================== */

typedef struct { const char *name; void (*fn)(void); } test_group;

static const test_group groups[] = {
    {"vocabulary", test_vocab},
    {"rng, batches, split", test_batches},
    {"matmul", test_matmul},
    {"ops: forward and backward vs finite differences", test_ops},
#if TEST_MODEL
    MODEL_GROUPS
#endif
};

int main(int argc, char **argv)
{
    int i, ng = (int)(sizeof groups / sizeof groups[0]);
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) g_quick = 1;
        else if (argv[i][0] == '-') {
            printf("usage: %s [--quick] [GOLDEN_DIR]\n", argv[0]);
            return 2;
        } else {
            strncpy(g_golden_dir, argv[i], sizeof g_golden_dir - 1);
        }
    }
    {   /* the driver reads tests/golden and writes scratch files under tests/: say so, not 300 failures */
        FILE *probe = fopen(golden_path("init.bin"), "rb");
        if (!probe) {
            printf("cannot open %s: run the tests from the repository root (make test)\n",
                   golden_path("init.bin"));
            return 2;
        }
        fclose(probe);
    }
    g_work = falloc(tinygpt__matmul_work_size(1));
    for (i = 0; i < ng; i++) {
        int p0 = g_passed, f0 = g_failed;
        printf("[%d/%d] %s\n", i + 1, ng, groups[i].name);
        fflush(stdout);
        groups[i].fn();
        printf("[%d/%d] %s: %d passed, %d failed\n", i + 1, ng, groups[i].name, g_passed - p0, g_failed - f0);
        fflush(stdout);
    }
    free(g_work);
    printf("%d passed, %d failed\n", g_passed, g_failed);
    return g_failed == 0 ? 0 : 1;
}
