/* test_vocab.c - the vocabulary: built from UTF-8 text or code points, encode, decode, malformed UTF-8 */
#include "tinygpt_impl.h"  /* first: feature macros, expect.h, this file's own copy of tinygpt.h */

/* ======================================================================== */
/*                                 vocabulary                               */
/* ======================================================================== */

/* "héllo — ok ✓ 😀!\n": 1-, 2-, 3- and 4-byte characters */
static const char vocab_text[] = "h\xC3\xA9llo \xE2\x80\x94 ok \xE2\x9C\x93 \xF0\x9F\x98\x80!\n";
static const uint32_t vocab_text_cps[16] = {0x68, 0xE9, 0x6C, 0x6C, 0x6F, 0x20, 0x2014, 0x20,
                                            0x6F, 0x6B, 0x20, 0x2713, 0x20, 0x1F600, 0x21, 0x0A};
static const uint32_t vocab_expected[11] = {0x0A, 0x20, 0x21, 0x68, 0x6B, 0x6C,
                                            0x6F, 0xE9, 0x2014, 0x2713, 0x1F600};

static void test_vocab_malformed(const char *bad, size_t badlen, size_t offset, const char *what)
{
    tinygpt_vocab v = zero_vocab, ascii = zero_vocab;
    tinygpt_error err;
    char text[128];
    int32_t ids[128];
    size_t i, n_ids = 0, len = offset + badlen + 2;
    for (i = 0; i < offset; i++) text[i] = (char)('a' + i % 26);
    memcpy(text + offset, bad, badlen);
    text[offset + badlen] = 'b';
    text[offset + badlen + 1] = 'c';
    /* "truncated at the end" cases pass the bytes as the very end of the text */
    if (strstr(what, "end")) len = offset + badlen;
    err.message[0] = 0;
    EXPECTF(tinygpt_vocab_build(&v, "xyz", 3, &err) == 0, "%s: %s", what, err.message);
    {   /* a live vocabulary survives a failed build untouched (the one fill rule) */
        uint32_t *held = v.codepoints;
        EXPECTF(tinygpt_vocab_build(&v, text, len, &err) != 0, "%s: vocab_build accepted it", what);
        EXPECTF(has_number(err.message, (unsigned long)offset), "%s: message \"%s\" lacks offset %lu", what,
                err.message, (unsigned long)offset);
        EXPECTF(v.size == 3 && v.codepoints == held && held[0] == 'x', "%s: the live vocab changed on failure (size %d)",
                what, v.size);
    }
    tinygpt_vocab_free(&v);
    if (tinygpt_vocab_build(&ascii, "abcdefghijklmnopqrstuvwxyz", 26, &err) == 0) {
        err.message[0] = 0;
        EXPECTF(tinygpt_encode(&ascii, text, len, ids, &n_ids, &err) != 0, "%s: encode accepted it", what);
        EXPECTF(has_number(err.message, (unsigned long)offset), "%s: encode message \"%s\" lacks offset %lu",
                what, err.message, (unsigned long)offset);
        tinygpt_vocab_free(&ascii);
    }
}

void test_vocab(void)
{
    tinygpt_vocab v = zero_vocab, w = zero_vocab;
    tinygpt_error err;
    int32_t ids[64];
    size_t n_ids = 0, out_len = 0, len = strlen(vocab_text), i;
    char out[4 * 64 + 1], u8[4];
    int k;

    EXPECT_OK(tinygpt_vocab_build(&v, vocab_text, len, &err), err);
    EXPECTF(v.size == 11, "size %d", v.size);
    if (v.size == 11)
        for (k = 0; k < 11; k++)
            EXPECTF(v.codepoints[k] == vocab_expected[k], "id %d: U+%04lX, expected U+%04lX", k,
                    (unsigned long)v.codepoints[k], (unsigned long)vocab_expected[k]);
    for (k = 0; k + 1 < v.size; k++) EXPECT(v.codepoints[k] < v.codepoints[k + 1]);
    for (k = 0; k < 11; k++) EXPECT(tinygpt_vocab_find(&v, vocab_expected[k]) == k);
    EXPECT(tinygpt_vocab_find(&v, 'z') == -1);
    EXPECT(tinygpt_vocab_find(&v, 0x1F601) == -1);

    /* encode: one token per character, multi-byte characters included */
    EXPECT_OK(tinygpt_encode(&v, vocab_text, len, ids, &n_ids, &err), err);
    EXPECTF(n_ids == 16, "n_ids %lu", (unsigned long)n_ids);
    if (n_ids == 16)
        for (i = 0; i < 16; i++)
            EXPECTF(ids[i] >= 0 && ids[i] < v.size && v.codepoints[ids[i]] == vocab_text_cps[i],
                    "position %lu: id %ld", (unsigned long)i, (long)ids[i]);
    EXPECT_OK(tinygpt_encode(&v, "\xF0\x9F\x98\x80", 4, ids, &n_ids, &err), err);
    EXPECT(n_ids == 1 && ids[0] == 10);
    EXPECT_OK(tinygpt_encode(&v, "\xC3\xA9", 2, ids, &n_ids, &err), err);
    EXPECT(n_ids == 1 && ids[0] == 7);
    EXPECT_OK(tinygpt_encode(&v, "\xE2\x80\x94", 3, ids, &n_ids, &err), err);
    EXPECT(n_ids == 1 && ids[0] == 8);
    EXPECT_OK(tinygpt_encode(&v, "", 0, ids, &n_ids, &err), err);
    EXPECT(n_ids == 0);

    /* decode: byte-exact round trip */
    EXPECT_OK(tinygpt_encode(&v, vocab_text, len, ids, &n_ids, &err), err);
    memset(out, 'X', sizeof out);
    EXPECT_OK(tinygpt_decode(&v, ids, n_ids, out, &out_len, &err), err);
    EXPECTF(out_len == len && memcmp(out, vocab_text, len) == 0 && out[len] == 0,
            "decoded %lu bytes \"%s\"", (unsigned long)out_len, out);
    EXPECT(tinygpt_token_utf8(&v, 10, u8) == 4 && memcmp(u8, "\xF0\x9F\x98\x80", 4) == 0);
    EXPECT(tinygpt_token_utf8(&v, 7, u8) == 2 && memcmp(u8, "\xC3\xA9", 2) == 0);
    EXPECT(tinygpt_token_utf8(&v, 3, u8) == 1 && u8[0] == 'h');
    EXPECT(tinygpt_token_utf8(&v, 11, u8) == 0);
    EXPECT(tinygpt_token_utf8(&v, -1, u8) == 0);

    /* decode of an out-of-range id */
    ids[0] = 3; ids[1] = 11;
    err.message[0] = 0;
    EXPECT_FAIL(tinygpt_decode(&v, ids, 2, out, &out_len, &err));
    EXPECT_MENTIONS(err, "11");
    ids[0] = -1;
    EXPECT_FAIL(tinygpt_decode(&v, ids, 1, out, &out_len, &err));

    /* encode of a character missing from the vocabulary names it and its offset */
    err.message[0] = 0;
    EXPECT_FAIL(tinygpt_encode(&v, "hollo oh\xE2\x88\x9E", 11, ids, &n_ids, &err)); /* U+221E at 8 */
    EXPECTF(has_number(err.message, 8), "message \"%s\" lacks offset 8", err.message);
    EXPECT_MENTIONS(err, "221E|\xE2\x88\x9E");
    err.message[0] = 0;
    EXPECT_FAIL(tinygpt_encode(&v, "hhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhz", 38, ids, &n_ids, &err));
    EXPECTF(has_number(err.message, 37), "message \"%s\" lacks offset 37", err.message);
    tinygpt_vocab_free(&v);
    EXPECT(v.size == 0 && v.codepoints == NULL);
    tinygpt_vocab_free(&v); /* safe on a zeroed vocab */

    /* malformed UTF-8 of every kind, each at a distinct offset */
    test_vocab_malformed("\x80", 1, 13, "lone continuation byte");
    test_vocab_malformed("\xBF", 1, 14, "lone continuation byte 0xBF");
    test_vocab_malformed("\xE2\x80", 2, 17, "3-byte sequence truncated at the end");
    test_vocab_malformed("\xF0\x9F\x98", 3, 18, "4-byte sequence truncated at the end");
    test_vocab_malformed("\xC3", 1, 19, "2-byte sequence truncated at the end");
    test_vocab_malformed("\xE2\x80", 2, 33, "3-byte sequence cut short by ASCII");
    test_vocab_malformed("\xC0\x80", 2, 21, "overlong C0 80");
    test_vocab_malformed("\xC1\xBF", 2, 25, "overlong C1 BF");
    test_vocab_malformed("\xE0\x80\x80", 3, 22, "overlong E0 80 80");
    test_vocab_malformed("\xE0\x9F\xBF", 3, 27, "overlong E0 9F BF");
    test_vocab_malformed("\xF0\x80\x80\x80", 4, 34, "overlong F0 80 80 80");
    test_vocab_malformed("\xED\xA0\x80", 3, 23, "surrogate ED A0 80");
    test_vocab_malformed("\xED\xBF\xBF", 3, 35, "surrogate ED BF BF");
    test_vocab_malformed("\xF4\x90\x80\x80", 4, 26, "above U+10FFFF F4 90 80 80");
    test_vocab_malformed("\xF5\x80\x80\x80", 4, 36, "lead byte F5");
    test_vocab_malformed("\xFF", 1, 29, "invalid byte 0xFF");
    test_vocab_malformed("\xFE", 1, 31, "invalid byte 0xFE");

    /* well-formed edge cases are accepted */
    EXPECT_OK(tinygpt_vocab_build(&v, "\xF4\x8F\xBF\xBF\xED\x9F\xBF\xEE\x80\x80", 10, &err), err);
    EXPECT(v.size == 3 && v.codepoints[0] == 0xD7FF && v.codepoints[1] == 0xE000 && v.codepoints[2] == 0x10FFFF);
    tinygpt_vocab_free(&v);
    /* a byte-order mark, CR LF and NUL are ordinary characters */
    EXPECT_OK(tinygpt_vocab_build(&v, "\xEF\xBB\xBF" "a\r\n\0b", 8, &err), err);
    EXPECT(v.size == 6 && v.codepoints[0] == 0 && v.codepoints[1] == 0x0A && v.codepoints[2] == 0x0D &&
           v.codepoints[5] == 0xFEFF);
    tinygpt_vocab_free(&v);

    /* empty text: refused, and a zeroed vocabulary stays zeroed */
    EXPECT_FAIL(tinygpt_vocab_build(&v, "", 0, &err));
    EXPECT(v.size == 0 && v.codepoints == NULL);
    /* building over a live vocabulary replaces it (no leak: the no-leaks group counts blocks) */
    EXPECT_OK(tinygpt_vocab_build(&v, "ab", 2, &err), err);
    EXPECT_OK(tinygpt_vocab_build(&v, "cde", 3, &err), err);
    EXPECT(v.size == 3 && v.codepoints[0] == 'c');
    tinygpt_vocab_free(&v);

    /* from code points: any order, ids follow the given order */
    {
        uint32_t cps[5] = {'z', 0x1F600, 'a', 0, 0x10FFFF};
        uint32_t rep[3] = {'a', 'b', 'a'}, sur[2] = {'a', 0xD800}, sur2[1] = {0xDFFF}, big[2] = {'a', 0x110000};
        EXPECT_OK(tinygpt_vocab_from_codepoints(&w, cps, 5, &err), err);
        EXPECT(w.size == 5 && tinygpt_vocab_find(&w, 'z') == 0 && tinygpt_vocab_find(&w, 0x1F600) == 1 &&
               tinygpt_vocab_find(&w, 'a') == 2 && tinygpt_vocab_find(&w, 0) == 3 &&
               tinygpt_vocab_find(&w, 0x10FFFF) == 4 && tinygpt_vocab_find(&w, 'b') == -1);
        EXPECT_OK(tinygpt_encode(&w, "az\xF0\x9F\x98\x80", 6, ids, &n_ids, &err), err);
        EXPECT(n_ids == 3 && ids[0] == 2 && ids[1] == 0 && ids[2] == 1);
        tinygpt_vocab_free(&w);
        err.message[0] = 0;
        EXPECT_FAIL(tinygpt_vocab_from_codepoints(&w, rep, 3, &err));
        EXPECT_MENTIONS(err, "repeat|duplicate");
        EXPECT(w.size == 0);
        EXPECT_FAIL(tinygpt_vocab_from_codepoints(&w, sur, 2, &err));
        EXPECT_MENTIONS(err, "D800");
        EXPECT_FAIL(tinygpt_vocab_from_codepoints(&w, sur2, 1, &err));
        EXPECT_FAIL(tinygpt_vocab_from_codepoints(&w, big, 2, &err));
        EXPECT_MENTIONS(err, "110000");
        EXPECT_FAIL(tinygpt_vocab_from_codepoints(&w, cps, 0, &err));
    }
}
