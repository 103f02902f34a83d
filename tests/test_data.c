/* test_data.c - training data: get_batch's windows, the train/validation split, the library's rng */
#include "tinygpt_impl.h"  /* first: feature macros, expect.h, this file's own copy of tinygpt.h */

/* ======================================================================== */
/*                             rng, batches, split                          */
/* ======================================================================== */

void test_batches(void)
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
