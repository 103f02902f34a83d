/* test_sampling.c - sampling: greedy, temperature, top_k, top_p, the callback, the key/value cache */
#include "tinygpt_impl.h"  /* first: feature macros, expect.h, this file's own copy of tinygpt.h */

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
        tinygpt_free(kc.k);
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

/* slide = N: greedy tokens from a window that, once full, drops its oldest N
   tokens at once. Each token must be the argmax of a forward over the window
   the rule gives (simulated here: the window's length, not the library's
   code); with the cache and without it alike; N out of range is an error. */
static void test_slide(trng *r)
{
    tinygpt_model m = zero_model;
    tinygpt_train_config tc = tc_plain();
    tinygpt_error err;
    int32_t seq[160], out[120], plain[120];
    int T = 10, V, slides[5] = {0, 1, 3, 9, 10}, k, ctx = 4, nnew = 100;
    if (make_model(&m, "slide the window along: abcdefghij", T, 2, 2, 16, &tc)) return;
    V = m.config.vocab_size;
    randomize_params(&m, 0.5f, r);
    random_tokens(seq, (size_t)ctx, V, r);
    for (k = 0; k < 5; k++) {
        tinygpt_sampler s = tinygpt_sampler_default(5), s2 = tinygpt_sampler_default(5);
        size_t got = 0, got2 = 0, n = (size_t)ctx;
        int j, bad = -1, N = slides[k] < 1 ? 1 : slides[k];
        s.temperature = s2.temperature = 0.0f;
        s.slide = s2.slide = slides[k];
        EXPECT_OK(tinygpt_generate(&m, &s, seq, (size_t)ctx, (size_t)nnew, out, &got, NULL, NULL, &err), err);
        EXPECT_OK(tinygpt__generate(&m, &s2, seq, (size_t)ctx, (size_t)nnew, plain, &got2, NULL, NULL, 0, &err), err);
        EXPECTF(got == (size_t)nnew && got2 == got && memcmp(out, plain, got * sizeof out[0]) == 0,
                "slide %d: samples with and without the cache differ", slides[k]);
        for (j = 0; j < nnew; j++) seq[ctx + j] = out[j];
        for (j = 0; j < nnew && bad < 0; j++) {  /* token j follows the n tokens before it */
            size_t p = (size_t)(ctx + j);
            const float *lg;
            int i, best = 0;
            EXPECT_OK(tinygpt_forward(&m, seq + p - n, NULL, 1, (int)n, 0, NULL, &err), err);
            lg = tinygpt_logits(&m) + (n - 1) * (size_t)V;
            for (i = 1; i < V; i++) if (lg[i] > lg[best]) best = i;
            if (best != out[j]) bad = j;
            n = n == (size_t)T ? (size_t)(T - N) + 1 : n + 1;
        }
        EXPECTF(bad < 0, "slide %d: token %d is not the argmax over its window", slides[k], bad);
    }
    {
        tinygpt_sampler s = tinygpt_sampler_default(5);
        s.slide = T + 1;
        EXPECT_FAIL(tinygpt_generate(&m, &s, seq, 1, 5, out, NULL, NULL, NULL, &err));
        EXPECT_MENTIONS(err, "slide");
        s.slide = -1;
        EXPECT_FAIL(tinygpt_generate(&m, &s, seq, 1, 5, out, NULL, NULL, NULL, &err));
        EXPECT_MENTIONS(err, "slide");
    }
    tinygpt_model_free(&m);
}

/* The sampling prefill with threads (tinygpt__prefill_layers: each thread
   its own rows through every layer) gives one thread's bits: every layer's
   qkv and the last layer's input, for windows of whole and partial blocks of
   attention's rows; and the exact slide samples the same tokens. */
static void test_prefill_threads(trng *r)
{
#ifdef _OPENMP
    tinygpt_model m = zero_model;
    tinygpt_train_config tc = tc_plain();
    tinygpt_error err;
    int32_t seq[100], out[2][40];
    int lengths[3] = {64, 75, 100}, T = 100, L = 3, C = 24, V, k, th, l, ok = 1;
    float *packed, *ref[4];
    size_t rows3 = (size_t)T * 3 * C;
    if (make_model(&m, "every thread its own rows: 0123456789 abcdefghij", T, L, 2, C, &tc)) return;
    V = m.config.vocab_size;
    randomize_params(&m, 0.4f, r);
    random_tokens(seq, (size_t)T, V, r);
    packed = falloc(tinygpt__mul((size_t)L, tinygpt__packed_layer_offset(C, 4), &ok));
    tinygpt__pack_layers(packed, &m);
    for (l = 0; l <= L; l++) ref[l] = falloc(rows3);
    for (k = 0; k < 3; k++) {
        int n = lengths[k], differ = 0;
        for (th = 1; th <= 3; th++) {
            m.threads = th;
            EXPECT_OK(tinygpt__forward(&m, seq, NULL, 1, n, TINYGPT__FWD_PREFILL, packed, NULL, &err), err);
            for (l = 0; l <= L; l++) {  /* l < L: layer l's qkv; l = L: the last layer's input */
                tinygpt__layer_acts la = tinygpt__layer_acts_at(m.acts, &m.config, l < L ? l : L - 1);
                const float *got = l < L ? la.qkv : la.resid_in;
                size_t bytes = (size_t)n * (l < L ? 3 * C : C) * sizeof(float);
                if (th == 1) memcpy(ref[l], got, bytes);
                else if (memcmp(ref[l], got, bytes) != 0) differ++;
            }
        }
        EXPECTF(differ == 0, "prefill of %d rows: %d buffers at 2 or 3 threads differ from 1 thread", n, differ);
    }
    for (th = 1; th <= 2; th++) {  /* the window full from the start: a prefill per token */
        tinygpt_sampler s = tinygpt_sampler_default(9);
        size_t got = 0;
        m.threads = th;
        EXPECT_OK(tinygpt_generate(&m, &s, seq, (size_t)T, 40, out[th - 1], &got, NULL, NULL, &err), err);
        EXPECT(got == 40);
    }
    EXPECTF(memcmp(out[0], out[1], sizeof out[0]) == 0, "exact slide: 2 threads sample other tokens than 1");
    for (l = 0; l <= L; l++) free(ref[l]);
    free(packed);
    tinygpt_model_free(&m);
#else
    (void)r;
#endif
}

/* The candidates' order against qsort with the same rule: many ties (values
   from a few levels), lengths around each gap of the shell sort. */
static int reference_before(const void *pa, const void *pb)
{
    const tinygpt__candidate *a = (const tinygpt__candidate *)pa, *b = (const tinygpt__candidate *)pb;
    if (a->value != b->value) return a->value > b->value ? -1 : 1;
    return (a->id > b->id) - (a->id < b->id);
}

static void test_candidate_order(trng *r)
{
    static const int lengths[] = {0, 1, 2, 3, 4, 5, 9, 10, 11, 24, 65, 133, 700, 702, 3000};
    tinygpt__candidate *got = (tinygpt__candidate *)malloc(2 * 3000 * sizeof *got), *want = got + 3000;
    int li, i, bad = 0;
    if (!EXPECT(got != NULL)) return;
    for (li = 0; li < (int)(sizeof lengths / sizeof lengths[0]); li++) {
        int n = lengths[li], levels = li % 2 ? 5 : 100000;
        for (i = 0; i < n; i++) {
            want[i].value = (float)trng_below(r, levels) - 0.5f * (float)levels;
            want[i].id = i;
        }
        memcpy(got, want, (size_t)n * sizeof *got);
        qsort(want, (size_t)n, sizeof *want, reference_before);
        tinygpt__sort_candidates(got, n);
        for (i = 0; i < n; i++)
            if (got[i].id != want[i].id || got[i].value != want[i].value) { bad++; break; }
    }
    EXPECTF(bad == 0, "sampling candidates: %d of the lengths sorted differently from qsort", bad);
    free(got);
}

void test_sampling(void)
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
    test_candidate_order(&r);
    test_prefill_threads(&r);
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
    test_slide(&r);
}
