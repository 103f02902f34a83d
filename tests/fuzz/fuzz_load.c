/* fuzz_load.c - libFuzzer harness: a checkpoint from untrusted bytes.
       make fuzz                       (both harnesses, FUZZ_TIME seconds each)
       make build/fuzz_load && build/fuzz_load build/fuzz/load tests/fuzz/corpus/load
   Each input is loaded three ways: as it is (nearly every mutation then
   fails the CRC check); with its CRC trailer recomputed, so that mutations
   reach the reading rules behind the CRC; and cut or padded to the length
   its header implies (when that is small), with a fresh CRC, so that a
   mutated shape or training field yields a model that loads. A refusal must
   say why and leave the target model alone; a model that loads must be
   usable: it trains a step, samples a few tokens, and takes exactly as many
   bytes as the input to save. The int8 kind (FORMAT.md section 7) goes the
   same ways, and every input is also tried with the other kind's magic, at
   that kind's length. Each is also given to tinygpt_load_view, which must
   agree with tinygpt_load_memory and sample. */
#define TINYGPT_IMPLEMENTATION
#include "tinygpt.h"
/* Objects the library fills start zeroed (or live): copies of these. */
static tinygpt_model zero_model;

#include <stdlib.h>
#include <string.h>

#include "../crc32_ref.h"  /* crc32_ieee: the harness's own CRC, not the library's */

static void put_u32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v; p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16); p[3] = (unsigned char)(v >> 24);
}

/* A model that loaded: use it the way a program would. The training step
   comes first and is the longest pass, so the activations are allocated once. */
static void exercise(tinygpt_model *m)
{
    tinygpt_error err;
    tinygpt_sampler sampler = tinygpt_sampler_default(7);
    int32_t x[3] = {0, 0, 0}, y[3], out[2];
    int T = m->config.block_size < 3 ? m->config.block_size : 3;
    char utf8[4];
    m->threads = 1;
    if (tinygpt_checkpoint_size(m, 1) == 0) abort();
    if (tinygpt_token_utf8(&m->vocab, m->config.vocab_size - 1, utf8) == 0) abort();
    y[0] = y[1] = y[2] = m->config.vocab_size - 1;
    /* a bad value in the file may make the loss or the gradient non-finite,
       which is an error, not a crash */
    if (tinygpt_train_step(m, x, y, 1, T, NULL, &err) != 0 && err.message[0] == 0) abort();
    sampler.top_k = 2;
    sampler.top_p = 0.9f;
    /* huge weights (int8 scales up to FLT_MAX/127 allow them) may overflow the
       logits: that one error is allowed, any other failure is not */
    err.message[0] = 0;
    if (tinygpt_generate(m, &sampler, x, 1, 2, out, NULL, NULL, NULL, &err) != 0 && !strstr(err.message, "overflowed"))
        abort();
}

static void load(const unsigned char *data, size_t size)
{
    tinygpt_model m = zero_model;
    tinygpt_error err;
    memset(&m, 0, sizeof m);
    err.message[0] = 0;
    if (tinygpt_load_memory(&m, data, size, &err) != 0) {
        /* says why, as a terminated string, and leaves the model empty */
        if (err.message[0] == 0 || memchr(err.message, 0, sizeof err.message) == NULL) abort();
        if (m.params || m.vocab.codepoints) abort();
        if (tinygpt_load_view(&m, data, size, &err) == 0) abort();  /* a view applies the same rules */
        if (m.image || m.vocab.codepoints) abort();
        return;
    }
    {   /* the same bytes as a view (the harness's buffers are aligned): it loads and samples */
        tinygpt_model v = zero_model;
        tinygpt_sampler s = tinygpt_sampler_default(3);
        int32_t x[1] = {0}, out[2];
        memset(&v, 0, sizeof v);
        if (tinygpt_load_view(&v, data, size, &err) != 0) abort();
        err.message[0] = 0;
        if (tinygpt_generate(&v, &s, x, 1, 2, out, NULL, NULL, NULL, &err) != 0 && !strstr(err.message, "overflowed"))
            abort();
        tinygpt_model_free(&v);
    }
    if (memcmp(data, "tinygpt8", 8) == 0) {  /* the int8 kind: its size, and it writes back */
        unsigned char *again = (unsigned char *)malloc(size);
        tinygpt_model m2 = zero_model;
        memset(&m2, 0, sizeof m2);
        if (tinygpt_int8_checkpoint_size(&m) != size || !again) abort();
        if (tinygpt_save_int8_memory(&m, again, size, &err) != 0) abort();
        if (tinygpt_load_memory(&m2, again, size, &err) != 0) abort();
        tinygpt_model_free(&m2);
        free(again);
    } else if (tinygpt_checkpoint_size(&m, 1) != size) {
        abort();
    }
    exercise(&m);
    tinygpt_model_free(&m);
}

static uint64_t get_u32(const unsigned char *p)
{
    return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24;
}

static uint64_t pad4(uint64_t n) { return (n + 3) / 4 * 4; }
static uint64_t matrix(uint64_t R, uint64_t K) { return 4 * R + pad4(R * K); }

/* The file length the header asks for (FORMAT.md), or 0 when it is over `cap`. */
static size_t implied_size(const unsigned char *h, size_t cap)
{
    uint64_t V = get_u32(h + 16), T = get_u32(h + 20), L = get_u32(h + 24), C = get_u32(h + 32), P;
    uint64_t arrays = (get_u32(h + 12) & 1u) ? 3 : 1;
    if (V > cap || T > cap || L > cap || C > cap) return 0;  /* keeps the sums below 2^64 */
    if (memcmp(h, "tinygpt8", 8) == 0) {  /* the int8 kind, FORMAT.md 7.2 */
        P = 128 + 4 * V + 4 + matrix(V, C) + matrix(T, C) + 8 * C + matrix(V, C)
            + L * (8 * C + matrix(3 * C, C) + 12 * C + matrix(C, C) + 4 * C + 8 * C + matrix(4 * C, C) + 16 * C
                   + matrix(C, 4 * C) + 4 * C);
        return P <= cap ? (size_t)P : 0;
    }
    P = 2 * V * C + T * C + L * (12 * C * C + 13 * C) + 2 * C;
    if (P > cap) return 0;
    P = 128 + 4 * V + 4 * arrays * P + 4;
    return P <= cap ? (size_t)P : 0;
}

/* With a fresh CRC trailer; `want` bytes long: cut, or padded with distinct
   code points where the vocabulary is missing and zeros after it. */
static void load_fixed(const uint8_t *data, size_t size, size_t want)
{
    unsigned char *b = (unsigned char *)calloc(want, 1);
    size_t i, keep = size < want ? size : want;
    if (!b) return;
    memcpy(b, data, keep);
    for (i = keep < 128 ? 0 : (keep - 128 + 3) / 4; 128 + 4 * i + 4 <= want - 4 && i < get_u32(b + 16); i++)
        put_u32(b + 128 + 4 * i, (uint32_t)(0x41 + i));
    put_u32(b + want - 4, crc32_ieee(b, want - 4));
    load(b, want);
    free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t want;
    load(data, size);
    if (size < 132) return 0;
    load_fixed(data, size, size);
    want = implied_size(data, 1 << 18);
    if (want >= 132 && want != size) load_fixed(data, size, want);
    {   /* the same bytes as the other kind (float <-> int8), at that kind's length */
        unsigned char *b = (unsigned char *)malloc(size);
        if (!b) return 0;
        memcpy(b, data, size);
        memcpy(b, memcmp(data, "tinygpt8", 8) == 0 ? "tinygpt" : "tinygpt8", 8);
        want = implied_size(b, 1 << 18);
        if (want >= 132) load_fixed(b, size, want);
        free(b);
    }
    return 0;
}
