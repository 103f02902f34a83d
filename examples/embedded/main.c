/* main.c - tinygpt on a microcontroller: sample text from a model that is
   linked into the program as a const byte array (model.c, made by bin2c from
   a checkpoint, int8 by default), with no malloc and no stdio in the library.
   The weights stay in the image (flash): tinygpt_load_view checks it and reads
   them in place, so the arena holds only the vocabulary, the key/value cache,
   one row of activations and the sampler's buffers, and its size is known
   before anything is allocated (tinygpt_sampling_memory).

   The library gets its memory from a static arena through TINYGPT_MALLOC and
   TINYGPT_FREE (a bump allocator: a free gives memory back once every block
   above it is free too, which is how tinygpt's load and sample calls release
   theirs). The sample goes into a static buffer and then out through emit():
   on the board that is newlib's write() to fd 1, which rdimon turns into a
   semihosting call; on a PC, fwrite to stdout. A report (model, arena
   high-water mark, on the board the stack's deepest use) goes to fd 2.

   The same file builds for the host and for the board (EMBEDDED_BOARD), and
   for one seed both print the same text, character for character: see "the
   same floats everywhere" below, the Makefile's -ffp-contract=off, and
   README.md.

       build/embedded/embedded_native [seed [characters]]    defaults 1, 256 (SEED, CHARS)
       qemu-system-arm ... -kernel build/embedded/embedded.elf -append "seed characters" */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifndef SEED
#define SEED 1
#endif
#ifndef CHARS
#define CHARS 256
#endif
#ifndef MAX_CHARS  /* the most characters a run can ask for (static buffers) */
#define MAX_CHARS (CHARS > 1024 ? CHARS : 1024)
#endif
#ifndef TEMPERATURE
#define TEMPERATURE 0.8f
#define TEMPERATURE_TEXT "0.8"
#endif
#ifndef TOP_K
#define TOP_K 40
#endif
#ifndef ARENA_BYTES
#define ARENA_BYTES (256u * 1024u)
#endif

/* ---------------------------------------------------------------- the arena */

/* Every block starts with a 16-byte header and is a multiple of 16 bytes
   long, on the host and on the board alike, so that the two report the same
   high-water mark for the same calls. */
#define ARENA_ALIGN 16u
#define ARENA_NONE  0xFFFFFFFFu

typedef struct {
    uint32_t below;  /* offset of the block under this one, or ARENA_NONE */
    uint32_t freed;
    uint32_t size;   /* bytes asked for */
    uint32_t unused;
} arena_head;

#if defined(__GNUC__) || defined(__clang__)
static unsigned char arena[ARENA_BYTES] __attribute__((aligned(ARENA_ALIGN)));
#else
static union { unsigned char b[ARENA_BYTES]; double d; long l; void *p; } arena_u;
#define arena (arena_u.b)
#endif
static size_t   arena_top;             /* bytes in use: blocks below this are live or wait for those above */
static uint32_t arena_last = ARENA_NONE;  /* offset of the topmost block */
static size_t   arena_high;            /* the most arena_top has been */
static size_t   arena_refused;         /* the first request that did not fit, or 0 */
static unsigned long arena_calls;

static void *arena_alloc(size_t size)
{
    size_t need;
    arena_head *h;
    arena_calls++;
    if (size > ARENA_BYTES) { if (!arena_refused) arena_refused = size; return NULL; }
    need = sizeof(arena_head) + (size + ARENA_ALIGN - 1) / ARENA_ALIGN * ARENA_ALIGN;
    if (need > ARENA_BYTES - arena_top) { if (!arena_refused) arena_refused = size; return NULL; }
    h = (arena_head *)(void *)(arena + arena_top);
    h->below = arena_last;
    h->freed = 0;
    h->size = (uint32_t)size;
    h->unused = 0;
    arena_last = (uint32_t)arena_top;
    arena_top += need;
    if (arena_top > arena_high) arena_high = arena_top;
    return h + 1;
}

static void arena_free(void *p)
{
    arena_head *h = (arena_head *)p - 1;
    h->freed = 1;
    /* give back the top of the arena while its topmost block is free */
    while (arena_last != ARENA_NONE) {
        arena_head *top = (arena_head *)(void *)(arena + arena_last);
        if (!top->freed) break;
        arena_top = arena_last;
        arena_last = top->below;
    }
}

/* ---------------------------------------------------------------- the same floats everywhere

   For a seed, the host and the board must draw the same characters, so the
   float operations must round alike on both; measured with `make digest`,
   which hashes every logit. What differs between them otherwise:
   - Fused multiply-adds. The board's FPU has VFMA and x86-64 may have FMA.
     -ffp-contract=off (Makefile) stops the compiler fusing a*b+c on its own,
     but tinygpt.h marks its hot loops (the dot products of sampling among
     them) with gcc's optimize("fp-contract=fast") attribute, which wins over
     the flag; the macro below turns that attribute into a harmless one. And
     tinygpt.h calls fmaf() where <math.h> says FP_FAST_FMAF, which glibc
     does when the compiler predefines __FP_FAST_FMAF (x86 with FMA) or on
     its own (aarch64), and newlib never does: undefined here, both take a*b+c.
   - expf(): newlib's (single precision) and glibc's (through double) round
     some arguments differently, and the sampler's softmax calls it. Both
     builds use the library's own exp polynomial (tinygpt__exp_of_minus)
     instead, through the name below.
   - The width of tinygpt.h's vector code: 16 floats with AVX-512, 8 with
     AVX, 4 elsewhere, and its sums are split across that many lanes. With
     TINYGPT_NO_VECTOR_EXT its plain-C loops sum in an order fixed in the
     source (tinygpt__dot's 16 partial sums), whatever the vector width.
   sqrtf, division and conversions are correctly rounded IEEE operations on
   both, and both handle subnormals (no flush to zero). */
#undef __FP_FAST_FMAF
#include <math.h>  /* before the name below: glibc's declarations paste names together */
#undef FP_FAST_FMAF  /* tinygpt.h's own #include <math.h> is then a no-op that leaves it undefined */
#define optimize(x) __unused__
#define expf tinygpt_embedded_expf
float tinygpt_embedded_expf(float x);
#define TINYGPT_NO_VECTOR_EXT

#define TINYGPT_MALLOC(size) arena_alloc(size)
#define TINYGPT_FREE(ptr) arena_free(ptr)
#define TINYGPT_NO_STDIO
#define TINYGPT_STATIC
#define TINYGPT_IMPLEMENTATION
#include "tinygpt.h"

#undef optimize

/* exp(x) from tinygpt's polynomial, for x <= 0 as the sampler needs it (and
   1/exp(-x) above 0). Declared by <math.h> under this name, through the
   macro above. */
float tinygpt_embedded_expf(float x)
{
    return x <= 0.0f || x != x ? tinygpt__exp_of_minus(-x) : 1.0f / tinygpt__exp_of_minus(x);
}

/* ---------------------------------------------------------------- output */

#ifdef EMBEDDED_BOARD
#include <unistd.h>  /* newlib: write() to fd 1 and 2 becomes a semihosting SYS_WRITE (librdimon) */
size_t board_stack_size(void);
size_t board_stack_used(void);
static void out_fd(int fd, const char *p, size_t n)
{
    while (n > 0) {
        int w = (int)write(fd, p, n);
        if (w <= 0) return;
        p += w;
        n -= (size_t)w;
    }
}
#else
#include <stdio.h>
static void out_fd(int fd, const char *p, size_t n) { fwrite(p, 1, n, fd == 1 ? stdout : stderr); }
#endif

/* The generated text. */
static void emit(const char *p, size_t n) { out_fd(1, p, n); }

/* The report, on fd 2 (so that fd 1 holds only the text the two builds must agree on). */
static void note(const char *s) { out_fd(2, s, strlen(s)); }
static void note_uint(unsigned long long v)
{
    char buf[32];
    int i = (int)sizeof buf, digits = 0;
    do {
        if (digits > 0 && digits % 3 == 0) buf[--i] = ',';
        buf[--i] = (char)('0' + v % 10);
        v /= 10;
        digits++;
    } while (v > 0);
    out_fd(2, buf + i, sizeof buf - (size_t)i);
}

/* A decimal argument, or `fallback` when absent or malformed. */
static unsigned long long parse_uint(const char *s, unsigned long long fallback)
{
    unsigned long long v = 0;
    if (!s || !*s) return fallback;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > (~0ull - 9) / 10) return fallback;
        v = v * 10 + (unsigned long long)(*s - '0');
    }
    return v;
}

/* ---------------------------------------------------------------- sampling */

extern const unsigned char tinygpt_model_image[];
extern const unsigned long tinygpt_model_image_len;

static int32_t ids[MAX_CHARS];
static char text[4 * MAX_CHARS + 1];

static int failed(const char *what, const tinygpt_error *err)
{
    note("error: ");
    note(what);
    note(": ");
    note(err->message);
    note("\n");
    return 1;
}

#ifdef EMBEDDED_DIGEST
/* Diagnostic (make digest): replays the sample through the library's own
   key/value cache step (an internal function: this may need updating when
   tinygpt.h changes) and prints an FNV-1a hash of the bits of every logit and
   of expf of every scaled logit, as tinygpt__sample takes it. Equal hashes on
   the host and the board mean the float results agree bit for bit, not only
   the characters drawn from them. */
static uint64_t fnv(uint64_t h, float f)
{
    uint32_t b;
    int i;
    memcpy(&b, &f, 4);
    for (i = 0; i < 4; i++) { h ^= (b >> (8 * i)) & 0xFFu; h *= 0x100000001B3ull; }
    return h;
}

static void digest(const tinygpt_model *model, int32_t first, const int32_t *tok, size_t n)
{
    uint64_t hl = 0xCBF29CE484222325ull, he = hl;
    size_t done = 0;
    int T = model->config.block_size, V = model->config.vocab_size, i;
    int32_t context = first;
    while (done < n) {
        size_t want = n - done < (size_t)T ? n - done : (size_t)T, k;
        tinygpt__kv_cache kc;
        int cap = (int)(want < (size_t)T ? want + 1 : (size_t)T);
        if (tinygpt__kv_cache_alloc(&kc, &model->config, cap)) { note("digest: out of memory\n"); return; }
        for (k = 0; k < want; k++) {
            float maxv;
            tinygpt__kv_cache_step(&kc, model, k == 0 ? context : tok[done + k - 1]);
            for (maxv = kc.logits[0], i = 1; i < V; i++) if (kc.logits[i] > maxv) maxv = kc.logits[i];
            for (i = 0; i < V; i++) {
                hl = fnv(hl, kc.logits[i]);
                he = fnv(he, expf((kc.logits[i] - maxv) / TEMPERATURE));
            }
        }
        tinygpt_free(kc.kt);
        done += want;
        context = tok[done - 1];
    }
    note("digest: logits ");
    note_uint(hl);
    note(", expf ");
    note_uint(he);
    note("\n");
}
#endif

int main(int argc, char **argv)
{
    static tinygpt_model model;
    tinygpt_error err;
    tinygpt_sampler sampler;
    unsigned long long seed = parse_uint(argc > 1 ? argv[1] : NULL, SEED);
    size_t chars = (size_t)parse_uint(argc > 2 ? argv[2] : NULL, CHARS), produced = 0, text_len = 0, need, blocks;
    int32_t context;
    int T;

    if (chars > MAX_CHARS) chars = MAX_CHARS;
    err.message[0] = '\0';
    /* what sampling a full window (block_size) will allocate, from the header
       alone; the arena adds a header and rounding to each of at most 7 blocks */
    need = tinygpt_sampling_memory(tinygpt_model_image, (size_t)tinygpt_model_image_len, 0);
    blocks = 7 * (sizeof(arena_head) + ARENA_ALIGN - 1);
    if (need == 0 || need + blocks > ARENA_BYTES) {
        note("error: the model needs an arena of ");
        note_uint((unsigned long long)(need + blocks));
        note(" bytes (tinygpt_sampling_memory ");
        note_uint((unsigned long long)need);
        note(" + block headers); ARENA_BYTES is ");
        note_uint((unsigned long long)ARENA_BYTES);
        note("\n");
        return 1;
    }
    if (tinygpt_load_view(&model, tinygpt_model_image, (size_t)tinygpt_model_image_len, &err))
        return failed("loading the linked-in model", &err);
    model.threads = 1;
    T = model.config.block_size;
    context = tinygpt_vocab_find(&model.vocab, '\n');
    if (context < 0) context = 0;
    sampler = tinygpt_sampler_default(seed);
    sampler.temperature = TEMPERATURE;
    sampler.top_k = TOP_K;

    /* In pieces of at most block_size characters, each started from the last
       character of the one before: within a piece every token is one step of
       the key/value cache. Past block_size the window would slide, and a
       view then re-reads the whole window token by token for every new token
       (no more memory, but block_size times the work); see README.md. */
    while (produced < chars) {
        size_t want = chars - produced < (size_t)T ? chars - produced : (size_t)T, got = 0;
        if (tinygpt_generate(&model, &sampler, &context, 1, want, ids + produced, &got, NULL, NULL, &err))
            return failed("sampling", &err);
        if (got == 0) break;
        produced += got;
        context = ids[produced - 1];
    }
#ifdef EMBEDDED_DIGEST
    digest(&model, tinygpt_vocab_find(&model.vocab, '\n') < 0 ? 0 : tinygpt_vocab_find(&model.vocab, '\n'), ids,
           produced);
#endif
    if (tinygpt_decode(&model.vocab, ids, produced, text, &text_len, &err)) return failed("decoding", &err);
    emit(text, text_len);
    emit("\n", 1);

#ifdef EMBEDDED_BOARD
    note("board: mps2-an386 (Cortex-M4F), semihosting\n");
#else
    note("host\n");
#endif
    note("model: ");
    note_uint((unsigned long long)model.config.n_layer); note(" layers, ");
    note_uint((unsigned long long)model.config.n_head); note(" heads, n_embd ");
    note_uint((unsigned long long)model.config.n_embd); note(", block_size ");
    note_uint((unsigned long long)T); note(", vocabulary ");
    note_uint((unsigned long long)model.config.vocab_size); note(": ");
    note_uint((unsigned long long)model.num_params); note(" parameters, image ");
    note_uint((unsigned long long)tinygpt_model_image_len);
    note(memcmp(tinygpt_model_image, "tinygpt8", 8) == 0 ? " bytes (int8)\n" : " bytes (float)\n");
    note("sample: seed "); note_uint(seed); note(", "); note_uint((unsigned long long)produced);
    note(" characters, temperature ");
#ifdef TEMPERATURE_TEXT
    note(TEMPERATURE_TEXT);
#else
    note("(set at build time)");
#endif
    note(", top_k "); note_uint((unsigned long long)TOP_K); note("\n");
    tinygpt_model_free(&model);
    note("arena: high-water "); note_uint((unsigned long long)arena_high);
    note(" of "); note_uint((unsigned long long)ARENA_BYTES);
    note(" bytes (tinygpt_sampling_memory: "); note_uint((unsigned long long)need);
    note("; the rest block headers), "); note_uint((unsigned long long)arena_calls); note(" allocations, in use at the end: ");
    note_uint((unsigned long long)arena_top); note("\n");
    if (arena_refused) { note("arena: refused a request of "); note_uint((unsigned long long)arena_refused); note(" bytes\n"); }
#ifdef EMBEDDED_BOARD
    note("stack: deepest "); note_uint((unsigned long long)board_stack_used());
    note(" of "); note_uint((unsigned long long)board_stack_size()); note(" bytes\n");
#endif
    return arena_top == 0 ? 0 : 1;
}
