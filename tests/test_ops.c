/* test_ops.c - the ops: matmul against double, forward and backward against finite differences, 1 thread vs 2 */
#include "tinygpt_impl.h"  /* first: feature macros, expect.h, this file's own copy of tinygpt.h */

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

/* ======================================================================== */
/*                                  matmul                                  */
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

void test_matmul(void)
{
    trng r;
    int s;
    static const int shapes[][3] = {{1, 1, 1}, {7, 13, 5}, {65, 33, 17}, {4, 16, 1}, {5, 17, 3},
                                    {64, 1024, 256}, {3, 2, 257}, {63, 1025, 255}, {1, 40, 600}, {2, 9, 64},
                                    {203, 37, 45}};  /* more rows than a block of A (MC), edges in the last */
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
    /* Two threads give the bits one does: split by rows (M >= N) and by
       columns (M < N), B plain and a transpose (the 8 x 8 packing), with a
       bias; past TINYGPT__PAR_FMA's 2^24 multiply-adds, where threads are
       used. N = 1100: rows of B a page apart, then a partial sliver. */
    {
        static const int sh[3][4] = {{600, 200, 160, 0}, {127, 1100, 130, 1}, {130, 1030, 131, 0}};
        float *work2 = falloc(tinygpt__matmul_work_size(2));
        for (s = 0; s < 3; s++) {
            int M = sh[s][0], N = sh[s][1], K = sh[s][2], bt = sh[s][3], i, j;
            float *a1 = falloc((size_t)M * K), *b1 = falloc((size_t)K * N), *bias = falloc((size_t)N);
            float *c1 = falloc((size_t)M * N), *c2 = falloc((size_t)M * N), *cr = falloc((size_t)M * N);
            tinygpt__view a, b;
            double worst = 0.0;
            fill_normal(a1, (size_t)M * K, 1, 0, &r);
            fill_normal(b1, (size_t)K * N, 1, 0, &r);
            fill_normal(bias, (size_t)N, 1, 0, &r);
            a.p = a1; a.rs = (size_t)K; a.cs = 1;
            b.p = b1; b.rs = bt ? 1 : (size_t)N; b.cs = bt ? (size_t)K : 1;
            EXPECT((double)M * N * K >= (double)(1L << 24));
            tinygpt__matmul_bias(c1, a, b, bias, M, N, K, 0, work2, 1);
            tinygpt__matmul_bias(c2, a, b, bias, M, N, K, 0, work2, 2);
            EXPECTF(memcmp(c1, c2, (size_t)M * N * sizeof(float)) == 0, "matmul %dx%dx%d%s: 2 threads differ from 1", M, N, K,
                    bt ? " (B a transpose)" : "");
            tinygpt__matmul_reference(cr, a, b, M, N, K);
            for (i = 0; i < M; i++)
                for (j = 0; j < N; j++) {
                    double d = fabs((double)c1[(size_t)i * N + j] - (cr[(size_t)i * N + j] + bias[j]));
                    if (d > worst) worst = d;
                }
            EXPECTF(worst <= 1e-4, "matmul %dx%dx%d with bias: max |error| %g", M, N, K, worst);
            free(a1); free(b1); free(bias); free(c1); free(c2); free(cr);
        }
        free(work2);
    }
}

/* ======================================================================== */
/*                       ops: forward and backward vs FD                    */
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
    float *half = falloc(tinygpt__halves_size(OC, IC));
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
    tinygpt__linear_backward(dinp, dw, c.bias ? db : NULL, c.R, c.inp, c.w, N, IC, OC, half, g_work, 1);
    FD_CHECK("linear.dinp", c.inp, (size_t)N * IC, NULL, 0, dinp, linear_loss, &c, 1e-2f, 1e-3);
    FD_CHECK("linear.dw", c.w, (size_t)OC * IC, NULL, 0, dw, linear_loss, &c, 1e-2f, 1e-3);
    if (c.bias) FD_CHECK("linear.dbias", c.bias, (size_t)OC, NULL, 0, db, linear_loss, &c, 1e-2f, 1e-3);
    memcpy(dinp1, dinp, (size_t)N * IC * sizeof(float));
    memcpy(dw1, dw, (size_t)OC * IC * sizeof(float));
    memcpy(db1, db, (size_t)OC * sizeof(float));
    tinygpt__linear_backward(dinp, dw, c.bias ? db : NULL, c.R, c.inp, c.w, N, IC, OC, half, g_work, 1);
    /* dinp is written, not added to (the input feeds nothing else) */
    EXPECTF(memcmp(dinp1, dinp, (size_t)N * IC * sizeof(float)) == 0, "linear.dinp: a second call changed it");
    CHECK_ADDS("linear.dw", dw1, dw, (size_t)OC * IC);
    if (c.bias) CHECK_ADDS("linear.dbias", db1, db, (size_t)OC);
    free(dinp); free(dw); free(db); free(dinp1); free(dw1); free(db1); free(half);
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
    float *sums = falloc((size_t)TINYGPT__LN_CHUNKS * 2 * C);
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
    tinygpt__layernorm_backward(dinp, dw, db, sums, c.R, c.inp, c.w, c.mean, c.rstd, N, C, 1);
    FD_CHECK("layernorm.dinp", c.inp, (size_t)N * C, NULL, 0, dinp, ln_loss, &c, 1e-2f, 1e-2);
    FD_CHECK("layernorm.dw", c.w, (size_t)C, NULL, 0, dw, ln_loss, &c, 1e-2f, 1e-2);
    FD_CHECK("layernorm.db", c.b, (size_t)C, NULL, 0, db, ln_loss, &c, 1e-2f, 1e-2);
    memcpy(dinp1, dinp, (size_t)N * C * sizeof(float));
    memcpy(dw1, dw, (size_t)C * sizeof(float));
    memcpy(db1, db, (size_t)C * sizeof(float));
    ln_loss(&c);
    tinygpt__layernorm_backward(dinp, dw, db, sums, c.R, c.inp, c.w, c.mean, c.rstd, N, C, 1);
    CHECK_ADDS("layernorm.dinp", dinp1, dinp, (size_t)N * C);
    CHECK_ADDS("layernorm.dw", dw1, dw, (size_t)C);
    CHECK_ADDS("layernorm.db", db1, db, (size_t)C);
    free(dinp); free(dw); free(db); free(dinp1); free(dw1); free(db1); free(sums);
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
    float *dinp = falloc(n), *out = falloc(n);
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
    for (i = 0; i < n; i++) dinp[i] = 1e9f;  /* written, not added to */
    tinygpt__gelu_backward(out, dinp, c.inp, c.R, n, 1);
    FD_CHECK("gelu.dinp", c.inp, n, NULL, 0, dinp, gelu_loss, &c, 1e-2f, 1e-2);
    gelu_loss(&c);  /* the forward again: the check above left its last perturbed output */
    EXPECTF(memcmp(out, c.out, n * sizeof(float)) == 0, "gelu backward's recomputed output differs from the forward's");
    free(dinp); free(out); free(c.inp); free(c.out); free(c.R);
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
                double sc[128], mx = -1e300, sum = 0.0;  /* T <= 128 (test_op_attention checks) */
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
    size_t nqkv = (size_t)B * T * 3 * C, nout = (size_t)B * T * C, natt = (size_t)B * H * tinygpt__att_row(T), e;
    int ok = 1;
    size_t nscratch = tinygpt__attention_scratch_size(T, C / H, &ok);
    float *dqkv = falloc(nqkv), *dqkv1 = falloc(nqkv), *scratch = falloc(nscratch), *out0 = falloc(nout);
    double *ref = (double *)xmalloc(nout * sizeof(double)), *P = (double *)xmalloc((size_t)B * H * T * T * sizeof(double));
    double worst = 0.0, worst_att = 0.0;
    int b, h, t, s;
    char name[64];
    EXPECTF(T <= 128, "test_op_attention: T = %d is longer than its reference's buffer", T);
    if (T > 128) T = 128;
    c.B = B; c.T = T; c.C = C; c.H = H; c.p = p; c.seed = 777; c.scratch = scratch;
    c.qkv = falloc(nqkv); c.out = falloc(nout); c.att = falloc(natt); c.R = falloc(nout);
    fill_normal(c.qkv, nqkv, 1, 0, r);
    fill_normal(c.R, nout, 1, 0, r);
    printf("  attention B=%d T=%d C=%d H=%d p=%.1f\n", B, T, C, H, (double)p);
    att_loss(&c);
    attention_ref(ref, P, c.qkv, B, T, C, H);
    /* the stored probabilities are the softmax before dropout, row t = t+1 entries and then zeros
       up to tinygpt__att_pad(t + 1), rows one after another */
    for (b = 0; b < B; b++)
        for (h = 0; h < H; h++)
            for (t = 0; t < T; t++) {
                const float *row = c.att + ((size_t)b * H + h) * tinygpt__att_row(T) + tinygpt__att_row(t);
                if (tinygpt__att_row(t + 1) - tinygpt__att_row(t) != tinygpt__att_pad((size_t)t + 1)) worst_att = 1.0;
                for (s = 0; s <= t; s++) {
                    double e = fabs(row[s] - P[(((size_t)b * H + h) * T + t) * T + s]);
                    if (e > worst_att) worst_att = e;
                }
                for (; s < (int)tinygpt__att_pad((size_t)t + 1); s++)
                    if (row[s] != 0.0f) worst_att = 1.0;
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
    for (e = 0; e < nqkv; e++) dqkv[e] = 1e9f;  /* written, not added to */
    tinygpt__attention_backward(dqkv, scratch, c.R, c.qkv, c.att, B, T, C, H, p, c.seed, 1);
    sprintf(name, "attention(p=%.1f).dqkv", (double)p);
    FD_CHECK(name, c.qkv, nqkv, NULL, 0, dqkv, att_loss, &c, 1e-2f, 1e-2);
    memcpy(dqkv1, dqkv, nqkv * sizeof(float));
    att_loss(&c);
    tinygpt__attention_backward(dqkv, scratch, c.R, c.qkv, c.att, B, T, C, H, p, c.seed, 1);
    EXPECTF(memcmp(dqkv1, dqkv, nqkv * sizeof(float)) == 0, "attention(p=%.1f) backward adds to dqkv", (double)p);
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
    /* the gradient against softmax in double: a vocabulary longer than TINYGPT__CE_CHUNK (two chunks), and
       the large logits above */
    {
        enum { W = TINYGPT__CE_CHUNK + 44 };
        float *lw = falloc(2 * W), *dw = falloc(2 * W);
        int32_t tw[2] = {3, W - 1};
        int row, i, pass;
        double worst = 0.0;
        fill_normal(lw, 2 * W, 3, 0, r);
        for (pass = 0; pass < 2; pass++) {
            const float *lg = pass ? big : lw;
            const int32_t *tg = pass ? t2 : tw;
            int n = pass ? (int)V : (int)W;
            memset(dw, 0, 2 * W * sizeof(float));
            tinygpt__crossentropy_backward(dw, lg, tg, 2, n, 0.5f, 1);
            for (row = 0; row < 2; row++) {
                double mx = lg[row * n], sum = 0.0;
                for (i = 1; i < n; i++) if (lg[row * n + i] > mx) mx = lg[row * n + i];
                for (i = 0; i < n; i++) sum += exp((double)lg[row * n + i] - mx);
                for (i = 0; i < n; i++) {
                    double want = (exp((double)lg[row * n + i] - mx) / sum - (i == tg[row])) * 0.5;
                    double e = fabs(dw[row * n + i] - want);
                    if (!(e <= worst)) worst = e;
                }
            }
        }
        EXPECTF(worst <= 1e-7, "crossentropy backward against double: max abs error %.3g", worst);
        free(lw); free(dw);
    }
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
    float *x = falloc(n + 3), *y = falloc(n + 3), *g = falloc(n + 3), *y1 = falloc(n + 3),
          *ones = falloc(n + 3);
    double worst_g = 0.0, worst_d = 0.0, wx_g = 0.0, wx_d = 0.0;
    for (i = 0; i < sweep; i++) x[i] = (float)(-10.0 + 20.0 * (double)i / (double)(sweep - 1));
    for (i = 0; i < ne; i++) x[sweep + i] = edges[i];
    x[n] = INFINITY; x[n + 1] = -INFINITY; x[n + 2] = NAN;
    for (i = 0; i < n + 3; i++) ones[i] = 1.0f;
    printf("  gelu accuracy: %lu points in [-10, 10], %lu edge values, inf, NaN\n", (unsigned long)sweep,
           (unsigned long)ne);
    tinygpt__gelu_backward(y, g, x, ones, n + 3, 1);  /* g = GELU' * 1 */
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
    /* the forward and the backward's recomputed output agree bit for bit */
    tinygpt__gelu_forward(y1, x, n + 3, 1);
    for (i = 0; i < n + 3; i++)
        if (memcmp(&y1[i], &y[i], sizeof(float)) != 0) bad++;
    EXPECTF(bad == 0, "%lu values: gelu_forward differs from gelu_backward's output", (unsigned long)bad);
    free(x); free(y); free(g); free(y1); free(ones);
}

/* ---------------------------------------------------------------- ops: 1 thread against 2 */

static int same_floats(const float *a, const float *b, size_t n) { return memcmp(a, b, n * sizeof(float)) == 0; }

/* The element-wise, per-row and column-sum ops split their work over
   threads without splitting a sum (sums over everything go in fixed runs), so
   two threads give the bytes one does (sizes past TINYGPT__PAR_MIN, where the
   threads are used). */
static void test_ops_threads(trng *r)
{
    enum { N = 1400, C = 200, OC = 600, IC = 24, B = 24, T = 60, V = 65 };
    size_t n = (size_t)N * C, big = (size_t)N * OC, k;
    float *x = falloc(big), *y = falloc(big), *wz = falloc(OC * IC), *dwz = falloc(OC * IC), *dxz = falloc(N * IC);
    float *bias = falloc(OC), *lw = falloc(C), *lb = falloc(C);
    float *o1 = falloc(big), *o2 = falloc(big), *g1 = falloc(big), *g2 = falloc(big), *s1 = falloc(OC), *s2 = falloc(OC);
    float *t1 = falloc(OC), *t2 = falloc(OC), *m1 = falloc(N), *m2 = falloc(N), *r1 = falloc(N), *r2 = falloc(N);
    float *half = falloc(tinygpt__halves_size(OC, IC));
    float *work2 = falloc(tinygpt__matmul_work_size(2)), *lsums = falloc((size_t)TINYGPT__LN_CHUNKS * 2 * C);
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
    EXPECT((double)N * IC * OC >= (double)(1L << 24));  /* the linear's product threaded too */
    EXPECT(N >= TINYGPT__HALVES_MIN_K);                  /* its weight gradient in two halves */
    /* linear, zero weights: the output is the bias in every row; the bias gradient (column sums) */
    for (th = 1; th <= 2; th++) {
        float *out = th == 1 ? o1 : o2, *db = th == 1 ? s1 : s2;
        tinygpt__linear_forward(out, x, wz, bias, N, IC, OC, work2, th);
        memcpy(db, bias, OC * sizeof(float));
        tinygpt__linear_backward(dxz, dwz, db, y, x, wz, N, IC, OC, half, work2, th);
    }
    for (k = 0; k < (size_t)N; k++) EXPECT(same_floats(o2 + k * OC, bias, OC));
    EXPECT(same_floats(o1, o2, big) && same_floats(s1, s2, OC));
    /* the bias gradient is dout's column sums, each adding its rows in order in two halves
       (N >= TINYGPT__HALVES_MIN_K), the second half's sum added last, at 1 and 2 threads;
       also when the weight gradient's threads split its columns (OC < IC) */
    {
        int swap;
        for (swap = 0; swap <= 1; swap++) {
            int oc = swap ? IC : OC, ic = swap ? OC : IC;
            for (k = 0; k < (size_t)oc; k++) {
                size_t q;
                float e = bias[k], e2 = 0.0f;
                for (q = 0; q < (size_t)N / 2; q++) e += y[q * oc + k];
                for (; q < (size_t)N; q++) e2 += y[q * oc + k];
                t1[k] = e + e2;
            }
            for (th = 1; th <= 2; th++) {
                memcpy(s1, bias, oc * sizeof(float));
                tinygpt__linear_backward(g1, dwz, s1, y, x, wz, N, ic, oc, half, work2, th);
                EXPECTF(same_floats(s1, t1, oc), "bias gradient, OC = %d, IC = %d, %d thread(s)", oc, ic, th);
            }
        }
    }
    /* layernorm forward and backward (C = 200: a part that is not whole cache lines) */
    for (th = 1; th <= 2; th++) {
        float *out = th == 1 ? o1 : o2, *dx = th == 1 ? g1 : g2, *dw = th == 1 ? s1 : s2, *db = th == 1 ? t1 : t2;
        float *mean = th == 1 ? m1 : m2, *rstd = th == 1 ? r1 : r2;
        memset(dx, 0, n * sizeof(float));
        memcpy(dw, lw, C * sizeof(float));
        memcpy(db, lb, C * sizeof(float));
        tinygpt__layernorm_forward(out, mean, rstd, x, lw, lb, N, C, th);
        for (k = 0; k < (size_t)TINYGPT__LN_CHUNKS * 2 * C; k++) lsums[k] = th == 1 ? 0.0f : 1e9f;  /* scratch, not input */
        tinygpt__layernorm_backward(dx, dw, db, lsums, y, x, lw, mean, rstd, N, C, th);
    }
    EXPECT(same_floats(o1, o2, n) && same_floats(m1, m2, N) && same_floats(r1, r2, N));
    EXPECT(same_floats(g1, g2, n) && same_floats(s1, s2, C) && same_floats(t1, t2, C));
    /* GELU, dropout, the residual, the element-wise product, zeroing */
    for (th = 1; th <= 2; th++) {
        float *out = th == 1 ? o1 : o2, *grad = th == 1 ? g1 : g2;
        tinygpt__gelu_backward(out, grad, x, y, n, th);
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
    memcpy(g2, y, (size_t)(7 + T) * C * sizeof(float));  /* 3 threads: two share dwte's columns */
    tinygpt__embedding_backward(g2, g2 + 7 * C, x, tok, B, T, C, 3);
    EXPECT(same_floats(g1, g2, (size_t)(7 + T) * C));
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
    free(lsums); free(half);
    free(s1); free(s2); free(t1); free(t2); free(m1); free(m2); free(r1); free(r2); free(work2); free(tok); free(tgt);
}

/* The sampling prefill's linear with its weights packed once
   (tinygpt__pack_weight) gives the bits of tinygpt__linear_forward, at 1 and
   2 threads: fewer rows than a tile, one and several passes over IC, and more
   than one column block (OC past TINYGPT__NC). */
static void test_op_linear_packed(trng *r)
{
    int shapes[5][3] = {{5, 24, 40}, {127, 256, 768}, {127, 1100, 70}, {7, 600, TINYGPT__NC + 40}, {13, 9, 3}};
    float *work = falloc(tinygpt__matmul_work_size(2));
    int k, th;
    printf("  linear with packed weights\n");
    for (k = 0; k < 5; k++) {
        int N = shapes[k][0], IC = shapes[k][1], OC = shapes[k][2];
        float *x = falloc((size_t)N * IC), *w = falloc((size_t)OC * IC), *b = falloc((size_t)OC);
        float *wp = falloc(tinygpt__packed_weight_size(OC, IC)), *o1 = falloc((size_t)N * OC), *o2 = falloc((size_t)N * OC);
        fill_normal(x, (size_t)N * IC, 1, 0, r);
        fill_normal(w, (size_t)OC * IC, 0.3f, 0, r);
        fill_normal(b, (size_t)OC, 1, 0, r);
        tinygpt__pack_weight(wp, w, OC, IC);
        for (th = 1; th <= 2; th++) {
            tinygpt__linear_forward(o1, x, w, b, N, IC, OC, work, th);
            tinygpt__linear_forward_packed(o2, x, w, wp, b, N, IC, OC, work, th);
            EXPECTF(memcmp(o1, o2, (size_t)N * OC * sizeof(float)) == 0,
                    "packed linear N=%d IC=%d OC=%d, %d thread(s): not the unpacked bits", N, IC, OC, th);
        }
        free(x); free(w); free(b); free(wp); free(o1); free(o2);
    }
    free(work);
}

/* tinygpt__matmul_halves (the weight gradients of a large batch): C += A B
   and A's row sums against double; the same bits at 1, 2 and 3 threads
   whatever the scratch held; shapes split by C's rows and by its columns. */
static void test_op_matmul_halves(trng *r)
{
    static const int shapes[][3] = {{40, 24, 1100}, {24, 70, 1100}, {TINYGPT_MR, 5, TINYGPT__HALVES_MIN_K}};
    int s, th;
    printf("  matmul in two halves of K\n");
    for (s = 0; s < 3; s++) {
        int M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
        size_t MN = (size_t)M * N, i, j, k;
        float *a = falloc((size_t)K * M), *b = falloc((size_t)K * N), *c0 = falloc(MN), *sums0 = falloc((size_t)M);
        float *c1 = falloc(MN), *s1 = falloc((size_t)M), *c = falloc(MN), *sums = falloc((size_t)M);
        float *half = falloc(tinygpt__halves_size(M, N)), *work = falloc(tinygpt__matmul_work_size(3));
        double worst = 0.0, worst_sum = 0.0;
        tinygpt__view av, bv;
        av.p = a; av.rs = 1; av.cs = (size_t)M;  /* A = a^T, as a weight gradient's dout^T */
        bv.p = b; bv.rs = (size_t)N; bv.cs = 1;
        fill_normal(a, (size_t)K * M, 1, 0, r);
        fill_normal(b, (size_t)K * N, 1, 0, r);
        fill_normal(c0, MN, 1, 0, r);
        fill_normal(sums0, (size_t)M, 1, 0, r);
        for (th = 1; th <= 3; th++) {
            float *cc = th == 1 ? c1 : c, *ss = th == 1 ? s1 : sums;
            for (i = 0; i < tinygpt__halves_size(M, N); i++) half[i] = th == 2 ? 1e9f : -3.0f;  /* scratch only */
            memcpy(cc, c0, MN * sizeof(float));
            memcpy(ss, sums0, (size_t)M * sizeof(float));
            tinygpt__matmul_halves(cc, av, bv, ss, M, N, K, half, work, th);
            if (th > 1)
                EXPECTF(same_floats(c, c1, MN) && same_floats(sums, s1, (size_t)M),
                        "halves %dx%dx%d: %d threads differ from 1", M, N, K, th);
        }
        for (i = 0; i < (size_t)M; i++) {
            double rs = sums0[i], mag = fabs(sums0[i]);
            for (k = 0; k < (size_t)K; k++) { rs += a[k * M + i]; mag += fabs(a[k * M + i]); }
            if (fabs(rs - s1[i]) / (mag + 1e-6) > worst_sum) worst_sum = fabs(rs - s1[i]) / (mag + 1e-6);
            for (j = 0; j < (size_t)N; j++) {
                double want = c0[i * N + j], m = fabs(c0[i * N + j]);
                for (k = 0; k < (size_t)K; k++) {
                    want += (double)a[k * M + i] * b[k * N + j];
                    m += fabs((double)a[k * M + i] * b[k * N + j]);
                }
                if (!(fabs(want - c1[i * N + j]) / (m + 1e-6) <= worst)) worst = fabs(want - c1[i * N + j]) / (m + 1e-6);
            }
        }
        EXPECTF(worst <= 2e-6 && worst_sum <= 2e-6, "halves %dx%dx%d: max rel error %.3g, row sums %.3g", M, N, K,
                worst, worst_sum);
        free(a); free(b); free(c0); free(sums0); free(c1); free(s1); free(c); free(sums); free(half); free(work);
    }
}

void test_ops(void)
{
    trng r;
    trng_seed(&r, 2);
    test_op_linear(5, 7, 6, 1, &r);
    test_op_linear(9, 20, 33, 1, &r);
    test_op_linear(3, 4, 5, 0, &r);
    test_op_linear(TINYGPT__HALVES_MIN_K + 6, 3, 8, 1, &r);  /* the weight gradient in two halves */
    test_op_matmul_halves(&r);
    test_op_linear_packed(&r);
    test_op_layernorm(4, 10, &r);
    test_op_layernorm(100, 20, &r);  /* more rows than TINYGPT__LN_CHUNKS, not a multiple */
    test_op_gelu(&r);
    test_op_gelu_accuracy();
    test_op_dropout(&r);
    test_op_embedding(&r);
    test_op_attention(2, 5, 8, 2, 0.0f, &r);
    test_op_attention(2, 5, 8, 2, 0.3f, &r);
    test_op_attention(1, 7, 12, 3, 0.0f, &r);
    test_op_attention(1, 1, 4, 1, 0.0f, &r);
    /* longer than TINYGPT__ATT_ROWS: several row blocks, the last one short */
    test_op_attention(1, 2 * TINYGPT__ATT_ROWS + 6, 16, 2, 0.0f, &r);
    test_op_attention(2, TINYGPT__ATT_ROWS + 9, 8, 2, 0.3f, &r);
    /* heads of whole register tiles, as the seed model's (head size 64) */
    test_op_attention(1, TINYGPT__ATT_ROWS + 9, 2 * TINYGPT_NR, 1, 0.3f, &r);
    test_op_attention(1, 2 * TINYGPT__ATT_ROWS + 6, TINYGPT_NR, 1, 0.0f, &r);
    test_op_crossentropy(&r);
    test_ops_threads(&r);
}
