/* test_checkpoint.c - checkpoints: portable bytes, save / load / resume, every reading rule, int8 files, views */
#include "tinygpt_impl.h"  /* first: feature macros, expect.h, this file's own copy of tinygpt.h */
#include "crc32_ref.h"  /* crc32_ieee: the tests' own CRC, not the library's */

/* ---------------------------------------------------------------- portable checkpoint */

/* tests/portable/ckpt.bin was trained by this library (train_shakespeare on
   x86-64; tests/portable/README.md has the command) on tests/portable/text.txt,
   a text of our own, and `./evaluate ckpt.bin text.txt` printed PORTABLE_LOSS.
   Every platform must read the same model from it (same loss) and, saving it
   again, write the very same bytes: the format's byte order, not the host's. */
#define PORTABLE_LOSS 2.282908
#define PORTABLE_SIZE 97052

/* GOLDEN_DIR/../portable/name: beside tests/golden wherever that is */
static const char *portable_path(const char *name) { return data_path("../portable/", name); }

void test_portable(void)
{
    tinygpt_model m = zero_model, l = zero_model;
    tinygpt_error err;
    unsigned char *bytes, *again;
    char *text = NULL;
    size_t flen = 0, len = 0, n = 0, l2 = 0;
    int32_t *ids;
    double loss = -1;

    bytes = read_bytes(portable_path("ckpt.bin"), &flen);
    EXPECTF(bytes != NULL, "cannot read %s", portable_path("ckpt.bin"));
    if (!bytes) return;
    EXPECTF(flen == PORTABLE_SIZE, "ckpt.bin is %lu bytes", (unsigned long)flen);
    EXPECT(flen > 4 && get_u32(bytes + flen - 4) == crc32_ieee(bytes, flen - 4));
    memset(&m, 0, sizeof m);
    if (tinygpt_load(&m, portable_path("ckpt.bin"), &err) != 0) {
        EXPECTF(0, "load: %s", err.message);
        free(bytes);
        return;
    }
    EXPECT(m.config.vocab_size == 38 && m.config.block_size == 16 && m.config.n_layer == 2 &&
           m.config.n_head == 2 && m.config.n_embd == 16);
    EXPECT(m.step == 300 && m.m != NULL && m.v != NULL);
    check_bytes_match_model(bytes, flen, &m, 1, "ckpt.bin");

    /* the loss ./evaluate printed on x86-64 (batches of 8 windows, as it does) */
    if (tinygpt_read_file(portable_path("text.txt"), &text, &len, &err) != 0) {
        EXPECTF(0, "%s", err.message);
    } else {
        ids = ialloc(len + 1);
        EXPECT_OK(tinygpt_encode(&m.vocab, text, len, ids, &n, &err), err);
        EXPECT(n == 1408);
        EXPECT_OK(tinygpt_evaluate_tokens(&m, ids, n, 8, &loss, &err), err);
        printf("  ckpt.bin on text.txt: loss %.6f (./evaluate on x86-64: %.6f)\n", loss, PORTABLE_LOSS);
        EXPECT_NEAR(loss, PORTABLE_LOSS, 1e-4);
        free(ids);
        tinygpt_free(text);
    }

    /* saved here, it is byte for byte the file saved on x86-64 */
    EXPECT_OK(tinygpt_save(&m, TMP_FILE, 1, &err), err);
    again = read_bytes(TMP_FILE, &l2);
    EXPECTF(again && l2 == flen && memcmp(again, bytes, flen) == 0, "save(load(ckpt.bin)) differs from ckpt.bin");
    free(again);

    /* bit patterns a float register could change pass through untouched: a
       signalling NaN (x87 would quiet it), -0, the smallest subnormals */
    {
        static const uint32_t odd[5] = {0x7F800001u, 0xFFBFFFFFu, 0x80000000u, 0x00000001u, 0x807FFFFFu};
        size_t first = 128 + 4 * (size_t)m.config.vocab_size, i;
        unsigned char *b = (unsigned char *)xmalloc(flen);
        memcpy(b, bytes, flen);
        for (i = 0; i < 5; i++) {
            put_u32(b + first + 4 * i, odd[i]);                              /* wte[0][i] */
            put_u32(b + first + 4 * (m.num_params + i), odd[i]);             /* its m */
        }
        fix_crc(b, flen);
        memset(&l, 0, sizeof l);
        if (tinygpt_load_memory(&l, b, flen, &err) != 0) {  /* a reader may refuse NaN weights, saying so */
            EXPECTF(mentions_any(err.message, "finite|nan"), "load refused the NaN: %s", err.message);
        } else {
            EXPECT_OK(tinygpt_save(&l, TMP_FILE, 1, &err), err);
            again = read_bytes(TMP_FILE, &l2);
            EXPECTF(again && l2 == flen && memcmp(again, b, flen) == 0, "NaN, -0 or subnormal bits changed in load + save");
            free(again);
        }
        tinygpt_model_free(&l);
        free(b);
    }
    remove(TMP_FILE);
    free(bytes);
    tinygpt_model_free(&m);
}

/* ---------------------------------------------------------------- save / load / resume */

void test_save_load(void)
{
    static const uint32_t cps[6] = {'z', 'a', 0x1F600, 0xE9, '\n', ' '}; /* not ascending */
    tinygpt_vocab voc = zero_vocab;
    tinygpt_config cfg;
    tinygpt_train_config tc = tc_plain();
    tinygpt_model m = zero_model, l = zero_model, l2 = zero_model;
    tinygpt_error err;
    int32_t tokens[80];
    unsigned char *b1, *b2;
    size_t n1, n2;
    trng r;
    FILE *f;
    trng_seed(&r, 9);
    tc.dropout = 0.1f; tc.batch_size = 3; tc.warmup_steps = 2; tc.max_steps = 20; tc.seed = 99;
    cfg.vocab_size = 0; cfg.block_size = 6; cfg.n_layer = 2; cfg.n_head = 2; cfg.n_embd = 8;
    memset(&m, 0, sizeof m);
    if (tinygpt_vocab_from_codepoints(&voc, cps, 6, &err) != 0 || tinygpt_model_create(&m, &cfg, &voc, &tc, &err) != 0) {
        EXPECTF(0, "setup: %s", err.message);
        return;
    }
    tinygpt_vocab_free(&voc);
    random_tokens(tokens, 80, 6, &r);
    train_steps(&m, tokens, 80, 3, 3);
    EXPECT(m.step == 3 && m.m && m.v);
    EXPECT_OK(tinygpt_save(&m, TMP_FILE, 1, &err), err);
    b1 = read_bytes(TMP_FILE, &n1);
    EXPECT(b1 && n1 == tinygpt_checkpoint_size(&m, 1));
    f = fopen(TMP_FILE ".tmp", "rb");
    EXPECTF(f == NULL, "%s.tmp left behind", TMP_FILE);
    if (f) fclose(f);
    if (b1) check_bytes_match_model(b1, n1, &m, 1, "saved checkpoint");
    memset(&l, 0, sizeof l);
    EXPECT_OK(tinygpt_load(&l, TMP_FILE, &err), err);
    EXPECTF(models_identical(&m, &l, 1), "load(save(model)) differs from the model");
    EXPECT(l.vocab.size == 6 && tinygpt_vocab_find(&l.vocab, 'z') == 0 && tinygpt_vocab_find(&l.vocab, 0x1F600) == 2);
    /* saving the loaded model gives identical bytes */
    EXPECT_OK(tinygpt_save(&l, TMP_FILE2, 1, &err), err);
    b2 = read_bytes(TMP_FILE2, &n2);
    EXPECT(b1 && b2 && n1 == n2 && memcmp(b1, b2, n1) == 0);
    free(b2);
    /* the loaded model trains on exactly like the original */
    train_steps(&m, tokens, 80, 3, 2);
    train_steps(&l, tokens, 80, 3, 2);
    EXPECT(models_identical(&m, &l, 1));
    /* without the optimizer state */
    EXPECT_OK(tinygpt_save(&m, TMP_FILE2, 0, &err), err);
    b2 = read_bytes(TMP_FILE2, &n2);
    EXPECT(b2 && n2 == tinygpt_checkpoint_size(&m, 0) && n2 < n1);
    if (b2) check_bytes_match_model(b2, n2, &m, 0, "saved checkpoint without AdamW state");
    memset(&l2, 0, sizeof l2);
    EXPECT_OK(tinygpt_load(&l2, TMP_FILE2, &err), err);
    EXPECT(models_identical(&m, &l2, 0));
    EXPECT(l2.m == NULL || (max_abs(l2.m, l2.num_params) == 0.0 && max_abs(l2.v, l2.num_params) == 0.0));
    /* a model that never took a step saves no moments even when asked */
    {
        tinygpt_model fresh = zero_model;
        if (make_model(&fresh, "abc", 4, 1, 1, 4, &tc) == 0) {
            EXPECT_OK(tinygpt_save(&fresh, TMP_FILE2, 1, &err), err);
            free(b2);
            b2 = read_bytes(TMP_FILE2, &n2);
            EXPECT(b2 && n2 == tinygpt_checkpoint_size(&fresh, 0) && get_u32(b2 + 12) == 0);
            tinygpt_model_free(&fresh);
        }
    }
    /* loading over a model that holds something replaces it */
    EXPECT_OK(tinygpt_load(&l2, TMP_FILE, &err), err);
    if (b1) check_bytes_match_model(b1, n1, &l2, 1, "checkpoint loaded over another model");
    free(b1); free(b2);
    remove(TMP_FILE); remove(TMP_FILE2);
    tinygpt_model_free(&m); tinygpt_model_free(&l); tinygpt_model_free(&l2);
}

void test_resume(void)
{
    tinygpt_train_config tc = tc_plain();
    tinygpt_model a = zero_model, b = zero_model, c = zero_model, d = zero_model;
    tinygpt_error err;
    int32_t tokens[200];
    int K = g_quick ? 4 : 8;
    trng r;
    trng_seed(&r, 10);
    tc.dropout = 0.1f; tc.warmup_steps = 2; tc.max_steps = 10; tc.learning_rate = 3e-3f;
    if (make_model(&a, "abcdefghij", 8, 2, 2, 16, &tc) || make_model(&b, "abcdefghij", 8, 2, 2, 16, &tc)) return;
    random_tokens(tokens, 200, 10, &r);
    train_steps(&a, tokens, 200, 4, K);
    train_steps(&b, tokens, 200, 4, K / 2);
    EXPECT_OK(tinygpt_save(&b, TMP_FILE, 1, &err), err);
    memset(&c, 0, sizeof c);
    memset(&d, 0, sizeof d);
    EXPECT_OK(tinygpt_load(&c, TMP_FILE, &err), err);
    EXPECT_OK(tinygpt_load(&d, TMP_FILE, &err), err);
    remove(TMP_FILE);
    train_steps(&c, tokens, 200, 4, K - K / 2);
    EXPECT(c.step == (uint64_t)K && a.step == (uint64_t)K);
    EXPECTF(models_identical(&a, &c, 1), "%d steps differ from %d + save + load + %d", K, K / 2, K - K / 2);
    /* the test has teeth: another dropout stream gives other parameters */
    d.rng.state ^= 0x5555;
    train_steps(&d, tokens, 200, 4, K - K / 2);
    EXPECT(memcmp(a.params, d.params, a.num_params * sizeof(float)) != 0);
    tinygpt_model_free(&a); tinygpt_model_free(&b); tinygpt_model_free(&c); tinygpt_model_free(&d);
}

/* ---------------------------------------------------------------- reading rules */

static unsigned char *g_base;  /* a valid small checkpoint with AdamW state */
static size_t g_base_len;
static tinygpt_model g_victim; /* a model that already holds something */

static unsigned char *base_copy(void)
{
    unsigned char *b = (unsigned char *)xmalloc(g_base_len);
    memcpy(b, g_base, g_base_len);
    return b;
}

/* Loads bytes into g_victim; a failure must leave it untouched and name the problem. */
static int try_load_at(const unsigned char *bytes, size_t len, int want_ok, const char *alts, const char *what,
                       const char *file, int line)
{
    unsigned char *buf = (unsigned char *)xmalloc(len); /* exactly len: out-of-bounds reads show in sanitizers */
    model_snap snap;
    tinygpt_error err;
    int rc;
    memcpy(buf, bytes, len);
    snap_take(&snap, &g_victim);
    err.message[0] = 0;
    rc = tinygpt_load_memory(&g_victim, buf, len, &err);
    if (want_ok) {
        expectf_at(rc == 0, file, line, "load_memory accepts", "%s: rejected: %s", what, err.message);
    } else {
        expectf_at(rc != 0, file, line, "load_memory rejects", "%s: accepted", what);
        if (rc != 0) {
            if (alts)
                expectf_at(mentions_any(err.message, alts), file, line, "message names the problem",
                           "%s: message \"%s\" mentions none of \"%s\"", what, err.message, alts);
            expectf_at(snap_same(&snap, &g_victim), file, line, "failed load leaves the model unchanged", "%s", what);
        }
    }
    snap_free(&snap);
    free(buf);
    return rc;
}
#define TRY_LOAD(bytes, len, ok, alts, what) try_load_at(bytes, len, ok, alts, what, __FILE__, __LINE__)

static int mut_u32_at(size_t off, uint32_t v, int want_ok, const char *alts, const char *what, const char *file, int line)
{
    unsigned char *b = base_copy();
    int rc;
    put_u32(b + off, v);
    fix_crc(b, g_base_len);
    rc = try_load_at(b, g_base_len, want_ok, alts, what, file, line);
    free(b);
    return rc;
}
static int mut_f32_at(size_t off, float v, int want_ok, const char *alts, const char *what, const char *file, int line)
{
    unsigned char *b = base_copy();
    int rc;
    put_f32(b + off, v);
    fix_crc(b, g_base_len);
    rc = try_load_at(b, g_base_len, want_ok, alts, what, file, line);
    free(b);
    return rc;
}
#define MUT_U32(off, v, ok, alts, what) mut_u32_at(off, v, ok, alts, what, __FILE__, __LINE__)
#define MUT_F32(off, v, ok, alts, what) mut_f32_at(off, v, ok, alts, what, __FILE__, __LINE__)

#define SIZE_WORDS "overflow|large|big|size|exceed"
#define LENGTH_WORDS "short|truncat|length|size|bytes|long|expect|extra|trailing"

void test_reading_rules(void)
{
    static const uint32_t cps[5] = {'q', 'a', 0xE9, 0x2713, 'b'};
    static const struct { size_t off; const char *name; int kind; } ff[8] = {
        {48, "learning_rate", 0}, {52, "beta1", 2}, {56, "beta2", 2}, {60, "eps", 1},
        {64, "weight_decay", 0}, {68, "grad_clip", 0}, {72, "dropout", 2}, {104, "min_lr", 0}};
    tinygpt_vocab voc = zero_vocab;
    tinygpt_config cfg;
    tinygpt_train_config tc = tc_plain();
    tinygpt_model m = zero_model;
    tinygpt_error err;
    int32_t tokens[40];
    unsigned char *b;
    size_t i, V = 5, P, accepted;
    trng r;
    char what[96];
    int q;

    trng_seed(&r, 12);
    cfg.vocab_size = 0; cfg.block_size = 4; cfg.n_layer = 1; cfg.n_head = 2; cfg.n_embd = 4;
    memset(&m, 0, sizeof m);
    if (tinygpt_vocab_from_codepoints(&voc, cps, 5, &err) != 0 || tinygpt_model_create(&m, &cfg, &voc, &tc, &err) != 0) {
        EXPECTF(0, "setup: %s", err.message);
        return;
    }
    tinygpt_vocab_free(&voc);
    random_tokens(tokens, 40, 5, &r);
    train_steps(&m, tokens, 40, 2, 1);
    EXPECT_OK(tinygpt_save(&m, TMP_FILE, 1, &err), err);
    g_base = read_bytes(TMP_FILE, &g_base_len);
    remove(TMP_FILE);
    P = m.num_params;
    tinygpt_model_free(&m);
    EXPECT(g_base && g_base_len == 128 + 4 * V + 12 * P + 4);
    if (!g_base || g_base_len != 128 + 4 * V + 12 * P + 4) { free(g_base); return; }
    memset(&g_victim, 0, sizeof g_victim);
    if (make_model(&g_victim, "a different model", 6, 1, 1, 8, &tc)) { free(g_base); return; }

    /* controls: the unchanged file, and harmless edits with the CRC fixed, load */
    TRY_LOAD(g_base, g_base_len, 1, NULL, "unchanged file");
    MUT_U32(128 + 4 * V + 8, 0x3FC00000u, 1, NULL, "a parameter set to 1.5");
    EXPECT(g_victim.params && g_victim.params[2] == 1.5f);
    MUT_U32(36, 77, 1, NULL, "batch_size 77");
    EXPECT(g_victim.train.batch_size == 77);
    MUT_U32(76, 123456, 1, NULL, "warmup_steps 123456");
    b = base_copy(); put_u64(b + 40, 0x123456789ull); put_u64(b + 80, 0); put_u64(b + 96, 0xDEADBEEFCAFEull);
    fix_crc(b, g_base_len);
    TRY_LOAD(b, g_base_len, 1, NULL, "step 0x123456789, max_steps 0, rng_state");
    EXPECT(g_victim.step == 0x123456789ull && g_victim.rng.state == 0xDEADBEEFCAFEull && g_victim.train.max_steps == 0);
    free(b);
    b = base_copy(); put_u32(b + 128, cps[1]); put_u32(b + 132, cps[0]); fix_crc(b, g_base_len);
    TRY_LOAD(b, g_base_len, 1, NULL, "vocabulary in another order");
    EXPECT(g_victim.vocab.size == 5 && g_victim.vocab.codepoints[0] == 'a' && tinygpt_vocab_find(&g_victim.vocab, 'q') == 1);
    free(b);
    MUT_U32(128 + 8, 0x10FFFF, 1, NULL, "code point U+10FFFF");
    MUT_U32(128 + 8, 0, 1, NULL, "code point U+0000");
    /* without moments: flags 0 and the file cut after the parameters */
    b = base_copy();
    put_u32(b + 12, 0);
    fix_crc(b, 128 + 4 * V + 4 * P + 4);
    TRY_LOAD(b, 128 + 4 * V + 4 * P + 4, 1, NULL, "no AdamW state");
    EXPECT(g_victim.m == NULL || max_abs(g_victim.m, g_victim.num_params) == 0.0);
    free(b);

    /* magic, version, flags, reserved */
    MUT_U32(0, 0x796E6974u ^ 0x20u, 0, "magic", "magic with a changed letter");
    b = base_copy(); b[7] = '!'; fix_crc(b, g_base_len);
    TRY_LOAD(b, g_base_len, 0, "magic", "magic without its zero byte");
    free(b);
    MUT_U32(8, 2, 0, "version", "version 2");
    MUT_U32(8, 0, 0, "version", "version 0");
    MUT_U32(12, 3, 0, "flag", "flags bit 1");
    MUT_U32(12, 0x80000001u, 0, "flag", "flags bit 31");
    MUT_U32(12, 0, 0, LENGTH_WORDS, "flags 0 with the moments still there (file too long)");
    for (i = 108; i < 128; i++) {
        b = base_copy(); b[i] = 1; fix_crc(b, g_base_len);
        sprintf(what, "reserved byte %lu nonzero", (unsigned long)i);
        TRY_LOAD(b, g_base_len, 0, "reserved", what);
        free(b);
    }
    /* dimensions */
    MUT_U32(16, 0, 0, "vocab size", "V = 0");
    MUT_U32(20, 0, 0, "block size", "T = 0");
    MUT_U32(24, 0, 0, "n layer", "L = 0");
    MUT_U32(28, 0, 0, "n head", "H = 0");
    MUT_U32(32, 0, 0, "n embd", "C = 0");
    MUT_U32(28, 3, 0, "n head", "H = 3 does not divide C = 4");
    MUT_U32(28, 8, 0, "n head", "H = 8 > C = 4");
    MUT_U32(16, 6, 0, LENGTH_WORDS, "V = 6: file shorter than the header says");
    MUT_U32(16, 4, 0, LENGTH_WORDS, "V = 4: file longer than the header says");
    b = base_copy(); put_u32(b + 16, 0xFFFFFFFFu); put_u32(b + 32, 0xFFFFFFFFu); put_u32(b + 28, 1); fix_crc(b, g_base_len);
    TRY_LOAD(b, g_base_len, 0, SIZE_WORDS "|vocab size|n embd", "V = C = 0xFFFFFFFF, H = 1");
    free(b);
    b = base_copy(); put_u32(b + 20, 0xFFFFFFFFu); put_u32(b + 24, 0xFFFFFFFFu); put_u32(b + 32, 0x10000u); put_u32(b + 28, 1);
    fix_crc(b, g_base_len);
    TRY_LOAD(b, g_base_len, 0, SIZE_WORDS "|block size|n layer", "T = L = 0xFFFFFFFF, C = 0x10000, H = 1");
    free(b);
    b = base_copy(); put_u32(b + 16, 0x7FFFFFFFu); put_u32(b + 32, 0x7FFFFFFFu); put_u32(b + 28, 1); fix_crc(b, g_base_len);
    TRY_LOAD(b, g_base_len, 0, SIZE_WORDS "|" LENGTH_WORDS, "V = C = 0x7FFFFFFF, H = 1 (huge but no overflow on 64-bit)");
    free(b);
    b = base_copy(); put_u32(b + 24, 0x40000000u); fix_crc(b, g_base_len);
    TRY_LOAD(b, g_base_len, 0, SIZE_WORDS "|" LENGTH_WORDS, "L = 2^30");
    free(b);
    b = base_copy(); put_u32(b + 16, 0x01000000u); fix_crc(b, g_base_len);
    TRY_LOAD(b, g_base_len, 0, SIZE_WORDS "|" LENGTH_WORDS, "V = 2^24: vocabulary beyond the end of the file");
    free(b);

    /* length */
    b = base_copy();
    memmove(b + g_base_len - 5, b + g_base_len - 4, 4); /* drop the last moment byte */
    fix_crc(b, g_base_len - 1);
    TRY_LOAD(b, g_base_len - 1, 0, LENGTH_WORDS, "one byte short (CRC fixed)");
    free(b);
    TRY_LOAD(g_base, g_base_len - 1, 0, NULL, "trailer cut by one byte");
    TRY_LOAD(g_base, g_base_len - 1000, 0, LENGTH_WORDS "|crc|checksum", "1000 bytes short");
    TRY_LOAD(g_base, 128, 0, NULL, "header only");
    TRY_LOAD(g_base, 64, 0, NULL, "half a header");
    b = (unsigned char *)xmalloc(g_base_len + 1);
    memcpy(b, g_base, g_base_len - 4);
    b[g_base_len - 4] = 0;
    fix_crc(b, g_base_len + 1);
    TRY_LOAD(b, g_base_len + 1, 0, LENGTH_WORDS, "one byte too long (CRC fixed)");
    memcpy(b, g_base, g_base_len);
    b[g_base_len] = 0;
    TRY_LOAD(b, g_base_len + 1, 0, NULL, "one byte appended after the CRC");
    free(b);
    {
        int unchanged = 1;
        model_snap snap;
        snap_take(&snap, &g_victim);
        for (i = 0, accepted = 0; i < g_base_len; i++) {
            unsigned char *p = (unsigned char *)xmalloc(i ? i : 1);
            memcpy(p, g_base, i);
            if (tinygpt_load_memory(&g_victim, p, i, &err) == 0) accepted++;
            free(p);
        }
        unchanged = snap_same(&snap, &g_victim);
        snap_free(&snap);
        EXPECTF(accepted == 0, "%lu of the %lu proper prefixes loaded", (unsigned long)accepted, (unsigned long)g_base_len);
        EXPECT(unchanged);
    }
    {   /* a zeroed model stays zeroed after a failed load */
        tinygpt_model z = zero_model;
        memset(&z, 0, sizeof z);
        EXPECT_FAIL(tinygpt_load_memory(&z, g_base, g_base_len - 1, &err));
        EXPECT(z.params == NULL && z.num_params == 0 && z.vocab.size == 0);
    }

    /* vocabulary */
    MUT_U32(128, 0xD800, 0, "code point|codepoint|vocab", "code point 0xD800");
    MUT_U32(128 + 12, 0xDFFF, 0, "code point|codepoint|vocab", "code point 0xDFFF");
    MUT_U32(128, 0x110000, 0, "code point|codepoint|vocab", "code point 0x110000");
    MUT_U32(128 + 16, 0xFFFFFFFFu, 0, "code point|codepoint|vocab", "code point 0xFFFFFFFF");
    MUT_U32(128 + 4, 'q', 0, "repeat|duplicate", "code point q twice");
    MUT_U32(128 + 16, 0x2713, 0, "repeat|duplicate", "code point U+2713 twice");

    /* training fields */
    for (q = 0; q < 8; q++) {
        const char *nm = ff[q].name;
        size_t off = ff[q].off;
        sprintf(what, "%s NaN", nm);           MUT_F32(off, NAN, 0, nm, what);
        sprintf(what, "%s +inf", nm);          MUT_F32(off, INFINITY, 0, nm, what);
        sprintf(what, "%s -inf", nm);          MUT_F32(off, -INFINITY, 0, nm, what);
        sprintf(what, "%s -1e-3", nm);         MUT_F32(off, -1e-3f, 0, nm, what);
        sprintf(what, "%s -1e-30", nm);        MUT_F32(off, -1e-30f, 0, nm, what);
        if (ff[q].kind == 1) {
            sprintf(what, "%s 0", nm);         MUT_F32(off, 0.0f, 0, nm, what);
            sprintf(what, "%s -0", nm);        MUT_F32(off, -0.0f, 0, nm, what);
            sprintf(what, "%s 1e-30", nm);     MUT_F32(off, 1e-30f, 1, NULL, what);
            sprintf(what, "%s 2", nm);         MUT_F32(off, 2.0f, 1, NULL, what);
        } else {
            sprintf(what, "%s 0", nm);         MUT_F32(off, 0.0f, 1, NULL, what);
            sprintf(what, "%s -0 (counts as 0)", nm);
            if (MUT_F32(off, -0.0f, 1, NULL, what) == 0) {
                float got = 1.0f;
                switch (q) {
                case 0: got = g_victim.train.learning_rate; break;
                case 1: got = g_victim.train.beta1; break;
                case 2: got = g_victim.train.beta2; break;
                case 4: got = g_victim.train.weight_decay; break;
                case 5: got = g_victim.train.grad_clip; break;
                case 6: got = g_victim.train.dropout; break;
                default: got = g_victim.train.min_lr; break;
                }
                EXPECTF(got == 0.0f, "%s -0 loaded as %g", nm, (double)got);
            }
        }
        if (ff[q].kind == 2) {
            sprintf(what, "%s 1.0", nm);       MUT_F32(off, 1.0f, 0, nm, what);
            sprintf(what, "%s 1.5", nm);       MUT_F32(off, 1.5f, 0, nm, what);
            sprintf(what, "%s 0.99999994", nm); MUT_F32(off, 0.99999994f, 1, NULL, what);
        } else {
            sprintf(what, "%s 1e30", nm);      MUT_F32(off, 1e30f, 1, NULL, what);
        }
    }

    /* values: parameters and moments finite, second moments >= 0 (docs/FORMAT.md) */
    {
        static const struct { const char *array; int which; } arr[3] = {{"parameter", 0}, {"first moment", 1},
                                                                         {"second moment", 2}};
        size_t base = 128 + 4 * V;
        for (q = 0; q < 3; q++) {
            size_t off = base + 4 * P * (size_t)arr[q].which + 4 * (P - 1);  /* the last value: every one is read */
            sprintf(what, "%s NaN", arr[q].array);  MUT_F32(off, NAN, 0, "finite|NaN|nan", what);
            sprintf(what, "%s +inf", arr[q].array); MUT_F32(off, INFINITY, 0, "finite|inf", what);
            sprintf(what, "%s -inf", arr[q].array); MUT_F32(off, -INFINITY, 0, "finite|inf", what);
            sprintf(what, "%s NaN, first value", arr[q].array);
            MUT_F32(base + 4 * P * (size_t)arr[q].which, NAN, 0, "lm_head|wte", what);
            sprintf(what, "%s -2", arr[q].array);
            MUT_F32(off, -2.0f, arr[q].which != 2, "negative", what);
        }
        MUT_F32(base + 8 * P, -0.0f, 1, NULL, "second moment -0 (counts as 0)");
        MUT_F32(base + 8 * P, 3e38f, 1, NULL, "second moment 3e38");
    }
    /* the step counter has no range: 2^64-1 loads and samples, but cannot train */
    b = base_copy(); put_u64(b + 40, UINT64_MAX); fix_crc(b, g_base_len);
    if (TRY_LOAD(b, g_base_len, 1, NULL, "step 2^64-1") == 0) {
        int32_t out[8];
        tinygpt_rng rr = {5};
        model_snap snap;
        float l = 0;
        EXPECT_OK(generate_old(&g_victim, tokens, 2, 8, 1.0f, 0, 1.0f, &rr, out, NULL, NULL, NULL, &err), err);
        snap_take(&snap, &g_victim);
        err.message[0] = 0;
        EXPECT_FAIL(tinygpt_train_step(&g_victim, tokens, tokens + 1, 1, 4, &l, &err));
        EXPECT_MENTIONS(err, "step");
        EXPECTF(g_victim.step == UINT64_MAX && memcmp(snap.params, g_victim.params, g_victim.num_params * sizeof(float)) == 0,
                "a training step from step 2^64-1 changed the model (step now %llu)", (unsigned long long)g_victim.step);
        snap_free(&snap);
    }
    free(b);

    /* CRC */
    b = base_copy(); b[128 + 4 * V + 17] ^= 0x40;
    TRY_LOAD(b, g_base_len, 0, "crc|checksum", "a parameter byte flipped, CRC not fixed");
    free(b);
    b = base_copy(); b[3] ^= 1;
    TRY_LOAD(b, g_base_len, 0, "crc|checksum|magic", "a magic byte flipped, CRC not fixed");
    free(b);
    b = base_copy(); b[g_base_len - 2] ^= 0x10;
    TRY_LOAD(b, g_base_len, 0, "crc|checksum", "the CRC itself changed");
    free(b);

    tinygpt_model_free(&g_victim);
    free(g_base);
    g_base = NULL;
}

/* ======================================================================== */
/*            int8 checkpoints (docs/FORMAT.md section 7, issue 17)         */
/* ======================================================================== */

/* An int8 file of a trained model with C = 3 (so wte's 15 values need a
   padding byte): round trip, sizes, and every reading rule of section 7. */
void test_int8(void)
{
    static const uint32_t cps[5] = {'q', 'a', 0xE9, 0x2713, 'b'};
    tinygpt_vocab voc = zero_vocab;
    tinygpt_config cfg;
    tinygpt_train_config tc = tc_plain();
    tinygpt_model m = zero_model, back = zero_model;
    tinygpt_error err;
    int32_t tokens[40], out[8];
    unsigned char *img, *b;
    size_t V = 5, C = 3, T = 4, size, expect_size, i, accepted, wte_sc, wte_q, wpe_sc, ln1_w;
    double worst = 0.0;
    trng r;
    int k;

    trng_seed(&r, 17);
    cfg.vocab_size = 0; cfg.block_size = (int)T; cfg.n_layer = 1; cfg.n_head = 1; cfg.n_embd = (int)C;
    memset(&m, 0, sizeof m);
    memset(&back, 0, sizeof back);
    if (tinygpt_vocab_from_codepoints(&voc, cps, 5, &err) != 0 || tinygpt_model_create(&m, &cfg, &voc, &tc, &err) != 0) {
        EXPECTF(0, "setup: %s", err.message);
        return;
    }
    tinygpt_vocab_free(&voc);
    random_tokens(tokens, 40, 5, &r);
    train_steps(&m, tokens, 40, 2, 2);
    m.params[0] = 0.0f; m.params[1] = 0.0f; m.params[2] = 0.0f;  /* wte row 0 all zero: scale 0 */

    /* size: header, vocabulary, matrices as R scales + R*K bytes padded to 4, vectors as floats, CRC */
    expect_size = 128 + 4 * V
                  + (4 * V + ((V * C + 3) & ~(size_t)3)) + (4 * T + ((T * C + 3) & ~(size_t)3))  /* wte, wpe */
                  + 4 * C * 2 + (4 * 3 * C + ((3 * C * C + 3) & ~(size_t)3)) + 4 * 3 * C
                  + (4 * C + ((C * C + 3) & ~(size_t)3)) + 4 * C + 4 * C * 2
                  + (4 * 4 * C + 4 * C * C) + 4 * 4 * C + (4 * C + 4 * C * C) + 4 * C              /* the layer */
                  + 4 * C * 2 + (4 * V + ((V * C + 3) & ~(size_t)3)) + 4;                          /* lnf, lm_head, CRC */
    size = tinygpt_int8_checkpoint_size(&m);
    EXPECTF(size == expect_size, "int8 size %lu, FORMAT.md says %lu", (unsigned long)size, (unsigned long)expect_size);
    img = (unsigned char *)xmalloc(size);
    EXPECT_FAIL(tinygpt_save_int8_memory(&m, img, size - 1, &err));
    EXPECT_OK(tinygpt_save_int8_memory(&m, img, size, &err), err);
    EXPECT(memcmp(img, "tinygpt8", 8) == 0 && get_u32(img + 8) == 1 && get_u32(img + 12) == 0);
    EXPECT(get_u32(img + size - 4) == crc32_ieee(img, size - 4));
    {   /* the file version is the same bytes */
        size_t flen = 0;
        unsigned char *f;
        EXPECT_OK(tinygpt_save_int8(&m, TMP_FILE, &err), err);
        f = read_bytes(TMP_FILE, &flen);
        EXPECT(f && flen == size && memcmp(f, img, size) == 0);
        free(f);
        EXPECT_OK(tinygpt_load(&back, TMP_FILE, &err), err);
        remove(TMP_FILE);
    }
    /* dequantised: matrices within half a step of their row's scale, vectors exact */
    EXPECT(back.num_params == m.num_params && back.m == NULL && back.step == m.step && back.rng.state == m.rng.state);
    for (k = 0; k < tinygpt__num_tensors(&m.config) && back.params; k++) {
        tinygpt__tensor t = tinygpt__tensor_at(&m.config, k);
        int ok = 1;
        size_t K = tinygpt__dim(&m.config, t.spec->cols, &ok);
        for (i = 0; i < t.count; i++) {
            size_t row = i / K, j;
            float mx = 0.0f, d = fabsf(back.params[t.offset + i] - m.params[t.offset + i]);
            for (j = 0; j < K; j++) mx = fabsf(m.params[t.offset + row * K + j]) > mx ? fabsf(m.params[t.offset + row * K + j]) : mx;
            if (t.spec->rows == TINYGPT__DIM_1) EXPECT(same_bits(back.params[t.offset + i], m.params[t.offset + i]));
            else if (mx > 0.0f && d / (mx / 127.0f) > worst) worst = d / (mx / 127.0f);
        }
    }
    EXPECTF(worst <= 0.5001, "dequantised values within half a step: worst %.4f steps", worst);
    EXPECT(back.params && back.params[0] == 0.0f && back.params[2] == 0.0f);
    {   /* it samples, cached and not, the same tokens */
        tinygpt_sampler s1 = tinygpt_sampler_default(3), s2 = tinygpt_sampler_default(3);
        int32_t out2[8];
        EXPECT_OK(tinygpt_generate(&back, &s1, tokens, 1, 8, out, NULL, NULL, NULL, &err), err);
        EXPECT_OK(tinygpt__generate(&back, &s2, tokens, 1, 8, out2, NULL, NULL, NULL, 0, &err), err);
        EXPECT(memcmp(out, out2, sizeof out) == 0);
    }
    {   /* saving refuses a non-finite parameter */
        float keep = m.params[5];
        m.params[5] = NAN;
        EXPECT_FAIL(tinygpt_save_int8_memory(&m, img, size, &err));
        EXPECT_MENTIONS(err, "finite");
        m.params[5] = keep;
    }
    tinygpt_model_free(&back);
    tinygpt_model_free(&m);

    /* reading rules, each with a crafted file (CRC fixed unless the CRC is the point) */
    g_base = img;
    g_base_len = size;
    memset(&g_victim, 0, sizeof g_victim);
    if (make_model(&g_victim, "a different model", 6, 1, 1, 8, &tc)) { free(img); g_base = NULL; return; }
    wte_sc = 128 + 4 * V;
    wte_q = wte_sc + 4 * V;
    wpe_sc = wte_q + ((V * C + 3) & ~(size_t)3);
    ln1_w = wpe_sc + 4 * T + ((T * C + 3) & ~(size_t)3);
    TRY_LOAD(g_base, g_base_len, 1, NULL, "unchanged int8 file");
    MUT_F32(wte_sc + 4, -0.0f, 1, NULL, "a scale of -0 (counts as 0)");
    {
        b = base_copy(); b[wte_q + 3] = 127; b[wte_q + 4] = 0x81; fix_crc(b, g_base_len);
        TRY_LOAD(b, g_base_len, 1, NULL, "int8 values 127 and -127");
        free(b);
    }
    MUT_U32(8, 2, 0, "version", "int8: version 2");
    MUT_U32(12, 1, 0, "flag", "int8: flags bit 0 (no moments in an int8 file)");
    MUT_U32(12, 2, 0, "flag", "int8: flags bit 1");
    b = base_copy(); b[120] = 1; fix_crc(b, g_base_len);
    TRY_LOAD(b, g_base_len, 0, "reserved", "int8: reserved byte");
    free(b);
    b = base_copy(); memcpy(b, "tinygpt", 8); fix_crc(b, g_base_len);
    TRY_LOAD(b, g_base_len, 0, LENGTH_WORDS, "int8 body under the float magic (sizes differ)");
    free(b);
    b = base_copy(); b[7] = '9'; fix_crc(b, g_base_len);
    TRY_LOAD(b, g_base_len, 0, "magic", "magic tinygpt9");
    free(b);
    MUT_U32(28, 2, 0, "n head", "int8: H = 2 does not divide C = 3");
    MUT_U32(16, 6, 0, LENGTH_WORDS, "int8: V = 6 (file too short)");
    MUT_U32(20, 3, 0, LENGTH_WORDS, "int8: T = 3 (file too long)");
    MUT_F32(48, NAN, 0, "learning_rate", "int8: learning_rate NaN");
    b = base_copy(); b[wte_q] ^= 1;
    TRY_LOAD(b, g_base_len, 0, "crc|corrupt", "int8: a flipped bit, CRC not fixed");
    free(b);
    TRY_LOAD(g_base, g_base_len - 1, 0, NULL, "int8: trailer cut by one byte");
    MUT_U32(128 + 4, 'q', 0, "repeat|duplicate", "int8: code point q twice");
    MUT_U32(128, 0xD800, 0, "code point|codepoint|vocab", "int8: code point 0xD800");
    MUT_F32(wte_sc + 8, NAN, 0, "scale", "int8: a scale NaN");
    MUT_F32(wte_sc + 8, INFINITY, 0, "scale", "int8: a scale +inf");
    MUT_F32(wpe_sc, -1e-3f, 0, "scale", "int8: a negative scale");
    MUT_F32(wpe_sc, 1e37f, 0, "scale", "int8: a scale above FLT_MAX/127");
    MUT_F32(wpe_sc, 2.6e36f, 1, NULL, "int8: a scale just below FLT_MAX/127");
    b = base_copy(); b[wte_q + 7] = 0x80; fix_crc(b, g_base_len);
    TRY_LOAD(b, g_base_len, 0, "-128", "int8: value -128");
    free(b);
    b = base_copy(); b[wte_q + V * C] = 1; fix_crc(b, g_base_len);
    TRY_LOAD(b, g_base_len, 0, "padding", "int8: nonzero padding byte");
    free(b);
    MUT_F32(ln1_w + 4, NAN, 0, "finite", "int8: a LayerNorm weight NaN");
    MUT_F32(ln1_w, -INFINITY, 0, "finite", "int8: a LayerNorm weight -inf");
    {
        model_snap snap;
        snap_take(&snap, &g_victim);
        for (i = 0, accepted = 0; i < g_base_len; i++) {
            unsigned char *p = (unsigned char *)xmalloc(i ? i : 1);
            memcpy(p, g_base, i);
            if (tinygpt_load_memory(&g_victim, p, i, &err) == 0) accepted++;
            free(p);
        }
        EXPECTF(accepted == 0, "%lu of the %lu proper prefixes of the int8 file loaded", (unsigned long)accepted,
                (unsigned long)g_base_len);
        EXPECT(snap_same(&snap, &g_victim));
        snap_free(&snap);
    }
    tinygpt_model_free(&g_victim);
    free(g_base);
    g_base = NULL;
}

/* ======================================================================== */
/*        views: tinygpt_load_view, tinygpt_sampling_memory (issue 17)      */
/* ======================================================================== */

/* Live bytes and their high-water mark, through g_lib_hook. */
static struct { void *p; size_t size; } g_blocks[64];
static size_t g_bytes_live, g_bytes_high;
static int g_blocks_lost;
static void count_bytes(void *p, size_t size)
{
    int i;
    for (i = 0; i < 64; i++) {
        if (size && !g_blocks[i].p) { g_blocks[i].p = p; g_blocks[i].size = size; break; }
        if (!size && g_blocks[i].p == p) { g_bytes_live -= g_blocks[i].size; g_blocks[i].p = NULL; return; }
    }
    if (!size) return;  /* allocated before counting began */
    if (i == 64) { g_blocks_lost++; return; }
    g_bytes_live += size;
    if (g_bytes_live > g_bytes_high) g_bytes_high = g_bytes_live;
}

/* load_view + generate of 1 + new_tokens tokens from image under the byte counter: the peak. */
static size_t view_peak(const unsigned char *image, size_t len, size_t new_tokens, int32_t *out)
{
    tinygpt_model v = zero_model;
    tinygpt_sampler s = tinygpt_sampler_default(5);
    tinygpt_error err;
    int32_t ctx[1] = {1};
    memset(&v, 0, sizeof v);
    memset(g_blocks, 0, sizeof g_blocks);
    g_bytes_live = g_bytes_high = 0;
    g_blocks_lost = 0;
    g_lib_hook = count_bytes;
    EXPECT_OK(tinygpt_load_view(&v, image, len, &err), err);
    EXPECT_OK(tinygpt_generate(&v, &s, ctx, 1, new_tokens, out, NULL, NULL, NULL, &err), err);
    tinygpt_model_free(&v);
    g_lib_hook = NULL;
    EXPECT(g_blocks_lost == 0 && g_bytes_live == 0);
    return g_bytes_high;
}

void test_views(void)
{
    tinygpt_train_config tc = tc_plain();
    tinygpt_model m = zero_model, view = zero_model, copy = zero_model;
    tinygpt_error err;
    tinygpt__kv_cache k1, k2;
    int32_t tokens[64], out1[40], out2[40];
    unsigned char *fimg = NULL, *qimg, *b;
    size_t flen = 0, qlen, i, need, peak;
    double worst = 0.0;
    trng r;
    int kind, pos;

    trng_seed(&r, 29);
    memset(&m, 0, sizeof m); memset(&view, 0, sizeof view); memset(&copy, 0, sizeof copy);
    if (make_model(&m, "abcdefghij klmnop", 8, 2, 2, 8, &tc)) return;
    random_tokens(tokens, 64, m.config.vocab_size, &r);
    train_steps(&m, tokens, 64, 2, 3);
    EXPECT_OK(tinygpt_save(&m, TMP_FILE, 1, &err), err);  /* with moments: the view checks and skips them */
    fimg = read_bytes(TMP_FILE, &flen);
    remove(TMP_FILE);
    qlen = tinygpt_int8_checkpoint_size(&m);
    qimg = (unsigned char *)xmalloc(qlen);
    EXPECT_OK(tinygpt_save_int8_memory(&m, qimg, qlen, &err), err);
    if (!fimg) { free(qimg); tinygpt_model_free(&m); return; }
    {   /* a big-endian host cannot read the little-endian image in place: refused, with the way out */
        const uint32_t one = 1;
        unsigned char first;
        memcpy(&first, &one, 1);
        if (first != 1) {
            err.message[0] = 0;
            EXPECT_FAIL(tinygpt_load_view(&view, fimg, flen, &err));
            EXPECT_MENTIONS(err, "little-endian");
            EXPECT(view.params == NULL);
            printf("  big-endian host: load_view refused as documented; the in-place checks skipped\n");
            free(fimg); free(qimg); tinygpt_model_free(&m);
            return;
        }
    }

    for (kind = 0; kind < 2; kind++) {
        const unsigned char *img = kind ? qimg : fimg;
        size_t len = kind ? qlen : flen;
        const char *name = kind ? "int8" : "float";
        tinygpt_sampler s1 = tinygpt_sampler_default(11), s2 = tinygpt_sampler_default(11);
        EXPECT_OK(tinygpt_load_view(&view, img, len, &err), err);
        EXPECT_OK(tinygpt_load_memory(&copy, img, len, &err), err);
        EXPECT(view.image == img && view.num_params == m.num_params && view.vocab.size == m.vocab.size);
        EXPECT(kind ? view.params == NULL : (const unsigned char *)view.params == img + 128 + 4 * (size_t)m.vocab.size);
        /* the view's cached step against the copy's (dequantised for int8): the same logits to rounding */
        if (tinygpt__kv_cache_alloc(&k1, &view.config, 8) == 0 && tinygpt__kv_cache_alloc(&k2, &copy.config, 8) == 0) {
            for (pos = 0, worst = 0.0; pos < 8; pos++) {
                tinygpt__kv_cache_step(&k1, &view, tokens[pos]);
                tinygpt__kv_cache_step(&k2, &copy, tokens[pos]);
                for (i = 0; i < (size_t)view.config.vocab_size; i++)
                    if (fabs(k1.logits[i] - k2.logits[i]) > worst) worst = fabs(k1.logits[i] - k2.logits[i]);
            }
            EXPECTF(worst < 1e-4, "%s view: cached-step logits within 1e-4 of the loaded model's: %g", name, worst);
            tinygpt_free(k1.k);
            tinygpt_free(k2.k);
        }
        /* sampling past block_size (the window slides: the view re-reads it token by token) */
        EXPECT_OK(tinygpt_generate(&view, &s1, tokens, 3, 40, out1, NULL, NULL, NULL, &err), err);
        EXPECT_OK(tinygpt_generate(&copy, &s2, tokens, 3, 40, out2, NULL, NULL, NULL, &err), err);
        EXPECTF(memcmp(out1, out2, sizeof out1) == 0, "%s view samples the loaded model's 40 tokens", name);
        /* read-only */
        EXPECT_FAIL(tinygpt_train_step(&view, tokens, tokens + 1, 1, 8, NULL, &err));
        EXPECT_MENTIONS(err, kind ? "int8 view" : "read-only");
        EXPECT_FAIL(tinygpt_backward(&view, &err));
        EXPECT_MENTIONS(err, "read-only");
        EXPECT_FAIL(tinygpt_optimizer_step(&view, NULL, &err));
        EXPECT_MENTIONS(err, "read-only");
        EXPECT_FAIL(tinygpt_save(&view, TMP_FILE, 0, &err));
        EXPECT_MENTIONS(err, "read-only");
        EXPECT_FAIL(tinygpt_save_int8(&view, TMP_FILE, &err));
        EXPECT_MENTIONS(err, "read-only");
        if (kind) {
            double loss;
            EXPECT_FAIL(tinygpt_evaluate_tokens(&view, tokens, 64, 2, &loss, &err));
            EXPECT_MENTIONS(err, "int8 view");
        } else {
            double l1, l2;
            EXPECT_OK(tinygpt_evaluate_tokens(&view, tokens, 64, 2, &l1, &err), err);
            EXPECT_OK(tinygpt_evaluate_tokens(&copy, tokens, 64, 2, &l2, &err), err);
            EXPECT(l1 == l2);
        }
        /* misaligned, and the reading rules still hold (the view is unchanged by a failure) */
        b = (unsigned char *)xmalloc(len + 1);
        memcpy(b + 1, img, len);
        EXPECT_FAIL(tinygpt_load_view(&view, b + 1, len, &err));
        EXPECT_MENTIONS(err, "tinygpt_load_memory");
        EXPECT(view.image == img);
        memcpy(b, img, len);
        b[len / 2] ^= 4;
        EXPECT_FAIL(tinygpt_load_view(&view, b, len, &err));
        EXPECT_MENTIONS(err, "crc");
        EXPECT_FAIL(tinygpt_load_view(&view, b, len - 1, &err));
        memcpy(b, img, len);
        put_f32(b + 128 + 4 * (size_t)m.vocab.size, kind ? -1.0f : NAN);  /* wte's first scale, or wte[0][0] */
        fix_crc(b, len);
        EXPECT_FAIL(tinygpt_load_view(&view, b, len, &err));
        EXPECT_MENTIONS(err, kind ? "scale" : "finite");
        EXPECT(view.image == img);
        free(b);
        /* tinygpt_sampling_memory: the bytes a view and a generate of that window allocate, at most */
        EXPECT(tinygpt_sampling_memory(img, 100, 8) == 0);
        for (i = 0; i < 3; i++) {
            static const size_t new_tokens[3] = {2, 7, 30};
            size_t ctx = 1 + new_tokens[i];
            need = tinygpt_sampling_memory(img, len, ctx);
            peak = view_peak(img, len, new_tokens[i], out1);
            EXPECTF(need > 0 && peak <= need && peak * 10 >= need * 9,
                    "%s view, window %lu: peak %lu bytes, tinygpt_sampling_memory %lu", name,
                    (unsigned long)(ctx < 8 ? ctx : 8), (unsigned long)peak, (unsigned long)need);
        }
        EXPECT(tinygpt_sampling_memory(img, len, 0) == tinygpt_sampling_memory(img, len, 8));
        tinygpt_model_free(&view);
        tinygpt_model_free(&copy);
        memset(&view, 0, sizeof view); memset(&copy, 0, sizeof copy);
    }
    free(fimg);
    free(qimg);
    tinygpt_model_free(&m);
}
