/* evaluate.c - the mean next-character loss of a tinygpt checkpoint on a text file.
       ./evaluate ckpt.bin data/tinyshakespeare.txt [--batch_size 8] [--threads N]
   Scores every whole block_size window of the text in order (no sampling, dropout off)
   and prints exactly "loss X.XXXXXX" on stdout; everything else goes to stderr.
   Every character of the text must be in the checkpoint's vocabulary. */
#define _POSIX_C_SOURCE 200809L  /* before any header: the POSIX calls of common.h */
#include "hugepages.h"  /* first: 2 MiB pages for the big buffers (see the file) */
#define TINYGPT_IMPLEMENTATION
#include "tinygpt.h"
#include "common.h"

typedef struct options {
    const char *checkpoint, *text;
    int         batch_size;
    int         threads;
} options;

#define OPT(field) offsetof(options, field)
static const flag FLAGS[] = {
    /* name        type      value            min  max      range help */
    {"CKPT",       FLAG_ARG, OPT(checkpoint), 0, 0,       NULL, "checkpoint to evaluate"},
    {"TEXTFILE",   FLAG_ARG, OPT(text),       0, 0,       NULL, "UTF-8 text in the checkpoint's vocabulary"},
    {"batch_size", FLAG_INT, OPT(batch_size), 1, INT_MAX, NULL, "windows evaluated at a time"},
    {"threads",    FLAG_INT, OPT(threads),    0, INT_MAX, NULL, "worker threads, 0 = library default"},
};
static const flag_table TABLE = {
    "./evaluate", "Prints the checkpoint's mean next-character loss over the text's block_size windows.",
    FLAGS, (int)(sizeof FLAGS / sizeof FLAGS[0])};

static void parse_args(int argc, char **argv, options *o)
{
    memset(o, 0, sizeof *o);
    o->batch_size = 8;
    parse_flags(&TABLE, argc, argv, o, NULL);
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
    tinygpt_model model = {0};  /* tinygpt_load fills a zeroed (or live) model */
    tinygpt_error err;
    int32_t *ids;
    size_t n = 0;
    double loss = 0;
    parse_args(argc, argv, &o);
    check_readable("checkpoint", o.checkpoint);
    check_readable("text", o.text);
    if (tinygpt_load(&model, o.checkpoint, &err) != 0) fail("%s", err.message);
    model.threads = o.threads;
    ids = read_tokens(&model, o.text, &n);
    if (tinygpt_evaluate_tokens(&model, ids, n, o.batch_size, &loss, &err) != 0)
        fail("%s", err.message);
    fprintf(stderr, "%s: %lu tokens, %lu windows of %d\n", o.text, (unsigned long)n,
            (unsigned long)(n ? (n - 1) / (size_t)model.config.block_size : 0), model.config.block_size);
    if (!isfinite(loss))  /* a broken model (parameters too large) is not a score */
        fail("the loss is %g: the checkpoint's parameters do not give a finite loss on %s", loss, o.text);
    printf("loss %.6f\n", loss);
    free(ids);
    tinygpt_model_free(&model);
    errno = 0;
    if (fflush(stdout) != 0 || ferror(stdout)) fail("writing to stdout failed: %s", why());
    return 0;
}
