/* Train a small GPT on a text file for 200 steps, sample from it, save it. */
#define TINYGPT_IMPLEMENTATION
#include "tinygpt.h"
#include <stdio.h>
#include <stdlib.h>

static void check(int status, const tinygpt_error *e) { if (status) { fprintf(stderr, "%s\n", e->message); exit(1); } }
static int put(void *vocab, int32_t id) { char u[4]; fwrite(u, 1, (size_t)tinygpt_token_utf8((const tinygpt_vocab *)vocab, id, u), stdout); return 0; }

int main(int argc, char **argv) {
    tinygpt_config cfg = {0, 64, 2, 4, 64};  /* vocab_size (from the text), block_size, n_layer, n_head, n_embd */
    tinygpt_train_config tc = tinygpt_train_config_default();
    tinygpt_error e = {"out of memory"}; tinygpt_sampler smp = tinygpt_sampler_default(42);
    tinygpt_vocab voc = {0}; tinygpt_model m = {0};  /* functions that fill an object take it zeroed (or live) */
    char *text; size_t len, n; float loss; int32_t x[8 * 64], y[8 * 64], *ids; int step;
    check(tinygpt_read_file(argc > 1 ? argv[1] : "input.txt", &text, &len, &e) || tinygpt_vocab_build(&voc, text, len, &e), &e);
    ids = (int32_t *)tinygpt_alloc(len * sizeof *ids);  /* at most one token per byte */
    check(!ids || tinygpt_encode(&voc, text, len, ids, &n, &e) || tinygpt_model_create(&m, &cfg, &voc, &tc, &e), &e);
    for (step = 0; step < 200; step++)
        check(tinygpt_get_batch(ids, n, 8, 64, &m.rng, x, y, &e) || tinygpt_train_step(&m, x, y, 8, 64, &loss, &e), &e);
    printf("train loss after %d steps: %.3f\n", step, loss);
    check(tinygpt_generate(&m, &smp, ids, 1, 300, NULL, NULL, put, &m.vocab, &e), &e);  /* temperature 0.8, top-k 40 */
    putchar('\n');  /* the sample ends with a newline */
    check(tinygpt_save(&m, "model.bin", 1, &e), &e);
    tinygpt_model_free(&m); tinygpt_vocab_free(&voc); tinygpt_free(ids); tinygpt_free(text);
    return 0;
}
