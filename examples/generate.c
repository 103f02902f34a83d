/* generate.c - sample text from a tinygpt checkpoint, streaming it as it is drawn.
       ./generate ckpt.bin
       ./generate ckpt.bin --start "ROMEO:" --max_new_tokens 300 --num_samples 3 --temperature 0.9
       ./generate ckpt.bin --interactive     (a prompt a line from standard input; Ctrl-D ends)
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
    int                slide;
    unsigned long long seed;
    int                threads;
    int                interactive;    /* prompts from standard input, one a line */
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
    {"slide",          FLAG_INT,    OPT(slide),          1, INT_MAX,  NULL, "a full window drops this many characters at once: 1 = exact; N > 1 "
                                                                            "is about N times faster past block_size, each character then seeing "
                                                                            "block_size - N + 1 to block_size"},
    {"seed",           FLAG_U64,    OPT(seed),           0, 0,        NULL, "random seed"},
    {"threads",        FLAG_INT,    OPT(threads),        0, INT_MAX,  NULL, "worker threads, 0 = library default"},
    {"interactive",    FLAG_SWITCH, OPT(interactive),    0, 0,        NULL, "read prompts from standard input, one a line, "
                                                                            "and continue each; an empty line continues a newline; Ctrl-D ends"},
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
    o->slide = 1;
    o->seed = 1337;
    parse_flags(&TABLE, argc, argv, o, NULL);
}

/* The context to continue: --start encoded, or a newline, or token 0. */
static int32_t *start_context(const tinygpt_model *model, const char *start, size_t *n)
{
    size_t len = start ? strlen(start) : 0;
    int32_t *ids = (int32_t *)malloc((len ? len : 1) * sizeof(int32_t));
    tinygpt_error err;
    char list[1024];
    long missing;
    if (!ids) fail("out of memory");
    if (start && (missing = vocab_missing_chars(&model->vocab, start, len, list, sizeof list)) > 0)
        fail("--start has %ld character%s not in the checkpoint's vocabulary: %s", missing,
             missing == 1 ? "" : "s", list);
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

/* Prints the context (when echo), then streams up to max_new_tokens sampled tokens. */
static void sample(tinygpt_model *model, const options *o, const int32_t *ctx, size_t n_ctx,
                   tinygpt_sampler *sampler, int echo)
{
    stream s;
    tinygpt_error err;
    size_t i;
    s.vocab = &model->vocab;
    s.last = '\n';
    if (echo)
        for (i = 0; i < n_ctx; i++) write_token(&s, ctx[i]);
    fflush(stdout);
    if (tinygpt_generate(model, sampler, ctx, n_ctx, (size_t)o->max_new_tokens, NULL, NULL, on_token, &s,
                         &err) != 0)
        fail("%s", err.message);
    if (s.last != '\n') putchar('\n');
}

/* Fails if a write to stdout failed (a closed pipe, a full disk). */
static void check_stdout(void)
{
    errno = 0;
    if (fflush(stdout) != 0 || ferror(stdout)) {
        if (!stdout_errno) stdout_errno = errno;
        errno = stdout_errno;
        fail("writing to stdout failed: %s", why());
    }
}

/* One line of standard input, without its line end ("\n" or "\r\n"), into
   *line (grown as needed, NUL-terminated): its length in bytes, or -1 at the
   end of input. A last line without a newline counts. */
static long read_line(char **line, size_t *cap)
{
    size_t n = 0;
    int c;
    while ((c = getchar()) != EOF && c != '\n') {
        if (n + 2 > *cap) {
            size_t want = *cap ? *cap * 2 : 256;
            char *grown = (char *)realloc(*line, want);
            if (!grown || want > (size_t)LONG_MAX) fail("out of memory reading a line of %lu bytes", (unsigned long)n);
            *line = grown;
            *cap = want;
        }
        (*line)[n++] = (char)c;
    }
    if (c == EOF && n == 0) return -1;
    if (!*line) {  /* an empty first line */
        *line = (char *)malloc(1);
        if (!*line) fail("out of memory");
        *cap = 1;
    }
    if (n > 0 && (*line)[n - 1] == '\r') n--;
    (*line)[n] = '\0';
    return (long)n;
}

/* --interactive: a prompt a line from standard input, each continued by
   max_new_tokens characters (num_samples times), until the input ends
   (Ctrl-D on a terminal). A prompt with characters outside the vocabulary,
   or not UTF-8, is reported on stderr and skipped; an empty line continues
   from a newline. On a terminal, stderr shows a "> " marker and the text
   continues what was typed; from a pipe or a file, each prompt is printed
   before its continuation, and the turns are separated like --num_samples. */
static void interactive(tinygpt_model *model, const options *o, tinygpt_sampler *sampler)
{
    int tty = stdin_is_terminal(), turns = 0, k;
    unsigned long line_no = 0;
    char where[48] = "";
    char *line = NULL, list[1024];
    size_t cap = 0, n_ctx = 0;
    int32_t *ids = NULL, newline;
    long len, missing;
    tinygpt_error err;
    newline = tinygpt_vocab_find(&model->vocab, '\n');
    if (newline < 0) newline = 0;
    if (tty)
        fprintf(stderr, "Type a prompt and press Enter: %s continues it by %d characters. An empty line "
                        "continues from a newline; Ctrl-D ends.\n", o->checkpoint, o->max_new_tokens);
    for (;;) {
        if (tty) { fputs("> ", stderr); fflush(stderr); }
        if ((len = read_line(&line, &cap)) < 0) break;
        if (!tty) snprintf(where, sizeof where, "line %lu: ", ++line_no);  /* from a file: which prompt */
        if (len == 0) {
            n_ctx = 1;
            ids = (int32_t *)realloc(ids, sizeof *ids);
            if (!ids) fail("out of memory");
            ids[0] = newline;
        } else {
            if ((missing = vocab_missing_chars(&model->vocab, line, (size_t)len, list, sizeof list)) != 0) {
                fflush(stdout);
                if (missing < 0) fprintf(stderr, "%sthe prompt is not UTF-8: %s; skipped it\n", where, list);
                else fprintf(stderr, "%sthe prompt has %ld character%s not in the vocabulary of %s: %s; skipped it\n",
                             where, missing, missing == 1 ? "" : "s", o->checkpoint, list);
                continue;
            }
            ids = (int32_t *)realloc(ids, (size_t)len * sizeof *ids);
            if (!ids) fail("out of memory");
            if (tinygpt_encode(&model->vocab, line, (size_t)len, ids, &n_ctx, &err) != 0) {
                fflush(stdout);
                fprintf(stderr, "%s%s; skipped it\n", where, err.message);
                continue;
            }
        }
        for (k = 0; k < o->num_samples; k++) {
            if (!tty && turns++ > 0) printf("---------------\n");
            if (tty && k > 0) printf("---------------\n");
            sample(model, o, ids, n_ctx, sampler, !tty);
            check_stdout();
        }
    }
    if (tty) fputc('\n', stderr);  /* after Ctrl-D, the shell's prompt on a line of its own */
    if (ferror(stdin)) fail("reading standard input failed");
    free(line);
    free(ids);
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
    if (o.interactive && o.start)
        fail("--start and --interactive: in an interactive session every line you type is a start; drop --start");
    sampler = tinygpt_sampler_default(o.seed);
    sampler.temperature = o.temperature;
    sampler.top_k = o.top_k;
    sampler.top_p = o.top_p;
    sampler.slide = o.slide;
    if (o.interactive) {
        interactive(&model, &o, &sampler);
        check_stdout();
        tinygpt_model_free(&model);
        return 0;
    }
    ctx = start_context(&model, o.start, &n_ctx);
    for (k = 0; k < o.num_samples; k++) {
        if (k > 0) printf("---------------\n");
        sample(&model, &o, ctx, n_ctx, &sampler, 1);
    }
    check_stdout();
    free(ctx);
    tinygpt_model_free(&model);
    return 0;
}
