/* helpers.c - no tests here: the checks' machinery and counters, and the helpers tests/expect.h declares */
#include "tinygpt_impl.h"  /* first: feature macros, expect.h, this file's own copy of tinygpt.h */
#include "crc32_ref.h"  /* crc32_ieee: the tests' own CRC, not the library's */

/* ======================================================================== */
/*                              expect machinery                            */
/* ======================================================================== */

int g_passed, g_failed, g_quick;
char g_golden_dir[512] = "tests/golden";

int expect_at(int ok, const char *file, int line, const char *expr)
{
    if (ok) { g_passed++; return 1; }
    g_failed++;
    printf("%s:%d: FAILED: %s\n", file, line, expr);
    fflush(stdout);
    return 0;
}

int expectf_at(int ok, const char *file, int line, const char *expr, const char *fmt, ...)
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

int finite_d(double x) { return x == x && x - x == 0.0; }

int expect_near_at(double a, double b, double tol, const char *file, int line,
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

/* ---------------------------------------------------------------- message checks */

static int norm_ch(int c)
{
    c = tolower((unsigned char)c);
    return (c == '_' || c == '-') ? ' ' : c;
}

/* case-insensitive substring; '_', '-' and ' ' count as the same character */
int mentions(const char *msg, const char *word)
{
    size_t i, j, n = strlen(msg), k = strlen(word);
    for (i = 0; i + k <= n; i++) {
        for (j = 0; j < k && norm_ch(msg[i + j]) == norm_ch(word[j]); j++) {}
        if (j == k) return 1;
    }
    return 0;
}

/* any of the '|'-separated alternatives */
int mentions_any(const char *msg, const char *alts)
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
int has_number(const char *msg, unsigned long n)
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

/* ======================================================================== */
/*                                   helpers                                */
/* ======================================================================== */

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) { printf("out of memory (%lu bytes)\n", (unsigned long)n); exit(2); }
    return p;
}
float *falloc(size_t n) { float *p = (float *)xmalloc(n * sizeof(float)); memset(p, 0, n * sizeof(float)); return p; }
int32_t *ialloc(size_t n) { int32_t *p = (int32_t *)xmalloc(n * sizeof(int32_t)); memset(p, 0, n * sizeof(int32_t)); return p; }

/* The test's own generator (xorshift64*), independent of the library's rng. */
void trng_seed(trng *r, uint64_t seed) { r->s = seed * 0x9E3779B97F4A7C15ull + 0x1234567ull; if (!r->s) r->s = 1; }
static uint64_t trng_u64(trng *r)
{
    r->s ^= r->s >> 12; r->s ^= r->s << 25; r->s ^= r->s >> 27;
    return r->s * 0x2545F4914F6CDD1Dull;
}
static double trng_unif(trng *r) { return (double)(trng_u64(r) >> 11) * (1.0 / 9007199254740992.0); }
int trng_below(trng *r, int n) { return (int)(trng_u64(r) % (uint64_t)n); }
float trng_normal(trng *r)
{
    double u1 = trng_unif(r) + 1e-300, u2 = trng_unif(r);
    return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}
void fill_normal(float *x, size_t n, float scale, float offset, trng *r)
{
    size_t i;
    for (i = 0; i < n; i++) x[i] = offset + scale * trng_normal(r);
}

double dot_d(const float *a, const float *b, size_t n)
{
    double s = 0.0;
    size_t i;
    for (i = 0; i < n; i++) s += (double)a[i] * (double)b[i];
    return s;
}

double max_abs_diff(const float *a, const float *b, size_t n)
{
    double m = 0.0;
    size_t i;
    for (i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        if (!(d <= m)) m = d; /* NaN sticks */
    }
    return m;
}

double max_abs(const float *a, size_t n)
{
    double m = 0.0;
    size_t i;
    for (i = 0; i < n; i++) if (fabs((double)a[i]) > m) m = fabs((double)a[i]);
    return m;
}

uint32_t get_u32(const unsigned char *p)
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
void put_u32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v; p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16); p[3] = (unsigned char)(v >> 24);
}
void put_u64(unsigned char *p, uint64_t v) { put_u32(p, (uint32_t)v); put_u32(p + 4, (uint32_t)(v >> 32)); }
void put_f32(unsigned char *p, float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    put_u32(p, u);
}
int same_bits(float a, float b) { return memcmp(&a, &b, sizeof a) == 0; }
void fix_crc(unsigned char *b, size_t len) { put_u32(b + len - 4, crc32_ieee(b, len - 4)); }

/* Whole file, or NULL. */
unsigned char *read_bytes(const char *path, size_t *len)
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
const char *data_path(const char *prefix, const char *name)
{
    static char buf[4][700];
    static int which;
    char *p = buf[which++ & 3];
    sprintf(p, "%.500s/%.40s%.100s", g_golden_dir, prefix, name);
    return p;
}
const char *golden_path(const char *name) { return data_path("", name); }

double ce_from_logits(const float *logits, const int32_t *targets, int N, int V)
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
double fd_check_at(const char *name, float *x, size_t n, const size_t *idx, size_t nidx,
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

float *g_work; /* exactly tinygpt__matmul_work_size(1) floats */

/* ======================================================================== */
/*                  models, checkpoints, sampling: shared parts             */
/* ======================================================================== */

/* Objects the library fills start zeroed (or live): copies of these. */
tinygpt_model zero_model;
tinygpt_vocab zero_vocab;

/* tinygpt_generate with the sampler's fields as arguments (the rng is
   advanced in place), and the same with the cache switched off: most sampling
   tests vary one field at a time. */
int generate_at(tinygpt_model *m, const int32_t *ctx, size_t n, size_t new_tokens, float temperature,
                int top_k, float top_p, tinygpt_rng *rng, int32_t *out, size_t *n_out,
                tinygpt_token_fn cb, void *user, int use_cache, tinygpt_error *err)
{
    tinygpt_sampler s;
    int rc;
    s.temperature = temperature;
    s.top_k = top_k;
    s.top_p = top_p;
    s.slide = 1;
    s.rng = *rng;
    rc = use_cache ? tinygpt_generate(m, &s, ctx, n, new_tokens, out, n_out, cb, user, err)
                   : tinygpt__generate(m, &s, ctx, n, new_tokens, out, n_out, cb, user, 0, err);
    *rng = s.rng;
    return rc;
}

/* FORMAT.md's tensor order, written out independently of the library. */
int tensor_table(const tinygpt_config *c, tensor_info *t)
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

size_t table_total(const tensor_info *t, int k) { return t[k - 1].off + t[k - 1].n; }

int is_ln_weight(const char *name) { return strstr(name, "ln") && strstr(name, ".weight"); }

tinygpt_train_config tc_plain(void)
{
    tinygpt_train_config tc = tinygpt_train_config_default();
    tc.dropout = 0.0f;
    return tc;
}

/* A model over the characters of `text`; the vocabulary is freed right away
   (the model must have copied it). */
int make_model(tinygpt_model *m, const char *text, int T, int L, int H, int C,
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
void randomize_params(tinygpt_model *m, float scale, trng *r)
{
    tensor_info t[MAX_TENSORS];
    int k = tensor_table(&m->config, t), i;
    for (i = 0; i < k; i++) {
        if (t[i].decayed) fill_normal(m->params + t[i].off, t[i].n, scale, 0.0f, r);
        else if (is_ln_weight(t[i].name)) fill_normal(m->params + t[i].off, t[i].n, 0.2f, 1.0f, r);
        else fill_normal(m->params + t[i].off, t[i].n, 0.1f, 0.0f, r);
    }
}

void random_tokens(int32_t *ids, size_t n, int V, trng *r)
{
    size_t i;
    for (i = 0; i < n; i++) ids[i] = (int32_t)trng_below(r, V);
}

/* a snapshot, to check that a failed call left a model untouched */
void snap_take(model_snap *s, const tinygpt_model *m)
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
int snap_same(const model_snap *s, const tinygpt_model *m)
{
    if (memcmp(&s->shallow, m, sizeof *m) != 0) return 0;
    if (m->params && memcmp(s->params, m->params, m->num_params * sizeof(float)) != 0) return 0;
    if (m->m && memcmp(s->m, m->m, m->num_params * sizeof(float)) != 0) return 0;
    if (m->v && memcmp(s->v, m->v, m->num_params * sizeof(float)) != 0) return 0;
    if (m->vocab.codepoints && memcmp(s->cps, m->vocab.codepoints, (size_t)m->vocab.size * sizeof(uint32_t)) != 0) return 0;
    return 1;
}
void snap_free(model_snap *s) { free(s->params); free(s->m); free(s->v); free(s->cps); }

/* Checks a checkpoint's bytes against a model field by field, with the
   test's own reader: what the writer wrote, or what the reader read. */
void check_bytes_match_model(const unsigned char *b, size_t len, const tinygpt_model *m, int with_opt,
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

void train_steps(tinygpt_model *m, const int32_t *tokens, size_t n, int B, int steps)
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

int models_identical(const tinygpt_model *a, const tinygpt_model *b, int with_opt)
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
