/* fuzz_vocab.c - libFuzzer harness: vocabularies and text from untrusted bytes.
       make fuzz                       (both harnesses, FUZZ_TIME seconds each)
       make build/fuzz_vocab && build/fuzz_vocab build/fuzz/vocab tests/fuzz/corpus/vocab
   The first half of the input builds a vocabulary (malformed UTF-8 must be
   refused with a message); with it, the first half must encode and decode
   back to the same bytes, and the whole input must encode or be refused.
   The input read as 32-bit code points must give a valid vocabulary or be
   refused (invalid or repeated code points). */
#define TINYGPT_IMPLEMENTATION
#include "tinygpt.h"
/* Objects the library fills start zeroed (or live): copies of these. */
static tinygpt_vocab zero_vocab;

#include <stdlib.h>
#include <string.h>

/* A vocabulary must list valid, distinct code points, each found at its id. */
static void check_vocab(const tinygpt_vocab *v)
{
    int i;
    char utf8[4];
    if (v->size < 1) abort();
    for (i = 0; i < v->size; i++) {
        uint32_t cp = v->codepoints[i];
        if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) abort();
        if (tinygpt_vocab_find(v, cp) != i) abort();
        if (tinygpt_token_utf8(v, i, utf8) == 0) abort();
    }
    if (tinygpt_token_utf8(v, -1, utf8) != 0 || tinygpt_token_utf8(v, v->size, utf8) != 0) abort();
}

/* Encodes text (which may hold characters the vocabulary lacks); when that
   succeeds, decoding must give the same bytes back. */
static int round_trip(const tinygpt_vocab *v, const char *text, size_t len)
{
    int32_t *ids = (int32_t *)malloc((len ? len : 1) * sizeof(int32_t));
    char *back = (char *)malloc(4 * len + 1);
    size_t n = 0, back_len = 0;
    tinygpt_error err;
    int rc;
    if (!ids || !back) abort();
    err.message[0] = 0;
    rc = tinygpt_encode(v, text, len, ids, &n, &err);
    if (rc != 0) {
        if (err.message[0] == 0) abort();
    } else {
        if (n > len) abort();
        if (tinygpt_decode(v, ids, n, back, &back_len, &err) != 0) abort();
        if (back_len != len || memcmp(back, text, len) != 0 || back[len] != 0) abort();
        if (n > 0) {  /* an id outside the vocabulary is refused */
            ids[n / 2] = (n % 2) ? -1 : v->size;
            if (tinygpt_decode(v, ids, n, back, &back_len, &err) == 0) abort();
        }
    }
    free(ids);
    free(back);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    size_t half = size / 2;
    tinygpt_vocab v = zero_vocab;
    tinygpt_error err;
    err.message[0] = 0;
    if (tinygpt_vocab_build(&v, text, half, &err) == 0) {
        check_vocab(&v);
        if (round_trip(&v, text, half) != 0) abort();  /* its own text always encodes */
        round_trip(&v, text, size);
        tinygpt_vocab_free(&v);
    } else {
        if (err.message[0] == 0 || v.size != 0 || v.codepoints != NULL) abort();
    }
    /* the bytes as little-endian 32-bit code points, in the order given */
    if (size >= 4) {
        int n = (int)(size / 4), i;
        uint32_t *cps = (uint32_t *)malloc((size_t)n * sizeof(uint32_t));
        if (!cps) abort();
        for (i = 0; i < n; i++)
            cps[i] = (uint32_t)data[4 * i] | (uint32_t)data[4 * i + 1] << 8 |
                     (uint32_t)data[4 * i + 2] << 16 | (uint32_t)data[4 * i + 3] << 24;
        if (tinygpt_vocab_from_codepoints(&v, cps, n, &err) == 0) {
            if (v.size != n || memcmp(v.codepoints, cps, (size_t)n * sizeof(uint32_t)) != 0) abort();
            check_vocab(&v);
            tinygpt_vocab_free(&v);
        } else if (err.message[0] == 0 || v.codepoints != NULL) {
            abort();
        }
        free(cps);
    }
    return 0;
}
