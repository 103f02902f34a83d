/* make_seeds.c - writes the fuzzers' seed corpora (committed in tests/fuzz/corpus/):
       make fuzz-seeds
   load/: small valid checkpoints made by the library (with and without AdamW
   state, one and two layers, a vocabulary out of order with multi-byte
   characters), and the int8 form of two of them; vocab/: texts with every UTF-8 length and the malformed cases
   the decoder must refuse. Seeds are tiny so the fuzzers run fast. */
#define TINYGPT_IMPLEMENTATION
#include "tinygpt.h"
/* Objects the library fills start zeroed (or live): copies of these. */
static tinygpt_model zero_model;
static tinygpt_vocab zero_vocab;

#include <stdio.h>
#include <string.h>

static const char *g_dir = "tests/fuzz/corpus";

static void die(const char *what, const tinygpt_error *err)
{
    fprintf(stderr, "make_seeds: %s: %s\n", what, err ? err->message : "failed");
    exit(1);
}

static void write_seed(const char *sub, const char *name, const void *bytes, size_t len)
{
    char path[512];
    FILE *f;
    snprintf(path, sizeof path, "%s/%s/%s", g_dir, sub, name);
    f = fopen(path, "wb");
    if (!f || fwrite(bytes, 1, len, f) != len || fclose(f) != 0) die(path, NULL);
}

/* A model over the code points cps[0..n) (in that order), trained `steps`
   steps on ids 0, 1, 2, ... so it has AdamW state when steps > 0. */
static void checkpoint_seed(const char *name, const uint32_t *cps, int n, int T, int L, int H, int C, int steps)
{
    tinygpt_vocab vocab = zero_vocab;
    tinygpt_model m = zero_model;
    tinygpt_config cfg;
    tinygpt_train_config tc = tinygpt_train_config_default();
    tinygpt_error err;
    int32_t x[16], y[16];
    char path[512];
    int i;
    cfg.vocab_size = 0; cfg.block_size = T; cfg.n_layer = L; cfg.n_head = H; cfg.n_embd = C;
    tc.warmup_steps = 2;
    tc.max_steps = 10;
    if (tinygpt_vocab_from_codepoints(&vocab, cps, n, &err) || tinygpt_model_create(&m, &cfg, &vocab, &tc, &err))
        die(name, &err);
    m.threads = 1;
    for (i = 0; i < T && i < 16; i++) { x[i] = i % n; y[i] = (i + 1) % n; }
    for (i = 0; i < steps; i++)
        if (tinygpt_train_step(&m, x, y, 1, T, NULL, &err)) die(name, &err);
    snprintf(path, sizeof path, "%s/load/%s", g_dir, name);
    if (tinygpt_save(&m, path, 1, &err)) die(name, &err);
    snprintf(path, sizeof path, "%s/load/%s_int8", g_dir, name);  /* the int8 kind (FORMAT.md section 7) */
    if (steps == 0 || L > 1) { if (tinygpt_save_int8(&m, path, &err)) die(name, &err); }
    tinygpt_model_free(&m);
    tinygpt_vocab_free(&vocab);
}

int main(int argc, char **argv)
{
    static const uint32_t abc[3] = {'a', 'b', 'c'};
    static const uint32_t mixed[6] = {0x1F600, 'a', 0xE9, '\n', 0x2014, ' '};
    static const struct { const char *name, *text; size_t len; } texts[] = {
        {"ascii", "To be, or not to be, that is the question:\n", 43},
        {"utf8_all_lengths", "h\xC3\xA9llo \xE2\x80\x94 ok \xE2\x9C\x93 \xF0\x9F\x98\x80!\n", 24},
        {"bom_and_controls", "\xEF\xBB\xBF" "a\tb\r\n\x7F" "c", 10},
        {"nul_bytes", "a\0b\0\0c", 6},
        {"max_code_point", "x\xF4\x8F\xBF\xBFy", 6},
        {"overlong", "ab\xC0\x80" "cd", 6},
        {"surrogate", "ab\xED\xA0\x80" "cd", 7},
        {"above_max", "ab\xF4\x90\x80\x80" "cd", 8},
        {"truncated", "abcd\xF0\x9F\x98", 7},
        {"stray_continuation", "ab\x80" "cd", 5},
        {"codepoints_le32", "a\0\0\0\xE9\0\0\0\0\xF6\x01\0", 12},
    };
    size_t i;
    if (argc > 1) g_dir = argv[1];
    checkpoint_seed("tiny", abc, 3, 2, 1, 1, 2, 0);
    checkpoint_seed("tiny_adamw", abc, 3, 2, 1, 1, 2, 1);
    checkpoint_seed("two_layers_unordered_vocab", mixed, 6, 4, 2, 2, 4, 2);
    for (i = 0; i < sizeof texts / sizeof texts[0]; i++) write_seed("vocab", texts[i].name, texts[i].text, texts[i].len);
    printf("make_seeds: wrote 3 checkpoints, 2 int8 ones and %lu texts under %s\n", (unsigned long)i, g_dir);
    return 0;
}
