/* bench.c - the performance table of tinygpt.h (issue 4): `make bench`.

       ./bench/bench [--quick] [--no-torch] [--python PATH] [--torch-script PATH]

   Prints one table to stdout (progress goes to stderr):
     1. the library's matmul (1 thread) on every product of the seed model, next
        to a naive triple loop and, when built with -DTINYGPT_BENCH_OPENBLAS
        (the Makefile does that when -lopenblas links), OpenBLAS cblas_sgemm;
     2. a training step of the seed configuration with 1 and 2 threads, split
        into phases and into matmul / attention / the rest;
     3. the same step in PyTorch (bench/bench_torch.py, run with /usr/bin/python3
        when `import torch` works) and the ratio tinygpt / PyTorch, from
        rounds that time tinygpt's step right before PyTorch's (the load on
        a shared machine drifts within minutes; each round's ratio compares
        runs taken together, and the table gives the median round);
     4. sampling tokens/s with a full 128-token context, with and without the
        KV cache;
     5. peak resident memory of the training run next to the theory.
   Every figure is the median of several repetitions: the machines this runs
   on are shared and noisy, so read the ratios taken side by side in one run.

   --quick (or BENCH_QUICK=1 in the environment) runs a small, fast version
   that CI uses so the benchmark cannot rot; its numbers mean nothing. The exit
   status is nonzero when a matmul disagrees with the naive loop or a run fails.

   This file includes the implementation so it can call internals (the matmul,
   attention) directly; every such call is in the "library internals" section
   below, the one place to adapt when those internals change. */
#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif
#include "../examples/hugepages.h"  /* the example programs' allocator: big buffers on 2 MiB pages */
#define TINYGPT_IMPLEMENTATION
#include "tinygpt.h"
/* Objects the library fills start zeroed (or live): copies of these. */
static tinygpt_model zero_model;
static tinygpt_vocab zero_vocab;

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <math.h>

#if defined(__unix__) || defined(__APPLE__)
#include <unistd.h>
#include <sys/resource.h>
#define BENCH_POSIX 1
#endif

#ifdef TINYGPT_BENCH_OPENBLAS
#include <cblas.h>
void openblas_set_num_threads(int num_threads);  /* OpenBLAS's own; not in every cblas.h */
#endif

#ifndef TINYGPT_BENCH_FLAGS
#define TINYGPT_BENCH_FLAGS "(flags unknown: build with make bench)"
#endif

/* ---------------------------------------------------------------- settings */

/* The seed configuration of issue 4. */
enum { SEED_V = 65, SEED_T = 128, SEED_C = 256, SEED_L = 4, SEED_H = 4, SEED_B = 32 };
#define BENCH_MAX_ROUNDS 8  /* sections 2 and 3 run in rounds (bench_opts.rounds) */

typedef struct {
    int quick;
    int rows;          /* B*T rows of the matmul products */
    int naive_rows;    /* rows (M, or K for dW) the naive loop runs on */
    int mm_reps;       /* repetitions of each matmul figure, at least */
    double mm_seconds; /* ... and more, up to BENCH_MM_MAX_REPS, until each side has run this long */
    int B;             /* training batch */
    int train_warmup, train_steps;
    double gen_seconds;  /* sampling: each timed run lasts at least this long */
    int gen_reps;        /* timed runs per figure */
    int grow_to;         /* sampling from a 1-token prompt up to this context */
    int torch_B, torch_warmup, torch_steps;
    int rounds;          /* section 2: rounds of (FMA peak, step at 1 and 2 threads); section 3: of
                            (tinygpt step, PyTorch step) side by side */
    int run_torch;
    const char *python, *torch_script;
} bench_opts;

static void bench_opts_full(bench_opts *o)
{
    o->quick = 0;
    o->rows = SEED_B * SEED_T;
    o->naive_rows = 128;
    o->mm_reps = 5;
    o->mm_seconds = 0.25;
    o->B = SEED_B;
    o->train_warmup = 2;
    o->train_steps = 5;
    o->gen_seconds = 0.8;
    o->gen_reps = 5;
    o->grow_to = SEED_T;
    o->torch_B = SEED_B;
    o->torch_warmup = 2;
    o->torch_steps = 5;
    o->rounds = 5;
}

static void bench_opts_quick(bench_opts *o)
{
    o->quick = 1;
    o->rows = 256;
    o->naive_rows = 32;
    o->mm_reps = 1;
    o->mm_seconds = 0.0;
    o->B = 2;
    o->train_warmup = 1;
    o->train_steps = 1;
    o->gen_seconds = 0.0;
    o->gen_reps = 1;
    o->grow_to = 8;
    o->torch_B = 2;
    o->torch_warmup = 1;
    o->torch_steps = 1;
    o->rounds = 1;
}

/* ---------------------------------------------------------------- library internals
   Everything this file uses of tinygpt.h beyond its public API. */

/* The matmul: C[M,N] (+)= A[M,K] B[K,N], A and B strided views. */
static void bench_lib_matmul(float *c, const float *a, size_t ars, size_t acs, const float *b,
                             size_t brs, size_t bcs, int M, int N, int K, int accumulate,
                             float *work, int threads)
{
    tinygpt__view va, vb;
    va.p = a; va.rs = ars; va.cs = acs;
    vb.p = b; vb.rs = brs; vb.cs = bcs;
    tinygpt__matmul(c, va, vb, M, N, K, accumulate, work, threads);
}

static size_t bench_lib_matmul_work_floats(int threads) { return tinygpt__matmul_work_size(threads); }

/* One layer's attention forward (backward = 0) or backward on the buffers of
   a model that has just taken a training step on a B x T batch: layer 0's
   qkv and probabilities, the backward's scratch, the residual gradient as
   dout. The step is done with them, and no memory is added to the run's. */
static void bench_lib_model_attention(tinygpt_model *m, int B, int T, float p, uint64_t seed, int threads,
                                      int backward)
{
    struct tinygpt_acts *a = m->acts;
    int C = m->config.n_embd, H = m->config.n_head;
    if (backward)
        tinygpt__attention_backward(a->dqkv, a->attn_scratch, a->dresid, a->qkv, a->att, B, T, C, H, p, seed, threads);
    else
        tinygpt__attention_forward(a->atty, a->att, a->attn_scratch, a->qkv, B, T, C, H, p, seed, threads);
}

/* Bytes of activations and scratch the library allocates for a B x T training batch. */
static double bench_lib_acts_bytes(const tinygpt_config *cfg, int B, int T, int threads)
{
    struct tinygpt_acts a;
    memset(&a, 0, sizeof a);
    return 4.0 * (double)tinygpt__acts_layout(&a, NULL, cfg, (size_t)B * T,
                                              (size_t)B * cfg->n_head * tinygpt__att_row(T), T, threads);
}

/* ==== KV CACHE SPOT ====
   Turns generate's key/value cache on or off and returns 1; a library without
   a switch would return 0 here (its generate then counts as "without cache"
   and the "with cache" column reads n/a). */
/* Whether bench_generate_once uses the key/value cache (the library's
   internal tinygpt__generate takes it as an argument; only one model samples
   at a time here). */
static int g_use_kv_cache = 1;
static int g_slide = 1;  /* the sampler's slide in bench_generate_once */

static int bench_set_kv_cache(tinygpt_model *model, int on)
{
    (void)model;
    g_use_kv_cache = on;
    return 1;
}

/* ---------------------------------------------------------------- helpers */

static double bench_now(void)
{
#if defined(BENCH_POSIX) && defined(CLOCK_MONOTONIC)
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
#elif defined(_OPENMP)
    return omp_get_wtime();
#else
    return (double)clock() / CLOCKS_PER_SEC;  /* CPU time: wrong with threads */
#endif
}

static int bench_cmp_double(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return a < b ? -1 : a > b;
}

/* Median of x[0..n) (reorders x). */
static double bench_median(double *x, int n)
{
    if (n < 1) return 0.0;
    qsort(x, (size_t)n, sizeof *x, bench_cmp_double);
    return n % 2 ? x[n / 2] : 0.5 * (x[n / 2 - 1] + x[n / 2]);
}

static void *bench_alloc(size_t bytes)
{
    void *p = malloc(bytes ? bytes : 1);
    if (!p) {
        fprintf(stderr, "bench: out of memory (%lu bytes)\n", (unsigned long)bytes);
        exit(2);
    }
    return p;
}

static float *bench_random_floats(size_t n, tinygpt_rng *rng)
{
    float *p = (float *)bench_alloc(n * sizeof(float));
    size_t i;
    for (i = 0; i < n; i++) p[i] = 2.0f * tinygpt_rng_float(rng) - 1.0f;
    return p;
}

/* Peak resident memory of this process so far, MiB; < 0 where unknown. */
static double bench_peak_rss_mib(void)
{
#ifdef BENCH_POSIX
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) return -1.0;
#ifdef __APPLE__
    return (double)ru.ru_maxrss / (1024.0 * 1024.0);  /* bytes there */
#else
    return (double)ru.ru_maxrss / 1024.0;             /* KiB on Linux and the BSDs */
#endif
#else
    return -1.0;
#endif
}

static void bench_progress(const char *what)
{
    fprintf(stderr, "bench: %s\n", what);
    fflush(stderr);
}

static int bench_threads_available(void)
{
#ifdef _OPENMP
    return 1;
#else
    return 0;
#endif
}

/* ---------------------------------------------------------------- 1. matmul */

/* One product of the model: linear layer `in` -> `out`, `count` of it per step. */
typedef struct { const char *name; int in, out, count; } bench_linear;

enum { FORM_FWD, FORM_DX, FORM_DW, NFORMS };
static const char *const bench_form_names[NFORMS] = {"fwd", "dX", "dW"};

/* A matmul as the model issues it: sizes, views into X [rows,in], W [out,in],
   dY [rows,out], and the output. These mirror tinygpt__linear_forward and
   tinygpt__linear_backward. */
typedef struct {
    int M, N, K, accumulate;
    const float *a; size_t ars, acs;
    const float *b; size_t brs, bcs;
    float *c;
} bench_product;

typedef struct {
    float *x, *w, *dy, *y, *dx, *dw;  /* operands and outputs of one linear layer */
} bench_linear_bufs;

/* The product of `form` with `rows` rows (for dW the rows are K). */
static bench_product bench_make_product(const bench_linear *l, int form, int rows, const bench_linear_bufs *bu)
{
    bench_product p;
    size_t IC = (size_t)l->in, OC = (size_t)l->out;
    memset(&p, 0, sizeof p);
    if (form == FORM_FWD) {         /* Y[rows,OC] = X[rows,IC] W^T: B(k,j) = W[j,k] */
        p.M = rows; p.N = l->out; p.K = l->in; p.accumulate = 0;
        p.a = bu->x; p.ars = IC; p.acs = 1;
        p.b = bu->w; p.brs = 1;  p.bcs = IC;
        p.c = bu->y;
    } else if (form == FORM_DX) {   /* dX[rows,IC] = dY[rows,OC] W */
        p.M = rows; p.N = l->in; p.K = l->out; p.accumulate = 0;
        p.a = bu->dy; p.ars = OC; p.acs = 1;
        p.b = bu->w;  p.brs = IC; p.bcs = 1;
        p.c = bu->dx;
    } else {                        /* dW[OC,IC] += dY^T X: A(o,n) = dY[n,o] */
        p.M = l->out; p.N = l->in; p.K = rows; p.accumulate = 1;
        p.a = bu->dy; p.ars = 1;  p.acs = OC;
        p.b = bu->x;  p.brs = IC; p.bcs = 1;
        p.c = bu->dw;
    }
    return p;
}

static double bench_flops(const bench_product *p) { return 2.0 * p->M * (double)p->N * p->K; }

static void bench_run_lib(const bench_product *p, float *work, int threads)
{
    bench_lib_matmul(p->c, p->a, p->ars, p->acs, p->b, p->brs, p->bcs, p->M, p->N, p->K,
                     p->accumulate, work, threads);
}

/* The obviously correct triple loop over the same views. */
static void bench_run_naive(const bench_product *p, float *c)
{
    int i, j, k;
    for (i = 0; i < p->M; i++)
        for (j = 0; j < p->N; j++) {
            float s = 0.0f;
            for (k = 0; k < p->K; k++)
                s += p->a[(size_t)i * p->ars + (size_t)k * p->acs] * p->b[(size_t)k * p->brs + (size_t)j * p->bcs];
            c[(size_t)i * p->N + j] = p->accumulate ? c[(size_t)i * p->N + j] + s : s;
        }
}

#ifdef TINYGPT_BENCH_OPENBLAS
static void bench_run_blas(const bench_product *p)
{
    enum CBLAS_TRANSPOSE ta = p->acs == 1 ? CblasNoTrans : CblasTrans;
    enum CBLAS_TRANSPOSE tb = p->bcs == 1 ? CblasNoTrans : CblasTrans;
    int lda = (int)(p->acs == 1 ? p->ars : p->acs), ldb = (int)(p->bcs == 1 ? p->brs : p->bcs);
    cblas_sgemm(CblasRowMajor, ta, tb, p->M, p->N, p->K, 1.0f, p->a, lda, p->b, ldb,
                p->accumulate ? 1.0f : 0.0f, p->c, p->N);
}
#endif

typedef struct {
    double lib_s[5][NFORMS];                          /* median seconds, 1 thread */
    double lib_gflops[5][NFORMS], naive_gflops[5][NFORMS], blas_gflops[5][NFORMS];
    double err[5][NFORMS];                            /* max rel. difference lib vs naive */
    double lib2_s[5][NFORMS];                         /* median seconds, 2 threads */
    int have_lib2;
    int reps_min, reps_max;                           /* repetitions the figures took */
} bench_mm_result;

static void bench_linears(bench_linear out[5])
{
    const int C = SEED_C, V = SEED_V, L = SEED_L;
    bench_linear l[5] = {{"qkv", 0, 0, 0}, {"attn proj", 0, 0, 0}, {"mlp fc", 0, 0, 0},
                         {"mlp proj", 0, 0, 0}, {"lm head", 0, 0, 0}};
    l[0].in = C;     l[0].out = 3 * C; l[0].count = L;
    l[1].in = C;     l[1].out = C;     l[1].count = L;
    l[2].in = C;     l[2].out = 4 * C; l[2].count = L;
    l[3].in = 4 * C; l[3].out = C;     l[3].count = L;
    l[4].in = C;     l[4].out = V;     l[4].count = 1;
    memcpy(out, l, sizeof l);
}

/* Repetitions for a figure whose one run took `once` seconds: o->mm_reps, or
   more so that they last o->mm_seconds (the small products take a few ms, and
   five of those are at the mercy of one busy moment on a shared machine). */
#define BENCH_MM_MAX_REPS 64
static int bench_mm_reps(const bench_opts *o, double once)
{
    int reps = o->mm_reps;
    while (reps < BENCH_MM_MAX_REPS && reps * once < o->mm_seconds) reps++;
    return reps;
}

/* Times every product; threads2 > 1 also times the library with that many threads. */
static int bench_matmul(const bench_opts *o, int threads2, bench_mm_result *r)
{
    bench_linear lin[5];
    tinygpt_rng rng;
    int s, f, rep, failed = 0, tw = threads2 > 1 ? threads2 : 1;
    float *work = (float *)bench_alloc(bench_lib_matmul_work_floats(tw) * sizeof(float));
    int cap = o->mm_reps > BENCH_MM_MAX_REPS ? o->mm_reps : BENCH_MM_MAX_REPS;
    double *t_lib = (double *)bench_alloc((size_t)cap * sizeof(double));
    double *t_blas = (double *)bench_alloc((size_t)cap * sizeof(double));
    bench_linears(lin);
    tinygpt_rng_seed(&rng, 4);
    memset(r, 0, sizeof *r);
    r->reps_min = cap;
#ifdef TINYGPT_BENCH_OPENBLAS
    openblas_set_num_threads(1);
#endif
    for (s = 0; s < 5; s++) {
        bench_linear_bufs bu;
        size_t R = (size_t)o->rows, IC = (size_t)lin[s].in, OC = (size_t)lin[s].out;
        bu.x = bench_random_floats(R * IC, &rng);
        bu.w = bench_random_floats(OC * IC, &rng);
        bu.dy = bench_random_floats(R * OC, &rng);
        bu.y = (float *)bench_alloc(R * OC * sizeof(float));
        bu.dx = (float *)bench_alloc(R * IC * sizeof(float));
        bu.dw = (float *)bench_alloc(OC * IC * sizeof(float));
        memset(bu.dx, 0, R * IC * sizeof(float));
        memset(bu.dw, 0, OC * IC * sizeof(float));
        for (f = 0; f < NFORMS; f++) {
            bench_product p = bench_make_product(&lin[s], f, o->rows, &bu);
            bench_product q = bench_make_product(&lin[s], f, o->naive_rows < o->rows ? o->naive_rows : o->rows, &bu);
            size_t qn = (size_t)q.M * q.N, i;
            float *ref = (float *)bench_alloc(qn * sizeof(float)), *got = (float *)bench_alloc(qn * sizeof(float));
            double t0, maxd = 0.0, maxv = 0.0;
            int reps;
            char msg[96];
            sprintf(msg, "matmul %s %s (%dx%d @ %dx%d)", lin[s].name, bench_form_names[f], p.M, p.K, p.K, p.N);
            bench_progress(msg);
            /* naive loop on the reduced problem; the library on it too, as the check */
            memset(ref, 0, qn * sizeof(float));
            memset(got, 0, qn * sizeof(float));
            {
                int nreps = o->mm_reps < 3 ? o->mm_reps : 3;
                double *tn = (double *)bench_alloc((size_t)nreps * sizeof(double));
                for (rep = 0; rep < nreps; rep++) {
                    t0 = bench_now();
                    bench_run_naive(&q, ref);
                    tn[rep] = bench_now() - t0;
                }
                r->naive_gflops[s][f] = bench_flops(&q) / bench_median(tn, nreps) * 1e-9;
                free(tn);
            }
            memset(ref, 0, qn * sizeof(float));
            bench_run_naive(&q, ref);
            q.c = got;
            bench_run_lib(&q, work, 1);
            for (i = 0; i < qn; i++) {
                double d = fabs((double)got[i] - (double)ref[i]), v = fabs((double)ref[i]);
                if (d > maxd || d != d) maxd = d != d ? HUGE_VAL : d;
                if (v > maxv) maxv = v;
            }
            r->err[s][f] = maxv > 0.0 ? maxd / maxv : maxd;
            if (!(r->err[s][f] <= 1e-4)) failed = 1;
            free(ref);
            free(got);
            /* full size: one warm-up each (the library's, timed, sets the
               repetitions), then library and OpenBLAS side by side per repetition */
            t0 = bench_now();
            bench_run_lib(&p, work, 1);
            reps = bench_mm_reps(o, bench_now() - t0);
            if (reps < r->reps_min) r->reps_min = reps;
            if (reps > r->reps_max) r->reps_max = reps;
#ifdef TINYGPT_BENCH_OPENBLAS
            bench_run_blas(&p);
#endif
            for (rep = 0; rep < reps; rep++) {
                t0 = bench_now();
                bench_run_lib(&p, work, 1);
                t_lib[rep] = bench_now() - t0;
#ifdef TINYGPT_BENCH_OPENBLAS
                t0 = bench_now();
                bench_run_blas(&p);
                t_blas[rep] = bench_now() - t0;
#endif
            }
            r->lib_s[s][f] = bench_median(t_lib, reps);
            r->lib_gflops[s][f] = bench_flops(&p) / r->lib_s[s][f] * 1e-9;
#ifdef TINYGPT_BENCH_OPENBLAS
            r->blas_gflops[s][f] = bench_flops(&p) / bench_median(t_blas, reps) * 1e-9;
#endif
            if (threads2 > 1) {
                bench_run_lib(&p, work, threads2);
                for (rep = 0; rep < reps; rep++) {
                    t0 = bench_now();
                    bench_run_lib(&p, work, threads2);
                    t_lib[rep] = bench_now() - t0;
                }
                r->lib2_s[s][f] = bench_median(t_lib, reps);
            }
        }
        free(bu.x); free(bu.w); free(bu.dy); free(bu.y); free(bu.dx); free(bu.dw);
    }
    r->have_lib2 = threads2 > 1;
    free(work);
    free(t_lib);
    free(t_blas);
    return failed;
}

/* Seconds of matmul in one training step (rows = B*T of the step). */
static double bench_step_matmul_s(const bench_mm_result *r, int two_threads)
{
    bench_linear lin[5];
    double total = 0.0;
    int s, f;
    bench_linears(lin);
    for (s = 0; s < 5; s++)
        for (f = 0; f < NFORMS; f++) total += lin[s].count * (two_threads ? r->lib2_s[s][f] : r->lib_s[s][f]);
    return total;
}

/* ---------------------------------------------------------------- 2. training step */

typedef struct {
    double step_ms, zero_ms, fwd_ms, bwd_ms, opt_ms;  /* medians */
    double att_fwd_ms, att_bwd_ms;                    /* one layer's attention, standalone, between steps */
    float loss;
    int ok;
} bench_train_result;

static int bench_seed_model(tinygpt_model *model, int dropout_on)
{
    tinygpt_vocab vocab = zero_vocab;
    tinygpt_config cfg;
    tinygpt_train_config tc = tinygpt_train_config_default();
    tinygpt_error err;
    uint32_t cps[SEED_V];
    int i, rc;
    for (i = 0; i < SEED_V; i++) cps[i] = (uint32_t)(32 + i);  /* printable ASCII */
    if (tinygpt_vocab_from_codepoints(&vocab, cps, SEED_V, &err)) {
        fprintf(stderr, "bench: %s\n", err.message);
        return -1;
    }
    cfg.vocab_size = SEED_V; cfg.block_size = SEED_T; cfg.n_layer = SEED_L;
    cfg.n_head = SEED_H; cfg.n_embd = SEED_C;
    tc.dropout = dropout_on ? 0.1f : 0.0f;
    tc.batch_size = SEED_B;
    tc.warmup_steps = 10;  /* the lr does not change the cost of a step */
    rc = tinygpt_model_create(model, &cfg, &vocab, &tc, &err);
    tinygpt_vocab_free(&vocab);
    if (rc) fprintf(stderr, "bench: %s\n", err.message);
    return rc;
}

static void bench_random_tokens(int32_t *t, size_t n, tinygpt_rng *rng)
{
    size_t i;
    for (i = 0; i < n; i++) t[i] = (int32_t)tinygpt_rng_below(rng, SEED_V);
}

/* zero_grad, forward, backward and optimizer_step, each timed; a fresh model
   per call. After each step, one layer's attention forward and backward
   alone on the step's buffers: timed next to the steps, the attention share
   does not depend on the host's load drifting between sections. */
static int bench_train(const bench_opts *o, int threads, bench_train_result *r)
{
    tinygpt_model model = zero_model;
    tinygpt_error err;
    tinygpt_rng rng;
    size_t n = (size_t)o->B * SEED_T;
    int32_t *x = (int32_t *)bench_alloc(2 * n * sizeof(int32_t)), *y = x + n;
    int total = o->train_warmup + o->train_steps, i;
    double *ts = (double *)bench_alloc((size_t)7 * total * sizeof(double));
    double *tz = ts + total, *tf = tz + total, *tb = tf + total, *to = tb + total, *taf = to + total, *tab = taf + total;
    memset(r, 0, sizeof *r);
    if (bench_seed_model(&model, 1)) { free(x); free(ts); return -1; }
    model.threads = threads;
    tinygpt_rng_seed(&rng, 7);
    for (i = 0; i < total; i++) {
        double t0, t1, t2, t3, t4, t5, t6;
        char msg[64];
        sprintf(msg, "training step %d/%d, %d thread%s", i + 1, total, threads, threads > 1 ? "s" : "");
        bench_progress(msg);
        bench_random_tokens(x, 2 * n, &rng);
        t0 = bench_now();
        tinygpt_zero_grad(&model);
        t1 = bench_now();
        if (tinygpt_forward(&model, x, y, o->B, SEED_T, 1, &r->loss, &err)) break;
        t2 = bench_now();
        if (tinygpt_backward(&model, &err)) break;
        t3 = bench_now();
        if (tinygpt_optimizer_step(&model, NULL, &err)) break;
        t4 = bench_now();
        bench_lib_model_attention(&model, o->B, SEED_T, 0.1f, (uint64_t)i + 1, threads, 0);
        t5 = bench_now();
        bench_lib_model_attention(&model, o->B, SEED_T, 0.1f, (uint64_t)i + 1, threads, 1);
        t6 = bench_now();
        if (i >= o->train_warmup) {
            int k = i - o->train_warmup;
            ts[k] = t4 - t0; tz[k] = t1 - t0; tf[k] = t2 - t1; tb[k] = t3 - t2; to[k] = t4 - t3;
            taf[k] = t5 - t4; tab[k] = t6 - t5;
        }
    }
    if (i < total) {
        fprintf(stderr, "bench: training failed: %s\n", err.message);
    } else {
        r->step_ms = 1e3 * bench_median(ts, o->train_steps);
        r->zero_ms = 1e3 * bench_median(tz, o->train_steps);
        r->fwd_ms = 1e3 * bench_median(tf, o->train_steps);
        r->bwd_ms = 1e3 * bench_median(tb, o->train_steps);
        r->opt_ms = 1e3 * bench_median(to, o->train_steps);
        r->att_fwd_ms = 1e3 * bench_median(taf, o->train_steps);
        r->att_bwd_ms = 1e3 * bench_median(tab, o->train_steps);
        r->ok = 1;
    }
    tinygpt_model_free(&model);
    free(x);
    free(ts);
    return r->ok ? 0 : -1;
}

/* The rounds' medians of each figure at thread count index i (0: 1 thread). */
static void bench_train_median(bench_train_result *m, bench_train_result rounds[][2], int n, int i)
{
    double x[7][BENCH_MAX_ROUNDS];
    int r, k = 0;
    memset(m, 0, sizeof *m);
    for (r = 0; r < n; r++) {
        if (!rounds[r][i].ok) return;
        x[0][r] = rounds[r][i].step_ms; x[1][r] = rounds[r][i].zero_ms; x[2][r] = rounds[r][i].fwd_ms;
        x[3][r] = rounds[r][i].bwd_ms; x[4][r] = rounds[r][i].opt_ms; x[5][r] = rounds[r][i].att_fwd_ms;
        x[6][r] = rounds[r][i].att_bwd_ms;
    }
    m->step_ms = bench_median(x[k++], n); m->zero_ms = bench_median(x[k++], n); m->fwd_ms = bench_median(x[k++], n);
    m->bwd_ms = bench_median(x[k++], n); m->opt_ms = bench_median(x[k++], n);
    m->att_fwd_ms = bench_median(x[k++], n); m->att_bwd_ms = bench_median(x[k++], n);
    m->loss = rounds[n - 1][i].loss;
    m->ok = 1;
}

/* A step of `flops` in step_ms as a share of `threads` cores at peak GFLOP/s (0: no peak). */
static double bench_share(double flops, double step_ms, double peak, int threads)
{
    return peak > 0.0 && step_ms > 0.0 ? flops / (step_ms * 1e-3) * 1e-9 / (peak * threads) : 0.0;
}

/* The median over n rounds of each round's step share of its own peak (index i: i + 1 threads). */
static double bench_round_share(bench_train_result rounds[][2], const double *peak, int n, int i, double flops)
{
    double share[BENCH_MAX_ROUNDS];
    int r;
    for (r = 0; r < n; r++) share[r] = bench_share(flops, rounds[r][i].step_ms, peak[r], i + 1);
    return bench_median(share, n);
}

/* ---------------------------------------------------------------- 3. PyTorch */

typedef struct { double ms, rss_mib; int threads; char info[256]; int ok; } bench_torch_result;

/* Section 3's side-by-side rounds at one thread count. */
typedef struct { double mine_ms[BENCH_MAX_ROUNDS], torch_ms[BENCH_MAX_ROUNDS]; int n; } bench_pairs;

static int bench_torch_available(const char *python)
{
#ifdef BENCH_POSIX
    char cmd[600];
    if (strlen(python) > 500 || strchr(python, '\'')) return 0;
    sprintf(cmd, "'%s' -c 'import torch' >/dev/null 2>&1", python);
    return system(cmd) == 0;
#else
    (void)python;
    return 0;
#endif
}

/* Runs the script in its own process with `threads` threads; parses its RESULT line. */
static void bench_torch(const bench_opts *o, int threads, bench_torch_result *r)
{
    memset(r, 0, sizeof *r);
#ifdef BENCH_POSIX
    {
        char cmd[1400], line[1024];
        FILE *f;
        if (strlen(o->python) > 500 || strlen(o->torch_script) > 500 || strchr(o->python, '\'') ||
            strchr(o->torch_script, '\''))
            return;
        sprintf(cmd, "OMP_NUM_THREADS=%d OPENBLAS_NUM_THREADS=%d MKL_NUM_THREADS=%d%s '%s' '%s' "
                     "--threads %d --batch %d --warmup %d --steps %d",
                threads, threads, threads, threads > 1 ? " OMP_WAIT_POLICY=PASSIVE" : "",
                o->python, o->torch_script, threads, o->torch_B, o->torch_warmup, o->torch_steps);
        fflush(stdout);
        f = popen(cmd, "r");
        if (!f) return;
        while (fgets(line, sizeof line, f)) {
            const char *ms = strstr(line, "ms_per_step="), *rss = strstr(line, "peak_rss_mib=");
            const char *info = strstr(line, "info="), *nt = strstr(line, "torch_threads=");
            if (strncmp(line, "RESULT ", 7) != 0 || !ms) continue;
            r->ms = atof(ms + 12);
            if (rss) r->rss_mib = atof(rss + 13);
            if (nt) r->threads = atoi(nt + 14);
            if (info) {
                size_t k;
                strncpy(r->info, info + 5, sizeof r->info - 1);
                for (k = 0; r->info[k]; k++) if (r->info[k] == '\n') r->info[k] = 0;
            }
            r->ok = r->ms > 0.0;
        }
        if (pclose(f) != 0) r->ok = 0;
    }
#else
    (void)o;
    (void)threads;
#endif
}

/* ---------------------------------------------------------------- 4. sampling */

/* One timed tinygpt_generate of n_new tokens after `context`; < 0 on failure. */
static double bench_generate_once(tinygpt_model *model, const int32_t *context, int ctx, int n_new,
                                  uint64_t seed, int32_t *out)
{
    tinygpt_sampler sampler = tinygpt_sampler_default(seed);
    tinygpt_error err;
    size_t got = 0;
    double t0;
    sampler.temperature = 1.0f;
    sampler.top_k = 0;
    sampler.slide = g_slide;
    t0 = bench_now();
    if (tinygpt__generate(model, &sampler, context, (size_t)ctx, (size_t)n_new, out, &got, NULL, NULL,
                          g_use_kv_cache, &err) || got != (size_t)n_new) {
        fprintf(stderr, "bench: generate failed: %s\n", err.message);
        return -1.0;
    }
    return bench_now() - t0;
}

static volatile float bench_sink;  /* where the measuring loops' sums go, so that they stay */
/* The FP32 fused multiply-add peak of one core at the vector width this
   build uses: independent chains of vector FMAs (at least the FMA latency
   times the issue width of the cores seen, 4 x 2), timed for min_s, best of
   three. In GFLOP/s (an FMA counts as two FLOPs). 16 chains with AVX-512's
   32 vector registers; 12 where there are 16 (AVX2, SSE), since the chains
   and their two operands must all stay in registers: a chain kept on the
   stack waits on a store and a load every step, and the loop then measures
   about half the peak. */
#if defined(TINYGPT__VECTOR_EXT) && TINYGPT__VL >= 16
#define BENCH_PEAK_CHAINS 16
#else
#define BENCH_PEAK_CHAINS 12
#endif
#ifdef TINYGPT__VECTOR_EXT
TINYGPT__CONTRACT
static double bench_fma_peak_once(double min_s, float seed)
{
    tinygpt__vf acc[BENCH_PEAK_CHAINS], mul, add;
    double t0 = bench_now(), t = 0.0, flops = 0.0;
    float sink = 0.0f;
    int c, k, j;
    for (c = 0; c < BENCH_PEAK_CHAINS; c++)
        for (j = 0; j < TINYGPT__VL; j++) acc[c][j] = seed + (float)(c + j) * 1e-3f;
    for (j = 0; j < TINYGPT__VL; j++) { mul[j] = 0.999999f; add[j] = 1e-7f; }
    do {
        for (k = 0; k < 4096; k++)
            for (c = 0; c < BENCH_PEAK_CHAINS; c++) acc[c] = acc[c] * mul + add;
        flops += 4096.0 * BENCH_PEAK_CHAINS * TINYGPT__VL * 2.0;
        t = bench_now() - t0;
    } while (t < min_s);
    for (c = 0; c < BENCH_PEAK_CHAINS; c++)
        for (j = 0; j < TINYGPT__VL; j++) sink += acc[c][j];
    if (sink == 12345.0f) printf(" ");  /* keeps the chains live */
    return flops / t * 1e-9;
}
#endif

#ifdef TINYGPT__VECTOR_EXT
#define TINYGPT__VL_OR_1 TINYGPT__VL
#else
#define TINYGPT__VL_OR_1 1
#endif
static double bench_fma_peak(double min_s)
{
    double best = 0.0;
#ifdef TINYGPT__VECTOR_EXT
    int r;
    for (r = 0; r < 3; r++) {
        double g = bench_fma_peak_once(min_s, 1.0f + (float)r);
        if (g > best) best = g;
    }
#else
    (void)min_s;
#endif
    return best;
}

/* The memory rate cached sampling is measured against: each token streams
   every parameter once, so a plain sum over the parameters says what tokens/s
   this machine's memory allows at that moment. Passes of that sum over
   p[0..n) for at least min_s seconds, after one untimed pass: adds the bytes
   read to *bytes and the time to *seconds. */
static void bench_read_passes(const float *p, size_t n, double min_s, double *bytes, double *seconds)
{
    float lane[32] = {0}, sink = 0.0f;  /* 32 sums: not bound by the adds' latency (16 were, at 45 GB/s from L2) */
    double t0 = 0.0;
    int j, k;
    for (k = -1; k < 1 || bench_now() - t0 < min_s; k++) {  /* pass -1: the warm-up */
        size_t i = 0;
        if (k == 0) t0 = bench_now();
        for (; i + 32 <= n; i += 32)
            for (j = 0; j < 32; j++) lane[j] += p[i + j];
        for (; i < n; i++) sink += p[i];
    }
    *seconds += bench_now() - t0;
    for (j = 0; j < 32; j++) sink += lane[j];
    bench_sink = sink;  /* the sum is used, so the loop stays */
    *bytes += (double)n * sizeof(float) * k;
}

/* Bytes a cached token reads, on average over a call that starts from ctx
   tokens and adds n_new: every parameter but the embedding rows of other
   characters and other positions, and the cached keys and values of each
   layer (2C floats per position already in the window, itself included). */
static double bench_cached_token_bytes(const tinygpt_model *model, int ctx, int n_new, double *kv_bytes)
{
    const tinygpt_config *c = &model->config;
    double C = c->n_embd, params = (double)model->num_params - C * (c->vocab_size - 1) - C * (c->block_size - 1);
    double first = ctx + 1, last = ctx + n_new - 1;  /* the window of the first and of the last cached step */
    if (last > c->block_size) last = c->block_size;
    if (first > last) first = last;
    *kv_bytes = sizeof(float) * c->n_layer * 2.0 * C * 0.5 * (first + last);
    return sizeof(float) * params + *kv_bytes;
}

typedef struct {
    double tokens_per_s;
    double token_bytes, kv_bytes;  /* with the memory rate: bench_cached_token_bytes of the call */
    int n_new, calls;
    double read_rate;  /* with the memory rate: median bytes/s of bench_read_passes over the parameters */
    double share;      /* median over runs of tokens/s over what that run's memory rate allows */
} bench_gen_result;

/* Tokens/s of tinygpt_generate from `ctx` random context tokens, median of
   reps timed runs. n_new > 0: that many new tokens per call, and as many
   calls per run as make it last min_s. n_new == 0: one call per run, with
   the token count doubled until a call lasts min_s (so a cache's one-off
   prefill is amortised as a long generation would amortise it). With
   `memory_rate`, each call is followed by passes of a plain sum over the
   parameters lasting as long as the call, so that the share compares two
   rates taken in alternation tens of milliseconds apart: the shared L3
   cache's rate drifts between seconds by more than the gap measured. */
static bench_gen_result bench_generate(tinygpt_model *model, int ctx, int n_new, double min_s, int reps,
                                       int memory_rate)
{
    bench_gen_result r;
    tinygpt_rng data;
    int32_t *context = (int32_t *)bench_alloc((size_t)ctx * sizeof(int32_t)), *out = NULL;
    double *t = (double *)bench_alloc(3 * (size_t)reps * sizeof(double)), probe;
    double *rate = t + reps, *share = rate + reps;
    int rep, k, cap = 4096;
    r.tokens_per_s = -1.0;
    r.read_rate = r.share = r.token_bytes = r.kv_bytes = 0.0;
    r.calls = 1;
    r.n_new = 0;
    tinygpt_rng_seed(&data, 11);
    bench_random_tokens(context, (size_t)ctx, &data);
    out = (int32_t *)bench_alloc((size_t)cap * sizeof(int32_t));
    if (bench_generate_once(model, context, ctx, 1, 12, out) < 0.0) goto done;  /* warm-up */
    if (n_new > 0) {
        probe = bench_generate_once(model, context, ctx, n_new, 12, out);
        if (probe < 0.0) goto done;
        while (r.calls < 1000 && probe * r.calls < min_s) r.calls++;
    } else {
        for (n_new = 8;; n_new *= 2) {
            probe = bench_generate_once(model, context, ctx, n_new, 12, out);
            if (probe < 0.0) goto done;
            if (probe >= min_s || n_new * 2 > cap) break;
        }
    }
    r.n_new = n_new;
    for (rep = 0; rep < reps; rep++) {
        t[rep] = 0.0;
        double read_bytes = 0.0, read_s = 0.0;
        for (k = 0; k < r.calls; k++) {
            double dt = bench_generate_once(model, context, ctx, n_new, 13 + (uint64_t)rep, out);
            if (dt < 0.0) goto done;
            t[rep] += dt;
            if (memory_rate) bench_read_passes(model->params, model->num_params, dt, &read_bytes, &read_s);
        }
        if (memory_rate) {
            r.token_bytes = bench_cached_token_bytes(model, ctx, n_new, &r.kv_bytes);
            rate[rep] = read_bytes / read_s;
            share[rep] = (double)n_new * r.calls / t[rep] / (rate[rep] / r.token_bytes);
        }
    }
    r.tokens_per_s = (double)n_new * r.calls / bench_median(t, reps);
    if (memory_rate) {
        r.read_rate = bench_median(rate, reps);
        r.share = bench_median(share, reps);
    }
done:
    free(context);
    free(out);
    free(t);
    return r;
}

/* How many of n tokens sampled with and without the cache agree (same seed). */
static int bench_cache_agreement(tinygpt_model *model, int n)
{
    int32_t ctx = 0, *a = (int32_t *)bench_alloc(2 * (size_t)n * sizeof(int32_t)), *b = a + n;
    int i, same = 0;
    bench_set_kv_cache(model, 0);
    if (bench_generate_once(model, &ctx, 1, n, 21, a) >= 0.0) {
        bench_set_kv_cache(model, 1);
        if (bench_generate_once(model, &ctx, 1, n, 21, b) >= 0.0)
            for (i = 0; i < n && a[i] == b[i]; i++) same++;
    }
    free(a);
    return same;
}

/* ---------------------------------------------------------------- the table */

static void bench_print_num(double v, const char *fmt, int width)
{
    if (v > 0.0) printf(fmt, width, v); else printf("%*s", width, "n/a");
}

static double bench_mib(double bytes) { return bytes / (1024.0 * 1024.0); }

static void bench_load(char *out, size_t n)
{
    FILE *f = fopen("/proc/loadavg", "r");
    out[0] = 0;
    if (f) {
        if (fgets(out, (int)n, f)) {
            char *sp = strchr(out, ' ');
            if (sp) sp = strchr(sp + 1, ' ');
            if (sp) sp = strchr(sp + 1, ' ');
            if (sp) *sp = 0;
        }
        fclose(f);
    }
}

int main(int argc, char **argv)
{
    bench_opts o;
    bench_mm_result mm;
    bench_train_result tr[2], tr_round[BENCH_MAX_ROUNDS][2];
    double peak_round[BENCH_MAX_ROUNDS];
    bench_torch_result th[2];
    bench_pairs pairs[2];
    bench_linear lin[5];
    tinygpt_config cfg;
    double rss_start, rss_train = -1.0, peak_gflops, int8_bytes = 0.0;
    bench_gen_result gen_plain[2], gen_cached[2], gen_small_pages, gen_int8;
    bench_gen_result gen_full[2], gen_slide[2];  /* window full: exact, --slide 64; 1 and 2 threads */
    double flops_step, mm_flops, att_flops, step_flops = 0.0, step_lib_t = 0.0, step_blas_t = 0.0;
    char load_before[64], load_after[64], script[1024];
    const char *env_quick = getenv("BENCH_QUICK");
    int i, round, s, f, failed = 0, nthr = bench_threads_available() ? 2 : 1, have_cache = 0, torch_ok = 0, agree = 0;
    double param_bytes = 0.0;

    bench_opts_full(&o);
    if (env_quick && env_quick[0] && strcmp(env_quick, "0") != 0) bench_opts_quick(&o);
    o.run_torch = 1;
    o.python = "/usr/bin/python3";
    /* bench_torch.py lives beside this program */
    strcpy(script, "bench/bench_torch.py");
    if (strlen(argv[0]) < sizeof script - 20 && strrchr(argv[0], '/')) {
        strcpy(script, argv[0]);
        strcpy(strrchr(script, '/') + 1, "bench_torch.py");
    }
    o.torch_script = script;
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) bench_opts_quick(&o);
        else if (strcmp(argv[i], "--no-torch") == 0) o.run_torch = 0;
        else if (strcmp(argv[i], "--python") == 0 && i + 1 < argc) o.python = argv[++i];
        else if (strcmp(argv[i], "--torch-script") == 0 && i + 1 < argc) o.torch_script = argv[++i];
        else {
            fprintf(stderr, "usage: %s [--quick] [--no-torch] [--python PATH] [--torch-script PATH]\n", argv[0]);
            return 2;
        }
    }
    o.run_torch = o.run_torch && bench_torch_available(o.python);
#ifdef TINYGPT_BENCH_OPENBLAS
    openblas_set_num_threads(1);  /* before anything runs: its pool stays idle */
#endif
    bench_load(load_before, sizeof load_before);
    rss_start = bench_peak_rss_mib();
    peak_gflops = bench_fma_peak(o.mm_seconds > 0.2 ? 0.2 : o.mm_seconds);
    cfg.vocab_size = SEED_V; cfg.block_size = SEED_T; cfg.n_layer = SEED_L;
    cfg.n_head = SEED_H; cfg.n_embd = SEED_C;
    bench_linears(lin);

    /* 2 and 5 first: the peak RSS is read before anything else is allocated.
       Rounds of (FMA peak, 1 thread, 2 threads), so that each round's shares
       compare figures taken minutes apart at most, not the whole run apart. */
    memset(tr, 0, sizeof tr);
    memset(tr_round, 0, sizeof tr_round);
    for (round = 0; round < o.rounds; round++) {
        peak_round[round] = bench_fma_peak(o.mm_seconds > 0.1 ? 0.1 : o.mm_seconds);
        for (i = 0; i < nthr; i++)
            if (bench_train(&o, i + 1, &tr_round[round][i])) failed = 1;
    }
    for (i = 0; i < nthr; i++) bench_train_median(&tr[i], tr_round, o.rounds, i);
    rss_train = bench_peak_rss_mib();
    /* 1 */
    if (bench_matmul(&o, nthr, &mm)) failed = 1;
    /* 4 */
    memset(gen_plain, 0, sizeof gen_plain);
    memset(gen_cached, 0, sizeof gen_cached);
    memset(&gen_small_pages, 0, sizeof gen_small_pages);
    memset(&gen_int8, 0, sizeof gen_int8);
    memset(gen_full, 0, sizeof gen_full);
    memset(gen_slide, 0, sizeof gen_slide);
    {
        tinygpt_model model = zero_model, small_pages = zero_model;
        int have_small_pages;
        hugepages_enabled = 0;  /* a second model on ordinary pages, as plain malloc gives them */
        have_small_pages = bench_seed_model(&small_pages, 0) == 0;
        hugepages_enabled = 1;
        if (bench_seed_model(&model, 0) == 0) {
            model.threads = 1;
            for (i = 0; i < 2; i++) {
                int ctx = i == 0 ? SEED_T : 1, n_new = i == 0 ? 0 : o.grow_to - 1;
                if (o.quick && i == 0) n_new = 2;
                bench_progress(i == 0 ? "sampling, full context" : "sampling, growing context");
                bench_set_kv_cache(&model, 0);
                gen_plain[i] = bench_generate(&model, ctx, n_new, o.gen_seconds, o.gen_reps, 0);
                if (bench_set_kv_cache(&model, 1)) {
                    have_cache = 1;
                    gen_cached[i] = bench_generate(&model, ctx, n_new, o.gen_seconds, o.gen_reps, i == 1);
                }
                if (i == 1 && have_cache && have_small_pages) {  /* right after, so the two compare */
                    small_pages.threads = 1;
                    bench_set_kv_cache(&small_pages, 1);
                    gen_small_pages = bench_generate(&small_pages, ctx, n_new, o.gen_seconds, o.gen_reps, 0);
                }
                if (i == 1 && have_cache) {  /* the same model as int8 weights read in place (tinygpt_load_view) */
                    size_t n8 = tinygpt_int8_checkpoint_size(&model);
                    unsigned char *img = n8 ? (unsigned char *)malloc(n8) : NULL;
                    tinygpt_model v8 = zero_model;
                    tinygpt_error e8;
                    if (img && tinygpt_save_int8_memory(&model, img, n8, &e8) == 0 &&
                        tinygpt_load_view(&v8, img, n8, &e8) == 0) {
                        v8.threads = 1;
                        bench_set_kv_cache(&v8, 1);
                        gen_int8 = bench_generate(&v8, ctx, n_new, o.gen_seconds, o.gen_reps, 0);
                        int8_bytes = (double)n8;
                    }
                    tinygpt_model_free(&v8);
                    free(img);
                }
            }
            /* window full: the exact slide (a prefill per token) with 2 threads (1 thread is
               gen_cached[0]), and slide 64 over 2,000 tokens with 1 and 2 threads */
            for (i = 0; have_cache && i < 2; i++) {
                bench_set_kv_cache(&model, 1);
                model.threads = i + 1;
                if (i == 1) {
                    bench_progress("sampling, window full, 2 threads");
                    gen_full[1] = bench_generate(&model, SEED_T, o.quick ? 2 : 0, o.gen_seconds, o.gen_reps, 0);
                }
                bench_progress(i == 0 ? "sampling, slide 64, 1 thread" : "sampling, slide 64, 2 threads");
                g_slide = 64;
                gen_slide[i] = bench_generate(&model, SEED_T, o.quick ? 70 : 2000, o.gen_seconds, o.gen_reps, 0);
                g_slide = 1;
            }
            gen_full[0] = gen_cached[0];
            model.threads = 1;
            if (have_cache) agree = bench_cache_agreement(&model, o.grow_to - 1);
            param_bytes = (double)model.num_params * sizeof(float);
            tinygpt_model_free(&model);
        } else {
            failed = 1;
        }
        if (have_small_pages) tinygpt_model_free(&small_pages);
        else failed = 1;
    }
    /* 3: rounds of tinygpt's step right before PyTorch's, so that each ratio
       compares two runs minutes apart at most; the table gives the median */
    memset(th, 0, sizeof th);
    memset(pairs, 0, sizeof pairs);
    if (o.run_torch) {
        int round;
        for (round = 0; round < o.rounds; round++)
            for (i = 0; i < 2; i++) {
                bench_torch_result t;
                bench_train_result mine;
                char what[64];
                sprintf(what, "side by side, round %d of %d, %d thread%s", round + 1, o.rounds, i + 1, i ? "s" : "");
                bench_progress(what);
                memset(&mine, 0, sizeof mine);
                if (i < nthr && o.torch_B == o.B && bench_train(&o, i + 1, &mine)) failed = 1;
                bench_torch(&o, i + 1, &t);
                if (!t.ok) {
                    fprintf(stderr, "bench: the PyTorch run with %d thread(s) failed\n", i + 1);
                    continue;
                }
                th[i] = t;
                torch_ok = 1;
                pairs[i].torch_ms[pairs[i].n] = t.ms;
                pairs[i].mine_ms[pairs[i].n] = mine.ok ? mine.step_ms : 0.0;
                pairs[i].n++;
            }
    }
    bench_load(load_after, sizeof load_after);

    /* ------------------------------------------------------------ print */
    mm_flops = 6.0 * o.B * SEED_T * ((double)SEED_L * 12.0 * SEED_C * SEED_C + (double)SEED_C * SEED_V);
    att_flops = 12.0 * SEED_L * o.B * (double)SEED_C * (double)tinygpt__tri(SEED_T);
    flops_step = mm_flops + att_flops;
    printf("\n");
    printf("tinygpt bench%s: seed model V=%d T=%d C=%d L=%d H=%d, B=%d, dropout 0.1, AdamW\n",
           o.quick ? " --quick (CI smoke run: sizes shrunk, figures mean nothing)" : "",
           SEED_V, SEED_T, SEED_C, SEED_L, SEED_H, o.B);
#if defined(__clang__)
    printf("compiler: clang %d.%d.%d; ", __clang_major__, __clang_minor__, __clang_patchlevel__);
#elif defined(__GNUC__)
    printf("compiler: gcc %s; ", __VERSION__);
#else
    printf("compiler: unknown; ");
#endif
    printf("flags: %s; OpenMP %s; OpenBLAS %s\n", TINYGPT_BENCH_FLAGS, bench_threads_available() ? "on" : "off",
#ifdef TINYGPT_BENCH_OPENBLAS
           "linked (1 thread)"
#else
           "not found (column n/a)"
#endif
    );
    if (getenv("OMP_WAIT_POLICY"))
        printf("OMP_WAIT_POLICY=%s for tinygpt and PyTorch\n", getenv("OMP_WAIT_POLICY"));
    else
        printf("OMP_WAIT_POLICY unset for tinygpt (the OpenMP runtime's default); PASSIVE for PyTorch's 2 threads\n");
    printf("load average (1/5/15 min) before: %s, after: %s  (shared machine: compare ratios within this run)\n",
           load_before, load_after);
    printf("every figure: a median; matmul: of %d to %d repetitions (at least %d, and %.2f s per side),\n"
           "training: of %d steps after %d warm-up\n",
           mm.reps_min, mm.reps_max, o.mm_reps, o.mm_seconds, o.train_steps, o.train_warmup);

    if (peak_gflops > 0.0)
        printf("FP32 FMA peak of one core, measured (%d-float vectors, %d independent FMA chains): %.1f GFLOP/s\n"
               "(at the start; section 2 measures it again in each of its rounds)\n",
               TINYGPT__VL_OR_1, BENCH_PEAK_CHAINS, peak_gflops);
    else
        printf("FP32 FMA peak: not measured (built without vector types)\n");

    printf("\n1. matmul, 1 thread, GFLOP/s, M = B*T = %d rows (naive: see note)\n", o.rows);
    printf("   %-10s %-4s %5s %5s %5s %7s %9s %7s %9s %9s %9s\n", "product", "form", "M", "N", "K", "GFLOP",
           "tinygpt", "naive", "OpenBLAS", "lib/BLAS", "max err");
    for (s = 0; s < 5; s++)
        for (f = 0; f < NFORMS; f++) {
            bench_linear_bufs none;
            bench_product p;
            memset(&none, 0, sizeof none);
            p = bench_make_product(&lin[s], f, o.rows, &none);
            /* the whole step: each product as often as the model does it */
            step_flops += lin[s].count * bench_flops(&p);
            step_lib_t += lin[s].count * bench_flops(&p) / (mm.lib_gflops[s][f] * 1e9);
            if (mm.blas_gflops[s][f] > 0.0) step_blas_t += lin[s].count * bench_flops(&p) / (mm.blas_gflops[s][f] * 1e9);
            printf("   %-10s %-4s %5d %5d %5d %7.3f", lin[s].name, bench_form_names[f], p.M, p.N, p.K, bench_flops(&p) * 1e-9);
            bench_print_num(mm.lib_gflops[s][f], "%*.1f", 10);
            bench_print_num(mm.naive_gflops[s][f], "%*.2f", 8);
            bench_print_num(mm.blas_gflops[s][f], "%*.1f", 10);
            if (mm.blas_gflops[s][f] > 0.0) printf("%9.0f%%", 100.0 * mm.lib_gflops[s][f] / mm.blas_gflops[s][f]);
            else printf("%10s", "n/a");
            printf("%10.1e%s\n", mm.err[s][f], mm.err[s][f] <= 1e-4 ? "" : "  MISMATCH");
        }
    printf("   %-10s %-4s %17s %7.2f", "one step", "all", "(x L per layer)", step_flops * 1e-9);
    bench_print_num(step_flops / step_lib_t * 1e-9, "%*.1f", 10);
    printf("%8s", "");
    bench_print_num(step_blas_t > 0.0 ? step_flops / step_blas_t * 1e-9 : 0.0, "%*.1f", 10);
    if (step_blas_t > 0.0) printf("%9.0f%%\n", 100.0 * step_blas_t / step_lib_t); else printf("%10s\n", "n/a");
    printf("   naive = plain triple loop over the same strided views, run on %d of the %d rows (M, or K for dW)\n"
           "   and reported as its rate; max err = max |tinygpt - naive| / max |naive| on that reduced product.\n",
           o.naive_rows < o.rows ? o.naive_rows : o.rows, o.rows);

    printf("\n2. training step (zero_grad + forward + backward + AdamW), B=%d, T=%d: %.1f GFLOP/step "
           "(matmul %.1f, causal attention %.1f)\n", o.B, SEED_T, flops_step * 1e-9, mm_flops * 1e-9, att_flops * 1e-9);
    printf("   %-7s %9s %9s %7s %6s | %6s %6s %6s | %7s %6s %6s\n", "threads", "ms/step", "tokens/s", "GFLOP/s",
           "%peak", "fwd", "bwd", "optim", "matmul", "attn", "rest");
    for (i = 0; i < 2; i++) {
        double step = tr[i].step_ms, mmms, attms;
        if (i >= nthr || !tr[i].ok) {
            printf("   %-7d %9s   (%s)\n", i + 1, "n/a", i >= nthr ? "built without OpenMP" : "failed");
            continue;
        }
        mmms = 1e3 * bench_step_matmul_s(&mm, i == 1);
        attms = SEED_L * (tr[i].att_fwd_ms + tr[i].att_bwd_ms);
        printf("   %-7d %9.1f %9.0f %7.1f %5.0f%% | %5.1f%% %5.1f%% %5.1f%% | %6.1f%% %5.1f%% %5.1f%%\n", i + 1, step,
               o.B * SEED_T / (step * 1e-3), flops_step / (step * 1e-3) * 1e-9,
               100.0 * bench_round_share(tr_round, peak_round, o.rounds, i, flops_step),
               100.0 * tr[i].fwd_ms / step, 100.0 * tr[i].bwd_ms / step, 100.0 * (tr[i].opt_ms + tr[i].zero_ms) / step,
               100.0 * mmms / step, 100.0 * attms / step, 100.0 * (step - mmms - attms) / step);
    }
    printf("   %%peak = GFLOP/s over the measured FMA peak times the thread count (0: not measured), each round's\n"
           "   step over its own round's peak; ms/step and every share: medians over the %d round%s, each round\n"
           "   the peak, then a fresh model at 1 thread, then at 2 (%d warm-up + %d timed steps each):\n",
           o.rounds, o.rounds > 1 ? "s" : "", o.train_warmup, o.train_steps);
    for (round = 0; round < o.rounds; round++) {
        printf("     round %d: peak %.1f GFLOP/s", round + 1, peak_round[round]);
        for (i = 0; i < nthr; i++)
            if (tr_round[round][i].ok)
                printf("; %d thread%s %.1f ms (%.0f%%)", i + 1, i ? "s" : "", tr_round[round][i].step_ms,
                       100.0 * bench_share(flops_step, tr_round[round][i].step_ms, peak_round[round], i + 1));
        if (nthr > 1 && tr_round[round][0].ok && tr_round[round][1].ok)
            printf("; %.2fx", tr_round[round][0].step_ms / tr_round[round][1].step_ms);
        printf("\n");
    }
    printf("   optim = optimizer_step (clip + AdamW) + zero_grad. matmul and attn: the step's %d matmuls and %d\n"
           "   attention forward+backward calls, timed standalone on the same shapes and thread count (attention between\n"
           "   the timed steps, on their buffers); rest = step - both.\n",
           SEED_L * 12 + 3, SEED_L);
    if (nthr > 1 && tr[0].ok && tr[1].ok) {
        double speedup[BENCH_MAX_ROUNDS];
        for (round = 0; round < o.rounds; round++) speedup[round] = tr_round[round][0].step_ms / tr_round[round][1].step_ms;
        printf("   speed-up of 2 threads over 1: %.2fx (median of the rounds' ratios)\n", bench_median(speedup, o.rounds));
    }

    printf("\n3. PyTorch side by side (bench/bench_torch.py: same model and step, B=%d)\n", o.torch_B);
    if (!o.run_torch) {
        printf("   n/a: %s -c 'import torch' fails here (Debian: apt-get install python3-torch libopenblas0-pthread), or --no-torch\n", o.python);
    } else {
        printf("   %d round%s, each: tinygpt's step (fresh model, %d warm-up + %d timed) then PyTorch's (the same);\n"
               "   ms = median over rounds, ratio = median of the rounds' ratios\n",
               o.rounds, o.rounds > 1 ? "s" : "", o.train_warmup, o.train_steps);
        printf("   %-7s %12s %12s %16s   %s\n", "threads", "tinygpt ms", "PyTorch ms", "tinygpt/PyTorch",
               "ratio in each round (target <= 0.9)");
        for (i = 0; i < 2; i++) {
            double ratio[BENCH_MAX_ROUNDS], in_order[BENCH_MAX_ROUNDS], mine[BENCH_MAX_ROUNDS], theirs[BENCH_MAX_ROUNDS];
            int r, n = 0;
            for (r = 0; r < pairs[i].n; r++)
                if (pairs[i].mine_ms[r] > 0.0) {
                    mine[n] = pairs[i].mine_ms[r];
                    theirs[n] = pairs[i].torch_ms[r];
                    ratio[n] = in_order[n] = mine[n] / theirs[n];
                    n++;
                }
            printf("   %-7d", i + 1);
            bench_print_num(n ? bench_median(mine, n) : 0.0, "%*.1f", 13);
            bench_print_num(pairs[i].n ? bench_median(pairs[i].torch_ms, pairs[i].n) : 0.0, "%*.1f", 13);
            if (n) printf("%17.2f   ", bench_median(ratio, n)); else printf("%17s   ", "n/a");
            for (r = 0; r < n; r++) printf("%s%.2f", r ? " " : "", in_order[r]);
            printf("\n");
        }
        if (torch_ok)
            printf("   PyTorch: torch.get_num_threads() = %d and %d; %s\n", th[0].threads, th[1].threads,
                   th[0].ok ? th[0].info : th[1].info);
    }

    printf("\n4. sampling: tinygpt_generate, 1 thread, seed model (random init), temperature 1, tokens/s\n");
    printf("   %-40s %15s %15s %8s\n", "", "without cache", "with KV cache", "speedup");
    for (i = 0; i < 2; i++) {
        char what[80];
        if (i == 0) sprintf(what, "%d-token context, window full throughout", SEED_T);
        else sprintf(what, "1-token prompt, window grows to %d", o.grow_to);
        printf("   %-40s", what);
        bench_print_num(gen_plain[i].tokens_per_s, "%*.1f", 16);
        bench_print_num(gen_cached[i].tokens_per_s, "%*.1f", 16);
        if (gen_plain[i].tokens_per_s > 0.0 && gen_cached[i].tokens_per_s > 0.0)
            printf("%8.1fx\n", gen_cached[i].tokens_per_s / gen_plain[i].tokens_per_s);
        else printf("%9s\n", "n/a");
        if (gen_plain[i].tokens_per_s <= 0.0 || (have_cache && gen_cached[i].tokens_per_s <= 0.0)) failed = 1;
    }
    if (have_cache) {
        printf("   window full (positions are learned: every cached key changes per token), with the cache:\n");
        printf("     exact slide (the default): 1 thread ");
        bench_print_num(gen_full[0].tokens_per_s, "%*.1f", 1);
        printf(", 2 threads ");
        bench_print_num(gen_full[1].tokens_per_s, "%*.1f", 1);
        if (gen_full[0].tokens_per_s > 0.0 && gen_full[1].tokens_per_s > 0.0)
            printf(" (%.2fx)", gen_full[1].tokens_per_s / gen_full[0].tokens_per_s);
        printf("\n     --slide 64, %d new tokens: 1 thread ", gen_slide[0].n_new);
        bench_print_num(gen_slide[0].tokens_per_s, "%*.1f", 1);
        if (gen_slide[0].tokens_per_s > 0.0 && gen_cached[1].tokens_per_s > 0.0)
            printf(" (%.0f%% of the growing row's cached rate)", 100.0 * gen_slide[0].tokens_per_s / gen_cached[1].tokens_per_s);
        printf(", 2 threads ");
        bench_print_num(gen_slide[1].tokens_per_s, "%*.1f", 1);
        printf("\n");
    }
    printf("   new tokens per call: first row %d without, %d with the cache; second row %d\n",
           gen_plain[0].n_new, gen_cached[0].n_new, o.grow_to - 1);
    if (have_cache) {
        printf("   cached and uncached samples, same seed: %d of %d tokens identical%s\n", agree, o.grow_to - 1,
               agree == o.grow_to - 1 ? "" : "  (DIFFER: issue 4 wants them equal)");
    } else {
        printf("   with KV cache: n/a: this tinygpt.h has no cache switch (see KV CACHE SPOT in bench.c)\n");
    }
    if (gen_cached[1].read_rate > 0.0) {
        printf("   memory: a cached token of the growing row reads %.2f MiB: the %.1f MiB of parameters but the\n"
               "   embedding rows of other characters and positions, and the cached keys and values of the\n"
               "   positions before it (%.2f MiB on average). A plain one-pass sum over the parameters, run after\n"
               "   each call for as long as the call took, went at %.1f GB/s (median), %.0f tokens/s at that rate;\n"
               "   the cached growing row ran at %.0f%% of the rate of the sums alternating with it (median over\n"
               "   runs; a few streams at once can beat one pass when the shared L3 cache is busy)\n",
               bench_mib(gen_cached[1].token_bytes), bench_mib(param_bytes),
               bench_mib(gen_cached[1].kv_bytes),
               gen_cached[1].read_rate * 1e-9, gen_cached[1].read_rate / gen_cached[1].token_bytes,
               100.0 * gen_cached[1].share);
    }
    printf("   int8 weights (tinygpt_save_int8, read in place by tinygpt_load_view, %.1f MiB): ",
           int8_bytes / (1024.0 * 1024.0));
    bench_print_num(gen_int8.tokens_per_s, "%*.1f", 1);
    if (gen_int8.tokens_per_s > 0.0 && gen_cached[1].tokens_per_s > 0.0 && gen_cached[1].read_rate > 0.0)
        printf(" tokens/s, the growing row with the cache (float: %.1f, %.2fx); %.0f%% of the one-pass read rate\n",
               gen_cached[1].tokens_per_s, gen_int8.tokens_per_s / gen_cached[1].tokens_per_s,
               100.0 * gen_int8.tokens_per_s * int8_bytes / gen_cached[1].read_rate);
    else printf(" tokens/s\n");
    printf("   pages: the models' big buffers are on 2 MiB pages where Linux gives them (examples/hugepages.h,\n"
           "   the allocator of the example programs); a model on ordinary pages (plain malloc, the header\n"
           "   on its own), timed right after the growing row with the cache: ");
    bench_print_num(gen_small_pages.tokens_per_s, "%*.1f", 1);
    if (gen_small_pages.tokens_per_s > 0.0 && gen_cached[1].tokens_per_s > 0.0)
        printf(" tokens/s (2 MiB pages: %.2fx)\n", gen_cached[1].tokens_per_s / gen_small_pages.tokens_per_s);
    else printf("\n");
    printf("   target with the cache: >= 3000 tokens/s\n");
    printf("\n5. memory of seed-configuration training, B=%d (MiB)\n", o.B);
    {
        double P = (double)tinygpt_num_params(&cfg), BT = (double)o.B * SEED_T, C = SEED_C, L = SEED_L, V = SEED_V;
        double att = (double)o.B * SEED_H * (double)tinygpt__tri(SEED_T);
        /* saved for backward, nothing recomputed: per layer and row the LN1 input, its output and
           mean/rstd, qkv, attention output, the residual after attention, LN2 output and stats, the
           MLP's fc output and GELU output (16C + 4), plus the causal probabilities; then the final
           residual, LN and its stats, and the logits. */
        double saved = 4.0 * (L * (BT * (16.0 * C + 4.0) + att) + BT * (2.0 * C + 2.0 + V));
        /* recomputing both LN outputs and GELU from what is kept saves 6C per row and layer */
        double saved_rc = saved - 4.0 * L * BT * 6.0 * C;
        /* backward's gradients of activations, one layer at a time: the residual, the branch
           output, qkv, fc and the logits */
        double scratch = 4.0 * BT * (C + C + 3.0 * C + 4.0 * C + V);
        double lib_acts = bench_lib_acts_bytes(&cfg, o.B, SEED_T, nthr);
        double theory = 4.0 * 4.0 * P + saved + scratch;
        printf("   parameters                 %8.1f   (P = %.0f floats)\n", bench_mib(4.0 * P), P);
        printf("   gradients                  %8.1f\n", bench_mib(4.0 * P));
        printf("   AdamW m and v              %8.1f\n", bench_mib(8.0 * P));
        printf("   activations saved          %8.1f   theory, storing every op's output (%.1f if LN and GELU\n"
               "                                         outputs were recomputed)\n", bench_mib(saved), bench_mib(saved_rc));
        printf("   backward scratch           %8.1f   theory, one layer's activation gradients, reused\n", bench_mib(scratch));
        printf("   total, theory              %8.1f\n", bench_mib(theory));
        printf("   total, library allocates   %8.1f   (params, grads, m, v + activations/scratch %.1f from tinygpt__acts_layout)\n",
               bench_mib(16.0 * P + lib_acts), bench_mib(lib_acts));
        printf("   peak RSS, training run     ");
        bench_print_num(rss_train, "%*.1f", 8);
        printf("   ru_maxrss of this process after the runs of section 2 (a fresh model\n"
               "                                         for each thread count); ");
        bench_print_num(rss_start, "%*.1f", 1);
        printf(" before any model\n");
        if (o.run_torch && (th[0].rss_mib > 0.0 || th[1].rss_mib > 0.0))
            printf("   peak RSS, PyTorch step     %8.1f   (same B, its own process)\n",
                   th[0].rss_mib > th[1].rss_mib ? th[0].rss_mib : th[1].rss_mib);
        printf("   target: <= 400 MiB peak RSS\n");
    }
    printf("\n");
    if (failed) fprintf(stderr, "bench: FAILED (a matmul mismatch or a failed run; see above)\n");
    return failed;
}
