/* generate.c - sample text from a tinygpt checkpoint, streaming it as it is drawn.
       ./generate ckpt.bin
       ./generate ckpt.bin --start "ROMEO:" --max_new_tokens 300 --num_samples 3 --temperature 0.9
   Flags are named as in nanoGPT's sample.py; see ./generate --help. The same --seed gives
   the same text. */
#include "hugepages.h"  /* first: 2 MiB pages for the big buffers (see the file) */
#define TINYGPT_IMPLEMENTATION
#include "tinygpt.h"

#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct options {
    const char        *checkpoint;
    const char        *start;          /* NULL: "\n" if in the vocabulary, else token 0 */
    int                max_new_tokens;
    int                num_samples;
    double             temperature;
    int                top_k;
    double             top_p;
    unsigned long long seed;
    int                threads;
} options;

static void fail(const char *fmt, ...)
{
    va_list ap;
    fputs("error: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

static void print_help(void)
{
    printf("usage: ./generate CKPT [flags]   (--flag value or --flag=value)\n"
           "Samples text from a tinygpt checkpoint.\n\n"
           "  --start TEXT          text to continue (default: a newline)\n"
           "  --max_new_tokens N    characters to sample per sample (default 500)\n"
           "  --num_samples N       how many samples (default 1)\n"
           "  --temperature X       < 1 sharper, > 1 more random, 0 greedy (default 0.8)\n"
           "  --top_k N             sample from the N likeliest characters, 0 = all (default 40)\n"
           "  --top_p X             nucleus: the likeliest set with this much probability, in (0, 1]\n"
           "                        (default 1.0 = all)\n"
           "  --seed N              random seed (default 1337)\n"
           "  --threads N           worker threads, 0 = library default (default 0)\n"
           "  --help                show this help\n");
}

/* If argv[*i] is --name or --name=VALUE, returns the value (taking the next
   argument for --name, advancing *i); otherwise NULL. */
static const char *flag_value(int argc, char **argv, int *i, const char *name)
{
    const char *arg = argv[*i];
    size_t n = strlen(name);
    if (strncmp(arg, "--", 2) != 0 || strncmp(arg + 2, name, n) != 0) return NULL;
    if (arg[2 + n] == '=') return arg + 3 + n;
    if (arg[2 + n] != '\0') return NULL;
    if (*i + 1 >= argc) fail("--%s needs a value", name);
    return argv[++*i];
}

static int parse_int(const char *name, const char *s, long min)
{
    char *end;
    long v;
    errno = 0;
    v = strtol(s, &end, 10);
    if (*s == '\0' || isspace((unsigned char)*s) || *end != '\0' || errno == ERANGE ||
        v < min || v > INT_MAX)
        fail("invalid value '%s' for --%s: expected an integer >= %ld", s, name, min);
    return (int)v;
}

/* A finite number in [lo, hi], or in (lo, hi] when lo_open. */
static double parse_real(const char *name, const char *s, double lo, int lo_open, double hi)
{
    char *end;
    double v;
    errno = 0;
    v = strtod(s, &end);
    if (*s == '\0' || isspace((unsigned char)*s) || *end != '\0' || errno == ERANGE ||
        !(v <= hi && v <= FLT_MAX && (lo_open ? v > lo : v >= lo))) {
        if (hi >= FLT_MAX) fail("invalid value '%s' for --%s: expected a number >= %g", s, name, lo);
        fail("invalid value '%s' for --%s: expected a number in %c%g, %g]", s, name,
             lo_open ? '(' : '[', lo, hi);
    }
    return v;
}

static unsigned long long parse_u64(const char *name, const char *s)
{
    char *end;
    unsigned long long v;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (*s == '\0' || isspace((unsigned char)*s) || *s == '-' || *end != '\0' || errno == ERANGE)
        fail("invalid value '%s' for --%s: expected a non-negative integer", s, name);
    return v;
}

/* Handles argv[*i] if it is one of our flags; returns 0 if it is not. */
static int parse_flag(int argc, char **argv, int *i, options *o)
{
    const char *v;
    if ((v = flag_value(argc, argv, i, "start")) != NULL)
        o->start = v;
    else if ((v = flag_value(argc, argv, i, "max_new_tokens")) != NULL)
        o->max_new_tokens = parse_int("max_new_tokens", v, 0);
    else if ((v = flag_value(argc, argv, i, "num_samples")) != NULL)
        o->num_samples = parse_int("num_samples", v, 1);
    else if ((v = flag_value(argc, argv, i, "temperature")) != NULL)
        o->temperature = parse_real("temperature", v, 0, 0, FLT_MAX);
    else if ((v = flag_value(argc, argv, i, "top_k")) != NULL)
        o->top_k = parse_int("top_k", v, 0);
    else if ((v = flag_value(argc, argv, i, "top_p")) != NULL)
        o->top_p = parse_real("top_p", v, 0, 1, 1);
    else if ((v = flag_value(argc, argv, i, "seed")) != NULL)
        o->seed = parse_u64("seed", v);
    else if ((v = flag_value(argc, argv, i, "threads")) != NULL)
        o->threads = parse_int("threads", v, 0);
    else
        return 0;
    return 1;
}

static void parse_args(int argc, char **argv, options *o)
{
    int i;
    memset(o, 0, sizeof *o);
    o->max_new_tokens = 500;
    o->num_samples = 1;
    o->temperature = 0.8;
    o->top_k = 40;
    o->top_p = 1.0;
    o->seed = 1337;
    for (i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) { print_help(); exit(0); }
        if (parse_flag(argc, argv, &i, o)) continue;
        if (strncmp(arg, "--", 2) == 0) fail("unknown flag '%s' (see --help)", arg);
        if (o->checkpoint) fail("unexpected argument '%s' (see --help)", arg);
        o->checkpoint = arg;
    }
    if (!o->checkpoint) fail("no checkpoint given: usage ./generate CKPT [flags] (see --help)");
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
    } else if (len == 0) {
        fail("--start must not be empty");
    } else if (tinygpt_encode(&model->vocab, start, len, ids, n, &err) != 0) {
        fail("--start: %s", err.message);
    }
    return ids;
}

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
    write_token((stream *)user, token);
    fflush(stdout);
    return ferror(stdout) != 0;  /* stop if stdout went away */
}

/* Prints the context, then streams up to max_new_tokens sampled tokens. */
static void sample(tinygpt_model *model, const options *o, const int32_t *ctx, size_t n_ctx,
                   tinygpt_rng *rng)
{
    stream s;
    tinygpt_error err;
    size_t i;
    s.vocab = &model->vocab;
    s.last = '\n';
    for (i = 0; i < n_ctx; i++) write_token(&s, ctx[i]);
    fflush(stdout);
    if (tinygpt_generate(model, ctx, n_ctx, (size_t)o->max_new_tokens, (float)o->temperature, o->top_k,
                         (float)o->top_p, rng, NULL, NULL, on_token, &s, &err) != 0)
        fail("%s", err.message);
    if (s.last != '\n') putchar('\n');
}

int main(int argc, char **argv)
{
    options o;
    tinygpt_model model;
    tinygpt_error err;
    tinygpt_rng rng;
    int32_t *ctx;
    size_t n_ctx = 0;
    int k;
    parse_args(argc, argv, &o);
    memset(&model, 0, sizeof model);
    if (tinygpt_load(&model, o.checkpoint, &err) != 0) fail("%s", err.message);
    model.threads = o.threads;
    ctx = start_context(&model, o.start, &n_ctx);
    tinygpt_rng_seed(&rng, o.seed);
    for (k = 0; k < o.num_samples; k++) {
        if (k > 0) printf("---------------\n");
        sample(&model, &o, ctx, n_ctx, &rng);
    }
    if (fflush(stdout) != 0 || ferror(stdout)) fail("writing to stdout failed");
    free(ctx);
    tinygpt_model_free(&model);
    return 0;
}
