/* test_model.c - the whole model: creation, gradients, the reference in double, golden files, evaluation, errors */
#include "tinygpt_impl.h"  /* first: feature macros, expect.h, this file's own copy of tinygpt.h */
#include "crc32_ref.h"  /* crc32_ieee: the tests' own CRC, not the library's */

/* ---------------------------------------------------------------- model creation */

void test_model_create(void)
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

void test_model_gradients(void)
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

void test_reference_model(void)
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

void test_golden(void)
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


/* ---------------------------------------------------------------- evaluation */

void test_evaluate(void)
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

void test_two_models(void)
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

void test_errors(void)
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
