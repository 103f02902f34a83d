/* generate.c - sample text from a tinygpt checkpoint, streaming it as it is drawn.
       ./generate ckpt.bin
       ./generate ckpt.bin --start "ROMEO:" --max_new_tokens 300 --num_samples 3 --temperature 0.9
   Flags are named as in nanoGPT's sample.py; see ./generate --help. The same --seed gives
   the same text. */
#define _POSIX_C_SOURCE 200809L  /* before any header: the POSIX calls of common.h */
#include "hugepages.h"  /* first: 2 MiB pages for the big buffers (see the file) */
#define TINYGPT_IMPLEMENTATION
#include "tinygpt.h"
#include "common.h"

typedef struct options {
    const char        *checkpoint;
    const char        *start;          /* NULL: "\n" if in the vocabulary, else token 0 */
    int                max_new_tokens;
    int                num_samples;
    float              temperature;
    int                top_k;
    float              top_p;
    unsigned long long seed;
    int                threads;
} options;

#define OPT(field) offsetof(options, field)
static const flag FLAGS[] = {
    /* name            type         value                min  max       range help */
    {"CKPT",           FLAG_ARG,    OPT(checkpoint),     0, 0,        NULL, "checkpoint to sample from"},
    {"start",          FLAG_TEXT,   OPT(start),          0, 0,        NULL, "text to continue (default: a newline)"},
    {"max_new_tokens", FLAG_INT,    OPT(max_new_tokens), 0, INT_MAX,  NULL, "characters to sample per sample"},
    {"num_samples",    FLAG_INT,    OPT(num_samples),    1, INT_MAX,  NULL, "how many samples"},
    {"temperature",    FLAG_REAL,   OPT(temperature),    0, HUGE_VAL, "[)", "< 1 sharper, > 1 more random, 0 greedy"},
    {"top_k",          FLAG_INT,    OPT(top_k),          0, INT_MAX,  NULL, "sample from the N likeliest characters, 0 = all"},
    {"top_p",          FLAG_REAL,   OPT(top_p),          0, 1,        "(]", "nucleus: the likeliest set with this much probability, 1 = all"},
    {"seed",           FLAG_U64,    OPT(seed),           0, 0,        NULL, "random seed"},
    {"threads",        FLAG_INT,    OPT(threads),        0, INT_MAX,  NULL, "worker threads, 0 = library default"},
};
static const flag_table TABLE = {"./generate", "Samples text from a tinygpt checkpoint.", FLAGS,
                                 (int)(sizeof FLAGS / sizeof FLAGS[0])};

static void parse_args(int argc, char **argv, options *o)
{
    memset(o, 0, sizeof *o);
    o->max_new_tokens = 500;
    o->num_samples = 1;
    o->temperature = 0.8f;
    o->top_k = 40;
    o->top_p = 1.0f;
    o->seed = 1337;
    parse_flags(&TABLE, argc, argv, o, NULL);
}

/* The context to continue: --start encoded, or a newline, or token 0. */
static int32_t *start_context(const tinygpt_model *model, const char *start, size_t *n)
{
    size_t len = start ? strlen(start) : 0;
    int32_t *ids = (int32_t *)malloc((len ? len : 1) * sizeof(int32_t));
    tinygpt_error err;
    if (!ids) fail("out of memory");
    if (!start) {
        ids[0] = tinygpt_vocab_find(&model->vocab, '\n');
        if (ids[0] < 0) ids[0] = 0;
        *n = 1;
    } else if (tinygpt_encode(&model->vocab, start, len, ids, n, &err) != 0) {
        fail("--start: %s", err.message);
    }
    return ids;
}

static int stdout_errno;  /* errno of the first failed write to stdout, or 0 */

typedef struct stream {
    const tinygpt_vocab *vocab;
    char                 last;  /* last byte written */
} stream;

static void write_token(stream *s, int32_t token)
{
    char utf8[4];
    int n = tinygpt_token_utf8(s->vocab, token, utf8);
    if (n > 0) {
        fwrite(utf8, 1, (size_t)n, stdout);
        s->last = utf8[n - 1];
    }
}

static int on_token(void *user, int32_t token)
{
    errno = 0;
    write_token((stream *)user, token);
    if (fflush(stdout) != 0 || ferror(stdout)) {  /* stop if stdout went away */
        if (!stdout_errno) stdout_errno = errno;
        return 1;
    }
    return 0;
}

/* Prints the context, then streams up to max_new_tokens sampled tokens. */
static void sample(tinygpt_model *model, const options *o, const int32_t *ctx, size_t n_ctx,
                   tinygpt_sampler *sampler)
{
    stream s;
    tinygpt_error err;
    size_t i;
    s.vocab = &model->vocab;
    s.last = '\n';
    for (i = 0; i < n_ctx; i++) write_token(&s, ctx[i]);
    fflush(stdout);
    if (tinygpt_generate(model, sampler, ctx, n_ctx, (size_t)o->max_new_tokens, NULL, NULL, on_token, &s,
                         &err) != 0)
        fail("%s", err.message);
    if (s.last != '\n') putchar('\n');
}

int main(int argc, char **argv)
{
    options o;
    tinygpt_model model = {0};  /* tinygpt_load fills a zeroed (or live) model */
    tinygpt_error err;
    tinygpt_sampler sampler;
    int32_t *ctx;
    size_t n_ctx = 0;
    int k;
    parse_args(argc, argv, &o);
    check_readable("checkpoint", o.checkpoint);
    if (tinygpt_load(&model, o.checkpoint, &err) != 0) fail("%s", err.message);
    model.threads = o.threads;
    ctx = start_context(&model, o.start, &n_ctx);
    sampler = tinygpt_sampler_default(o.seed);
    sampler.temperature = o.temperature;
    sampler.top_k = o.top_k;
    sampler.top_p = o.top_p;
    for (k = 0; k < o.num_samples; k++) {
        if (k > 0) printf("---------------\n");
        sample(&model, &o, ctx, n_ctx, &sampler);
    }
    errno = 0;
    if (fflush(stdout) != 0 || ferror(stdout)) {
        if (!stdout_errno) stdout_errno = errno;
        errno = stdout_errno;
        fail("writing to stdout failed: %s", why());
    }
    free(ctx);
    tinygpt_model_free(&model);
    return 0;
}
