/* test_optim.c - training: AdamW against a hand computation, the learning-rate schedule, overfitting a tiny text */
#include "tinygpt_impl.h"  /* first: feature macros, expect.h, this file's own copy of tinygpt.h */

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

void test_optimizer(void)
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

/* ---------------------------------------------------------------- training reduces the loss */

void test_overfit(void)
{
    char text[400];
    tinygpt_model m = zero_model;
    tinygpt_train_config tc = tc_plain();
    tinygpt_error err;
    enum { T = TINYGPT__ATT_ROWS + 8 };  /* attention in two row blocks */
    int32_t ids[400], x[8 * T], y[8 * T];
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
    if (make_model(&m, text, T, 2, 2, g_quick ? 16 : 32, &tc)) return;
    EXPECT_OK(tinygpt_encode(&m.vocab, text, strlen(text), ids, &n, &err), err);
    EXPECT_OK(tinygpt_evaluate_tokens(&m, ids, n, 4, &before, &err), err);
    for (i = 0; i < steps; i++) {
        float loss = 0;
        if (tinygpt_get_batch(ids, n, 8, T, &m.rng, x, y, &err) != 0 || tinygpt_train_step(&m, x, y, 8, T, &loss, &err) != 0) {
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
