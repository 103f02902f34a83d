/* evaluate.c - the mean next-character loss of a tinygpt checkpoint on a text file.
       ./evaluate ckpt.bin data/tinyshakespeare.txt [--batch_size 8] [--threads N]
   Scores every whole block_size window of the text in order (no sampling, dropout off)
   and prints exactly "loss X.XXXXXX" on stdout; everything else goes to stderr.
   Every character of the text must be in the checkpoint's vocabulary. */
#include "hugepages.h"  /* first: 2 MiB pages for the big buffers (see the file) */
#define TINYGPT_IMPLEMENTATION
#include "tinygpt.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct options {
    const char *checkpoint, *text;
    int         batch_size;
    int         threads;
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
    printf("usage: ./evaluate CKPT TEXTFILE [flags]   (--flag value or --flag=value)\n"
           "Prints the checkpoint's mean next-character loss over the text's block_size windows.\n\n"
           "  --batch_size N   windows evaluated at a time (default 8)\n"
           "  --threads N      worker threads, 0 = library default (default 0)\n"
           "  --help           show this help\n");
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

static void parse_args(int argc, char **argv, options *o)
{
    int i;
    memset(o, 0, sizeof *o);
    o->batch_size = 8;
    for (i = 1; i < argc; i++) {
        const char *arg = argv[i], *v;
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) { print_help(); exit(0); }
        if ((v = flag_value(argc, argv, &i, "batch_size")) != NULL)
            o->batch_size = parse_int("batch_size", v, 1);
        else if ((v = flag_value(argc, argv, &i, "threads")) != NULL)
            o->threads = parse_int("threads", v, 0);
        else if (strncmp(arg, "--", 2) == 0) fail("unknown flag '%s' (see --help)", arg);
        else if (!o->checkpoint) o->checkpoint = arg;
        else if (!o->text) o->text = arg;
        else fail("unexpected argument '%s' (see --help)", arg);
    }
    if (!o->text) fail("usage: ./evaluate CKPT TEXTFILE [--batch_size N] [--threads N] (see --help)");
}

/* The whole file as ids in the model's vocabulary. */
static int32_t *read_tokens(const tinygpt_model *model, const char *path, size_t *n)
{
    tinygpt_error err;
    char *text = NULL;
    size_t len = 0;
    int32_t *ids;
    if (tinygpt_read_file(path, &text, &len, &err) != 0) fail("%s", err.message);
    if (len > SIZE_MAX / sizeof(int32_t)) fail("%s is too large", path);
    ids = (int32_t *)malloc((len ? len : 1) * sizeof(int32_t));
    if (!ids) fail("out of memory reading %s", path);
    if (tinygpt_encode(&model->vocab, text, len, ids, n, &err) != 0) fail("%s: %s", path, err.message);
    tinygpt_free(text);
    return ids;
}

int main(int argc, char **argv)
{
    options o;
    tinygpt_model model;
    tinygpt_error err;
    int32_t *ids;
    size_t n = 0;
    double loss = 0;
    parse_args(argc, argv, &o);
    memset(&model, 0, sizeof model);
    if (tinygpt_load(&model, o.checkpoint, &err) != 0) fail("%s", err.message);
    model.threads = o.threads;
    ids = read_tokens(&model, o.text, &n);
    if (tinygpt_evaluate_tokens(&model, ids, n, o.batch_size, &loss, &err) != 0)
        fail("%s", err.message);
    fprintf(stderr, "%s: %lu tokens, %lu windows of %d\n", o.text, (unsigned long)n,
            (unsigned long)(n ? (n - 1) / (size_t)model.config.block_size : 0), model.config.block_size);
    printf("loss %.6f\n", loss);
    free(ids);
    tinygpt_model_free(&model);
    return fflush(stdout) == 0 ? 0 : 1;
}
