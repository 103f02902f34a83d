/* tinygpt.h - v0.1 - a character-level GPT you can train and sample in plain C.
   MIT licence: see the end of this file.

   Do this in exactly one C or C++ file before including it:
       #define TINYGPT_IMPLEMENTATION
       #include "tinygpt.h"

   A whole program (error checks elided; every call returns 0 on success):

       tinygpt_vocab vocab = {0}; tinygpt_model model = {0}; tinygpt_error err;
       tinygpt_sampler sampler;
       tinygpt_config cfg = {0, 64, 2, 4, 64};        // V (from vocab), T, L, H, C
       tinygpt_train_config tc = tinygpt_train_config_default();
       tinygpt_vocab_build(&vocab, text, text_len, &err);
       tinygpt_encode(&vocab, text, text_len, ids, &n_ids, &err);
       tinygpt_model_create(&model, &cfg, &vocab, &tc, &err);
       for (i = 0; i < 1000; i++) {
           tinygpt_get_batch(ids, n_ids, 8, 64, &model.rng, x, y, &err);
           tinygpt_train_step(&model, x, y, 8, 64, &loss, &err);
       }
       sampler = tinygpt_sampler_default(42);         // temperature 0.8, top_k 40
       tinygpt_generate(&model, &sampler, ids, 1, 200, out, NULL, NULL, NULL, &err);
       tinygpt_model_free(&model); tinygpt_vocab_free(&vocab);

   Options (define before including the implementation):
     TINYGPT_MALLOC(size) / TINYGPT_FREE(ptr)  your allocator (define both or neither)
     TINYGPT_STATIC                            make every function static
     TINYGPT_NO_STDIO                          leave out file loading and saving
     TINYGPT_NO_VECTOR_EXT                     plain-C kernels instead of gcc/clang vector types
                                               (same results to rounding; the summation order
                                               then does not depend on the vector width)
     TINYGPT_MR, TINYGPT_NR                    the matmul's register tile (rows x columns of C);
                                               defaults 6 x two vector widths (vector kernel;
                                               8 rows with AVX-512) or 4 x 16 (plain C); NR only
                                               with TINYGPT_NO_VECTOR_EXT
   Threads: built with OpenMP (-fopenmp), the ops use model->threads threads
   (0: OpenMP's default); results are the same bits for any thread count.
   Work too small to gain from a second thread stays on one: each parallel
   loop wakes the sleeping threads (TINYGPT__PAR_MIN, TINYGPT__PAR_FMA).

   Contents (the implementation reads top-down like the model):
     platform        includes, allocator, OpenMP, compiler hints
     errors, memory  messages, checked sizes
     random numbers  splitmix64
     vocabulary      UTF-8, code points, encode/decode
     data            files, the 90/10 split, random batches
     config          checks, defaults, the learning-rate schedule
     parameters      THE parameter table, named pointers, create and free
     ops             embedding, LayerNorm, linear, attention (blocked products;
                     one row against the key/value cache), GELU, dropout,
                     residual, cross-entropy: each forward beside its backward
     the model       activations, THE transformer block (tinygpt__block_forward,
                     for a batch and for the cache's one-row step),
                     tinygpt_forward, tinygpt_backward
     optimizer       clipping, AdamW (tinygpt__adamw_range), train_step
     evaluation      estimate_loss, evaluate_tokens
     sampling        the sampler, the cache's step, the window's slide, generate
     checkpoints     header layout (tinygpt__write_header), the int8 kind, load,
                     views (tinygpt_load_view, tinygpt_sampling_memory), save
     kernels         speed only: blocked matmul (a share of C per thread, or
                     a half of K for weight gradients), packing (8 x 8
                     transposes), vector lanes, exp

   Errors: no function prints, exits or asserts on input. Failures return a
   nonzero status and, when the caller passes a tinygpt_error, a message that
   names the problem (a byte offset, a character, a checkpoint field, a file).

   Objects the library fills (tinygpt_vocab, tinygpt_model) follow one rule:
   pass one that is zeroed (= {0}) or live. On success its old contents are
   freed and replaced; on failure it is left exactly as it was. Every function
   that takes a model refuses a zeroed one with an error.
*/
#ifndef TINYGPT_H
#define TINYGPT_H

#include <stddef.h>
#include <stdint.h>

#if defined(TINYGPT_STATIC) && (defined(__GNUC__) || defined(__clang__))
#define TINYGPT_DEF static __attribute__((unused))  /* a program need not call them all */
#elif defined(TINYGPT_STATIC)
#define TINYGPT_DEF static
#else
#define TINYGPT_DEF extern
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- errors */

typedef struct tinygpt_error {
    char message[256];
} tinygpt_error;

/* ---------------------------------------------------------------- rng */

/* splitmix64: any 64-bit state is valid. Owned by the caller; no hidden seed. */
typedef struct tinygpt_rng {
    uint64_t state;
} tinygpt_rng;

TINYGPT_DEF void     tinygpt_rng_seed(tinygpt_rng *rng, uint64_t seed);
TINYGPT_DEF uint64_t tinygpt_rng_u64(tinygpt_rng *rng);
TINYGPT_DEF float    tinygpt_rng_float(tinygpt_rng *rng);             /* [0, 1) */
TINYGPT_DEF size_t   tinygpt_rng_below(tinygpt_rng *rng, size_t n);   /* [0, n), n > 0 */
TINYGPT_DEF float    tinygpt_rng_normal(tinygpt_rng *rng);            /* N(0, 1) */

/* ---------------------------------------------------------------- vocabulary */

/* Character vocabulary over Unicode code points: token id i is codepoints[i]. */
typedef struct tinygpt_vocab {
    int       size;
    uint32_t *codepoints;  /* [size] */
    uint32_t *sorted;      /* [size] code points ascending, for encoding */
    int32_t  *sorted_ids;  /* [size] id of sorted[i] */
} tinygpt_vocab;

/* Distinct code points of UTF-8 `text`, ascending. Fails on malformed UTF-8
   (naming the byte offset) or empty text. *vocab: zeroed or live (see the top). */
TINYGPT_DEF int  tinygpt_vocab_build(tinygpt_vocab *vocab, const char *text, size_t len,
                                     tinygpt_error *err);
/* A vocabulary with the given code points in the given order (distinct, valid). */
TINYGPT_DEF int  tinygpt_vocab_from_codepoints(tinygpt_vocab *vocab, const uint32_t *cps, int n,
                                               tinygpt_error *err);
TINYGPT_DEF void tinygpt_vocab_free(tinygpt_vocab *vocab);  /* safe on a zeroed vocab */
/* Token id of a code point, or -1. */
TINYGPT_DEF int32_t tinygpt_vocab_find(const tinygpt_vocab *vocab, uint32_t codepoint);

/* UTF-8 text to ids. `ids` must hold `len` entries (at most one token per byte);
   *n_ids receives the count. Fails on malformed UTF-8 or a character missing
   from the vocabulary, naming it and its byte offset. */
TINYGPT_DEF int tinygpt_encode(const tinygpt_vocab *vocab, const char *text, size_t len,
                               int32_t *ids, size_t *n_ids, tinygpt_error *err);
/* Ids to UTF-8. `out` must hold 4*n + 1 bytes; it is NUL-terminated and
   *out_len gets the byte count. Fails on an id outside the vocabulary. */
TINYGPT_DEF int tinygpt_decode(const tinygpt_vocab *vocab, const int32_t *ids, size_t n,
                               char *out, size_t *out_len, tinygpt_error *err);
/* UTF-8 of one token into out[0..3]; returns its byte count, or 0 for a bad id. */
TINYGPT_DEF int tinygpt_token_utf8(const tinygpt_vocab *vocab, int32_t id, char out[4]);

/* ---------------------------------------------------------------- data */

#ifndef TINYGPT_NO_STDIO
/* Whole file into a new buffer (NUL-terminated for convenience; free it with
   tinygpt_free). Names the file on failure. */
TINYGPT_DEF int tinygpt_read_file(const char *path, char **data, size_t *len, tinygpt_error *err);
#endif
TINYGPT_DEF void *tinygpt_alloc(size_t size);  /* the library's allocator, for buffers it hands out */
TINYGPT_DEF void  tinygpt_free(void *ptr);

/* Number of tokens in the training split: the first 90%; the rest is validation. */
TINYGPT_DEF size_t tinygpt_train_split(size_t n_tokens);

/* B random windows of T+1 tokens from tokens[0..n): inputs[b*T + t] = tokens[i+t],
   targets[b*T + t] = tokens[i+t+1]. Fails if n < T + 1. */
TINYGPT_DEF int tinygpt_get_batch(const int32_t *tokens, size_t n, int B, int T, tinygpt_rng *rng,
                                  int32_t *inputs, int32_t *targets, tinygpt_error *err);

/* ---------------------------------------------------------------- model */

typedef struct tinygpt_config {
    int vocab_size;  /* V */
    int block_size;  /* T: longest context */
    int n_layer;     /* L */
    int n_head;      /* H, divides C */
    int n_embd;      /* C */
} tinygpt_config;

/* Training hyperparameters; stored in checkpoints (see docs/FORMAT.md). */
typedef struct tinygpt_train_config {
    float    learning_rate;  /* peak, after warmup */
    float    min_lr;         /* where the cosine decay ends */
    float    beta1, beta2, eps;
    float    weight_decay;   /* decoupled; 2-D weights only */
    float    grad_clip;      /* max global L2 norm; 0 = none */
    float    dropout;
    uint32_t warmup_steps;
    uint32_t batch_size;     /* informational; 0 if unknown */
    uint64_t max_steps;      /* schedule length; 0 = constant lr after warmup */
    uint64_t seed;
} tinygpt_train_config;

/* lr 3e-4, min_lr 3e-5, betas 0.9/0.95, eps 1e-8, weight decay 0.1, clip 1.0,
   dropout 0.1, warmup 100, max_steps 0, seed 1337. */
TINYGPT_DEF tinygpt_train_config tinygpt_train_config_default(void);

/* Checks shapes and hyperparameters; names the first bad field. */
TINYGPT_DEF int tinygpt_config_check(const tinygpt_config *cfg, tinygpt_error *err);
TINYGPT_DEF int tinygpt_train_config_check(const tinygpt_train_config *tc, tinygpt_error *err);
/* Parameter count P per docs/FORMAT.md, or 0 if it overflows. */
TINYGPT_DEF size_t tinygpt_num_params(const tinygpt_config *cfg);
/* Bytes a training run of this shape allocates: parameters, gradients, AdamW
   moments and the activations of one batch_size x block_size step (on the
   library's default thread count). 0 if the shape is invalid or it overflows.
   cfg->vocab_size must be set. Lets a program refuse a run before building it. */
TINYGPT_DEF size_t tinygpt_train_memory(const tinygpt_config *cfg, int batch_size);
/* Learning rate used by the update that makes step s+1 (docs/FORMAT.md schedule). */
TINYGPT_DEF float tinygpt_lr(const tinygpt_train_config *tc, uint64_t s);

struct tinygpt_acts;   /* private */
struct tinygpt_names;  /* private */

typedef struct tinygpt_model {
    tinygpt_config       config;
    tinygpt_train_config train;
    tinygpt_vocab        vocab;
    uint64_t             step;        /* optimizer updates taken */
    tinygpt_rng          rng;         /* batches and dropout; saved in checkpoints */
    size_t               num_params;  /* P */
    float               *params;      /* [P] in docs/FORMAT.md order */
    float               *grads;       /* [P] or NULL until the first backward */
    float               *m, *v;       /* [P] AdamW moments, or NULL until the first update */
    float                last_grad_norm;  /* before clipping, from the last update */
    int                  threads;     /* 0 = library default */
    struct tinygpt_acts *acts;        /* activations and scratch, private */
    struct tinygpt_names *names;      /* named pointers into params and grads, private */
    const void          *image;       /* set by tinygpt_load_view: the weights are read from it (read-only) */
} tinygpt_model;

/* A new model for `vocab` (copied; cfg->vocab_size is set from it), with
   GPT-2 initialisation (normal std 0.02, zero biases, unit LayerNorm weights)
   drawn from tc->seed; model->rng starts from the same seed. tc may be NULL
   (tinygpt_train_config_default). *model: zeroed or live (see the top). */
TINYGPT_DEF int  tinygpt_model_create(tinygpt_model *model, const tinygpt_config *cfg,
                                      const tinygpt_vocab *vocab, const tinygpt_train_config *tc,
                                      tinygpt_error *err);
TINYGPT_DEF void tinygpt_model_free(tinygpt_model *model);  /* safe on a zeroed or half-built model */

/* Forward pass over B sequences of T <= block_size tokens. With targets,
   *loss gets the mean cross-entropy (loss may be NULL). training != 0 applies
   dropout (drawing its seed from model->rng) and keeps what backward needs. */
TINYGPT_DEF int tinygpt_forward(tinygpt_model *model, const int32_t *inputs, const int32_t *targets,
                                int B, int T, int training, float *loss, tinygpt_error *err);
/* Logits [B*T, V] of the last forward. */
TINYGPT_DEF const float *tinygpt_logits(const tinygpt_model *model);
TINYGPT_DEF void tinygpt_zero_grad(tinygpt_model *model);
/* Adds the gradient of the last forward's mean loss into model->grads
   (allocated and zeroed on first use). Needs a forward with targets. */
TINYGPT_DEF int tinygpt_backward(tinygpt_model *model, tinygpt_error *err);
/* Clip, then one AdamW update at lr(step); step++. Nothing changes, and an
   error says why, when the gradient norm is not finite, when model->train
   fails tinygpt_train_config_check, when step is already 2^64-1, or when the
   update would make any parameter or moment NaN or infinite. grad_norm (may
   be NULL) gets the norm before clipping. */
TINYGPT_DEF int tinygpt_optimizer_step(tinygpt_model *model, float *grad_norm, tinygpt_error *err);
/* zero_grad + forward(training) + backward + optimizer_step. A non-finite
   loss is an error and no update is taken. */
TINYGPT_DEF int tinygpt_train_step(tinygpt_model *model, const int32_t *inputs,
                                   const int32_t *targets, int B, int T, float *loss,
                                   tinygpt_error *err);

/* Mean loss (dropout off) over `iters` random batches of B x block_size from
   tokens[0..n), drawn from `rng`. */
TINYGPT_DEF int tinygpt_estimate_loss(tinygpt_model *model, const int32_t *tokens, size_t n, int B,
                                      int iters, tinygpt_rng *rng, float *loss, tinygpt_error *err);
/* Mean next-token loss (dropout off) over the consecutive windows
   k*T .. k*T+T (T = block_size) of tokens[0..n), every window with
   k*T + T + 1 <= n, evaluated B windows at a time. */
TINYGPT_DEF int tinygpt_evaluate_tokens(tinygpt_model *model, const int32_t *tokens, size_t n,
                                        int B, double *loss, tinygpt_error *err);

/* ---------------------------------------------------------------- sampling */

/* Called with each new token as it is sampled; return nonzero to stop. */
typedef int (*tinygpt_token_fn)(void *user, int32_t token);

/* How each new token is drawn from the last position's logits: logits /
   temperature, keep the top_k likeliest, keep the smallest set of those whose
   probability reaches top_p (nucleus), then a draw from rng. */
typedef struct tinygpt_sampler {
    float       temperature;  /* 0 = greedy; < 1 sharper, > 1 more random; >= 0 */
    int         top_k;        /* 0 = all (values above V mean all too); >= 0 */
    float       top_p;        /* in (0, 1]; 1 = all */
    int         slide;        /* 0 or 1: exact. N > 1: see below */
    tinygpt_rng rng;          /* advances with every draw */
} tinygpt_sampler;

/* The window and `slide`: each token is drawn from the logits over the last
   block_size tokens at most. Positions are learned, so once the window is
   full every cached key and value changes with each new token and the cache
   is rebuilt (a forward over the window) per token: the exact slide, the
   default, the same tokens as a forward over the last block_size. With slide
   = N (2 <= N <= block_size) a full window instead drops its oldest N tokens
   at once, and the next N tokens reuse one rebuild: each then sees between
   block_size - N + 1 and block_size tokens (fewer than the exact slide gives),
   for about N times fewer rebuilds. A call whose window will slide, on a model
   that is not a view, holds the layers' weights packed once for the
   rebuilds' products: a copy as large as those weights, freed on return. */

/* temperature 0.8, top_k 40, top_p 1, slide 1 (exact), rng seeded with `seed`. */
TINYGPT_DEF tinygpt_sampler tinygpt_sampler_default(uint64_t seed);

/* Extends `context` (n_context >= 1 ids) by up to max_new_tokens drawn by
   `sampler`, each from the logits over the last block_size tokens. New ids go
   to out[] (may be NULL; else max_new_tokens entries) and to on_token (may be
   NULL; nonzero from it stops early). *n_out (may be NULL) gets the count. A
   sampler field out of range is an error. */
TINYGPT_DEF int tinygpt_generate(tinygpt_model *model, tinygpt_sampler *sampler, const int32_t *context,
                                 size_t n_context, size_t max_new_tokens, int32_t *out, size_t *n_out,
                                 tinygpt_token_fn on_token, void *user, tinygpt_error *err);

/* ---------------------------------------------------------------- checkpoints (docs/FORMAT.md v1) */

/* Reads a checkpoint from memory, enforcing every reading rule of
   docs/FORMAT.md (NaN or infinite parameters or moments, or a negative second
   moment, are refused). On success *model (zeroed, or a model to replace)
   holds it; on failure *model is unchanged. AdamW moments are restored when
   present. */
TINYGPT_DEF int tinygpt_load_memory(tinygpt_model *model, const void *data, size_t len,
                                    tinygpt_error *err);
#ifndef TINYGPT_NO_STDIO
TINYGPT_DEF int tinygpt_load(tinygpt_model *model, const char *path, tinygpt_error *err);
/* Writes a new temporary file beside path (named path.tmp-XXXXXXXX, created
   exclusively: never an existing file or a link) and renames it over path, so
   a crash or a concurrent save never leaves a partial file where a good one
   was, and nothing but the temporary file and path is touched. path ends up a
   regular file: a symlink there is replaced, not followed; an existing file's
   permission bits are kept. Fails, naming path, when it is a directory.
   with_optimizer stores m and v (if the model has them). */
TINYGPT_DEF int tinygpt_save(const tinygpt_model *model, const char *path, int with_optimizer,
                             tinygpt_error *err);
#endif
/* Bytes a checkpoint of this model takes. */
TINYGPT_DEF size_t tinygpt_checkpoint_size(const tinygpt_model *model, int with_optimizer);

/* The int8 checkpoint kind (docs/FORMAT.md section 7), for inference: every
   2-D weight matrix as per-row float scales and int8 values (symmetric,
   scale = max|row| / 127), the rest as floats; about a quarter of the float
   file. tinygpt_load_memory and tinygpt_load read both kinds: an int8 file
   loads into a float model (dequantised: scale * q), without AdamW moments.
   Saving fails on a model with a non-finite parameter. */
TINYGPT_DEF size_t tinygpt_int8_checkpoint_size(const tinygpt_model *model);  /* 0 if it overflows */
/* Writes the int8 file into buf[0 .. tinygpt_int8_checkpoint_size) (len at least that). */
TINYGPT_DEF int tinygpt_save_int8_memory(const tinygpt_model *model, void *buf, size_t len, tinygpt_error *err);
/* Samples from a checkpoint image in place (flash, a memory-mapped file), with
   no copy of the weights. The image is checked by every reading rule (CRC
   included) and must stay valid and unchanged while the model lives. It must
   be 4-byte aligned and the host little-endian (tinygpt_load_memory has no
   such condition: use it otherwise). Float image: the parameters point into
   it; the model samples, evaluates and runs forward passes. int8 image: the
   single-token step of tinygpt_generate reads the int8 rows directly, so RAM
   holds only the vocabulary, the key/value cache, one row of activations and
   the sampler's buffers; such a model only samples. Either way the weights
   are read-only: training and saving fail ("weights are read-only"), and
   tinygpt_model_free leaves the image alone. A view samples through the cache
   alone (a window that slides is re-read token by token), so tinygpt_generate
   allocates exactly tinygpt_sampling_memory's figure. *model: as tinygpt_load_memory. */
TINYGPT_DEF int tinygpt_load_view(tinygpt_model *model, const void *image, size_t len, tinygpt_error *err);
/* Bytes allocated (through TINYGPT_MALLOC, the sum of the requests live at
   the peak) by tinygpt_load_view of this image plus a tinygpt_generate whose
   window reaches context_len tokens (n_context + max_new_tokens, capped at
   block_size; 0 means block_size). Reads the header only; 0 when the header
   is not a valid one. The allocator's own overhead comes on top: at most 7
   blocks are live at once. */
TINYGPT_DEF size_t tinygpt_sampling_memory(const void *image, size_t len, size_t context_len);
#ifndef TINYGPT_NO_STDIO
/* As tinygpt_save (temporary file, rename), in the int8 kind. */
TINYGPT_DEF int tinygpt_save_int8(const tinygpt_model *model, const char *path, tinygpt_error *err);
#endif

#ifdef __cplusplus
}
#endif
#endif /* TINYGPT_H */

/* ======================================================================== */
/*                              IMPLEMENTATION                              */
/* ======================================================================== */
#ifdef TINYGPT_IMPLEMENTATION
#ifndef TINYGPT_IMPLEMENTATION_DONE
#define TINYGPT_IMPLEMENTATION_DONE

/* ================================================================ platform: includes, allocator, threads, compiler hints */

#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifndef TINYGPT_NO_STDIO
#if defined(_WIN32)
#include <fcntl.h>
#include <io.h>
#include <sys/stat.h>
#elif defined(__unix__) || defined(__APPLE__)
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#endif
#endif

#if defined(TINYGPT_MALLOC) && !defined(TINYGPT_FREE)
#error "tinygpt: define TINYGPT_FREE along with TINYGPT_MALLOC"
#endif
#if defined(TINYGPT_FREE) && !defined(TINYGPT_MALLOC)
#error "tinygpt: define TINYGPT_MALLOC along with TINYGPT_FREE"
#endif
#ifndef TINYGPT_MALLOC
#define TINYGPT_MALLOC(size) malloc(size)
#define TINYGPT_FREE(ptr) free(ptr)
#endif

/* The checkpoint format stores IEEE binary32 in octets; refuse to build where
   float is not that or a byte is not 8 bits. */
typedef char tinygpt__float_is_binary32[(sizeof(float) == 4 && FLT_MANT_DIG == 24 && CHAR_BIT == 8) ? 1 : -1];

/* The target's vector square root, for AdamW (tinygpt__sqrt_each). */
#if !defined(TINYGPT_NO_VECTOR_EXT) && (defined(__GNUC__) || defined(__clang__))
#if defined(__AVX512F__) || defined(__AVX__) || defined(__SSE__)
#include <immintrin.h>
#define TINYGPT__SQRT_X86 1
#elif defined(__aarch64__) && defined(__ARM_NEON)
#include <arm_neon.h>
#define TINYGPT__SQRT_NEON 1
#endif
#endif

#ifdef _OPENMP
#include <omp.h>
#define TINYGPT__PRAGMA(x) _Pragma(#x)
/* if(): a loop given one thread skips the thread team */
#define TINYGPT__PARALLEL_FOR(nthreads) \
    TINYGPT__PRAGMA(omp parallel for schedule(static) if((nthreads) > 1) num_threads(nthreads))
/* TINYGPT__FOR(nthreads, for-loop): the loop on nthreads threads, or outside
   any OpenMP region when nthreads is 1. Entering a region costs about a
   microsecond even under if(0), and the sampling cache's step runs some
   twenty one-row ops per token through the ops that use this. */
#define TINYGPT__FOR(nthreads, ...) \
    do { if ((nthreads) > 1) { TINYGPT__PARALLEL_FOR(nthreads) __VA_ARGS__; } else { __VA_ARGS__; } } while (0)
/* The same, with the iterations handed out one at a time as threads come
   free: a woken thread starts tens of microseconds after the caller, which
   meanwhile takes more of the iterations instead of waiting at the end. */
#define TINYGPT__FOR_DYNAMIC(nthreads, ...) \
    do { if ((nthreads) > 1) { \
        TINYGPT__PRAGMA(omp parallel for schedule(dynamic, 1) num_threads(nthreads)) __VA_ARGS__; \
    } else { __VA_ARGS__; } } while (0)
#else
#define TINYGPT__PRAGMA(x)
#define TINYGPT__FOR_DYNAMIC(nthreads, ...) do { (void)(nthreads); __VA_ARGS__; } while (0)
#define TINYGPT__PARALLEL_FOR(nthreads)
#define TINYGPT__FOR(nthreads, ...) do { (void)(nthreads); __VA_ARGS__; } while (0)
#endif

/* The calling thread's number in its team, and the team's size (0 and 1
   outside a parallel region). */
static int tinygpt__team_index(void)
{
#ifdef _OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

static int tinygpt__team_size(void)
{
#ifdef _OPENMP
    return omp_get_num_threads();
#else
    return 1;
#endif
}

/* The calling thread's slice of a scratch buffer of per_thread floats per thread. */
static float *tinygpt__thread_scratch(float *base, size_t per_thread)
{
    return base + (size_t)tinygpt__team_index() * per_thread;
}

#if defined(__cplusplus)
#define TINYGPT__RESTRICT __restrict
#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 199901L
#define TINYGPT__RESTRICT restrict
#else
#define TINYGPT__RESTRICT
#endif

/* Fused multiply-add where the target has it in hardware (C99's
   FP_FAST_FMAF); gcc in ISO C mode would otherwise never contract a*b+c. */
#ifdef FP_FAST_FMAF
#define TINYGPT__FMA(a, b, c) fmaf(a, b, c)
#else
#define TINYGPT__FMA(a, b, c) ((a) * (b) + (c))
#endif

/* gcc in ISO C mode does not fuse a*b+c on its own; the hot loops marked
   with this may (clang contracts within an expression by default). */
#if defined(__GNUC__) && !defined(__clang__)
#define TINYGPT__CONTRACT __attribute__((optimize("fp-contract=fast")))
#else
#define TINYGPT__CONTRACT
#endif

/* The per-element helpers of the hot loops (GELU, exp, the bit selects).
   `inline` is only a hint: in a large translation unit (a program that
   includes the implementation among much code of its own) gcc can decline it,
   and a loop that calls a function per element does not vectorise (the GELU
   forward then took a quarter of a training step). */
#if defined(__GNUC__) || defined(__clang__)
#define TINYGPT__INLINE __attribute__((always_inline)) inline
#else
#define TINYGPT__INLINE inline
#endif

/* ================================================================ errors and memory */

/* gcc and clang check every message's format against its arguments (a size_t
   printed with %lu would be cut to 32 bits where long is, as on Windows) */
#if defined(__GNUC__) || defined(__clang__)
static int tinygpt__fail(tinygpt_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#endif
static int tinygpt__fail(tinygpt_error *err, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return -1;
}

TINYGPT_DEF void *tinygpt_alloc(size_t size) { return TINYGPT_MALLOC(size ? size : 1); }
TINYGPT_DEF void tinygpt_free(void *ptr) { if (ptr) TINYGPT_FREE(ptr); }

/* a*b, or 0 with *ok cleared when it overflows size_t. */
static size_t tinygpt__mul(size_t a, size_t b, int *ok)
{
    if (a != 0 && b > SIZE_MAX / a) { *ok = 0; return 0; }
    return a * b;
}
static size_t tinygpt__add(size_t a, size_t b, int *ok)
{
    if (b > SIZE_MAX - a) { *ok = 0; return 0; }
    return a + b;
}

/* n floats, zeroed; NULL on overflow or out of memory. */
static float *tinygpt__alloc_floats(size_t n)
{
    float *p;
    if (n > SIZE_MAX / sizeof(float)) return NULL;
    p = (float *)tinygpt_alloc(n * sizeof(float));
    if (p) memset(p, 0, n * sizeof(float));
    return p;
}

/* ================================================================ random numbers */

TINYGPT_DEF void tinygpt_rng_seed(tinygpt_rng *rng, uint64_t seed) { rng->state = seed; }

/* splitmix64's output mix: a strong bijective hash of 64 bits. */
static uint64_t tinygpt__mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

TINYGPT_DEF uint64_t tinygpt_rng_u64(tinygpt_rng *rng)
{
    rng->state += 0x9E3779B97F4A7C15ull;
    return tinygpt__mix64(rng->state);
}

TINYGPT_DEF float tinygpt_rng_float(tinygpt_rng *rng)
{
    return (float)(tinygpt_rng_u64(rng) >> 40) * (1.0f / 16777216.0f);
}

TINYGPT_DEF size_t tinygpt_rng_below(tinygpt_rng *rng, size_t n)
{
    return (size_t)(tinygpt_rng_u64(rng) % (uint64_t)n);
}

TINYGPT_DEF float tinygpt_rng_normal(tinygpt_rng *rng)
{
    /* Box-Muller in double; u1 in (0, 1] so the log is finite. */
    double u1 = ((double)(tinygpt_rng_u64(rng) >> 11) + 1.0) * (1.0 / 9007199254740992.0);
    double u2 = (double)(tinygpt_rng_u64(rng) >> 11) * (1.0 / 9007199254740992.0);
    return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}

/* ================================================================ vocabulary: UTF-8 and code points */

/* Decodes one code point from s[0..len). Returns its byte length, or 0 if the
   bytes there are not well-formed UTF-8 (overlong, surrogate, > U+10FFFF, cut off). */
static int tinygpt__utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
    uint32_t c, min;
    int n, i;
    if (len == 0) return 0;
    c = s[0];
    if (c < 0x80) { *cp = c; return 1; }
    if (c >= 0xC2 && c <= 0xDF) { n = 2; c &= 0x1F; min = 0x80; }
    else if (c >= 0xE0 && c <= 0xEF) { n = 3; c &= 0x0F; min = 0x800; }
    else if (c >= 0xF0 && c <= 0xF4) { n = 4; c &= 0x07; min = 0x10000; }
    else return 0;
    if (len < (size_t)n) return 0;
    for (i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        c = (c << 6) | (s[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;
    *cp = c;
    return n;
}

static int tinygpt__utf8_encode(uint32_t cp, char out_chars[4])
{
    /* store through unsigned char: a byte >= 0x80 converted to a signed char
       is implementation-defined */
    unsigned char *out = (unsigned char *)out_chars;
    if (cp < 0x80) { out[0] = (unsigned char)cp; return 1; }
    if (cp < 0x800) {
        out[0] = (unsigned char)(0xC0 | (cp >> 6)); out[1] = (unsigned char)(0x80 | (cp & 0x3F)); return 2;
    }
    if (cp < 0x10000) {
        out[0] = (unsigned char)(0xE0 | (cp >> 12)); out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (unsigned char)(0x80 | (cp & 0x3F)); return 3;
    }
    out[0] = (unsigned char)(0xF0 | (cp >> 18)); out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F)); out[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

static int tinygpt__valid_codepoint(uint32_t cp)
{
    return cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
}

static int tinygpt__bad_utf8(tinygpt_error *err, const unsigned char *s, size_t len, size_t at)
{
    return tinygpt__fail(err, "malformed UTF-8 at byte offset %llu (byte 0x%02X)",
                         (unsigned long long)at, at < len ? s[at] : 0);
}

TINYGPT_DEF void tinygpt_vocab_free(tinygpt_vocab *vocab)
{
    tinygpt_free(vocab->codepoints);
    tinygpt_free(vocab->sorted);
    tinygpt_free(vocab->sorted_ids);
    memset(vocab, 0, sizeof *vocab);
}

/* Heapsort of ids by key[id]: O(n log n) whatever the order, no recursion,
   no allocation (qsort's comparator could not see the keys without state). */
static void tinygpt__sift_down(int32_t *ids, const uint32_t *key, int root, int n)
{
    for (;;) {
        int child = 2 * root + 1;
        int32_t t;
        if (child >= n) return;
        if (child + 1 < n && key[ids[child + 1]] > key[ids[child]]) child++;
        if (key[ids[root]] >= key[ids[child]]) return;
        t = ids[root]; ids[root] = ids[child]; ids[child] = t;
        root = child;
    }
}
static void tinygpt__sort_ids_by_codepoint(int32_t *ids, const uint32_t *key, int n)
{
    int i;
    for (i = n / 2 - 1; i >= 0; i--) tinygpt__sift_down(ids, key, i, n);
    for (i = n - 1; i > 0; i--) {
        int32_t t = ids[0];
        ids[0] = ids[i];
        ids[i] = t;
        tinygpt__sift_down(ids, key, 0, i);
    }
}

TINYGPT_DEF int tinygpt_vocab_from_codepoints(tinygpt_vocab *vocab, const uint32_t *cps, int n,
                                              tinygpt_error *err)
{
    tinygpt_vocab v;
    int i, j;
    if (n < 1) return tinygpt__fail(err, "vocabulary is empty");
    for (i = 0; i < n; i++)
        if (!tinygpt__valid_codepoint(cps[i]))
            return tinygpt__fail(err, "vocabulary entry %d: invalid code point 0x%lX", i,
                                 (unsigned long)cps[i]);
    v.size = n;
    v.codepoints = (uint32_t *)tinygpt_alloc((size_t)n * sizeof(uint32_t));
    v.sorted = (uint32_t *)tinygpt_alloc((size_t)n * sizeof(uint32_t));
    v.sorted_ids = (int32_t *)tinygpt_alloc((size_t)n * sizeof(int32_t));
    if (!v.codepoints || !v.sorted || !v.sorted_ids) {
        tinygpt_vocab_free(&v);
        return tinygpt__fail(err, "out of memory for a vocabulary of %d entries", n);
    }
    memcpy(v.codepoints, cps, (size_t)n * sizeof(uint32_t));
    /* ids in code point order: ascending input (the usual case) is checked in
       one pass; anything else is sorted in O(n log n), so a hostile file of a
       million descending code points cannot stall the loader */
    for (i = 0; i < n; i++) v.sorted_ids[i] = (int32_t)i;
    for (j = 1; j < n && cps[j - 1] < cps[j]; j++) {}
    if (j < n) {
        tinygpt__sort_ids_by_codepoint(v.sorted_ids, v.codepoints, n);
    }
    for (i = 0; i < n; i++) v.sorted[i] = cps[v.sorted_ids[i]];
    for (i = 1; i < n; i++)
        if (v.sorted[i] == v.sorted[i - 1]) {
            uint32_t dup = v.sorted[i];
            tinygpt_vocab_free(&v);
            return tinygpt__fail(err, "vocabulary repeats code point U+%04lX", (unsigned long)dup);
        }
    tinygpt_vocab_free(vocab);  /* replaces a live vocabulary (cps was copied first) */
    *vocab = v;
    return 0;
}

TINYGPT_DEF int tinygpt_vocab_build(tinygpt_vocab *vocab, const char *text, size_t len,
                                    tinygpt_error *err)
{
    /* one bit per code point: 0x110000 bits = 136 KiB, and the result comes out sorted */
    const unsigned char *s = (const unsigned char *)text;
    unsigned char *seen;
    uint32_t *cps, cp, lo = 0x10FFFF, hi = 0;  /* the range seen: short texts scan little */
    size_t i = 0;
    int n = 0, rc;
    if (len == 0) return tinygpt__fail(err, "cannot build a vocabulary from empty text");
    seen = (unsigned char *)tinygpt_alloc(0x110000 / 8);
    if (!seen) return tinygpt__fail(err, "out of memory building the vocabulary");
    memset(seen, 0, 0x110000 / 8);
    while (i < len) {
        int k = tinygpt__utf8_decode(s + i, len - i, &cp);
        if (k == 0) {
            tinygpt_free(seen);
            return tinygpt__bad_utf8(err, s, len, i);
        }
        if (!(seen[cp >> 3] & (1u << (cp & 7)))) { seen[cp >> 3] |= (unsigned char)(1u << (cp & 7)); n++; }
        if (cp < lo) lo = cp;
        if (cp > hi) hi = cp;
        i += (size_t)k;
    }
    cps = (uint32_t *)tinygpt_alloc((size_t)n * sizeof(uint32_t));
    if (!cps) {
        tinygpt_free(seen);
        return tinygpt__fail(err, "out of memory building the vocabulary");
    }
    n = 0;
    for (cp = lo & ~7u; cp <= hi; cp += 8) {  /* a byte of the bitmap at a time */
        unsigned bits = seen[cp >> 3], b;
        for (b = 0; bits; b++, bits >>= 1)
            if (bits & 1u) cps[n++] = cp + b;
    }
    rc = tinygpt_vocab_from_codepoints(vocab, cps, n, err);
    tinygpt_free(cps);
    tinygpt_free(seen);
    return rc;
}

TINYGPT_DEF int32_t tinygpt_vocab_find(const tinygpt_vocab *vocab, uint32_t cp)
{
    int lo = 0, hi = vocab->size - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        if (vocab->sorted[mid] == cp) return vocab->sorted_ids[mid];
        if (vocab->sorted[mid] < cp) lo = mid + 1; else hi = mid - 1;
    }
    return -1;
}

TINYGPT_DEF int tinygpt_encode(const tinygpt_vocab *vocab, const char *text, size_t len,
                               int32_t *ids, size_t *n_ids, tinygpt_error *err)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0, n = 0;
    *n_ids = 0;
    while (i < len) {
        uint32_t cp;
        int32_t id;
        int k = tinygpt__utf8_decode(s + i, len - i, &cp);
        if (k == 0) return tinygpt__bad_utf8(err, s, len, i);
        id = tinygpt_vocab_find(vocab, cp);
        if (id < 0) {
            char shown[5] = {0};
            int m = tinygpt__utf8_encode(cp, shown);
            if (cp < 0x20 || cp == 0x7F) m = 0; /* don't print control characters raw */
            shown[m] = 0;
            return tinygpt__fail(err, "character U+%04lX '%s' at byte offset %llu is not in the vocabulary",
                                 (unsigned long)cp, shown, (unsigned long long)i);
        }
        ids[n++] = id;
        i += (size_t)k;
    }
    *n_ids = n;
    return 0;
}

TINYGPT_DEF int tinygpt_token_utf8(const tinygpt_vocab *vocab, int32_t id, char out[4])
{
    if (id < 0 || id >= vocab->size) return 0;
    return tinygpt__utf8_encode(vocab->codepoints[id], out);
}

TINYGPT_DEF int tinygpt_decode(const tinygpt_vocab *vocab, const int32_t *ids, size_t n,
                               char *out, size_t *out_len, tinygpt_error *err)
{
    size_t i, len = 0;
    for (i = 0; i < n; i++) {
        int k = tinygpt_token_utf8(vocab, ids[i], out + len);
        if (k == 0) {
            out[len] = 0;
            *out_len = len;
            return tinygpt__fail(err, "token id %ld at position %llu is outside the vocabulary (size %d)",
                                 (long)ids[i], (unsigned long long)i, vocab->size);
        }
        len += (size_t)k;
    }
    out[len] = 0;
    *out_len = len;
    return 0;
}

/* ================================================================ data: files, the split, batches */

#ifndef TINYGPT_NO_STDIO
TINYGPT_DEF int tinygpt_read_file(const char *path, char **data, size_t *len, tinygpt_error *err)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n = 0, cap = 0;
    *data = NULL;
    *len = 0;
    if (!f) return tinygpt__fail(err, "cannot open '%s' for reading", path);
    /* read in growing chunks: works for pipes and needs no ftell (32-bit long) */
    for (;;) {
        size_t got;
        if (cap - n < 65536) {
            size_t newcap = cap ? cap * 2 : 1 << 20;
            char *nb;
            if (newcap < cap || newcap == SIZE_MAX) { tinygpt_free(buf); fclose(f); return tinygpt__fail(err, "'%s' is too large", path); }
            nb = (char *)tinygpt_alloc(newcap + 1);
            if (!nb) { tinygpt_free(buf); fclose(f); return tinygpt__fail(err, "out of memory reading '%s'", path); }
            if (n) memcpy(nb, buf, n);
            tinygpt_free(buf);
            buf = nb;
            cap = newcap;
        }
        got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
    }
    if (ferror(f)) { tinygpt_free(buf); fclose(f); return tinygpt__fail(err, "error reading '%s'", path); }
    fclose(f);
    buf[n] = 0;
    *data = buf;
    *len = n;
    return 0;
}
#endif

TINYGPT_DEF size_t tinygpt_train_split(size_t n_tokens)
{
    return n_tokens / 10 * 9 + (n_tokens % 10) * 9 / 10;  /* floor(0.9 n) without overflow */
}

TINYGPT_DEF int tinygpt_get_batch(const int32_t *tokens, size_t n, int B, int T, tinygpt_rng *rng,
                                  int32_t *inputs, int32_t *targets, tinygpt_error *err)
{
    int b;
    if (B < 1 || T < 1) return tinygpt__fail(err, "batch needs B >= 1 and T >= 1 (got B=%d, T=%d)", B, T);
    if (n < (size_t)T + 1)
        return tinygpt__fail(err, "%llu tokens are too few for a window of %d + 1", (unsigned long long)n, T);
    for (b = 0; b < B; b++) {
        size_t start = tinygpt_rng_below(rng, n - (size_t)T);
        memcpy(inputs + (size_t)b * T, tokens + start, (size_t)T * sizeof(int32_t));
        memcpy(targets + (size_t)b * T, tokens + start + 1, (size_t)T * sizeof(int32_t));
    }
    return 0;
}

/* ================================================================ config: checks, defaults, the learning-rate schedule */

TINYGPT_DEF int tinygpt_config_check(const tinygpt_config *cfg, tinygpt_error *err)
{
    if (cfg->vocab_size < 1) return tinygpt__fail(err, "vocab_size must be at least 1 (got %d)", cfg->vocab_size);
    if (cfg->block_size < 1) return tinygpt__fail(err, "block_size must be at least 1 (got %d)", cfg->block_size);
    if (cfg->n_layer < 1) return tinygpt__fail(err, "n_layer must be at least 1 (got %d)", cfg->n_layer);
    if (cfg->n_head < 1) return tinygpt__fail(err, "n_head must be at least 1 (got %d)", cfg->n_head);
    if (cfg->n_embd < 1) return tinygpt__fail(err, "n_embd must be at least 1 (got %d)", cfg->n_embd);
    if (cfg->n_embd % cfg->n_head != 0)
        return tinygpt__fail(err, "n_head (%d) must divide n_embd (%d)", cfg->n_head, cfg->n_embd);
    if (cfg->n_embd > INT_MAX / 4 || tinygpt_num_params(cfg) == 0)
        return tinygpt__fail(err, "model too large: the parameter count overflows this machine's size type");
    return 0;
}

static int tinygpt__finite(float x) { return x == x && x - x == 0.0f; }

TINYGPT_DEF int tinygpt_train_config_check(const tinygpt_train_config *tc, tinygpt_error *err)
{
    struct { const char *name; float value; int kind; } f[8];
    int i;
    /* kind 0: >= 0;  1: > 0;  2: in [0, 1) */
    f[0].name = "learning_rate"; f[0].value = tc->learning_rate; f[0].kind = 0;
    f[1].name = "min_lr";        f[1].value = tc->min_lr;        f[1].kind = 0;
    f[2].name = "weight_decay";  f[2].value = tc->weight_decay;  f[2].kind = 0;
    f[3].name = "grad_clip";     f[3].value = tc->grad_clip;     f[3].kind = 0;
    f[4].name = "eps";           f[4].value = tc->eps;           f[4].kind = 1;
    f[5].name = "beta1";         f[5].value = tc->beta1;         f[5].kind = 2;
    f[6].name = "beta2";         f[6].value = tc->beta2;         f[6].kind = 2;
    f[7].name = "dropout";       f[7].value = tc->dropout;       f[7].kind = 2;
    for (i = 0; i < 8; i++) {
        float x = f[i].value;
        if (!tinygpt__finite(x)) return tinygpt__fail(err, "%s is not a finite number", f[i].name);
        if (f[i].kind == 0 && !(x >= 0.0f)) return tinygpt__fail(err, "%s must be >= 0 (got %g)", f[i].name, (double)x);
        if (f[i].kind == 1 && !(x > 0.0f)) return tinygpt__fail(err, "%s must be > 0 (got %g)", f[i].name, (double)x);
        if (f[i].kind == 2 && !(x >= 0.0f && x < 1.0f))
            return tinygpt__fail(err, "%s must be in [0, 1) (got %g)", f[i].name, (double)x);
    }
    return 0;
}

TINYGPT_DEF tinygpt_train_config tinygpt_train_config_default(void)
{
    tinygpt_train_config tc;
    tc.learning_rate = 3e-4f;
    tc.min_lr = 3e-5f;
    tc.beta1 = 0.9f;
    tc.beta2 = 0.95f;
    tc.eps = 1e-8f;
    tc.weight_decay = 0.1f;
    tc.grad_clip = 1.0f;
    tc.dropout = 0.1f;
    tc.warmup_steps = 100;
    tc.batch_size = 0;
    tc.max_steps = 0;
    tc.seed = 1337;
    return tc;
}

TINYGPT_DEF float tinygpt_lr(const tinygpt_train_config *tc, uint64_t s)
{
    double lr = tc->learning_rate, min_lr = tc->min_lr;
    if (s < tc->warmup_steps) return (float)(lr * (double)(s + 1) / (double)tc->warmup_steps);
    if (tc->max_steps > tc->warmup_steps) {
        double p = (double)(s - tc->warmup_steps) / (double)(tc->max_steps - tc->warmup_steps);
        if (p > 1.0) p = 1.0;
        return (float)(min_lr + 0.5 * (1.0 + cos(3.14159265358979323846 * p)) * (lr - min_lr));
    }
    return (float)lr;
}

/* ================================================================ parameters: one table, named pointers, create and free */

/* The one table of parameters, in the checkpoint's order (docs/FORMAT.md):
   the two embeddings, then every block's twelve tensors, block after block,
   then the final LayerNorm and the LM head. Initialisation, the parameter
   count, the named pointers, AdamW's decay, the loader's checks and the
   checkpoint all walk it; adding a tensor is one line here (and its field in
   tinygpt__globals or tinygpt__layer). */
enum { TINYGPT__BEFORE, TINYGPT__BLOCK, TINYGPT__AFTER };    /* where a tensor sits */
enum { TINYGPT__DIM_1, TINYGPT__DIM_V, TINYGPT__DIM_T, TINYGPT__DIM_C, TINYGPT__DIM_3C, TINYGPT__DIM_4C };
/* GPT-2's initialisation: normal std 0.02; the projections into the residual
   stream std 0.02 / sqrt(2 L), so the stream's variance stays put */
enum { TINYGPT__INIT_NORMAL, TINYGPT__INIT_RESIDUAL, TINYGPT__INIT_ZERO, TINYGPT__INIT_ONE };

/* Named pointers into one flat [P] array (parameters or gradients). */
typedef struct {
    float *wte;      /* [V, C] token embeddings */
    float *wpe;      /* [T, C] position embeddings */
    float *lnf_w;    /* [C] */
    float *lnf_b;    /* [C] */
    float *lm_head;  /* [V, C] */
} tinygpt__globals;

typedef struct {
    float *ln1_w, *ln1_b;           /* [C], [C] */
    float *qkv_w, *qkv_b;           /* [3C, C], [3C] */
    float *proj_w, *proj_b;         /* [C, C], [C] */
    float *ln2_w, *ln2_b;           /* [C], [C] */
    float *fc_w, *fc_b;             /* [4C, C], [4C] */
    float *mlp_proj_w, *mlp_proj_b; /* [C, 4C], [C] */
} tinygpt__layer;

typedef struct {
    const char   *name;
    unsigned char where, rows, cols, init, decay;  /* decay: AdamW's weight decay applies (2-D weights) */
    size_t        field;                           /* offsetof in tinygpt__globals or tinygpt__layer */
} tinygpt__param_spec;

#define TINYGPT__G(f) offsetof(tinygpt__globals, f)
#define TINYGPT__L(f) offsetof(tinygpt__layer, f)
static const tinygpt__param_spec tinygpt__param_table[] = {
    /* name               where            rows              cols              init                   decay field */
    {"wte",              TINYGPT__BEFORE, TINYGPT__DIM_V,  TINYGPT__DIM_C,  TINYGPT__INIT_NORMAL,   1, TINYGPT__G(wte)},
    {"wpe",              TINYGPT__BEFORE, TINYGPT__DIM_T,  TINYGPT__DIM_C,  TINYGPT__INIT_NORMAL,   1, TINYGPT__G(wpe)},
    {"ln1.weight",       TINYGPT__BLOCK,  TINYGPT__DIM_1,  TINYGPT__DIM_C,  TINYGPT__INIT_ONE,      0, TINYGPT__L(ln1_w)},
    {"ln1.bias",         TINYGPT__BLOCK,  TINYGPT__DIM_1,  TINYGPT__DIM_C,  TINYGPT__INIT_ZERO,     0, TINYGPT__L(ln1_b)},
    {"attn.qkv.weight",  TINYGPT__BLOCK,  TINYGPT__DIM_3C, TINYGPT__DIM_C,  TINYGPT__INIT_NORMAL,   1, TINYGPT__L(qkv_w)},
    {"attn.qkv.bias",    TINYGPT__BLOCK,  TINYGPT__DIM_1,  TINYGPT__DIM_3C, TINYGPT__INIT_ZERO,     0, TINYGPT__L(qkv_b)},
    {"attn.proj.weight", TINYGPT__BLOCK,  TINYGPT__DIM_C,  TINYGPT__DIM_C,  TINYGPT__INIT_RESIDUAL, 1, TINYGPT__L(proj_w)},
    {"attn.proj.bias",   TINYGPT__BLOCK,  TINYGPT__DIM_1,  TINYGPT__DIM_C,  TINYGPT__INIT_ZERO,     0, TINYGPT__L(proj_b)},
    {"ln2.weight",       TINYGPT__BLOCK,  TINYGPT__DIM_1,  TINYGPT__DIM_C,  TINYGPT__INIT_ONE,      0, TINYGPT__L(ln2_w)},
    {"ln2.bias",         TINYGPT__BLOCK,  TINYGPT__DIM_1,  TINYGPT__DIM_C,  TINYGPT__INIT_ZERO,     0, TINYGPT__L(ln2_b)},
    {"mlp.fc.weight",    TINYGPT__BLOCK,  TINYGPT__DIM_4C, TINYGPT__DIM_C,  TINYGPT__INIT_NORMAL,   1, TINYGPT__L(fc_w)},
    {"mlp.fc.bias",      TINYGPT__BLOCK,  TINYGPT__DIM_1,  TINYGPT__DIM_4C, TINYGPT__INIT_ZERO,     0, TINYGPT__L(fc_b)},
    {"mlp.proj.weight",  TINYGPT__BLOCK,  TINYGPT__DIM_C,  TINYGPT__DIM_4C, TINYGPT__INIT_RESIDUAL, 1, TINYGPT__L(mlp_proj_w)},
    {"mlp.proj.bias",    TINYGPT__BLOCK,  TINYGPT__DIM_1,  TINYGPT__DIM_C,  TINYGPT__INIT_ZERO,     0, TINYGPT__L(mlp_proj_b)},
    {"lnf.weight",       TINYGPT__AFTER,  TINYGPT__DIM_1,  TINYGPT__DIM_C,  TINYGPT__INIT_ONE,      0, TINYGPT__G(lnf_w)},
    {"lnf.bias",         TINYGPT__AFTER,  TINYGPT__DIM_1,  TINYGPT__DIM_C,  TINYGPT__INIT_ZERO,     0, TINYGPT__G(lnf_b)},
    {"lm_head.weight",   TINYGPT__AFTER,  TINYGPT__DIM_V,  TINYGPT__DIM_C,  TINYGPT__INIT_NORMAL,   1, TINYGPT__G(lm_head)},
};
#undef TINYGPT__G
#undef TINYGPT__L
#define TINYGPT__N_SPECS ((int)(sizeof tinygpt__param_table / sizeof tinygpt__param_table[0]))

/* One tensor of a model: a table row placed in the flat array. */
typedef struct {
    const tinygpt__param_spec *spec;
    const char *name;
    int         layer;   /* -1 outside the blocks */
    size_t      offset;  /* into the flat [P] array */
    size_t      count;
    int         decay;
    int         init;
} tinygpt__tensor;

/* The size of a dimension, or 0 when it overflows (ok cleared). */
static size_t tinygpt__dim(const tinygpt_config *cfg, int d, int *ok)
{
    size_t C = (size_t)cfg->n_embd;
    switch (d) {
    case TINYGPT__DIM_V: return (size_t)cfg->vocab_size;
    case TINYGPT__DIM_T: return (size_t)cfg->block_size;
    case TINYGPT__DIM_C: return C;
    case TINYGPT__DIM_3C: return tinygpt__mul(3, C, ok);
    case TINYGPT__DIM_4C: return tinygpt__mul(4, C, ok);
    default: return 1;
    }
}

static size_t tinygpt__spec_count(const tinygpt_config *cfg, const tinygpt__param_spec *s, int *ok)
{
    return tinygpt__mul(tinygpt__dim(cfg, s->rows, ok), tinygpt__dim(cfg, s->cols, ok), ok);
}

/* Floats in the tensors of one place (before, one block, after). */
static size_t tinygpt__place_total(const tinygpt_config *cfg, int where, int *ok)
{
    size_t total = 0;
    int i;
    for (i = 0; i < TINYGPT__N_SPECS; i++)
        if (tinygpt__param_table[i].where == where)
            total = tinygpt__add(total, tinygpt__spec_count(cfg, &tinygpt__param_table[i], ok), ok);
    return total;
}

static int tinygpt__num_tensors(const tinygpt_config *cfg)
{
    int i, n = 0;
    for (i = 0; i < TINYGPT__N_SPECS; i++) n += tinygpt__param_table[i].where == TINYGPT__BLOCK ? cfg->n_layer : 1;
    return n;
}

/* Tensor k in checkpoint order. Sizes were overflow-checked by tinygpt_num_params. */
static tinygpt__tensor tinygpt__tensor_at(const tinygpt_config *cfg, int k)
{
    int ok = 1, i, where, per_block = 0;
    size_t offset = 0, block = tinygpt__place_total(cfg, TINYGPT__BLOCK, &ok);
    tinygpt__tensor t;
    for (i = 0; i < TINYGPT__N_SPECS; i++) per_block += tinygpt__param_table[i].where == TINYGPT__BLOCK;
    t.layer = -1;
    for (where = TINYGPT__BEFORE; where <= TINYGPT__AFTER; where++) {
        int copies = where == TINYGPT__BLOCK ? cfg->n_layer : 1, n = where == TINYGPT__BLOCK ? per_block : 0;
        if (where == TINYGPT__BLOCK) {
            if (k >= copies * n) { k -= copies * n; offset += (size_t)copies * block; continue; }
            t.layer = k / n;
            k %= n;
            offset += (size_t)t.layer * block;
        }
        for (i = 0; i < TINYGPT__N_SPECS; i++) {
            const tinygpt__param_spec *s = &tinygpt__param_table[i];
            if (s->where != where) continue;
            if (k-- == 0) {
                t.spec = s;
                t.name = s->name;
                t.offset = offset;
                t.count = tinygpt__spec_count(cfg, s, &ok);
                t.decay = s->decay;
                t.init = s->init;
                return t;
            }
            offset += tinygpt__spec_count(cfg, s, &ok);
        }
    }
    memset(&t, 0, sizeof t);  /* k out of range: callers never ask */
    return t;
}

/* Sets the named pointers into `base` for every tensor: one walk of the table. */
static void tinygpt__name_tensors(const tinygpt_config *cfg, float *base, tinygpt__globals *g, tinygpt__layer *layers)
{
    int k, nt = tinygpt__num_tensors(cfg);
    for (k = 0; k < nt; k++) {
        tinygpt__tensor t = tinygpt__tensor_at(cfg, k);
        char *holder = t.layer < 0 ? (char *)g : (char *)&layers[t.layer];
        float *p = base + t.offset;
        memcpy(holder + t.spec->field, &p, sizeof p);
    }
}

/* The named pointers of a model, set once at create and load (parameters)
   and at the first backward (gradients). */
typedef struct { const float *scale; const signed char *q; } tinygpt__qmat;  /* an int8 matrix in an image */

struct tinygpt_names {
    tinygpt__globals params, grads;
    tinygpt__layer  *param_layer, *grad_layer;  /* [L] each */
    tinygpt__qmat   *q8;  /* int8 view: one per tensor in checkpoint order (1-D ones empty); else NULL */
};

TINYGPT_DEF size_t tinygpt_num_params(const tinygpt_config *cfg)
{
    int ok = 1;
    size_t total;
    if (cfg->vocab_size < 1 || cfg->block_size < 1 || cfg->n_layer < 1 || cfg->n_embd < 1) return 0;
    total = tinygpt__add(tinygpt__place_total(cfg, TINYGPT__BEFORE, &ok), tinygpt__place_total(cfg, TINYGPT__AFTER, &ok), &ok);
    total = tinygpt__add(total, tinygpt__mul((size_t)cfg->n_layer, tinygpt__place_total(cfg, TINYGPT__BLOCK, &ok), &ok), &ok);
    /* the flat array must also be addressable in bytes, three times over for AdamW */
    if (!ok || total > SIZE_MAX / (4 * sizeof(float))) return 0;
    return total;
}

static void tinygpt__acts_free(struct tinygpt_acts *a);  /* with the activations, below */

TINYGPT_DEF void tinygpt_model_free(tinygpt_model *model)
{
    tinygpt_vocab_free(&model->vocab);
    if (!model->image) tinygpt_free(model->params);  /* a view's parameters are the image's */
    tinygpt_free(model->grads);
    tinygpt_free(model->m);
    tinygpt_free(model->v);
    tinygpt__acts_free(model->acts);
    tinygpt_free(model->names);
    memset(model, 0, sizeof *model);
}

/* A new model (*model is overwritten, not freed) with vocabulary, configs
   and uninitialised parameters, nothing else. */
static int tinygpt__model_alloc(tinygpt_model *model, const tinygpt_config *cfg,
                                const tinygpt_train_config *tc, const uint32_t *cps, tinygpt_error *err)
{
    size_t P;
    memset(model, 0, sizeof *model);
    if (tinygpt_config_check(cfg, err) || tinygpt_train_config_check(tc, err)) return -1;
    P = tinygpt_num_params(cfg);
    if (tinygpt_vocab_from_codepoints(&model->vocab, cps, cfg->vocab_size, err)) return -1;
    model->params = tinygpt__alloc_floats(P);
    model->names = model->params ? (struct tinygpt_names *)tinygpt_alloc(
                       sizeof *model->names + 2 * (size_t)cfg->n_layer * sizeof(tinygpt__layer)) : NULL;
    if (!model->params || !model->names) {
        tinygpt_model_free(model);
        return tinygpt__fail(err, "out of memory for %llu parameters (%llu MiB)", (unsigned long long)P,
                             (unsigned long long)(P / (1024 * 1024 / sizeof(float))));
    }
    memset(model->names, 0, sizeof *model->names);
    model->names->param_layer = (tinygpt__layer *)(model->names + 1);
    model->names->grad_layer = model->names->param_layer + cfg->n_layer;
    tinygpt__name_tensors(cfg, model->params, &model->names->params, model->names->param_layer);
    model->config = *cfg;
    model->train = *tc;
    model->num_params = P;
    tinygpt_rng_seed(&model->rng, tc->seed);
    return 0;
}

/* Puts a new model in place of *model (zeroed or live), keeping the caller's
   settings (threads, the cache switch). */
static void tinygpt__model_replace(tinygpt_model *model, tinygpt_model *fresh)
{
    fresh->threads = model->threads;
    tinygpt_model_free(model);
    *model = *fresh;
}

TINYGPT_DEF int tinygpt_model_create(tinygpt_model *model, const tinygpt_config *cfg,
                                     const tinygpt_vocab *vocab, const tinygpt_train_config *tc,
                                     tinygpt_error *err)
{
    tinygpt_config c;
    tinygpt_train_config defaults = tinygpt_train_config_default();
    tinygpt_model fresh;
    tinygpt_rng init;
    int k, nt;
    float proj_std;
    if (!model || !cfg) return tinygpt__fail(err, "model_create needs a model and a config");
    if (!vocab || vocab->size < 1 || !vocab->codepoints) return tinygpt__fail(err, "model needs a non-empty vocabulary");
    c = *cfg;
    c.vocab_size = vocab->size;
    if (tinygpt__model_alloc(&fresh, &c, tc ? tc : &defaults, vocab->codepoints, err)) return -1;
    proj_std = 0.02f / sqrtf(2.0f * (float)c.n_layer);
    tinygpt_rng_seed(&init, tinygpt__mix64(fresh.train.seed ^ 0x1A17ull));
    nt = tinygpt__num_tensors(&c);
    for (k = 0; k < nt; k++) {
        tinygpt__tensor t = tinygpt__tensor_at(&c, k);
        float *p = fresh.params + t.offset;
        size_t i;
        float std = t.init == TINYGPT__INIT_RESIDUAL ? proj_std : 0.02f;
        int normal = t.init == TINYGPT__INIT_NORMAL || t.init == TINYGPT__INIT_RESIDUAL;
        for (i = 0; i < t.count; i++)
            p[i] = normal ? std * tinygpt_rng_normal(&init) : t.init == TINYGPT__INIT_ONE ? 1.0f : 0.0f;
    }
    tinygpt__model_replace(model, &fresh);
    return 0;
}

/* ================================================================ ops: each forward beside its backward */

/* Backward functions add into their gradient outputs (except a linear's dinp);
   zeroing is the caller's. */

/* Threads for a loop over n floats of element-wise or per-row work: one below
   TINYGPT__PAR_MIN, so small calls (the sampling cache's single rows, the
   prefill's rows) stay serial. A parallel loop wakes sleeping threads
   (OMP_WAIT_POLICY=passive), about 75 microseconds on a virtual machine:
   more than 2^18 floats of element-wise work take on one core. Products and
   attention go by their multiply-adds, threaded from 2^24 (about 100
   microseconds). Loops are split by element, row or column, and a sum over
   everything goes in fixed runs (TINYGPT__RUNS), so results do not depend on
   the thread count. */
#define TINYGPT__PAR_MIN ((size_t)1 << 18)
#define TINYGPT__PAR(n, threads) ((size_t)(n) < TINYGPT__PAR_MIN ? 1 : (threads))
#define TINYGPT__PAR_FMA(n, threads) ((double)(n) < (double)(1L << 24) ? 1 : (threads))

/* A sum split over threads is cut into TINYGPT__RUNS fixed runs, each summed
   in order, and the runs' sums are then added in order: the same result
   whatever the thread count. */
#define TINYGPT__RUNS 64

/* The speed-only kernels (the blocked matmul and its packing, dot and axpy
   blocks, summing lanes, the polynomial exponential, head copies) are defined
   at the end of the file, under "kernels"; the ops above them call only these
   declarations. Read the ops for what is computed, the kernels for how fast. */
#define TINYGPT__MAX_THREADS 64  /* scratch is sized for at most this many threads */
#define TINYGPT__LANES 8         /* partial sums of tinygpt__lanes_sum / _total */

/* A strided matrix view: element (i, j) is p[i*rs + j*cs]. */
typedef struct { const float *p; size_t rs, cs; } tinygpt__view;

static float tinygpt__dot(const float *a, const float *b, int n);
static size_t tinygpt__matmul_work_size(int threads);
static size_t tinygpt__matmul_work_size_for(int threads, int N, int K);
static void tinygpt__matmul(float *c, tinygpt__view a, tinygpt__view b, int M, int N, int K,
                            int accumulate, float *work, int threads);
static void tinygpt__matmul_sums(float *c, tinygpt__view a, tinygpt__view b, const float *bias, float *a_sums,
                                 int M, int N, int K, int accumulate, float *work, int threads);
static size_t tinygpt__packed_weight_size(int OC, int IC);
static void tinygpt__pack_weight(float *dst, const float *w, int OC, int IC);
static void tinygpt__linear_forward_packed(float *out, const float *inp, const float *w, const float *wp,
                                           const float *bias, int N, int IC, int OC, float *work, int threads);
static size_t tinygpt__halves_size(int M, int N);
static void tinygpt__matmul_halves(float *c, tinygpt__view a, tinygpt__view b, float *a_sums, int M, int N, int K,
                                   float *half, float *work, int threads);
static void tinygpt__matmul_bias(float *c, tinygpt__view a, tinygpt__view b, const float *bias, int M, int N, int K,
                                 int accumulate, float *work, int threads);
static size_t tinygpt__packed_b_size(int N, int K);
static size_t tinygpt__packed_a_size(int K, int *ok);
static float *tinygpt__align64(float *p);
static void tinygpt__pack_b(float *dst, tinygpt__view b, int p0, int kc, int j0, int nc);
/* What a product may skip of A: nothing, or its terms known to be zero
   (causal attention's weights are zero past the diagonal, off rows over). */
#define TINYGPT__A_FULL  0
#define TINYGPT__A_LOWER 1  /* A(i, k) = 0 for k > i + off */
#define TINYGPT__A_UPPER 2  /* A(i, k) = 0 for k < i - off */
static void tinygpt__matmul_packed_b(float *c, size_t ldc, tinygpt__view a, const float *bp, size_t ldb,
                                     const float *bias, int M, int nc, int kc, int accumulate, float *ap,
                                     int zeros, int off, float *a_sums);
static float tinygpt__lanes_total(const float lane[TINYGPT__LANES]);
static float tinygpt__lanes_sum(const float *x, int n);
static float tinygpt__lanes_sq_dev(const float *x, float m, int n);
static float tinygpt__lanes_dot(const float *a, const float *b, int n);
static void tinygpt__lanes_layernorm_grad(const float *dy, const float *w, const float *x, float m, float s, int n,
                                          float *sum_dnorm, float *sum_dnorm_norm);
TINYGPT__CONTRACT
static void tinygpt__axpy_rows(float *TINYGPT__RESTRICT y, const float *a, const float *x, size_t ldx,
                               int m, int n);
static void tinygpt__dot_rows(float *out, const float *x, const float *w, size_t ldw, int nrows, int K);
static void tinygpt__dot_rows_q8(float *out, const float *x, const signed char *q, const float *scale, int nrows, int K);
static TINYGPT__INLINE uint32_t tinygpt__bits(float f);
static TINYGPT__INLINE float tinygpt__from_bits(uint32_t u);
static TINYGPT__INLINE float tinygpt__select(int c, float a, float b);
static TINYGPT__INLINE float tinygpt__exp_neg(float h);
static TINYGPT__INLINE float tinygpt__exp_of_minus(float h);

/* C[M,N] = A[M,K] B[K,N], the plain triple loop: what tinygpt__matmul (the
   blocked kernel at the end) computes, kept for reading and for the tests
   to hold the fast one to. */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((unused))  /* only the tests call it */
#endif
static void tinygpt__matmul_reference(float *c, tinygpt__view a, tinygpt__view b, int M, int N, int K)
{
    int i, j, k;
    for (i = 0; i < M; i++)
        for (j = 0; j < N; j++) {
            float sum = 0.0f;
            for (k = 0; k < K; k++) sum += a.p[i * a.rs + k * a.cs] * b.p[k * b.rs + j * b.cs];
            c[(size_t)i * N + j] = sum;
        }
}

/* x[0..n) = 0, a part per thread */
static void tinygpt__zero(float *x, size_t n, int threads)
{
    int nt = TINYGPT__PAR(n, threads), part;
    TINYGPT__PARALLEL_FOR(nt)
    for (part = 0; part < nt; part++) {
        size_t len = n / nt, i0 = len * part;
        if (part == nt - 1) len = n - i0;
        memset(x + i0, 0, len * sizeof(float));
    }
}

/* Columns [*c0, *c1) of C: the part-th of nparts ranges, cut at multiples of
   16 floats (a cache line). */
static void tinygpt__col_range(int part, int nparts, int C, int *c0, int *c1)
{
    int lines = (C + 15) / 16;
    *c0 = (int)((long long)lines * part / nparts) * 16;
    *c1 = (int)((long long)lines * (part + 1) / nparts) * 16;
    if (*c0 > C) *c0 = C;
    if (*c1 > C) *c1 = C;
}

/* out[N,OC] = inp[N,IC] W[OC,IC]^T + bias[OC]  (bias may be NULL) */
static void tinygpt__linear_forward(float *out, const float *inp, const float *w, const float *bias,
                                    int N, int IC, int OC, float *work, int threads)
{
    tinygpt__view a, b;
    a.p = inp; a.rs = (size_t)IC; a.cs = 1;
    b.p = w;   b.rs = 1;          b.cs = (size_t)IC;  /* B(k, j) = W[j, k] */
    tinygpt__matmul_bias(out, a, b, bias, N, OC, IC, 0, work, threads);
}

/* One row of tinygpt__linear_forward (the sampling cache's): out[OC] =
   W[OC,IC] x[IC] + bias, without a parallel loop. */
static void tinygpt__linear_row(float *out, const float *x, const float *w, const float *bias, int IC, int OC)
{
    if (bias) memcpy(out, bias, (size_t)OC * sizeof(float));
    else memset(out, 0, (size_t)OC * sizeof(float));
    tinygpt__dot_rows(out, x, w, (size_t)IC, OC, IC);
}

/* linear_row with the weights as floats (w) or, in an int8 view, as int8
   rows with their scales (qm): out[j] = bias[j] + scale[j] * (q[j] . x). */
static void tinygpt__linear_row_any(float *out, const float *x, const float *w, const tinygpt__qmat *qm,
                                    const float *bias, int IC, int OC)
{
    if (!qm) { tinygpt__linear_row(out, x, w, bias, IC, OC); return; }
    tinygpt__dot_rows_q8(out, x, qm->q, qm->scale, OC, IC);
    if (bias) { int j; for (j = 0; j < OC; j++) out[j] += bias[j]; }
}

/* dinp = dout W. The one exception to "backward adds": in this model every
   linear's input feeds nothing else, so its gradient is written, and no
   caller has to zero it. */
static void tinygpt__linear_backward_input(float *dinp, const float *dout, const float *w, int N, int IC, int OC,
                                           float *work, int threads)
{
    tinygpt__view a, b;
    a.p = dout; a.rs = (size_t)OC; a.cs = 1;
    b.p = w;    b.rs = (size_t)IC; b.cs = 1;
    tinygpt__matmul(dinp, a, b, N, IC, OC, 0, work, threads);
}

/* dw += dout^T inp;  dbias += column sums of dout (dbias may be NULL).
   `half`: tinygpt__halves_size(OC, IC) floats, for a large batch's sums in
   two halves (tinygpt__matmul_halves); NULL: in one. */
static void tinygpt__linear_backward_weight(float *dw, float *dbias, const float *dout, const float *inp, int N,
                                            int IC, int OC, float *half, float *work, int threads)
{
    tinygpt__view a, b;
    a.p = dout; a.rs = 1;          a.cs = (size_t)OC;  /* A(o, n) = dout[n, o] */
    b.p = inp;  b.rs = (size_t)IC; b.cs = 1;
    /* dbias: dout's column sums, A's row sums, added while A is packed */
    if (half)
        tinygpt__matmul_halves(dw, a, b, dbias, OC, IC, N, half, work, threads);
    else
        tinygpt__matmul_sums(dw, a, b, NULL, dbias, OC, IC, N, 1, work, threads);
}

/* Both: dinp = dout W, then dw and dbias. */
static void tinygpt__linear_backward(float *dinp, float *dw, float *dbias, const float *dout,
                                     const float *inp, const float *w, int N, int IC, int OC,
                                     float *half, float *work, int threads)
{
    tinygpt__linear_backward_input(dinp, dout, w, N, IC, OC, work, threads);
    tinygpt__linear_backward_weight(dw, dbias, dout, inp, N, IC, OC, half, work, threads);
}

/* One row of C: y = (x - mean) * rstd * w + b, and its mean and rstd. */
static void tinygpt__layernorm_row(float *y, float *mean, float *rstd, const float *x, const float *w,
                                   const float *b, int C)
{
    float m = tinygpt__lanes_sum(x, C) / (float)C, v = tinygpt__lanes_sq_dev(x, m, C) / (float)C;
    float s = 1.0f / sqrtf(v + 1e-5f);
    int i;
    for (i = 0; i < C; i++) y[i] = (x[i] - m) * s * w[i] + b[i];
    *mean = m;
    *rstd = s;
}

/* out = (inp - mean) * rstd * w + b per row of C; saves mean and rstd [N]. */
static void tinygpt__layernorm_forward(float *out, float *mean, float *rstd, const float *inp,
                                       const float *w, const float *b, int N, int C, int threads)
{
    int n;
    TINYGPT__FOR(TINYGPT__PAR((size_t)N * C, threads),
                 for (n = 0; n < N; n++)
                     tinygpt__layernorm_row(out + (size_t)n * C, &mean[n], &rstd[n], inp + (size_t)n * C, w, b, C));
}

/* A LayerNorm backward's rows fall into this many chunks (fewer when there
   are fewer rows), fixed whatever the thread count: each chunk sums its rows'
   share of dw and db in order, and the chunks' sums are then added in chunk
   order, so the result does not depend on how chunks were shared out. */
#define TINYGPT__LN_CHUNKS 64

/* dinp += the LayerNorm's backward, row by row; dw and db get the rows'
   d(out) * norm and d(out) added, through `sums` ([TINYGPT__LN_CHUNKS, 2C]
   scratch: a chunk's two partial sums) while each row is still in cache,
   one parallel loop, no second pass over the rows. */
static void tinygpt__layernorm_backward(float *dinp, float *dw, float *db, float *sums, const float *dout,
                                        const float *inp, const float *w, const float *mean,
                                        const float *rstd, int N, int C, int threads)
{
    int chunks = N < TINYGPT__LN_CHUNKS ? N : TINYGPT__LN_CHUNKS, chunk, i;
    (void)threads;
    TINYGPT__PARALLEL_FOR(TINYGPT__PAR((size_t)N * C, threads))
    for (chunk = 0; chunk < chunks; chunk++) {
        float *sum_b = sums + (size_t)chunk * 2 * C, *sum_w = sum_b + C;
        int n, n1 = (int)((long long)N * (chunk + 1) / chunks);
        memset(sum_b, 0, 2 * (size_t)C * sizeof(float));
        for (n = (int)((long long)N * chunk / chunks); n < n1; n++) {
            const float *x = inp + (size_t)n * C, *dy = dout + (size_t)n * C;
            float *dx = dinp + (size_t)n * C;
            float m = mean[n], s = rstd[n], dnorm_mean, dnorm_norm_mean;
            int k;
            tinygpt__lanes_layernorm_grad(dy, w, x, m, s, C, &dnorm_mean, &dnorm_norm_mean);
            dnorm_mean /= (float)C;
            dnorm_norm_mean /= (float)C;
            for (k = 0; k < C; k++) {
                float norm = (x[k] - m) * s, dnorm = dy[k] * w[k];
                dx[k] += (dnorm - dnorm_mean - norm * dnorm_norm_mean) * s;
            }
            for (k = 0; k < C; k++) {  /* a loop of its own: with dx in it, neither vectorises */
                sum_b[k] += dy[k];
                sum_w[k] += dy[k] * ((x[k] - m) * s);
            }
        }
    }
    for (chunk = 0; chunk < chunks; chunk++) {
        const float *sum_b = sums + (size_t)chunk * 2 * C, *sum_w = sum_b + C;
        for (i = 0; i < C; i++) {
            db[i] += sum_b[i];
            dw[i] += sum_w[i];
        }
    }
}

/* Exact GELU(x) = x Phi(x), and *grad = GELU'(x) = Phi(x) + x phi(x), with Phi
   and phi the standard normal CDF and density (Phi(x) = (1 + erf(x/sqrt 2))/2),
   in plain float arithmetic that loops vectorise; libm's erff is a call per
   element. With a = |x| <= 12 and phi(a) = exp(-a^2/2) / sqrt(2 pi):
     a < 1:  Phi(x) = 1/2 + x S(x^2), S a degree-4 polynomial;
     a >= 1: the tail 1 - Phi(a) = exp(-a^2/2) t P(t), t = 1 / (1 + 0.394 a),
             P of degree 6; Phi(x) is the tail for x < 0, 1 - tail otherwise.
   (Minimax fits made for this file, relative errors 4e-8 and 5e-8.) a^2 is
   carried as u + lo where fma is exact, so exp(-a^2/2) keeps its relative
   accuracy far into the tail. Past |x| = 12 the tail (< 2e-33) is dropped:
   GELU(x) = x or -0, GELU' = 1 or 0, also at +-inf; NaN gives NaN. Against
   double, over every float with |x| < 12: GELU within 4.4e-7 relative (4.1e-6
   without fma, deep in the tail), GELU' within 1.7e-7 absolute. Always
   inlined (TINYGPT__INLINE), so that the loops below vectorise. */
static TINYGPT__INLINE float tinygpt__gelu_eval(float x, float *grad)
{
    uint32_t xb = tinygpt__bits(x), ab = xb & 0x7fffffffu, cb = ab < 0x41400000u ? ab : 0x41400000u;
    float a = tinygpt__from_bits(ab), ac = tinygpt__from_bits(cb);  /* |x|, min(|x|, 12); NaN: 12 */
    float xc = tinygpt__from_bits(ab > 0x7f800000u ? xb : cb | (xb & 0x80000000u));  /* x in [-12, 12]; NaN stays */
    float u = ac * ac, lo = TINYGPT__FMA(ac, ac, -u), e = tinygpt__exp_neg(0.5f * u);
    float t = 1.0f / (1.0f + 0.394f * ac), q = 0.0662529790f, s = 9.42352451e-5f, pdf, tail, cdf;
    e = tinygpt__select(a < 12.0f, TINYGPT__FMA(-0.5f * lo, e, e), 0.0f);  /* exp(-u/2) (1 - lo/2) */
    pdf = 0.398942280f * e;
    q = TINYGPT__FMA(q, t, -0.189935665f);
    q = TINYGPT__FMA(q, t, 0.120442911f);
    q = TINYGPT__FMA(q, t, 0.0503704183f);
    q = TINYGPT__FMA(q, t, 0.139396845f);
    q = TINYGPT__FMA(q, t, 0.156483386f);
    q = TINYGPT__FMA(q, t, 0.157214055f);
    tail = e * t * q;
    s = TINYGPT__FMA(s, u, -0.00116935370f);
    s = TINYGPT__FMA(s, u, 0.00996719687f);
    s = TINYGPT__FMA(s, u, -0.0664895827f);
    s = TINYGPT__FMA(s, u, 0.398942264f);
    cdf = tinygpt__select(x < 0.0f, tail, 1.0f - tail);
    cdf = tinygpt__select(a < 1.0f, TINYGPT__FMA(xc, s, 0.5f), cdf);
    *grad = cdf + xc * pdf;
    return tinygpt__select(x > 12.0f, x, xc * cdf);
}

static void tinygpt__gelu_forward(float *out, const float *inp, size_t n, int threads)
{
    size_t i;
    TINYGPT__FOR(TINYGPT__PAR(n, threads), for (i = 0; i < n; i++) {
        float grad;  /* not needed here */
        out[i] = tinygpt__gelu_eval(inp[i], &grad);
    });
}

/* The backward of GELU, one pass: dinp = GELU'(inp) * dout, and out =
   GELU(inp) again, for the weight gradient of the product that read it (the
   output is not kept per layer). dinp is written, not added to: the MLP's
   d(fc) feeds nothing else. */
static void tinygpt__gelu_backward(float *out, float *dinp, const float *inp, const float *dout, size_t n,
                                   int threads)
{
    size_t i;
    (void)threads;
    TINYGPT__PARALLEL_FOR(TINYGPT__PAR(n, threads))
    for (i = 0; i < n; i++) {
        float grad;
        out[i] = tinygpt__gelu_eval(inp[i], &grad);
        dinp[i] = dout[i] * grad;
    }
}

/* Dropout without stored masks: element i of a site is kept when a hash of
   (seed, i) clears p, so backward regenerates forward's mask exactly and the
   result does not depend on the order elements are visited in. */
static float tinygpt__dropout_scale(uint64_t seed, size_t i, float p)
{
    /* element i of a splitmix64 stream started at the site's seed: one mix per element */
    uint64_t h = tinygpt__mix64(seed + 0x9E3779B97F4A7C15ull * ((uint64_t)i + 1));
    /* 24 bits through int32_t, and both results computed before the choice:
       gcc vectorises loops over this then, not otherwise */
    float u = (float)(int32_t)(h >> 40) * (1.0f / 16777216.0f), keep = 1.0f / (1.0f - p);
    return u < p ? 0.0f : keep;
}

/* out = dropout(inp), in place allowed; p = 0 copies. */
static void tinygpt__dropout_forward(float *out, const float *inp, size_t n, float p, uint64_t seed, int threads)
{
    size_t i;
    (void)threads;
    if (p <= 0.0f) { if (out != inp) memmove(out, inp, n * sizeof(float)); return; }
    TINYGPT__PARALLEL_FOR(TINYGPT__PAR(n, threads))
    for (i = 0; i < n; i++) out[i] = inp[i] * tinygpt__dropout_scale(seed, i, p);
}

/* dinp += dout * forward's mask and scale. With accumulate 0 it writes dinp
   instead (no zeroing pass first): the map is the forward's. */
static void tinygpt__dropout_backward(float *dinp, const float *dout, size_t n, float p, uint64_t seed,
                                      int accumulate, int threads)
{
    size_t i;
    (void)threads;
    if (!accumulate) { tinygpt__dropout_forward(dinp, dout, n, p, seed, threads); return; }
    if (p <= 0.0f) { for (i = 0; i < n; i++) dinp[i] += dout[i]; return; }
    TINYGPT__PARALLEL_FOR(TINYGPT__PAR(n, threads))
    for (i = 0; i < n; i++) dinp[i] += dout[i] * tinygpt__dropout_scale(seed, i, p);
}

/* The gradient of a residual branch's output before its dropout: dout
   through the forward's mask, written to buf; without dropout, dout itself,
   with no copy (a serial pass over B*T*C floats per use otherwise). */
static const float *tinygpt__branch_grad(float *buf, const float *dout, size_t n, float p, uint64_t seed,
                                         int threads)
{
    if (p <= 0.0f) return dout;
    tinygpt__dropout_backward(buf, dout, n, p, seed, 0, threads);
    return buf;
}

/* out = resid + dropout(branch): a residual connection in one pass. Its
   backward: d(resid) = dout, d(branch) = tinygpt__dropout_backward(dout). */
static void tinygpt__residual_forward(float *out, const float *resid, const float *branch, size_t n,
                                      float p, uint64_t seed, int threads)
{
    size_t i;
    if (p <= 0.0f)
        TINYGPT__FOR(TINYGPT__PAR(n, threads), for (i = 0; i < n; i++) out[i] = resid[i] + branch[i]);
    else
        TINYGPT__FOR(TINYGPT__PAR(n, threads),
                     for (i = 0; i < n; i++) out[i] = resid[i] + branch[i] * tinygpt__dropout_scale(seed, i, p));
}

/* out[b,t,:] = wte[tokens[b,t]] + wpe[t] */
static void tinygpt__embedding_forward(float *out, const int32_t *tokens, const float *wte,
                                       const float *wpe, int B, int T, int C, int threads)
{
    int r;
    (void)threads;
    TINYGPT__PARALLEL_FOR(TINYGPT__PAR((size_t)B * T * C, threads))
    for (r = 0; r < B * T; r++) {
        float *o = out + (size_t)r * C;
        const float *te = wte + (size_t)tokens[r] * C, *pe = wpe + (size_t)(r % T) * C;
        int i;
        for (i = 0; i < C; i++) o[i] = te[i] + pe[i];
    }
}

/* Columns [c0, c1) of the embeddings' gradients += the rows of dout [N, C]:
   row r into dwte's row tokens[r] and dwpe's row r % T, rows in order (either
   table NULL: left out). */
static void tinygpt__embedding_add(float *dwte, float *dwpe, const float *dout, const int32_t *tokens, int N, int T,
                                   int C, int c0, int c1)
{
    int r, i;
    for (r = 0; r < N; r++) {
        const float *d = dout + (size_t)r * C;
        float *te = dwte ? dwte + (size_t)tokens[r] * C : NULL, *pe = dwpe ? dwpe + (size_t)(r % T) * C : NULL;
        if (te) for (i = c0; i < c1; i++) te[i] += d[i];
        if (pe) for (i = c0; i < c1; i++) pe[i] += d[i];
    }
}

/* Each row of dwte and dwpe gets its rows of dout added in order, so the sums
   are the same for any thread count. One thread does both tables in one pass
   over dout; with more, half of them take dwte and half dwpe, each table's
   columns split among its own. Split by columns alone, two threads' halves of
   a row lay on neighbouring cache lines, passed back and forth between the
   cores (2 threads took 3 times as long as one). */
static void tinygpt__embedding_backward(float *dwte, float *dwpe, const float *dout,
                                        const int32_t *tokens, int B, int T, int C, int threads)
{
    int nt = TINYGPT__PAR((size_t)B * T * C, threads), part;
    TINYGPT__PARALLEL_FOR(nt)
    for (part = 0; part < nt; part++) {
        int te_parts = (nt + 1) / 2, c0, c1;
        if (nt == 1) {
            tinygpt__embedding_add(dwte, dwpe, dout, tokens, B * T, T, C, 0, C);
        } else if (part < te_parts) {
            tinygpt__col_range(part, te_parts, C, &c0, &c1);
            tinygpt__embedding_add(dwte, NULL, dout, tokens, B * T, T, C, c0, c1);
        } else {
            tinygpt__col_range(part - te_parts, nt - te_parts, C, &c0, &c1);
            tinygpt__embedding_add(NULL, dwpe, dout, tokens, B * T, T, C, c0, c1);
        }
    }
}

/* T(T+1)/2, the entries of a head's causal attention (row t has t+1): the
   dropout sites' element count. Unchecked: attention buffers were sized with
   tinygpt__att_head_checked(T), which is larger, so t <= T fits. */
static size_t tinygpt__tri(int T)
{
    size_t t = (size_t)T;
    return t % 2 ? t * ((t + 1) / 2) : (t / 2) * (t + 1);
}

/* Softmax rows run over whole vectors: n scores padded to
   tinygpt__att_pad(n) (a multiple of 16 floats), with the entries past n
   zero weight. A row is mostly its remainder otherwise: rows average 64
   entries, and a scalar tail of up to 15 took as long as the vector part. */
#define TINYGPT__ATT_PAD 16
static size_t tinygpt__att_pad(size_t n)
{
    return (n + TINYGPT__ATT_PAD - 1) / TINYGPT__ATT_PAD * TINYGPT__ATT_PAD;
}

/* The forward stores a head's probabilities so, row after row: row t holds
   tinygpt__att_pad(t + 1) floats, zeros past t, so the backward reads whole
   vectors too; masked entries past the padding do not exist. Row t starts at
   the sum of the rows before it: with t = 16a + b, 16(a+1)(8a+b) (rows of
   group g, 16g..16g+15, hold 16(g+1) each). A head of T rows is that at t =
   T. Unchecked, for the hot loops (t <= T, which was checked). */
static size_t tinygpt__att_row(int t)
{
    size_t a = (size_t)t / TINYGPT__ATT_PAD, b = (size_t)t % TINYGPT__ATT_PAD;
    return TINYGPT__ATT_PAD * (a + 1) * (TINYGPT__ATT_PAD / 2 * a + b);
}

/* Floats of one head's stored probabilities, T rows; *ok = 0 when that
   wraps a size_t. */
static size_t tinygpt__att_head_checked(int T, int *ok)
{
    size_t a = (size_t)T / TINYGPT__ATT_PAD, b = (size_t)T % TINYGPT__ATT_PAD;
    return tinygpt__mul(TINYGPT__ATT_PAD * (a + 1), TINYGPT__ATT_PAD / 2 * a + b, ok);
}

/* Causal attention runs per head in blocks of TINYGPT__ATT_ROWS query rows:
   the block's scores against keys 0..(its last row) are one product, as are
   their weighted values, so only the diagonal tile computes masked entries
   (about an eighth of the work at T = 128) and the rest skips them. Each
   head's keys and values are packed for the products once, and every block
   uses its first rows or columns. Floats of scratch per thread: three [rows,
   T] tiles (scores or d(weights), weights after dropout, d(scores)), three
   packed panels (K^T and V, or V^T and K, and a block's Q or dY), and an A
   block for the products, each 64-byte aligned. */
#define TINYGPT__ATT_ROWS 32
static size_t tinygpt__attention_scratch_size(int T, int hs, int *ok)
{
    size_t tiles = tinygpt__mul((size_t)3 * TINYGPT__ATT_ROWS, tinygpt__att_pad((size_t)T), ok);
    size_t panels = tinygpt__add(tinygpt__mul(tinygpt__packed_b_size(T, 1), (size_t)hs, ok),
                                 tinygpt__mul(tinygpt__packed_b_size(hs, 1), (size_t)T + TINYGPT__ATT_ROWS, ok), ok);
    size_t a_block = tinygpt__packed_a_size(T > hs ? T : hs, ok);
    return tinygpt__add(tinygpt__add(tiles, panels, ok), tinygpt__add(a_block, 7 * 16, ok), ok);  /* 7 alignments */
}

/* The largest of x[0..n), n >= 1, found as the largest of unsigned
   integers: a float's bits with the sign bit flipped, or all bits when
   negative, order as the floats do. Compilers vectorise this integer max; a
   float compare-and-select loop they left scalar. A NaN of either sign
   orders outside the numbers; a row holding one comes out NaN anyway. */
static float tinygpt__max_of(const float *x, int n)
{
    uint32_t m = 0u;
    int i;
    for (i = 0; i < n; i++) {
        uint32_t u = tinygpt__bits(x[i]), key = u ^ ((0u - (u >> 31)) | 0x80000000u);
        m = key > m ? key : m;
    }
    return tinygpt__from_bits(m ^ ((0u - ((m >> 31) ^ 1u)) | 0x80000000u));
}

/* The softmax of one row of attention scores: on entry buf[s] = score_s for
   s < n (what is past n in its tinygpt__att_pad(n) floats is ignored; buf is
   scratch); probs (the same length, may be buf) gets softmax(score * scale),
   zeros past n. The sums over the padded row are those over the n entries:
   its zeros fall into the same lanes. */
static void tinygpt__softmax_row(float *probs, float *buf, int n, float scale)
{
    int s, np = (int)tinygpt__att_pad((size_t)n);
    float maxv, inv;
    for (s = 0; s < np; s++) buf[s] = tinygpt__select(s < n, buf[s] * scale, -FLT_MAX);
    maxv = tinygpt__max_of(buf, np);
    for (s = 0; s < np; s++) buf[s] = tinygpt__exp_of_minus(maxv - buf[s]);  /* 0 past n */
    inv = 1.0f / tinygpt__lanes_sum(buf, np);
    for (s = 0; s < np; s++) probs[s] = buf[s] * inv;
}

/* One query row of causal attention, as the sampling cache runs it (no
   dropout): row[s] = q.k_s for s <= t, their softmax, then y = sum over s <=
   t of w[s] v_s; key and value s at k + s*hs and v + s*hs (one head's, in
   one run). Each score is a dot product over the head (tinygpt__dot_rows,
   several keys at a time): the keys are read as they lie, and a new one is
   stored as one contiguous row. row holds tinygpt__att_pad(t + 1) floats. */
static void tinygpt__attention_row(float *y, float *row, const float *q, const float *k, const float *v, int t,
                                   int hs, float scale)
{
    int d, s, np = (int)tinygpt__att_pad((size_t)t + 1);
    for (s = 0; s < np; s++) row[s] = 0.0f;
    tinygpt__dot_rows(row, q, k, (size_t)hs, t + 1, hs);
    tinygpt__softmax_row(row, row, t + 1, scale);
    for (d = 0; d < hs; d++) y[d] = 0.0f;
    tinygpt__axpy_rows(y, row, v, (size_t)hs, t + 1, hs);
}

/* One head of tinygpt__attention_forward, on the calling thread: q, k = q
   + C and v = q + 2C its columns of qkv (rows 3C apart), y its columns of
   out (rows C apart), head_att its stored probabilities, `scratch` this
   thread's tinygpt__attention_scratch_size(T, hs) floats; drop0 is where the
   head's dropout sites start. Query rows first..T-1, first a multiple of
   TINYGPT__ATT_ROWS (the blocks, and so the sums, of a call from row 0). A
   function of its own, called from the parallel loop: written inside the
   loop's body, where its scalars are the loop's shared variables, clang
   14's code for it ran a head 1.7 times as long on two threads as on one. */
static void tinygpt__attention_head_forward(float *y, float *head_att, float *scratch, const float *q, int first,
                                            int T, int C, int hs, float p, uint64_t seed, size_t drop0)
{
    int r0, r, s, Tp = (int)tinygpt__att_pad((size_t)T);
    float scale = 1.0f / sqrtf((float)hs);
    size_t C3 = (size_t)3 * C;
    float *score = tinygpt__align64(scratch);                                     /* [rows, ld] */
    float *w = tinygpt__align64(score + (size_t)TINYGPT__ATT_ROWS * Tp);          /* [rows, ld] */
    float *kt_packed = tinygpt__align64(w + (size_t)TINYGPT__ATT_ROWS * Tp);
    float *v_packed = tinygpt__align64(kt_packed + tinygpt__packed_b_size(T, hs));
    float *ap = tinygpt__align64(v_packed + tinygpt__packed_b_size(hs, T));
    tinygpt__view kv, vv;
    kv.p = q + C;     kv.rs = 1;  kv.cs = C3;   /* K^T: hs x T */
    vv.p = q + 2 * C; vv.rs = C3; vv.cs = 1;    /* V: T x hs */
    tinygpt__pack_b(kt_packed, kv, 0, hs, 0, T);
    tinygpt__pack_b(v_packed, vv, 0, T, 0, hs);
    for (r0 = first; r0 < T; r0 += TINYGPT__ATT_ROWS) {
        int r1 = T - r0 < TINYGPT__ATT_ROWS ? T : r0 + TINYGPT__ATT_ROWS, rows = r1 - r0;
        int ld = (int)tinygpt__att_pad((size_t)r1);  /* the tiles' row stride */
        tinygpt__view qv, wv;
        qv.p = q + (size_t)r0 * C3; qv.rs = C3; qv.cs = 1;
        tinygpt__matmul_packed_b(score, (size_t)ld, qv, kt_packed, (size_t)hs, NULL, rows, r1, hs, 0, ap,
                                 TINYGPT__A_FULL, 0, NULL);
        for (r = 0; r < rows; r++) {
            int t = r0 + r, np = (int)tinygpt__att_pad((size_t)t + 1);
            float *sr = score + (size_t)r * ld, *wr = w + (size_t)r * ld, *pr = head_att + tinygpt__att_row(t);
            size_t site = drop0 + tinygpt__tri(t);
            for (s = r1; s < ld; s++) sr[s] = 0.0f;  /* never written by the product */
            tinygpt__softmax_row(pr, sr, t + 1, scale);
            if (p > 0.0f)
                for (s = 0; s < np; s++) wr[s] = pr[s] * tinygpt__dropout_scale(seed, site + (size_t)s, p);
            else
                memcpy(wr, pr, tinygpt__att_pad((size_t)t + 1) * sizeof(float));
            for (s = np; s < r1; s++) wr[s] = 0.0f;
        }
        wv.p = w; wv.rs = (size_t)ld; wv.cs = 1;
        tinygpt__matmul_packed_b(y + (size_t)r0 * C, (size_t)C, wv, v_packed, (size_t)T, NULL, rows, hs, r1, 0, ap,
                                 TINYGPT__A_LOWER, r0, NULL);
    }
}

/* qkv [B,T,3C] -> out [B,T,C]. att [B,H] x tinygpt__att_head_checked(T)
   gets the softmax probabilities before dropout, rows as tinygpt__att_row
   says (p applied with `seed` on the fly). `scratch`
   holds threads * tinygpt__attention_scratch_size(T, C/H) floats. Per head
   and block of query rows r0..r1-1 (TINYGPT__ATT_ROWS), over keys s < r1:
     S = Q K^T          scores, one product
     W = softmax(S * scale) per row over s <= t, then dropout
     Y = W V            one product (W is 0 past the diagonal), into out
   Heads run in parallel, each on one thread: the same bits for any count. */
static void tinygpt__attention_forward(float *out, float *att, float *scratch, const float *qkv, int B,
                                       int T, int C, int H, float p, uint64_t seed, int threads)
{
    int hs = C / H, bh, ok = 1;
    size_t per_thread = tinygpt__attention_scratch_size(T, hs, &ok), tri = tinygpt__tri(T);
    TINYGPT__FOR(TINYGPT__PAR_FMA((double)B * T * T * C, threads), for (bh = 0; bh < B * H; bh++) {
        int b = bh / H, h = bh % H;
        tinygpt__attention_head_forward(out + (size_t)b * T * C + (size_t)h * hs,
                                        att + (size_t)bh * tinygpt__att_row(T),
                                        tinygpt__thread_scratch(scratch, per_thread),
                                        qkv + (size_t)b * T * 3 * C + (size_t)h * hs, 0, T, C, hs, p, seed,
                                        (size_t)bh * tri);
    });
}

/* Query rows first..first+n-1 of one sequence of T (B = 1, dropout off),
   every head on the calling thread: a thread's share of the prefill
   (tinygpt__prefill_layers). qkv and out point at row `first`; att is the
   whole sequence's, as tinygpt__attention_forward lays it out. */
static void tinygpt__attention_rows_forward(float *out, float *att, float *scratch, const float *qkv, int T,
                                            int first, int n, int C, int H)
{
    int hs = C / H, h, ok = 1;
    size_t per_thread = tinygpt__attention_scratch_size(T, hs, &ok);
    const float *seq = qkv - (size_t)first * 3 * C;  /* row 0's, for the keys and values of earlier rows */
    for (h = 0; h < H; h++)
        tinygpt__attention_head_forward(out - (size_t)first * C + (size_t)h * hs, att + (size_t)h * tinygpt__att_row(T),
                                        tinygpt__thread_scratch(scratch, per_thread), seq + (size_t)h * hs, first,
                                        first + n, C, hs, 0.0f, 0, 0);
}

/* One head of tinygpt__attention_backward, on the calling thread: dq, dk =
   dq + C and dv = dq + 2C its columns of dqkv, dy its columns of dout, the
   rest as in tinygpt__attention_head_forward (and, as there, a function of
   its own so that its scalars are plain arguments). */
static void tinygpt__attention_head_backward(float *dq, float *scratch, const float *dy, const float *q,
                                             const float *head_att, int T, int C, int hs, float p, uint64_t seed,
                                             size_t drop0)
{
    int r0, r, s, Tp = (int)tinygpt__att_pad((size_t)T);
    float scale = 1.0f / sqrtf((float)hs);
    size_t C3 = (size_t)3 * C;
    float *dw = tinygpt__align64(scratch);                                /* [rows, ld] d(weights) */
    float *wd = tinygpt__align64(dw + (size_t)TINYGPT__ATT_ROWS * Tp);  /* [rows, ld] weights after dropout */
    float *ds = tinygpt__align64(wd + (size_t)TINYGPT__ATT_ROWS * Tp);  /* [rows, ld] d(scores) */
    float *vt_packed = tinygpt__align64(ds + (size_t)TINYGPT__ATT_ROWS * Tp);
    float *k_packed = tinygpt__align64(vt_packed + tinygpt__packed_b_size(T, hs));
    float *blk_packed = tinygpt__align64(k_packed + tinygpt__packed_b_size(hs, T));
    float *ap = tinygpt__align64(blk_packed + tinygpt__packed_b_size(hs, TINYGPT__ATT_ROWS));
    float *dk = dq + C, *dv = dq + 2 * C;
    tinygpt__view vt, kv;
    for (r = 0; r < T; r++) {  /* this head's dQ, dK, dV from zero: written here, not in a pass of its own */
        memset(dq + (size_t)r * C3, 0, (size_t)hs * sizeof(float));
        memset(dk + (size_t)r * C3, 0, (size_t)hs * sizeof(float));
        memset(dv + (size_t)r * C3, 0, (size_t)hs * sizeof(float));
    }
    vt.p = q + 2 * C; vt.rs = 1;  vt.cs = C3;   /* V^T: hs x T */
    kv.p = q + C;     kv.rs = C3; kv.cs = 1;    /* K: T x hs */
    tinygpt__pack_b(vt_packed, vt, 0, hs, 0, T);
    tinygpt__pack_b(k_packed, kv, 0, T, 0, hs);
    for (r0 = 0; r0 < T; r0 += TINYGPT__ATT_ROWS) {
        int r1 = T - r0 < TINYGPT__ATT_ROWS ? T : r0 + TINYGPT__ATT_ROWS, rows = r1 - r0;
        int ld = (int)tinygpt__att_pad((size_t)r1);  /* the tiles' row stride */
        tinygpt__view av, bv;
        av.p = dy + (size_t)r0 * C; av.rs = (size_t)C; av.cs = 1;
        tinygpt__matmul_packed_b(dw, (size_t)ld, av, vt_packed, (size_t)hs, NULL, rows, r1, hs, 0, ap,
                                 TINYGPT__A_FULL, 0, NULL);
        /* per row, over the padded row (tinygpt__att_pad): past n the
           probabilities are 0, and so are the weights and dS */
        for (r = 0; r < rows; r++) {
            int t = r0 + r, n = t + 1, np = (int)tinygpt__att_pad((size_t)n);
            const float *pr = head_att + tinygpt__att_row(t);  /* probabilities, zeros past n */
            float *dwr = dw + (size_t)r * ld, *wdr = wd + (size_t)r * ld, *dsr = ds + (size_t)r * ld;
            float dot;
            size_t site = drop0 + tinygpt__tri(t);
            for (s = r1; s < ld; s++) dwr[s] = 0.0f;  /* never written by the product */
            if (p > 0.0f)
                for (s = 0; s < np; s++) {
                    float keep = tinygpt__dropout_scale(seed, site + (size_t)s, p);
                    wdr[s] = pr[s] * keep;
                    dwr[s] = tinygpt__select(s < n, dwr[s] * keep, 0.0f);
                }
            else
                for (s = 0; s < np; s++) {
                    wdr[s] = pr[s];
                    dwr[s] = tinygpt__select(s < n, dwr[s], 0.0f);
                }
            /* softmax backward: dot = sum_s P[s] dW[s], in lanes */
            dot = tinygpt__lanes_dot(pr, dwr, np);
            for (s = 0; s < np; s++) dsr[s] = pr[s] * (dwr[s] - dot) * scale;
            for (s = np; s < r1; s++) wdr[s] = dsr[s] = 0.0f;
        }
        /* dQ rows r0..r1-1 += dS K */
        av.p = ds; av.rs = (size_t)ld; av.cs = 1;
        tinygpt__matmul_packed_b(dq + (size_t)r0 * C3, C3, av, k_packed, (size_t)T, NULL, rows, hs, r1, 1, ap,
                                 TINYGPT__A_LOWER, r0, NULL);
        /* dK rows 0..r1-1 += dS^T Q, dV rows 0..r1-1 += W_dropped^T dY (this block's rows of Q, dY) */
        av.rs = 1; av.cs = (size_t)ld;
        bv.p = q + (size_t)r0 * C3; bv.rs = C3; bv.cs = 1;
        tinygpt__pack_b(blk_packed, bv, 0, rows, 0, hs);
        tinygpt__matmul_packed_b(dk, C3, av, blk_packed, (size_t)rows, NULL, r1, hs, rows, 1, ap,
                                 TINYGPT__A_UPPER, r0, NULL);
        av.p = wd;
        bv.p = dy + (size_t)r0 * C; bv.rs = (size_t)C;
        tinygpt__pack_b(blk_packed, bv, 0, rows, 0, hs);
        tinygpt__matmul_packed_b(dv, C3, av, blk_packed, (size_t)rows, NULL, r1, hs, rows, 1, ap,
                                 TINYGPT__A_UPPER, r0, NULL);
    }
}

/* dqkv = gradient of attention_forward given dout (written, not added to:
   each head zeroes its part first). `scratch` as in forward. Per head and
   block of query rows r0..r1-1, over keys s < r1:
     dW = dY V^T                       one product; dropout's mask applied
     dS = W o (dW - rowsum(W o dW)) * scale   softmax backward, row by row
     dQ += dS K,  dK += dS^T Q,  dV += W_dropped^T dY   three products
   each added straight into dqkv. */
static void tinygpt__attention_backward(float *dqkv, float *scratch, const float *dout,
                                        const float *qkv, const float *att, int B, int T, int C,
                                        int H, float p, uint64_t seed, int threads)
{
    int hs = C / H, bh, ok = 1;
    size_t C3 = (size_t)3 * C, per_thread = tinygpt__attention_scratch_size(T, hs, &ok), tri = tinygpt__tri(T);
    /* heads share no dqkv entries, so they run in parallel */
    TINYGPT__FOR(TINYGPT__PAR_FMA((double)B * T * T * C, threads), for (bh = 0; bh < B * H; bh++) {
        int b = bh / H, h = bh % H;
        tinygpt__attention_head_backward(dqkv + (size_t)b * T * C3 + (size_t)h * hs,
                                         tinygpt__thread_scratch(scratch, per_thread),
                                         dout + (size_t)b * T * C + (size_t)h * hs,
                                         qkv + (size_t)b * T * C3 + (size_t)h * hs,
                                         att + (size_t)bh * tinygpt__att_row(T), T, C, hs, p, seed, (size_t)bh * tri);
    });
}

/* Keys and values of every layer for the first n positions of the sampling
   window, so the next token costs one row through the model (O(window) in
   attention) instead of a forward over the whole window. Positions are
   absolute (learned embeddings), so when the window slides every cached entry
   changes and the cache is rebuilt by a prefill forward. It holds `cap`
   positions: the longest the window gets in this call, at most block_size. */
typedef struct {
    float *k;                  /* [L, H, cap, C/H]: keys, each head's in one run */
    float *v;                  /* [L, H, cap, C/H]: values, the same */
    float *x, *ln, *qkv, *atty, *branch, *fc, *gelu, *att, *logits;  /* one row */
    float *mean, *rstd;        /* a LayerNorm's statistics of that row */
    int    n, cap;             /* positions cached, positions it can hold */
} tinygpt__kv_cache;

/* Floats of a cache of cap positions: the keys and values of every layer,
   *kv floats, then the row buffers. L*cap*2C is not bounded by the
   parameter count (L = cap = 65536, C = 1 wraps a 32-bit size_t), so it is
   checked; the row is, by V*C, T*C and C*C. */
static size_t tinygpt__kv_cache_floats(const tinygpt_config *cfg, int cap, size_t *kv, int *ok)
{
    size_t C = (size_t)cfg->n_embd;
    *kv = tinygpt__mul(tinygpt__mul((size_t)cfg->n_layer, (size_t)cap, ok), 2 * C, ok);
    return tinygpt__add(*kv, 15 * C + tinygpt__att_pad((size_t)cap) + (size_t)cfg->vocab_size + 2, ok);
}

static int tinygpt__kv_cache_alloc(tinygpt__kv_cache *kc, const tinygpt_config *cfg, int cap)
{
    size_t C = (size_t)cfg->n_embd, T = (size_t)cap, kv;
    int ok = 1;
    size_t total = tinygpt__kv_cache_floats(cfg, cap, &kv, &ok);
    memset(kc, 0, sizeof *kc);
    kc->k = ok ? tinygpt__alloc_floats(total) : NULL;
    if (!kc->k) return -1;
    kc->cap = cap;
    kc->v = kc->k + kv / 2;
    kc->x = kc->k + kv;
    kc->ln = kc->x + C;
    kc->qkv = kc->ln + C;
    kc->atty = kc->qkv + 3 * C;
    kc->branch = kc->atty + C;
    kc->fc = kc->branch + C;
    kc->gelu = kc->fc + 4 * C;
    kc->att = kc->gelu + 4 * C;
    kc->logits = kc->att + tinygpt__att_pad(T);
    kc->mean = kc->logits + cfg->vocab_size;
    kc->rstd = kc->mean + 1;
    return 0;
}

/* Where head h's keys of layer l start (its values: the same offset from
   kc->v); position t's key is hs floats from t*hs on. */
static size_t tinygpt__kv_cache_head(const tinygpt__kv_cache *kc, int l, int h, int C, int H)
{
    return ((size_t)l * H + (size_t)h) * kc->cap * (size_t)(C / H);
}

/* Stores position pos's key and value of layer l from its qkv row [3C]. */
static void tinygpt__kv_cache_put(tinygpt__kv_cache *kc, int l, int pos, const float *qkv, int C, int H)
{
    int hs = C / H, h;
    for (h = 0; h < H; h++) {
        size_t at = tinygpt__kv_cache_head(kc, l, h, C, H) + (size_t)pos * hs;
        memcpy(kc->k + at, qkv + C + (size_t)h * hs, (size_t)hs * sizeof(float));
        memcpy(kc->v + at, qkv + 2 * C + (size_t)h * hs, (size_t)hs * sizeof(float));
    }
}

/* One new query row at position kc->n against the cache (layer l): stores
   the row's key and value from qkv [3C], then attention_row per head into
   out [C] (att: tinygpt__att_pad(T) floats of scratch). */
static void tinygpt__attention_cached(float *out, float *att, tinygpt__kv_cache *kc, int l, const float *qkv,
                                      int C, int H)
{
    int hs = C / H, h;
    tinygpt__kv_cache_put(kc, l, kc->n, qkv, C, H);
    for (h = 0; h < H; h++) {
        size_t head = tinygpt__kv_cache_head(kc, l, h, C, H);
        tinygpt__attention_row(out + (size_t)h * hs, att, qkv + (size_t)h * hs, kc->k + head, kc->v + head, kc->n,
                               hs, 1.0f / sqrtf((float)hs));
    }
}

/* A row's sum of exp(l[i] - maxv), maxv its largest logit: the
   exponentials are tinygpt__exp_of_minus's, which loops vectorise (libm's
   is a call per logit), a chunk at a time into a buffer whose lanes are
   then summed. */
#define TINYGPT__CE_CHUNK 256
static double tinygpt__sum_exp(const float *l, int V, float maxv)
{
    float e[TINYGPT__CE_CHUNK];
    double sum = 0.0;
    int i, i0;
    for (i0 = 0; i0 < V; i0 += TINYGPT__CE_CHUNK) {
        int c = V - i0 < TINYGPT__CE_CHUNK ? V - i0 : TINYGPT__CE_CHUNK;
        for (i = 0; i < c; i++) e[i] = tinygpt__exp_of_minus(maxv - l[i0 + i]);
        sum += tinygpt__lanes_sum(e, c);
    }
    return sum;
}

/* Mean cross-entropy of logits [N,V] against targets [N]; the rows' losses
   are summed in TINYGPT__RUNS runs. */
static double tinygpt__crossentropy_forward(const float *logits, const int32_t *targets, int N, int V,
                                            int threads)
{
    double run[TINYGPT__RUNS], total = 0.0;
    int part;
    (void)threads;
    TINYGPT__PARALLEL_FOR(TINYGPT__PAR((size_t)N * V, threads))
    for (part = 0; part < TINYGPT__RUNS; part++) {
        int n = (int)((long long)N * part / TINYGPT__RUNS);
        int end = (int)((long long)N * (part + 1) / TINYGPT__RUNS);
        double sum_run = 0.0;
        for (; n < end; n++) {
            const float *l = logits + (size_t)n * V;
            float maxv = tinygpt__max_of(l, V);
            sum_run += log(tinygpt__sum_exp(l, V, maxv)) + (double)maxv - (double)l[targets[n]];
        }
        run[part] = sum_run;
    }
    for (part = 0; part < TINYGPT__RUNS; part++) total += run[part];
    return total / (double)N;
}

/* dlogits += (softmax(logits) - onehot(target)) * dloss, dloss = 1/N for a
   mean; the exponentials as in tinygpt__sum_exp, computed again for the
   second pass. */
static void tinygpt__crossentropy_backward(float *dlogits, const float *logits, const int32_t *targets,
                                           int N, int V, float dloss, int threads)
{
    int n;
    (void)threads;
    TINYGPT__PARALLEL_FOR(TINYGPT__PAR((size_t)N * V, threads))
    for (n = 0; n < N; n++) {
        const float *l = logits + (size_t)n * V;
        float *d = dlogits + (size_t)n * V;
        float maxv = tinygpt__max_of(l, V), inv = (float)(1.0 / tinygpt__sum_exp(l, V, maxv));
        int i, target = targets[n];
        for (i = 0; i < V; i++)
            d[i] += (tinygpt__exp_of_minus(maxv - l[i]) * inv - tinygpt__select(i == target, 1.0f, 0.0f)) * dloss;
    }
}

/* ================================================================ the model: activations, forward and backward */

struct tinygpt_acts {
    size_t cap_rows, cap_att;  /* sized for this many B*T rows and floats of probabilities (B*H heads) */
    int    cap_T, cap_threads; /* and for sequences this long (attention scratch), this many threads */
    int    B, T;               /* shape of the last forward */
    int    has_targets;
    float  dropout;            /* dropout the last forward applied (0 when not training) */
    uint64_t dropout_seed;
    int32_t *inputs, *targets; /* [BT] copies for backward */
    /* saved by forward, per layer l at offset l * (its per-layer size) */
    float *resid;              /* [L+1, BT, C] residual stream into each layer and out of the last */
    float *ln1, *ln1_mean, *ln1_rstd;  /* [L, BT, C], [L, BT], [L, BT] */
    float *qkv;                /* [L, BT, 3C] */
    float *att;                /* [L, B, H] heads of causal softmax probabilities (tinygpt__att_row) */
    float *atty;               /* [L, BT, C] attention output, heads concatenated */
    float *resid_mid;          /* [L, BT, C] residual after the attention branch */
    float *ln2, *ln2_mean, *ln2_rstd;  /* [L, BT, C], [L, BT], [L, BT] */
    float *fc;                 /* [L, BT, 4C] before GELU */
    float *gelu;               /* [BT, 4C] one layer's GELU output: backward recomputes it from fc */
    float *lnf, *lnf_mean, *lnf_rstd;  /* [BT, C], [BT], [BT] */
    float *logits;             /* [BT, V] */
    /* scratch, shared by all layers (forward uses branch) */
    float *dresid, *branch, *dbt;      /* [BT, C] each */
    float *dqkv;               /* [BT, 3C] */
    float *dgelu, *dfc;        /* [BT, 4C] each */
    float *dlogits;            /* [BT, V] */
    float *attn_scratch;       /* [threads, tinygpt__attention_scratch_size(T, C/H)] */
    float *ln_sums;            /* [TINYGPT__LN_CHUNKS, 2C] a LayerNorm backward's partial sums */
    float *dw_half;            /* a weight gradient's second half (tinygpt__matmul_halves) */
    float *work;               /* matmul packing */
};

/* Floats of the largest weight gradient's tinygpt__matmul_halves scratch:
   fc's [4C, C], mlp.proj's [C, 4C] or lm_head's [V, C]. */
static size_t tinygpt__dw_half_size(const tinygpt_config *cfg)
{
    size_t mlp = tinygpt__halves_size(4 * cfg->n_embd, cfg->n_embd);
    size_t head = tinygpt__halves_size(cfg->vocab_size, cfg->n_embd);
    return mlp > head ? mlp : head;
}

/* Walks the activation buffers in one fixed order: with base == NULL it only
   sums their sizes (0 on overflow); otherwise it also points each into base. */
static size_t tinygpt__acts_layout(struct tinygpt_acts *a, float *base, const tinygpt_config *cfg,
                                   size_t rows, size_t att, int T, int threads)
{
    size_t L = (size_t)cfg->n_layer, C = (size_t)cfg->n_embd, V = (size_t)cfg->vocab_size;
    struct { float **p; size_t n1, n2, n3; } t[32];
    size_t total = 0;
    int ok = 1, k, n = 0;
#define TINYGPT__BUF(ptr, a_, b_, c_) (t[n].p = &(ptr), t[n].n1 = (a_), t[n].n2 = (b_), t[n].n3 = (c_), n++)
    TINYGPT__BUF(a->resid, L + 1, rows, C);
    TINYGPT__BUF(a->ln1, L, rows, C);        TINYGPT__BUF(a->ln1_mean, L, rows, 1);
    TINYGPT__BUF(a->ln1_rstd, L, rows, 1);   TINYGPT__BUF(a->qkv, L, rows, 3 * C);
    TINYGPT__BUF(a->att, L, att, 1);         TINYGPT__BUF(a->atty, L, rows, C);
    TINYGPT__BUF(a->resid_mid, L, rows, C);  TINYGPT__BUF(a->ln2, L, rows, C);
    TINYGPT__BUF(a->ln2_mean, L, rows, 1);   TINYGPT__BUF(a->ln2_rstd, L, rows, 1);
    TINYGPT__BUF(a->fc, L, rows, 4 * C);     TINYGPT__BUF(a->gelu, 1, rows, 4 * C);
    TINYGPT__BUF(a->lnf, 1, rows, C);        TINYGPT__BUF(a->lnf_mean, 1, rows, 1);
    TINYGPT__BUF(a->lnf_rstd, 1, rows, 1);   TINYGPT__BUF(a->logits, 1, rows, V);
    TINYGPT__BUF(a->dresid, 1, rows, C);     TINYGPT__BUF(a->branch, 1, rows, C);
    TINYGPT__BUF(a->dbt, 1, rows, C);        TINYGPT__BUF(a->dqkv, 1, rows, 3 * C);
    TINYGPT__BUF(a->dgelu, 1, rows, 4 * C);  TINYGPT__BUF(a->dfc, 1, rows, 4 * C);
    TINYGPT__BUF(a->dlogits, 1, rows, V);
    TINYGPT__BUF(a->attn_scratch, 1, (size_t)threads, tinygpt__attention_scratch_size(T, cfg->n_embd / cfg->n_head, &ok));
    TINYGPT__BUF(a->ln_sums, TINYGPT__LN_CHUNKS, 2, C);
    TINYGPT__BUF(a->dw_half, 1, 1, tinygpt__dw_half_size(cfg));
    TINYGPT__BUF(a->work, 1, 1, tinygpt__matmul_work_size(threads));
#undef TINYGPT__BUF
    for (k = 0; k < n; k++) {
        size_t size = tinygpt__mul(tinygpt__mul(t[k].n1, t[k].n2, &ok), t[k].n3, &ok);
        if (base) *t[k].p = base + total;
        total = tinygpt__add(total, size, &ok);
    }
    return ok ? total : 0;
}

TINYGPT_DEF size_t tinygpt_train_memory(const tinygpt_config *cfg, int batch_size)
{
    struct tinygpt_acts a;
    int ok = 1, threads = 1;
    size_t P, rows, att, acts, total;
    if (!cfg || batch_size < 1 || tinygpt_config_check(cfg, NULL)) return 0;
#ifdef _OPENMP
    threads = omp_get_max_threads();
    if (threads > TINYGPT__MAX_THREADS) threads = TINYGPT__MAX_THREADS;
    if (threads < 1) threads = 1;
#endif
    P = tinygpt_num_params(cfg);
    rows = tinygpt__mul((size_t)batch_size, (size_t)cfg->block_size, &ok);
    att = tinygpt__mul(tinygpt__mul((size_t)batch_size, (size_t)cfg->n_head, &ok),
                       tinygpt__att_head_checked(cfg->block_size, &ok), &ok);
    acts = ok ? tinygpt__acts_layout(&a, NULL, cfg, rows, att, cfg->block_size, threads) : 0;
    if (!acts) return 0;
    /* parameters, gradients, m and v; the activations; the batch's token copies */
    total = tinygpt__add(tinygpt__mul(4, P, &ok), acts, &ok);
    total = tinygpt__mul(total, sizeof(float), &ok);
    total = tinygpt__add(total, tinygpt__mul(2 * sizeof(int32_t), rows, &ok), &ok);
    return ok ? total : 0;
}

static int tinygpt__threads(const tinygpt_model *model)
{
    int n = model->threads;
#ifdef _OPENMP
    if (n < 1) n = omp_get_max_threads();
#else
    n = 1;
#endif
    if (n < 1) n = 1;
    return n > TINYGPT__MAX_THREADS ? TINYGPT__MAX_THREADS : n;
}

static void tinygpt__acts_free(struct tinygpt_acts *a)
{
    if (!a) return;
    tinygpt_free(a->resid);  /* the one float block starts with resid */
    tinygpt_free(a->inputs);
    tinygpt_free(a);
}

/* Makes room for a forward of B x T; keeps the current buffers when they fit. */
static int tinygpt__acts_reserve(tinygpt_model *model, int B, int T, tinygpt_error *err)
{
    struct tinygpt_acts *old = model->acts, *a;
    int threads = tinygpt__threads(model), ok = 1, longest = T;
    size_t rows = tinygpt__mul((size_t)B, (size_t)T, &ok);
    size_t att = tinygpt__mul(tinygpt__mul((size_t)B, (size_t)model->config.n_head, &ok),
                              tinygpt__att_head_checked(T, &ok), &ok);
    size_t total;
    float *mem;
    if (!ok) return tinygpt__fail(err, "batch %d x %d is too large", B, T);
    if (old && rows <= old->cap_rows && att <= old->cap_att && T <= old->cap_T && threads <= old->cap_threads)
        return 0;
    if (old) {  /* grow to cover both shapes */
        if (old->cap_rows > rows) rows = old->cap_rows;
        if (old->cap_att > att) att = old->cap_att;
        if (old->cap_T > longest) longest = old->cap_T;
        if (old->cap_threads > threads) threads = old->cap_threads;
    }
    a = (struct tinygpt_acts *)tinygpt_alloc(sizeof *a);
    if (!a) return tinygpt__fail(err, "out of memory for activations");
    memset(a, 0, sizeof *a);
    total = tinygpt__acts_layout(a, NULL, &model->config, rows, att, longest, threads);
    mem = total ? tinygpt__alloc_floats(total) : NULL;
    a->inputs = rows <= SIZE_MAX / (2 * sizeof(int32_t)) ? (int32_t *)tinygpt_alloc(2 * rows * sizeof(int32_t)) : NULL;
    if (!mem || !a->inputs) {
        tinygpt_free(mem);
        tinygpt_free(a->inputs);
        tinygpt_free(a);
        return tinygpt__fail(err, "out of memory for the activations of a %d x %d batch", B, T);
    }
    tinygpt__acts_layout(a, mem, &model->config, rows, att, longest, threads);
    a->targets = a->inputs + rows;
    a->cap_rows = rows;
    a->cap_att = att;
    a->cap_T = longest;
    a->cap_threads = threads;
    tinygpt__acts_free(old);
    model->acts = a;
    return 0;
}

/* Layer l's slice of every per-layer activation buffer. */
typedef struct {
    float *resid_in, *resid_mid, *resid_out;  /* [BT, C] */
    float *ln1, *ln1_mean, *ln1_rstd;         /* [BT, C], [BT], [BT] */
    float *qkv;                               /* [BT, 3C] */
    float *att;                               /* [B, H] heads (tinygpt__att_row) */
    float *atty;                              /* [BT, C] */
    float *ln2, *ln2_mean, *ln2_rstd;         /* [BT, C], [BT], [BT] */
    float *fc, *gelu;                         /* [BT, 4C] */
} tinygpt__layer_acts;

static tinygpt__layer_acts tinygpt__layer_acts_at(const struct tinygpt_acts *a, const tinygpt_config *cfg, int l)
{
    tinygpt__layer_acts la;
    size_t R = a->cap_rows, C = (size_t)cfg->n_embd, L = (size_t)l;
    la.resid_in = a->resid + L * R * C;
    la.resid_out = a->resid + (L + 1) * R * C;
    la.resid_mid = a->resid_mid + L * R * C;
    la.ln1 = a->ln1 + L * R * C;
    la.ln1_mean = a->ln1_mean + L * R;
    la.ln1_rstd = a->ln1_rstd + L * R;
    la.qkv = a->qkv + L * R * 3 * C;
    la.att = a->att + L * a->cap_att;
    la.atty = a->atty + L * R * C;
    la.ln2 = a->ln2 + L * R * C;
    la.ln2_mean = a->ln2_mean + L * R;
    la.ln2_rstd = a->ln2_rstd + L * R;
    la.fc = a->fc + L * R * 4 * C;
    la.gelu = a->gelu;  /* shared: cheaper to recompute than to keep per layer */
    return la;
}

/* la's buffers from row r0 on (rows of one sequence); att, the heads'
   probabilities, is laid out by head, not by row, and stays. */
static tinygpt__layer_acts tinygpt__layer_acts_from(tinygpt__layer_acts la, size_t r0, size_t C)
{
    la.resid_in += r0 * C;
    la.resid_out += r0 * C;
    la.resid_mid += r0 * C;
    la.ln1 += r0 * C;
    la.ln1_mean += r0;
    la.ln1_rstd += r0;
    la.qkv += r0 * 3 * C;
    la.atty += r0 * C;
    la.ln2 += r0 * C;
    la.ln2_mean += r0;
    la.ln2_rstd += r0;
    la.fc += r0 * 4 * C;
    la.gelu += r0 * 4 * C;
    return la;
}

/* Dropout sites: 0 = embeddings; for layer l, 1+3l = attention probabilities,
   2+3l = attention projection, 3+3l = MLP projection. */
static uint64_t tinygpt__site_seed(uint64_t seed, int site)
{
    return tinygpt__mix64(seed + 0xD1B54A32D192ED03ull * (uint64_t)(site + 1));
}

/* What a block's attention attends over: the rows of a forward, B sequences
   of T (training, evaluation, the sampling prefill), or one new row at
   position cache->n against the sampling cache's keys and values. */
typedef struct {
    int B, T;                   /* the forward's shape */
    float *scratch;             /* attention scratch (tinygpt__attention_scratch_size per thread) */
    tinygpt__kv_cache *cache;   /* non-NULL: one row against this cache, weights read row by row */
    float p;                    /* dropout (0 when not training) */
    uint64_t seed;              /* the forward's dropout seed (tinygpt__site_seed) */
    int qkv_only;               /* stop after qkv: the prefill's last layer needs only its keys and values */
    int qkv_given;              /* start at attention: the row's qkv is in place (tinygpt__kv_cache_prefilled) */
    const float *packed;        /* non-NULL: every layer's weights packed (tinygpt__pack_layers), the prefill's */
    int first_row;              /* where the block's rows start when they are fewer than B*T: one thread's
                                   share of the prefill's single sequence (tinygpt__prefill_layers) */
} tinygpt__attend;

/* Floats of one layer's four weight matrices packed by tinygpt__pack_weight,
   and each one's offset in them: qkv, proj, fc, mlp proj (which = 0..3). */
static size_t tinygpt__packed_layer_offset(int C, int which)
{
    size_t off = 0;
    if (which > 0) off += tinygpt__packed_weight_size(3 * C, C);
    if (which > 1) off += tinygpt__packed_weight_size(C, C);
    if (which > 2) off += tinygpt__packed_weight_size(4 * C, C);
    if (which > 3) off += tinygpt__packed_weight_size(C, 4 * C);
    return off;
}

/* Every layer's weights packed into dst (n_layer * offset(C, 4) floats). */
static void tinygpt__pack_layers(float *dst, const tinygpt_model *model)
{
    int C = model->config.n_embd, l;
    size_t per_layer = tinygpt__packed_layer_offset(C, 4);
    for (l = 0; l < model->config.n_layer; l++, dst += per_layer) {
        const tinygpt__layer *pw = &model->names->param_layer[l];
        tinygpt__pack_weight(dst + tinygpt__packed_layer_offset(C, 0), pw->qkv_w, 3 * C, C);
        tinygpt__pack_weight(dst + tinygpt__packed_layer_offset(C, 1), pw->proj_w, C, C);
        tinygpt__pack_weight(dst + tinygpt__packed_layer_offset(C, 2), pw->fc_w, 4 * C, C);
        tinygpt__pack_weight(dst + tinygpt__packed_layer_offset(C, 3), pw->mlp_proj_w, C, 4 * C);
    }
}

/* out[N,OC] = inp W^T + bias: the blocked matmul for a forward's rows (with
   W packed already when wp is not NULL), the row kernel for the cache's
   single row, whose weights may be an int8 view's (q8, else NULL). */
static void tinygpt__block_linear(float *out, const float *inp, const float *w, const float *wp,
                                  const tinygpt__qmat *q8, const float *bias, int one_row, int N, int IC, int OC,
                                  float *work, int threads)
{
    if (one_row) tinygpt__linear_row_any(out, inp, w, q8, bias, IC, OC);
    else if (wp) tinygpt__linear_forward_packed(out, inp, w, wp, bias, N, IC, OC, work, threads);
    else tinygpt__linear_forward(out, inp, w, bias, N, IC, OC, work, threads);
}

/* One transformer block (layer l) on N rows: la's buffers in, out and saved
   for backward; `branch` [N, C] scratch. q8: the layer's 12 tensors in an
   int8 view (qkv.weight at [2], proj [4], fc [8], mlp.proj [10]), else NULL.
   The batch forward and the sampling cache's step both run it. */
static void tinygpt__block_forward(const tinygpt__layer_acts *la, float *branch, const tinygpt__layer *pw,
                                   const tinygpt__qmat *q8, int l, const tinygpt__attend *at, int N, int C, int H,
                                   float *work, int threads)
{
    size_t NC = (size_t)N * C;
    int row = at->cache != NULL;
    const float *pk = at->packed ? at->packed + (size_t)l * tinygpt__packed_layer_offset(C, 4) : NULL;
#define TINYGPT__PACKED(which) (pk ? pk + tinygpt__packed_layer_offset(C, which) : NULL)
    /* x = x + dropout(proj(attention(ln1(x)))) */
    if (!at->qkv_given) {
        tinygpt__layernorm_forward(la->ln1, la->ln1_mean, la->ln1_rstd, la->resid_in, pw->ln1_w, pw->ln1_b, N, C,
                                   threads);
        tinygpt__block_linear(la->qkv, la->ln1, pw->qkv_w, TINYGPT__PACKED(0), q8 ? q8 + 2 : NULL, pw->qkv_b, row, N, C,
                              3 * C, work, threads);
    }
    if (at->qkv_only) return;
    if (row)
        tinygpt__attention_cached(la->atty, la->att, at->cache, l, la->qkv, C, H);
    else if (N < at->B * at->T)
        tinygpt__attention_rows_forward(la->atty, la->att, at->scratch, la->qkv, at->T, at->first_row, N, C, H);
    else
        tinygpt__attention_forward(la->atty, la->att, at->scratch, la->qkv, at->B, at->T, C, H, at->p,
                                   tinygpt__site_seed(at->seed, 1 + 3 * l), threads);
    tinygpt__block_linear(branch, la->atty, pw->proj_w, TINYGPT__PACKED(1), q8 ? q8 + 4 : NULL, pw->proj_b, row, N, C,
                          C, work, threads);
    tinygpt__residual_forward(la->resid_mid, la->resid_in, branch, NC, at->p, tinygpt__site_seed(at->seed, 2 + 3 * l),
                              threads);
    /* x = x + dropout(mlp_proj(gelu(fc(ln2(x))))) */
    tinygpt__layernorm_forward(la->ln2, la->ln2_mean, la->ln2_rstd, la->resid_mid, pw->ln2_w, pw->ln2_b, N, C,
                               threads);
    tinygpt__block_linear(la->fc, la->ln2, pw->fc_w, TINYGPT__PACKED(2), q8 ? q8 + 8 : NULL, pw->fc_b, row, N, C,
                          4 * C, work, threads);
    tinygpt__gelu_forward(la->gelu, la->fc, 4 * NC, threads);
    tinygpt__block_linear(branch, la->gelu, pw->mlp_proj_w, TINYGPT__PACKED(3), q8 ? q8 + 10 : NULL, pw->mlp_proj_b,
                          row, N, 4 * C, C, work, threads);
#undef TINYGPT__PACKED
    tinygpt__residual_forward(la->resid_out, la->resid_mid, branch, NC, at->p, tinygpt__site_seed(at->seed, 3 + 3 * l),
                              threads);
}

/* logits[N,V] = lm_head(lnf(x)), after the last block; q8: lm_head's int8 rows in a view. */
static void tinygpt__head_forward(float *logits, float *lnf, float *mean, float *rstd, const float *x,
                                  const tinygpt__globals *w, const tinygpt__qmat *q8, int one_row, int N, int C,
                                  int V, float *work, int threads)
{
    tinygpt__layernorm_forward(lnf, mean, rstd, x, w->lnf_w, w->lnf_b, N, C, threads);
    tinygpt__block_linear(logits, lnf, w->lm_head, NULL, q8, NULL, one_row, N, C, V, work, threads);
}

/* The first check of every public function that takes a model: a zeroed one
   (what a failed create or load leaves) or one whose config no longer matches
   its parameters is an error, never a crash. */
static int tinygpt__check_model(const tinygpt_model *model, tinygpt_error *err)
{
    if (!model || (!model->params && !model->image) || !model->names || model->config.n_head < 1 ||
        model->num_params == 0 || model->num_params != tinygpt_num_params(&model->config))
        return tinygpt__fail(err, "model is not initialised (create or load one first)");
    return 0;
}

/* Training and saving need weights of the model's own (tinygpt_load_view's are not). */
static int tinygpt__check_writable(const tinygpt_model *model, tinygpt_error *err)
{
    if (model->image)
        return tinygpt__fail(err, "weights are read-only: the model views a checkpoint image (tinygpt_load_view); "
                                  "tinygpt_load_memory gives a model that trains and saves");
    return 0;
}

static int tinygpt__check_tokens(const int32_t *ids, size_t n, int V, const char *what, tinygpt_error *err)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (ids[i] < 0 || ids[i] >= V)
            return tinygpt__fail(err, "%s token %ld at position %llu is outside the vocabulary (size %d)",
                                 what, (long)ids[i], (unsigned long long)i, V);
    return 0;
}

/* What a forward is for: evaluation (dropout off), training (dropout on), or
   the sampling cache's prefill, which needs every layer's keys and values but
   not the last layer's outputs: it stops after the last layer's qkv. */
enum { TINYGPT__FWD_EVAL, TINYGPT__FWD_TRAIN, TINYGPT__FWD_PREFILL };

/* The sampling prefill's layers (one sequence of T rows, dropout off, the
   weights packed) on threads, in one parallel region: each thread takes a
   run of rows through every op of every layer, so its rows stay in its own
   cache, and the threads wait for each other once per layer, between the
   qkv product and attention, which reads the keys and values of earlier
   rows. Runs start at multiples of TINYGPT__ATT_ROWS, attention's blocks, so
   every sum is the one thread's. Op by op, as the other forwards run (a
   parallel loop per product, the smaller ops on one thread at this size),
   each threaded product would wake the other thread and leave half its
   output in that thread's cache for the next op. The last layer stops after qkv, as
   tinygpt__forward's prefill does. */
static void tinygpt__prefill_layers(tinygpt_model *model, const tinygpt__attend *whole, int T, int threads)
{
    const tinygpt_config *cfg = &model->config;
    struct tinygpt_acts *a = model->acts;
    int C = cfg->n_embd, blocks = (T + TINYGPT__ATT_ROWS - 1) / TINYGPT__ATT_ROWS;
    if (threads > blocks) threads = blocks;
    TINYGPT__PRAGMA(omp parallel num_threads(threads))
    {
        int team = tinygpt__team_size(), me = tinygpt__team_index(), l;
        int r0 = me * blocks / team * TINYGPT__ATT_ROWS, r1 = (me + 1) * blocks / team * TINYGPT__ATT_ROWS;
        tinygpt__attend at = *whole;
        if (r1 > T) r1 = T;
        at.first_row = r0;
        for (l = 0; l < cfg->n_layer; l++) {
            tinygpt__layer_acts la = tinygpt__layer_acts_from(tinygpt__layer_acts_at(a, cfg, l), (size_t)r0, (size_t)C);
            const tinygpt__layer *pw = &model->names->param_layer[l];
            float *branch = a->branch + (size_t)r0 * C;
            at.qkv_only = 1;
            at.qkv_given = 0;
            tinygpt__block_forward(&la, branch, pw, NULL, l, &at, r1 - r0, C, cfg->n_head, a->work, 1);
            TINYGPT__PRAGMA(omp barrier)
            if (l == cfg->n_layer - 1) break;
            at.qkv_only = 0;
            at.qkv_given = 1;
            tinygpt__block_forward(&la, branch, pw, NULL, l, &at, r1 - r0, C, cfg->n_head, a->work, 1);
        }
    }
}

/* The forward pass; *loss (if targets) in double for exact averaging. */
static int tinygpt__forward(tinygpt_model *model, const int32_t *inputs, const int32_t *targets,
                            int B, int T, int mode, const float *packed, double *loss, tinygpt_error *err)
{
    const tinygpt_config *cfg = &model->config;
    int C = cfg->n_embd, V = cfg->vocab_size, H = cfg->n_head, threads = tinygpt__threads(model), l;
    size_t N, NC;
    struct tinygpt_acts *a;
    tinygpt__globals w;
    tinygpt__attend at;
    float p;
    if (tinygpt__check_model(model, err)) return -1;
    if (model->names->q8)
        return tinygpt__fail(err, "an int8 view only samples (tinygpt_generate): tinygpt_load_memory gives a model "
                                  "that evaluates and trains");
    if (mode == TINYGPT__FWD_TRAIN && tinygpt__check_writable(model, err)) return -1;
    if (mode == TINYGPT__FWD_TRAIN && tinygpt_train_config_check(&model->train, err)) return -1;
    if (!inputs) return tinygpt__fail(err, "forward needs inputs");
    w = model->names->params;
    if (B < 1 || T < 1 || T > cfg->block_size)
        return tinygpt__fail(err, "forward needs B >= 1 and 1 <= T <= block_size %d (got B=%d, T=%d)",
                             cfg->block_size, B, T);
    if (B > INT_MAX / T || B > INT_MAX / H)  /* the ops count rows (B*T) and heads (B*H) in int */
        return tinygpt__fail(err, "batch %d x %d is too large", B, T);
    if (tinygpt__acts_reserve(model, B, T, err)) return -1;
    N = (size_t)B * T;
    NC = N * C;
    if (tinygpt__check_tokens(inputs, N, V, "input", err)) return -1;
    if (targets && tinygpt__check_tokens(targets, N, V, "target", err)) return -1;
    a = model->acts;
    a->B = B;
    a->T = T;
    a->has_targets = targets != NULL;
    memcpy(a->inputs, inputs, N * sizeof(int32_t));
    if (targets) memcpy(a->targets, targets, N * sizeof(int32_t));
    p = mode == TINYGPT__FWD_TRAIN ? model->train.dropout : 0.0f;
    a->dropout = p;
    a->dropout_seed = mode == TINYGPT__FWD_TRAIN ? tinygpt_rng_u64(&model->rng) : 0;

    /* x = dropout(wte[token] + wpe[position]) */
    tinygpt__embedding_forward(a->resid, inputs, w.wte, w.wpe, B, T, C, threads);
    tinygpt__dropout_forward(a->resid, a->resid, NC, p, tinygpt__site_seed(a->dropout_seed, 0), threads);
    at.B = B;
    at.T = T;
    at.qkv_given = 0;
    at.scratch = a->attn_scratch;
    at.cache = NULL;
    at.p = p;
    at.seed = a->dropout_seed;
    at.packed = packed;
    at.first_row = 0;
    if (mode == TINYGPT__FWD_PREFILL && packed && B == 1 && threads > 1 && T >= 2 * TINYGPT__ATT_ROWS) {
        tinygpt__prefill_layers(model, &at, T, threads);
        return 0;
    }
    for (l = 0; l < cfg->n_layer; l++) {
        tinygpt__layer_acts la = tinygpt__layer_acts_at(a, cfg, l);
        at.qkv_only = mode == TINYGPT__FWD_PREFILL && l == cfg->n_layer - 1;
        tinygpt__block_forward(&la, a->branch, &model->names->param_layer[l], NULL, l, &at, (int)N, C, H, a->work,
                               threads);
    }
    if (mode == TINYGPT__FWD_PREFILL) return 0;
    /* logits = lm_head(lnf(x)) */
    tinygpt__head_forward(a->logits, a->lnf, a->lnf_mean, a->lnf_rstd, a->resid + (size_t)cfg->n_layer * a->cap_rows * C,
                          &w, NULL, 0, (int)N, C, V, a->work, threads);
    if (targets && loss) *loss = tinygpt__crossentropy_forward(a->logits, targets, (int)N, V, threads);
    return 0;
}

TINYGPT_DEF int tinygpt_forward(tinygpt_model *model, const int32_t *inputs, const int32_t *targets,
                                int B, int T, int training, float *loss, tinygpt_error *err)
{
    double l = 0.0;
    if (tinygpt__forward(model, inputs, targets, B, T, training ? TINYGPT__FWD_TRAIN : TINYGPT__FWD_EVAL, NULL, &l, err))
        return -1;
    if (loss) *loss = (float)l;
    return 0;
}

TINYGPT_DEF const float *tinygpt_logits(const tinygpt_model *model)
{
    return model->acts ? model->acts->logits : NULL;
}

TINYGPT_DEF void tinygpt_zero_grad(tinygpt_model *model)
{
    if (model->grads) tinygpt__zero(model->grads, model->num_params, tinygpt__threads(model));
}

TINYGPT_DEF int tinygpt_backward(tinygpt_model *model, tinygpt_error *err)
{
    const tinygpt_config *cfg = &model->config;
    struct tinygpt_acts *a = model->acts;
    int C = cfg->n_embd, V = cfg->vocab_size, H = cfg->n_head, threads = tinygpt__threads(model), l;
    int B, T, N;
    size_t NC;
    float p;
    uint64_t seed;
    const float *dbranch;  /* d(a residual branch's output): a->branch, or a->dresid itself without dropout */
    tinygpt__globals w, g;
    if (tinygpt__check_model(model, err) || tinygpt__check_writable(model, err)) return -1;
    if (!a || !a->has_targets) return tinygpt__fail(err, "backward needs a forward pass with targets first");
    if (threads > a->cap_threads) threads = a->cap_threads;
    if (!model->grads) {
        model->grads = tinygpt__alloc_floats(model->num_params);
        if (!model->grads) return tinygpt__fail(err, "out of memory for gradients");
        tinygpt__name_tensors(cfg, model->grads, &model->names->grads, model->names->grad_layer);
    }
    B = a->B; T = a->T; N = B * T; NC = (size_t)N * C;
    p = a->dropout; seed = a->dropout_seed;
    w = model->names->params;
    g = model->names->grads;

    /* loss -> logits -> lnf -> residual stream */
    tinygpt__zero(a->dlogits, (size_t)N * V, threads);
    tinygpt__crossentropy_backward(a->dlogits, a->logits, a->targets, N, V, 1.0f / (float)N, threads);
    tinygpt__linear_backward(a->dbt, g.lm_head, NULL, a->dlogits, a->lnf, w.lm_head, N, C, V, a->dw_half, a->work,
                             threads);
    tinygpt__zero(a->dresid, NC, threads);
    tinygpt__layernorm_backward(a->dresid, g.lnf_w, g.lnf_b, a->ln_sums, a->dbt,
                                a->resid + (size_t)cfg->n_layer * a->cap_rows * C, w.lnf_w,
                                a->lnf_mean, a->lnf_rstd, N, C, threads);
    for (l = cfg->n_layer - 1; l >= 0; l--) {
        tinygpt__layer pw = model->names->param_layer[l];
        tinygpt__layer gw = model->names->grad_layer[l];
        tinygpt__layer_acts la = tinygpt__layer_acts_at(a, cfg, l);
        /* MLP branch: dresid holds d(resid_out); the identity path carries it to resid_mid */
        dbranch = tinygpt__branch_grad(a->branch, a->dresid, NC, p, tinygpt__site_seed(seed, 3 + 3 * l), threads);
        /* d(gelu); then d(fc) and the GELU output, recomputed (not stored) for mlp_proj's weight gradient */
        tinygpt__linear_backward_input(a->dgelu, dbranch, pw.mlp_proj_w, N, 4 * C, C, a->work, threads);
        tinygpt__gelu_backward(la.gelu, a->dfc, la.fc, a->dgelu, 4 * NC, threads);
        tinygpt__linear_backward_weight(gw.mlp_proj_w, gw.mlp_proj_b, dbranch, la.gelu, N, 4 * C, C, a->dw_half,
                                        a->work, threads);
        tinygpt__linear_backward(a->dbt, gw.fc_w, gw.fc_b, a->dfc, la.ln2, pw.fc_w, N, C, 4 * C, a->dw_half,
                                 a->work, threads);
        tinygpt__layernorm_backward(a->dresid, gw.ln2_w, gw.ln2_b, a->ln_sums, a->dbt, la.resid_mid, pw.ln2_w,
                                    la.ln2_mean, la.ln2_rstd, N, C, threads);
        /* attention branch: dresid now holds d(resid_mid) */
        dbranch = tinygpt__branch_grad(a->branch, a->dresid, NC, p, tinygpt__site_seed(seed, 2 + 3 * l), threads);
        tinygpt__linear_backward(a->dbt, gw.proj_w, gw.proj_b, dbranch, la.atty, pw.proj_w, N, C, C, a->dw_half,
                                 a->work, threads);
        tinygpt__attention_backward(a->dqkv, a->attn_scratch, a->dbt, la.qkv, la.att, B, T, C, H, p,
                                    tinygpt__site_seed(seed, 1 + 3 * l), threads);
        tinygpt__linear_backward(a->dbt, gw.qkv_w, gw.qkv_b, a->dqkv, la.ln1, pw.qkv_w, N, C, 3 * C, a->dw_half,
                                 a->work, threads);
        tinygpt__layernorm_backward(a->dresid, gw.ln1_w, gw.ln1_b, a->ln_sums, a->dbt, la.resid_in, pw.ln1_w,
                                    la.ln1_mean, la.ln1_rstd, N, C, threads);
    }
    /* embeddings */
    dbranch = tinygpt__branch_grad(a->branch, a->dresid, NC, p, tinygpt__site_seed(seed, 0), threads);
    tinygpt__embedding_backward(g.wte, g.wpe, dbranch, a->inputs, B, T, C, threads);
    return 0;
}

/* ================================================================ optimizer: clipping, AdamW, train_step */

/* Finds the first tensor of x ([P], docs/FORMAT.md order: parameters or gradients)
   holding a NaN or infinity; *t and *at get the tensor and the index in it. */
static int tinygpt__nonfinite_tensor(const tinygpt_config *cfg, const float *x, tinygpt__tensor *t, size_t *at)
{
    int k, nt = tinygpt__num_tensors(cfg);
    for (k = 0; k < nt; k++) {
        *t = tinygpt__tensor_at(cfg, k);
        for (*at = 0; *at < t->count; ++*at)
            if (!tinygpt__finite(x[t->offset + *at])) return 1;
    }
    return 0;
}

/* "wte" or "layer 2 attn.qkv.weight", for messages. */
static const char *tinygpt__tensor_label(const tinygpt__tensor *t, char buf[64])
{
    if (t->layer < 0) return t->name;
    snprintf(buf, 64, "layer %d %s", t->layer, t->name);
    return buf;
}

/* Sum of x[i]^2 in double, in TINYGPT__RUNS runs, each in eight
   interleaved partial sums: one running sum is a chain of dependent adds
   that no compiler may reorder, an add's latency per element. */
static double tinygpt__sum_squares(const float *x, size_t n, int threads)
{
    double run[TINYGPT__RUNS], total = 0.0;
    int part;
    (void)threads;
    TINYGPT__PARALLEL_FOR(TINYGPT__PAR(n, threads))
    for (part = 0; part < TINYGPT__RUNS; part++) {
        size_t i = n / TINYGPT__RUNS * part, end = part == TINYGPT__RUNS - 1 ? n : i + n / TINYGPT__RUNS;
        double lane[8] = {0}, sum = 0.0;
        int j;
        for (; i + 8 <= end; i += 8)
            for (j = 0; j < 8; j++) lane[j] += (double)x[i + j] * (double)x[i + j];
        for (; i < end; i++) sum += (double)x[i] * (double)x[i];
        for (j = 0; j < 8; j++) sum += lane[j];
        run[part] = sum;
    }
    for (part = 0; part < TINYGPT__RUNS; part++) total += run[part];
    return total;
}

/* The numbers of one AdamW update, the same for every parameter but decay. */
typedef struct {
    float scale;           /* gradient clipping factor */
    float b1, b2, eps;
    float step_size;       /* lr / (1 - beta1^t) */
    float bc2_sqrt;        /* sqrt(1 - beta2^t) */
} tinygpt__adamw;

/* out[i] = sqrtf(x[i]). Compilers do not vectorise sqrtf, whose negative
   arguments must set errno, so a sqrtf keeps AdamW's whole loop scalar.
   Where the target has a vector square root it is called here directly: the
   same correctly rounded results, several at a time. */
static void tinygpt__sqrt_each(float *out, const float *x, int n)
{
    int i = 0;
#if defined(TINYGPT__SQRT_X86) && defined(__AVX512F__)
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(out + i, _mm512_sqrt_ps(_mm512_loadu_ps(x + i)));
#elif defined(TINYGPT__SQRT_X86) && defined(__AVX__)
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, _mm256_sqrt_ps(_mm256_loadu_ps(x + i)));
#elif defined(TINYGPT__SQRT_X86)
    for (; i + 4 <= n; i += 4) _mm_storeu_ps(out + i, _mm_sqrt_ps(_mm_loadu_ps(x + i)));
#elif defined(TINYGPT__SQRT_NEON)
    for (; i + 4 <= n; i += 4) vst1q_f32(out + i, vsqrtq_f32(vld1q_f32(x + i)));
#endif
    for (; i < n; i++) out[i] = sqrtf(x[i]);
}

/* AdamW on x[0..n): with write = 0 only counts the values that would come out
   NaN or infinite, so that a bad update can be refused before any is taken.
   It runs in chunks: new m and v, their square roots (tinygpt__sqrt_each),
   then the parameters, so that the loops vectorise. */
#define TINYGPT__ADAMW_CHUNK 64
static size_t tinygpt__adamw_range(float *p, const float *gr, float *m, float *v, size_t n, float decay,
                                   const tinygpt__adamw *u, int write)
{
    float mi[TINYGPT__ADAMW_CHUNK], vi[TINYGPT__ADAMW_CHUNK], root[TINYGPT__ADAMW_CHUNK];
    const float scale = u->scale, b1 = u->b1, b2 = u->b2, eps = u->eps, step = u->step_size, bc2 = u->bc2_sqrt;
    size_t i0, bad = 0;
    for (i0 = 0; i0 < n; i0 += TINYGPT__ADAMW_CHUNK) {
        int c = n - i0 < TINYGPT__ADAMW_CHUNK ? (int)(n - i0) : TINYGPT__ADAMW_CHUNK, j;
        float *pc = p + i0, *mc = m + i0, *vc = v + i0;
        const float *gc = gr + i0;
        for (j = 0; j < c; j++) {
            float gi = gc[j] * scale;
            mi[j] = b1 * mc[j] + (1.0f - b1) * gi;
            vi[j] = b2 * vc[j] + (1.0f - b2) * gi * gi;
        }
        tinygpt__sqrt_each(root, vi, c);
        if (write) {
            for (j = 0; j < c; j++) {
                float pi = pc[j] * decay;
                pi -= step * mi[j] / (root[j] / bc2 + eps);
                pc[j] = pi;
                mc[j] = mi[j];
                vc[j] = vi[j];
            }
        } else {
            for (j = 0; j < c; j++) {
                float pi = pc[j] * decay;
                pi -= step * mi[j] / (root[j] / bc2 + eps);
                /* x - x is 0 for a finite x, NaN otherwise; no branches, so it vectorises */
                bad += (mi[j] - mi[j]) + (vi[j] - vi[j]) + (pi - pi) != 0.0f;
            }
        }
    }
    return bad;
}

/* One pass of AdamW over every tensor, each cut in TINYGPT__RUNS slices;
   slice `part` of every tensor is one task of a single parallel loop, so the
   pass wakes the threads once, not once per tensor. Returns how many values
   came out non-finite (write = 0). */
static size_t tinygpt__adamw_pass(tinygpt_model *model, const tinygpt__adamw *u, float lr, int write, int threads)
{
    size_t bad = 0, run_bad[TINYGPT__RUNS];
    int nt = tinygpt__num_tensors(&model->config), part;
    TINYGPT__FOR(TINYGPT__PAR(model->num_params, threads), for (part = 0; part < TINYGPT__RUNS; part++) {
        int k;
        run_bad[part] = 0;
        for (k = 0; k < nt; k++) {
            tinygpt__tensor t = tinygpt__tensor_at(&model->config, k);
            float decay = t.decay ? 1.0f - lr * model->train.weight_decay : 1.0f;
            size_t i = t.count / TINYGPT__RUNS * part;
            size_t end = part == TINYGPT__RUNS - 1 ? t.count : i + t.count / TINYGPT__RUNS;
            run_bad[part] += tinygpt__adamw_range(model->params + t.offset + i, model->grads + t.offset + i,
                                                  model->m + t.offset + i, model->v + t.offset + i, end - i,
                                                  decay, u, write);
        }
    });
    for (part = 0; part < TINYGPT__RUNS; part++) bad += run_bad[part];
    return bad;
}

TINYGPT_DEF int tinygpt_optimizer_step(tinygpt_model *model, float *grad_norm, tinygpt_error *err)
{
    const tinygpt_train_config *tc;
    tinygpt__adamw u;
    double norm, bc1;
    float lr;
    size_t i, P, bad;
    int threads;
    if (tinygpt__check_model(model, err) || tinygpt__check_writable(model, err)) return -1;
    tc = &model->train;
    P = model->num_params;
    threads = tinygpt__threads(model);
    if (tinygpt_train_config_check(tc, err)) return -1;
    if (!model->grads) return tinygpt__fail(err, "optimizer step needs gradients: run backward first");
    if (model->step == UINT64_MAX)
        return tinygpt__fail(err, "the step counter is at its largest value (2^64-1): no further update can be counted");
    norm = sqrt(tinygpt__sum_squares(model->grads, P, threads));
    if (grad_norm) *grad_norm = (float)norm;
    if (!(norm <= DBL_MAX)) {
        tinygpt__tensor t;
        char label[64];
        if (tinygpt__nonfinite_tensor(&model->config, model->grads, &t, &i))
            return tinygpt__fail(err, "non-finite gradient (%g) at step %llu in %s, index %llu: update not taken",
                                 (double)model->grads[t.offset + i], (unsigned long long)model->step,
                                 tinygpt__tensor_label(&t, label), (unsigned long long)i);
        return tinygpt__fail(err, "gradient norm overflows at step %llu: update not taken", (unsigned long long)model->step);
    }
    if (!model->m) {
        float *m = tinygpt__alloc_floats(P), *v = tinygpt__alloc_floats(P);
        if (!m || !v) {
            tinygpt_free(m);
            tinygpt_free(v);
            return tinygpt__fail(err, "out of memory for the AdamW moments");
        }
        model->m = m;
        model->v = v;
    }
    u.scale = 1.0f;
    if (tc->grad_clip > 0.0f && norm > tc->grad_clip) u.scale = (float)(tc->grad_clip / norm);
    u.b1 = tc->beta1;
    u.b2 = tc->beta2;
    u.eps = tc->eps;
    lr = tinygpt_lr(tc, model->step);
    bc1 = 1.0 - pow((double)u.b1, (double)(model->step + 1));
    u.bc2_sqrt = (float)sqrt(1.0 - pow((double)u.b2, (double)(model->step + 1)));
    u.step_size = (float)(lr / bc1);
    bad = tinygpt__adamw_pass(model, &u, lr, 0, threads);
    if (bad)
        return tinygpt__fail(err, "the update at step %llu would make %llu parameters or moments NaN or infinite "
                             "(lr %g): update not taken", (unsigned long long)model->step, (unsigned long long)bad,
                             (double)lr);
    tinygpt__adamw_pass(model, &u, lr, 1, threads);
    model->last_grad_norm = (float)norm;
    model->step++;
    return 0;
}

TINYGPT_DEF int tinygpt_train_step(tinygpt_model *model, const int32_t *inputs,
                                   const int32_t *targets, int B, int T, float *loss,
                                   tinygpt_error *err)
{
    double l = 0.0;
    if (tinygpt__forward(model, inputs, targets, B, T, TINYGPT__FWD_TRAIN, NULL, &l, err)) return -1;
    if (loss) *loss = (float)l;
    if (!(l <= DBL_MAX)) {  /* say where it comes from: a bad parameter, or overflow */
        tinygpt__tensor t;
        char label[64];
        size_t i;
        if (tinygpt__nonfinite_tensor(&model->config, model->params, &t, &i))
            return tinygpt__fail(err, "loss is not finite (%g) at step %llu: parameter %s, index %llu, is %g; "
                                 "update not taken", l, (unsigned long long)model->step,
                                 tinygpt__tensor_label(&t, label), (unsigned long long)i, (double)model->params[t.offset + i]);
        return tinygpt__fail(err, "loss is not finite (%g) at step %llu although every parameter is finite "
                             "(the activations overflowed: learning rate too high?); update not taken",
                             l, (unsigned long long)model->step);
    }
    tinygpt_zero_grad(model);
    if (tinygpt_backward(model, err)) return -1;
    return tinygpt_optimizer_step(model, NULL, err);
}

/* ================================================================ evaluation */

TINYGPT_DEF int tinygpt_estimate_loss(tinygpt_model *model, const int32_t *tokens, size_t n, int B,
                                      int iters, tinygpt_rng *rng, float *loss, tinygpt_error *err)
{
    int T, it, ok = 1;
    size_t rows;
    int32_t *x;
    double total = 0.0;
    if (tinygpt__check_model(model, err)) return -1;
    if (B < 1 || iters < 1) return tinygpt__fail(err, "estimate_loss needs B >= 1 and iters >= 1");
    if (!tokens || !rng || !loss) return tinygpt__fail(err, "estimate_loss needs tokens, an rng and a place for the loss");
    T = model->config.block_size;
    rows = tinygpt__mul((size_t)B, (size_t)T, &ok);
    if (!ok || rows > SIZE_MAX / (2 * sizeof(int32_t))) return tinygpt__fail(err, "batch too large");
    x = (int32_t *)tinygpt_alloc(2 * rows * sizeof(int32_t));
    if (!x) return tinygpt__fail(err, "out of memory for a batch");
    for (it = 0; it < iters; it++) {
        double l;
        if (tinygpt_get_batch(tokens, n, B, T, rng, x, x + rows, err) ||
            tinygpt__forward(model, x, x + rows, B, T, TINYGPT__FWD_EVAL, NULL, &l, err)) {
            tinygpt_free(x);
            return -1;
        }
        total += l;
    }
    tinygpt_free(x);
    *loss = (float)(total / iters);
    return 0;
}

TINYGPT_DEF int tinygpt_evaluate_tokens(tinygpt_model *model, const int32_t *tokens, size_t n,
                                        int B, double *loss, tinygpt_error *err)
{
    size_t T, windows, k, ok_rows;
    int32_t *x;
    double total = 0.0;
    int ok = 1;
    if (tinygpt__check_model(model, err)) return -1;
    if (B < 1) return tinygpt__fail(err, "evaluate needs B >= 1");
    if (!tokens || !loss) return tinygpt__fail(err, "evaluate needs tokens and a place for the loss");
    T = (size_t)model->config.block_size;
    if (n < T + 1)
        return tinygpt__fail(err, "text of %llu tokens is too short for one window of block_size %llu + 1",
                             (unsigned long long)n, (unsigned long long)T);
    windows = (n - 1) / T;
    if ((size_t)B > windows) B = (int)windows;
    ok_rows = tinygpt__mul((size_t)B, T, &ok);
    if (!ok || ok_rows > SIZE_MAX / (2 * sizeof(int32_t))) return tinygpt__fail(err, "batch too large");
    x = (int32_t *)tinygpt_alloc(2 * ok_rows * sizeof(int32_t));
    if (!x) return tinygpt__fail(err, "out of memory for a batch");
    for (k = 0; k < windows; k += (size_t)B) {
        size_t nb = windows - k < (size_t)B ? windows - k : (size_t)B, b;
        double l;
        for (b = 0; b < nb; b++) {  /* window k+b: inputs tokens[(k+b)T ..], targets one later */
            memcpy(x + b * T, tokens + (k + b) * T, T * sizeof(int32_t));
            memcpy(x + ok_rows + b * T, tokens + (k + b) * T + 1, T * sizeof(int32_t));
        }
        if (tinygpt__forward(model, x, x + ok_rows, (int)nb, (int)T, TINYGPT__FWD_EVAL, NULL, &l, err)) {
            tinygpt_free(x);
            return -1;
        }
        total += l * (double)nb;  /* every window has T positions, so windows weigh equally */
    }
    tinygpt_free(x);
    *loss = total / (double)windows;
    return 0;
}

/* ================================================================ sampling */

typedef struct { float value; int32_t id; } tinygpt__candidate;

/* Whether a goes before b: higher value first; ties: lower id first, as greedy does. */
static int tinygpt__candidate_before(const tinygpt__candidate *a, const tinygpt__candidate *b)
{
    return a->value != b->value ? a->value > b->value : a->id < b->id;
}

/* Shell sort of the candidates into that order, the comparison inline
   (qsort calls its comparator through a pointer, once per comparison, for
   every sampled character). The order is total, so it is the one any sort
   gives. Gaps: Ciura's, then 2.25 times the last. */
static void tinygpt__sort_candidates(tinygpt__candidate *c, int n)
{
    int gaps[40] = {1, 4, 10, 23, 57, 132, 301, 701}, ng = 8, g, i, j;
    while (ng < 40 && gaps[ng - 1] < n / 3) { gaps[ng] = (int)(gaps[ng - 1] * 2.25); ng++; }
    for (g = ng - 1; g >= 0; g--) {
        int gap = gaps[g];
        for (i = gap; i < n; i++) {
            tinygpt__candidate t = c[i];
            for (j = i; j >= gap && tinygpt__candidate_before(&t, &c[j - gap]); j -= gap) c[j] = c[j - gap];
            c[j] = t;
        }
    }
}

/* One draw from logits [V]; cand holds V entries of scratch. */
static int32_t tinygpt__sample(const float *logits, int V, float temperature, int top_k, float top_p,
                               tinygpt_rng *rng, tinygpt__candidate *cand)
{
    int i, k;
    float maxv, sum = 0.0f, u, acc;
    if (temperature == 0.0f) {
        int32_t best = 0;
        for (i = 1; i < V; i++) if (logits[i] > logits[best]) best = i;
        return best;
    }
    for (i = 0; i < V; i++) { cand[i].value = logits[i]; cand[i].id = i; }
    tinygpt__sort_candidates(cand, V);
    k = (top_k == 0 || top_k > V) ? V : top_k;
    maxv = cand[0].value;
    /* scale the differences, not the logits: a tiny temperature must not overflow */
    for (i = 0; i < k; i++) { cand[i].value = expf((cand[i].value - maxv) / temperature); sum += cand[i].value; }
    if (top_p < 1.0f) {  /* keep the smallest prefix whose probability reaches top_p */
        float cum = 0.0f;
        for (i = 0; i < k; i++) {
            cum += cand[i].value / sum;
            if (cum >= top_p) { k = i + 1; break; }
        }
        for (sum = 0.0f, i = 0; i < k; i++) sum += cand[i].value;
    }
    u = tinygpt_rng_float(rng) * sum;
    for (acc = 0.0f, i = 0; i < k - 1; i++) {
        acc += cand[i].value;
        if (u < acc) break;
    }
    return cand[i].id;
}



/* Fills the cache from the last forward (B = 1, T = n, dropout off). */
static void tinygpt__kv_cache_fill(tinygpt__kv_cache *kc, const tinygpt_model *model, int n)
{
    const tinygpt_config *cfg = &model->config;
    int C = cfg->n_embd, l, t;
    for (l = 0; l < cfg->n_layer; l++) {
        tinygpt__layer_acts la = tinygpt__layer_acts_at(model->acts, cfg, l);
        for (t = 0; t < n; t++) tinygpt__kv_cache_put(kc, l, t, la.qkv + (size_t)t * 3 * C, C, cfg->n_head);
    }
    kc->n = n;
}


/* Layers first..L-1 and the head for one token at position kc->n, its
   residual stream in kc->x (with qkv_given, layer first's qkv row in
   kc->qkv), attending to the cached positions: tinygpt__block_forward on one
   row per layer. Leaves the logits in kc->logits and the token's key and
   value in the cache. In an int8 view the matrices are read from the image's
   int8 rows (names->q8, tensors in checkpoint order: wte, wpe, then 12 per
   layer, then lnf and lm_head). */
static void tinygpt__kv_cache_layers(tinygpt__kv_cache *kc, const tinygpt_model *model, int first, int qkv_given)
{
    const tinygpt_config *cfg = &model->config;
    int C = cfg->n_embd, l;
    tinygpt__globals w = model->names->params;
    const tinygpt__qmat *q8 = model->names->q8;
    tinygpt__layer_acts la;
    tinygpt__attend at;
    memset(&at, 0, sizeof at);
    at.cache = kc;
    /* one row: every buffer is the cache's, the residual stream updated in place */
    la.resid_in = la.resid_mid = la.resid_out = kc->x;
    la.ln1 = la.ln2 = kc->ln;
    la.ln1_mean = la.ln2_mean = kc->mean;
    la.ln1_rstd = la.ln2_rstd = kc->rstd;
    la.qkv = kc->qkv;
    la.att = kc->att;
    la.atty = kc->atty;
    la.fc = kc->fc;
    la.gelu = kc->gelu;
    for (l = first; l < cfg->n_layer; l++) {
        at.qkv_given = qkv_given && l == first;
        tinygpt__block_forward(&la, kc->branch, &model->names->param_layer[l], q8 ? q8 + 2 + (size_t)l * 12 : NULL, l,
                               &at, 1, C, cfg->n_head, NULL, 1);
    }
    tinygpt__head_forward(kc->logits, kc->ln, kc->mean, kc->rstd, kc->x, &w,
                          q8 ? q8 + 2 + 12 * (size_t)cfg->n_layer + 2 : NULL, 1, 1, C, cfg->vocab_size, NULL, 1);
    kc->n++;
}

/* The forward of one token at position kc->n through the cache: its
   embedding, then every layer (tinygpt__kv_cache_layers). */
static void tinygpt__kv_cache_step(tinygpt__kv_cache *kc, const tinygpt_model *model, int32_t token)
{
    const tinygpt__qmat *q8 = model->names->q8;
    const float *wte = model->names->params.wte, *wpe = model->names->params.wpe;
    int C = model->config.n_embd, pos = kc->n, i;
    if (q8) {
        const signed char *e = q8[0].q + (size_t)token * C, *p = q8[1].q + (size_t)pos * C;
        for (i = 0; i < C; i++) kc->x[i] = q8[0].scale[token] * (float)e[i] + q8[1].scale[pos] * (float)p[i];
    } else {
        for (i = 0; i < C; i++) kc->x[i] = wte[(size_t)token * C + i] + wpe[(size_t)pos * C + i];
    }
    tinygpt__kv_cache_layers(kc, model, 0, 0);
}

/* After a prefill forward over all n tokens of the window (the last layer
   only up to its qkv): caches positions 0..n-1, and takes the newest token,
   whose rows the prefill has computed through the last layer's qkv, through
   the rest of the last layer and the head against the cache. The newest
   token so shares the prefill's products instead of reading every weight
   again on its own. */
static void tinygpt__kv_cache_prefilled(tinygpt__kv_cache *kc, const tinygpt_model *model, int n)
{
    const tinygpt_config *cfg = &model->config;
    size_t C = (size_t)cfg->n_embd, last = (size_t)n - 1;
    tinygpt__layer_acts la = tinygpt__layer_acts_at(model->acts, cfg, cfg->n_layer - 1);
    tinygpt__kv_cache_fill(kc, model, n);
    kc->n = n - 1;  /* the newest token's step appends its key and value (the same) again */
    memcpy(kc->x, la.resid_in + last * C, C * sizeof(float));
    memcpy(kc->qkv, la.qkv + last * 3 * C, 3 * C * sizeof(float));
    tinygpt__kv_cache_layers(kc, model, cfg->n_layer - 1, 1);
}

TINYGPT_DEF tinygpt_sampler tinygpt_sampler_default(uint64_t seed)
{
    tinygpt_sampler s;
    s.temperature = 0.8f;
    s.top_k = 40;
    s.top_p = 1.0f;
    s.slide = 1;
    tinygpt_rng_seed(&s.rng, seed);
    return s;
}

/* tinygpt_generate, with use_cache = 0 recomputing the whole window for every
   token (the reference the tests and the bench hold the cache to). */
static int tinygpt__generate(tinygpt_model *model, tinygpt_sampler *sampler, const int32_t *context,
                             size_t n_context, size_t max_new_tokens, int32_t *out, size_t *n_out,
                             tinygpt_token_fn on_token, void *user, int use_cache, tinygpt_error *err)
{
    float temperature, top_p;
    int T, V, longest, i, top_k, slide;
    size_t produced = 0, n;
    int32_t *window;
    tinygpt__candidate *cand;
    tinygpt__kv_cache kc;
    float *packed = NULL;  /* the weights packed once, when prefills repeat */
    if (n_out) *n_out = 0;
    if (tinygpt__check_model(model, err)) return -1;
    if (!sampler) return tinygpt__fail(err, "generate needs a sampler");
    T = model->config.block_size;
    V = model->config.vocab_size;
    temperature = sampler->temperature;
    top_k = sampler->top_k;
    top_p = sampler->top_p;
    slide = sampler->slide < 1 ? 1 : sampler->slide;
    if (!(temperature >= 0.0f) || !tinygpt__finite(temperature))
        return tinygpt__fail(err, "temperature must be a finite number >= 0 (got %g)", (double)temperature);
    if (top_k < 0) return tinygpt__fail(err, "top_k must be >= 0 (got %d)", top_k);
    if (!(top_p > 0.0f && top_p <= 1.0f)) return tinygpt__fail(err, "top_p must be in (0, 1] (got %g)", (double)top_p);
    if (sampler->slide < 0 || slide > T)
        return tinygpt__fail(err, "slide must be 0 or 1 (exact) up to block_size %d (got %d)", T, sampler->slide);
    if (!context || n_context < 1) return tinygpt__fail(err, "generate needs a context of at least one token");
    if (tinygpt__check_tokens(context, n_context, V, "context", err)) return -1;
    memset(&kc, 0, sizeof kc);
    /* the window never holds more than the context and the new tokens */
    longest = n_context < (size_t)T && max_new_tokens < (size_t)T - n_context ? (int)(n_context + max_new_tokens) : T;
    window = (int32_t *)tinygpt_alloc((size_t)longest * sizeof(int32_t));
    cand = (tinygpt__candidate *)tinygpt_alloc((size_t)V * sizeof(tinygpt__candidate));
    if (!window || !cand || (use_cache && tinygpt__kv_cache_alloc(&kc, &model->config, longest))) {
        tinygpt_free(window);
        tinygpt_free(cand);
        tinygpt_free(kc.k);
        return tinygpt__fail(err, "out of memory for sampling");
    }
    /* the window holds the last min(T, context + produced) tokens */
    n = n_context < (size_t)T ? n_context : (size_t)T;
    memcpy(window, context + (n_context - n), n * sizeof(int32_t));
    /* The window will slide, so the cache's prefill forward runs again (every
       token with the exact slide): its products read the weights packed once
       here, a copy of the layers' weights for the call. */
    if (use_cache && !model->image && max_new_tokens > (size_t)T - n) {
        int ok = 1;
        size_t floats = tinygpt__mul((size_t)model->config.n_layer,
                                     tinygpt__packed_layer_offset(model->config.n_embd, 4), &ok);
        packed = ok ? tinygpt__alloc_floats(floats) : NULL;
        if (!packed) {
            tinygpt_free(window);
            tinygpt_free(cand);
            tinygpt_free(kc.k);
            return tinygpt__fail(err, "out of memory for sampling (the weights packed for the window's slides)");
        }
        tinygpt__pack_layers(packed, model);
    }
    while (produced < max_new_tokens) {
        int32_t next;
        const float *logits;
        /* with the cache, the newest token takes one step through it; when the
           cache does not hold every older token (the first token, or the window
           slid), a prefill forward over the whole window rebuilds it, and the
           newest token's row finishes from there (tinygpt__kv_cache_prefilled) */
        if (use_cache && model->image && kc.n != (int)n - 1) {
            /* a view: the prefill goes token by token through the cache, so
               nothing of training size is allocated (tinygpt_sampling_memory) */
            for (kc.n = 0; kc.n < (int)n - 1;) tinygpt__kv_cache_step(&kc, model, window[kc.n]);
        } else if (!use_cache || kc.n != (int)n - 1) {
            if (tinygpt__forward(model, window, NULL, 1, (int)n,
                                 use_cache ? TINYGPT__FWD_PREFILL : TINYGPT__FWD_EVAL, packed, NULL, err)) {
                tinygpt_free(window);
                tinygpt_free(cand);
                tinygpt_free(kc.k);
                tinygpt_free(packed);
                return -1;
            }
            if (use_cache) tinygpt__kv_cache_prefilled(&kc, model, (int)n);
        }
        if (use_cache && kc.n != (int)n) tinygpt__kv_cache_step(&kc, model, window[n - 1]);
        logits = use_cache ? kc.logits : model->acts->logits + (n - 1) * (size_t)V;
        for (i = 0; i < V && tinygpt__finite(logits[i]); i++) {}
        if (i < V) {  /* the sampler's sort and sums need numbers */
            tinygpt__fail(err, "logit %d is %g after %llu new tokens: the model's activations overflowed",
                          i, (double)logits[i], (unsigned long long)produced);
            tinygpt_free(window);
            tinygpt_free(cand);
            tinygpt_free(kc.k);
            tinygpt_free(packed);
            return -1;
        }
        next = tinygpt__sample(logits, V, temperature, top_k, top_p, &sampler->rng, cand);
        if (out) out[produced] = next;
        produced++;
        if (n_out) *n_out = produced;
        if (n == (size_t)T) {  /* slide: every position moves, the cache is stale */
            memmove(window, window + slide, (size_t)(T - slide) * sizeof(int32_t));
            n = (size_t)(T - slide);
            kc.n = 0;
        }
        window[n++] = next;
        if (on_token && on_token(user, next)) break;
    }
    tinygpt_free(window);
    tinygpt_free(cand);
    tinygpt_free(kc.k);
    tinygpt_free(packed);
    return 0;
}

TINYGPT_DEF int tinygpt_generate(tinygpt_model *model, tinygpt_sampler *sampler, const int32_t *context,
                                 size_t n_context, size_t max_new_tokens, int32_t *out, size_t *n_out,
                                 tinygpt_token_fn on_token, void *user, tinygpt_error *err)
{
    return tinygpt__generate(model, sampler, context, n_context, max_new_tokens, out, n_out, on_token, user, 1, err);
}

/* ================================================================ checkpoints (docs/FORMAT.md) */

#define TINYGPT__HEADER_SIZE 128

static void tinygpt__crc32_table(uint32_t table[256])
{
    uint32_t i, c;
    int k;
    for (i = 0; i < 256; i++) {
        for (c = i, k = 0; k < 8; k++) c = (c & 1u) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        table[i] = c;
    }
}

/* Continues a CRC-32 (IEEE 802.3, as zlib's crc32): start from crc = 0. */
static uint32_t tinygpt__crc32(const uint32_t table[256], uint32_t crc, const unsigned char *p, size_t n)
{
    crc = ~crc;
    while (n--) crc = table[(crc ^ *p++) & 0xFFu] ^ (crc >> 8);
    return ~crc;
}

/* Little-endian fields, whatever the host. */
static void tinygpt__put_u32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v; p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16); p[3] = (unsigned char)(v >> 24);
}
static void tinygpt__put_u64(unsigned char *p, uint64_t v)
{
    tinygpt__put_u32(p, (uint32_t)v);
    tinygpt__put_u32(p + 4, (uint32_t)(v >> 32));
}
static void tinygpt__put_f32(unsigned char *p, float f)
{
    uint32_t v;
    memcpy(&v, &f, 4);
    tinygpt__put_u32(p, v);
}
static uint32_t tinygpt__get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t tinygpt__get_u64(const unsigned char *p)
{
    return (uint64_t)tinygpt__get_u32(p) | (uint64_t)tinygpt__get_u32(p + 4) << 32;
}
static float tinygpt__get_f32(const unsigned char *p)
{
    uint32_t v = tinygpt__get_u32(p);
    float f;
    memcpy(&f, &v, 4);
    return f;
}

static void tinygpt__write_header(unsigned char h[TINYGPT__HEADER_SIZE], const tinygpt_model *model, int with_optimizer)
{
    const tinygpt_config *c = &model->config;
    const tinygpt_train_config *t = &model->train;
    memset(h, 0, TINYGPT__HEADER_SIZE);
    memcpy(h, "tinygpt", 8);
    tinygpt__put_u32(h + 8, 1);
    tinygpt__put_u32(h + 12, with_optimizer ? 1u : 0u);
    tinygpt__put_u32(h + 16, (uint32_t)c->vocab_size);
    tinygpt__put_u32(h + 20, (uint32_t)c->block_size);
    tinygpt__put_u32(h + 24, (uint32_t)c->n_layer);
    tinygpt__put_u32(h + 28, (uint32_t)c->n_head);
    tinygpt__put_u32(h + 32, (uint32_t)c->n_embd);
    tinygpt__put_u32(h + 36, t->batch_size);
    tinygpt__put_u64(h + 40, model->step);
    tinygpt__put_f32(h + 48, t->learning_rate);
    tinygpt__put_f32(h + 52, t->beta1);
    tinygpt__put_f32(h + 56, t->beta2);
    tinygpt__put_f32(h + 60, t->eps);
    tinygpt__put_f32(h + 64, t->weight_decay);
    tinygpt__put_f32(h + 68, t->grad_clip);
    tinygpt__put_f32(h + 72, t->dropout);
    tinygpt__put_u32(h + 76, t->warmup_steps);
    tinygpt__put_u64(h + 80, t->max_steps);
    tinygpt__put_u64(h + 88, t->seed);
    tinygpt__put_u64(h + 96, model->rng.state);
    tinygpt__put_f32(h + 104, t->min_lr);
}

TINYGPT_DEF size_t tinygpt_checkpoint_size(const tinygpt_model *model, int with_optimizer)
{
    size_t arrays = (with_optimizer && model->m && model->v) ? 3 : 1;
    return TINYGPT__HEADER_SIZE + 4 * (size_t)model->config.vocab_size + 4 * arrays * model->num_params + 4;
}

/* ---- the int8 kind (docs/FORMAT.md section 7): sizes */

/* Bytes n rounded up to a multiple of 4 (the int8 values of a matrix are padded). */
static size_t tinygpt__pad4(size_t n, int *ok) { return tinygpt__add(n, 3, ok) & ~(size_t)3; }

/* Bytes one tensor of the table takes in an int8 file: a matrix as R float
   scales and R*K int8 values padded to 4 bytes; a vector as floats. */
static size_t tinygpt__int8_tensor_bytes(const tinygpt_config *cfg, const tinygpt__param_spec *s, int *ok)
{
    size_t R = tinygpt__dim(cfg, s->rows, ok), K = tinygpt__dim(cfg, s->cols, ok);
    if (s->rows == TINYGPT__DIM_1) return tinygpt__mul(4, K, ok);
    return tinygpt__add(tinygpt__mul(4, R, ok), tinygpt__pad4(tinygpt__mul(R, K, ok), ok), ok);
}

/* The whole int8 file: header, vocabulary, tensors, CRC (in closed form, so a
   hostile header with 2^31 layers costs no loop). */
static size_t tinygpt__int8_size(const tinygpt_config *cfg, int *ok)
{
    size_t total = tinygpt__add(TINYGPT__HEADER_SIZE + 4, tinygpt__mul(4, (size_t)cfg->vocab_size, ok), ok), block = 0;
    int i;
    for (i = 0; i < TINYGPT__N_SPECS; i++) {
        const tinygpt__param_spec *s = &tinygpt__param_table[i];
        size_t b = tinygpt__int8_tensor_bytes(cfg, s, ok);
        if (s->where == TINYGPT__BLOCK) block = tinygpt__add(block, b, ok);
        else total = tinygpt__add(total, b, ok);
    }
    return tinygpt__add(total, tinygpt__mul((size_t)cfg->n_layer, block, ok), ok);
}

TINYGPT_DEF size_t tinygpt_int8_checkpoint_size(const tinygpt_model *model)
{
    int ok = 1;
    size_t n;
    if (!model || tinygpt_num_params(&model->config) == 0) return 0;
    n = tinygpt__int8_size(&model->config, &ok);
    return ok ? n : 0;
}

/* Checks the header against docs/FORMAT.md's reading rules and fills the configs.
   *file_size gets the length the header implies. */
static int tinygpt__read_header(const unsigned char *h, tinygpt_config *cfg, tinygpt_train_config *tc,
                                uint32_t *flags, size_t *file_size, tinygpt_error *err)
{
    static const char *const dim_names[5] = {"vocab_size", "block_size", "n_layer", "n_head", "n_embd"};
    uint32_t dims[5];
    size_t P, arrays;
    int i, ok = 1;
    int int8 = memcmp(h, "tinygpt8", 8) == 0;  /* the int8 kind (section 7): the same header */
    if (!int8 && memcmp(h, "tinygpt", 8) != 0) return tinygpt__fail(err, "bad magic: not a tinygpt checkpoint");
    if (tinygpt__get_u32(h + 8) != 1)
        return tinygpt__fail(err, "unknown format version %lu (this reader knows version 1)", (unsigned long)tinygpt__get_u32(h + 8));
    *flags = tinygpt__get_u32(h + 12);
    if (int8 && *flags)
        return tinygpt__fail(err, "unknown flag bits 0x%lX in flags (an int8 checkpoint has none)", (unsigned long)*flags);
    if (*flags & ~1u) return tinygpt__fail(err, "unknown flag bits 0x%lX in flags", (unsigned long)(*flags & ~1u));
    for (i = 108; i < TINYGPT__HEADER_SIZE; i++)
        if (h[i]) return tinygpt__fail(err, "reserved byte at offset %d is nonzero", i);
    for (i = 0; i < 5; i++) {
        dims[i] = tinygpt__get_u32(h + 16 + 4 * i);
        if (dims[i] == 0) return tinygpt__fail(err, "%s is 0", dim_names[i]);
        if (dims[i] > (uint32_t)INT_MAX) return tinygpt__fail(err, "%s %lu is too large for this reader", dim_names[i], (unsigned long)dims[i]);
    }
    cfg->vocab_size = (int)dims[0]; cfg->block_size = (int)dims[1]; cfg->n_layer = (int)dims[2];
    cfg->n_head = (int)dims[3]; cfg->n_embd = (int)dims[4];
    if (cfg->n_embd % cfg->n_head) return tinygpt__fail(err, "n_head %d does not divide n_embd %d", cfg->n_head, cfg->n_embd);
    if (dims[0] > 0x110000u) return tinygpt__fail(err, "vocab_size %lu exceeds the number of Unicode code points", (unsigned long)dims[0]);
    P = tinygpt_num_params(cfg);
    if (P == 0) return tinygpt__fail(err, "sizes overflow: the parameter count does not fit this reader's size type");
    tc->batch_size = tinygpt__get_u32(h + 36);
    tc->learning_rate = tinygpt__get_f32(h + 48);
    tc->beta1 = tinygpt__get_f32(h + 52);
    tc->beta2 = tinygpt__get_f32(h + 56);
    tc->eps = tinygpt__get_f32(h + 60);
    tc->weight_decay = tinygpt__get_f32(h + 64);
    tc->grad_clip = tinygpt__get_f32(h + 68);
    tc->dropout = tinygpt__get_f32(h + 72);
    tc->warmup_steps = tinygpt__get_u32(h + 76);
    tc->max_steps = tinygpt__get_u64(h + 80);
    tc->seed = tinygpt__get_u64(h + 88);
    tc->min_lr = tinygpt__get_f32(h + 104);
    if (tinygpt_train_config_check(tc, err)) return -1;
    arrays = (*flags & 1u) ? 3 : 1;
    *file_size = int8 ? tinygpt__int8_size(cfg, &ok)
                      : tinygpt__add(tinygpt__add(TINYGPT__HEADER_SIZE + 4, tinygpt__mul(4, dims[0], &ok), &ok),
                                     tinygpt__mul(4 * arrays, P, &ok), &ok);
    if (!ok) return tinygpt__fail(err, "sizes overflow: the file size does not fit this reader's size type");
    return 0;
}

/* Arrays of floats move as bit patterns, never as float values: on x87
   (32-bit x86) a float passing through a register turns a signalling NaN
   quiet, and load + save would no longer give back the same bytes. */
static void tinygpt__read_floats(float *dst, const unsigned char *src, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        uint32_t v = tinygpt__get_u32(src + 4 * i);
        memcpy(dst + i, &v, 4);
    }
}

/* Reading rule: every parameter and moment is finite and every second
   moment is >= 0 (a model that breaks this cannot train or sample sensibly,
   so it is refused at the door rather than found later as NaN logits). */
static int tinygpt__check_loaded_values(const tinygpt_model *m, tinygpt_error *err)
{
    static const char *const array_names[3] = {"parameter", "AdamW first moment (m) of", "AdamW second moment (v) of"};
    const float *arrays[3];
    int a, k, nt = tinygpt__num_tensors(&m->config);
    arrays[0] = m->params; arrays[1] = m->m; arrays[2] = m->v;
    for (a = 0; a < 3; a++) {
        if (!arrays[a]) continue;
        for (k = 0; k < nt; k++) {
            tinygpt__tensor t = tinygpt__tensor_at(&m->config, k);
            const float *x = arrays[a] + t.offset;
            char label[64];
            size_t i;
            for (i = 0; i < t.count; i++)
                if (!tinygpt__finite(x[i]) || (a == 2 && x[i] < 0.0f))
                    return tinygpt__fail(err, "%s %s, index %llu, is %g: %s", array_names[a],
                                         tinygpt__tensor_label(&t, label), (unsigned long long)i, (double)x[i],
                                         tinygpt__finite(x[i]) ? "a second moment cannot be negative"
                                                               : "values must be finite");
        }
    }
    return 0;
}

/* ---- the int8 kind: reading and writing */

static int tinygpt__is_matrix(const tinygpt__tensor *t) { return t->spec->rows != TINYGPT__DIM_1; }

/* Reading rules 16-18 of the int8 kind (docs/FORMAT.md 7.3) over the tensors
   at p (the file's length already matched), dequantising into params [P]
   (may be NULL: check only). */
static int tinygpt__read_int8_tensors(float *params, const tinygpt_config *cfg, const unsigned char *p,
                                      tinygpt_error *err)
{
    int k, nt = tinygpt__num_tensors(cfg), ok = 1;
    char label[64];
    for (k = 0; k < nt; k++) {
        tinygpt__tensor t = tinygpt__tensor_at(cfg, k);
        size_t R = tinygpt__dim(cfg, t.spec->rows, &ok), K = tinygpt__dim(cfg, t.spec->cols, &ok), r, j;
        const unsigned char *q = p + 4 * R;
        if (!tinygpt__is_matrix(&t)) {
            if (params) tinygpt__read_floats(params + t.offset, p, t.count);
            p += 4 * t.count;
            continue;
        }
        for (r = 0; r < R; r++) {
            float sc = tinygpt__get_f32(p + 4 * r);
            if (!tinygpt__finite(sc) || sc < 0.0f || !tinygpt__finite(sc * 127.0f))
                return tinygpt__fail(err, "int8 scale of %s, row %llu, is %g: a scale must be finite, >= 0 and "
                                     "at most FLT_MAX/127", tinygpt__tensor_label(&t, label), (unsigned long long)r,
                                     (double)sc);
            for (j = 0; j < K; j++) {
                int v = (int)(signed char)q[r * K + j];
                if (q[r * K + j] == 0x80u)
                    return tinygpt__fail(err, "int8 value of %s, row %llu, column %llu, is -128: values must lie "
                                         "in -127..127", tinygpt__tensor_label(&t, label), (unsigned long long)r,
                                         (unsigned long long)j);
                if (params) params[t.offset + r * K + j] = sc * (float)v;
            }
        }
        for (j = R * K; j < tinygpt__pad4(R * K, &ok); j++)
            if (q[j]) return tinygpt__fail(err, "padding byte after the int8 values of %s is nonzero",
                                          tinygpt__tensor_label(&t, label));
        p = q + tinygpt__pad4(R * K, &ok);
    }
    return 0;
}

/* A row of floats as a symmetric int8 scale and values. */
static float tinygpt__quantize_row(signed char *q, const float *x, size_t n)
{
    float mx = 0.0f, sc;
    size_t i;
    for (i = 0; i < n; i++) mx = fabsf(x[i]) > mx ? fabsf(x[i]) : mx;
    sc = mx / 127.0f;  /* 0 when mx is (or underflows to) 0: the row becomes zeros */
    for (i = 0; i < n; i++) {
        float v = sc > 0.0f ? roundf(x[i] / sc) : 0.0f;
        q[i] = (signed char)(v > 127.0f ? 127 : v < -127.0f ? -127 : (int)v);
    }
    return sc;
}

TINYGPT_DEF int tinygpt_save_int8_memory(const tinygpt_model *model, void *buf, size_t len, tinygpt_error *err)
{
    unsigned char *d = (unsigned char *)buf, *p;
    const tinygpt_config *cfg;
    uint32_t table[256];
    size_t size, i;
    int k, nt, ok = 1;
    char label[64];
    if (tinygpt__check_model(model, err) || tinygpt__check_writable(model, err)) return -1;
    cfg = &model->config;
    size = tinygpt_int8_checkpoint_size(model);
    if (size == 0) return tinygpt__fail(err, "sizes overflow: the int8 checkpoint does not fit this reader's size type");
    if (!buf || len < size)
        return tinygpt__fail(err, "the int8 checkpoint takes %llu bytes; the buffer holds %llu",
                             (unsigned long long)size, (unsigned long long)(buf ? len : 0));
    {
        tinygpt__tensor bad;
        if (tinygpt__nonfinite_tensor(cfg, model->params, &bad, &i))
            return tinygpt__fail(err, "parameter %s, index %llu, is %g: values must be finite",
                                 tinygpt__tensor_label(&bad, label), (unsigned long long)i,
                                 (double)model->params[bad.offset + i]);
    }
    nt = tinygpt__num_tensors(cfg);
    tinygpt__write_header(d, model, 0);
    memcpy(d, "tinygpt8", 8);
    for (i = 0; i < (size_t)cfg->vocab_size; i++) tinygpt__put_u32(d + TINYGPT__HEADER_SIZE + 4 * i, model->vocab.codepoints[i]);
    p = d + TINYGPT__HEADER_SIZE + 4 * (size_t)cfg->vocab_size;
    for (k = 0; k < nt; k++) {
        tinygpt__tensor t = tinygpt__tensor_at(cfg, k);
        size_t R = tinygpt__dim(cfg, t.spec->rows, &ok), K = tinygpt__dim(cfg, t.spec->cols, &ok), r, np;
        const float *x = model->params + t.offset;
        if (!tinygpt__is_matrix(&t)) {
            for (i = 0; i < t.count; i++) tinygpt__put_u32(p + 4 * i, tinygpt__bits(x[i]));
            p += 4 * t.count;
            continue;
        }
        for (r = 0; r < R; r++)
            tinygpt__put_f32(p + 4 * r, tinygpt__quantize_row((signed char *)(p + 4 * R + r * K), x + r * K, K));
        np = tinygpt__pad4(R * K, &ok);
        memset(p + 4 * R + R * K, 0, np - R * K);
        p += 4 * R + np;
    }
    tinygpt__crc32_table(table);
    tinygpt__put_u32(d + size - 4, tinygpt__crc32(table, 0, d, size - 4));
    return 0;
}

/* The reading rules every loader applies before it looks at the arrays: the
   header's, the length it implies, and the CRC. */
static int tinygpt__check_image(const unsigned char *d, size_t len, tinygpt_config *cfg, tinygpt_train_config *tc,
                                uint32_t *flags, tinygpt_error *err)
{
    uint32_t table[256];
    size_t expected = 0;
    if (len < TINYGPT__HEADER_SIZE + 4)
        return tinygpt__fail(err, "checkpoint is %llu bytes, shorter than its %d-byte header and trailer",
                             (unsigned long long)len, TINYGPT__HEADER_SIZE + 4);
    if (tinygpt__read_header(d, cfg, tc, flags, &expected, err)) return -1;
    if (len != expected)
        return tinygpt__fail(err, "checkpoint is %llu bytes but its header says %llu (%s)", (unsigned long long)len,
                             (unsigned long long)expected, len < expected ? "truncated" : "trailing bytes");
    tinygpt__crc32_table(table);
    if (tinygpt__crc32(table, 0, d, len - 4) != tinygpt__get_u32(d + len - 4))
        return tinygpt__fail(err, "CRC mismatch: the checkpoint is corrupted");
    return 0;
}

TINYGPT_DEF int tinygpt_load_memory(tinygpt_model *model, const void *data, size_t len, tinygpt_error *err)
{
    const unsigned char *d = (const unsigned char *)data;
    tinygpt_config cfg = {0, 0, 0, 0, 0};  /* (set by the check; gcc cannot always tell) */
    tinygpt_train_config tc;
    tinygpt_model loaded;
    uint32_t flags = 0, *cps;
    size_t P, i;
    const unsigned char *p;
    if (!model || (!data && len)) return tinygpt__fail(err, "load_memory needs a model and data");
    if (tinygpt__check_image(d, len, &cfg, &tc, &flags, err)) return -1;
    cps = (uint32_t *)tinygpt_alloc((size_t)cfg.vocab_size * sizeof(uint32_t));
    if (!cps) return tinygpt__fail(err, "out of memory for the vocabulary");
    for (i = 0; i < (size_t)cfg.vocab_size; i++) cps[i] = tinygpt__get_u32(d + TINYGPT__HEADER_SIZE + 4 * i);
    if (tinygpt__model_alloc(&loaded, &cfg, &tc, cps, err)) { tinygpt_free(cps); return -1; }
    tinygpt_free(cps);
    P = loaded.num_params;
    p = d + TINYGPT__HEADER_SIZE + 4 * (size_t)cfg.vocab_size;
    if (memcmp(d, "tinygpt8", 8) == 0) {  /* the int8 kind: dequantise */
        if (tinygpt__read_int8_tensors(loaded.params, &cfg, p, err)) {
            tinygpt_model_free(&loaded);
            return -1;
        }
    } else {
        tinygpt__read_floats(loaded.params, p, P);
    }
    if (flags & 1u) {
        loaded.m = tinygpt__alloc_floats(P);
        loaded.v = tinygpt__alloc_floats(P);
        if (!loaded.m || !loaded.v) {
            tinygpt_model_free(&loaded);
            return tinygpt__fail(err, "out of memory for the AdamW moments");
        }
        tinygpt__read_floats(loaded.m, p + 4 * P, P);
        tinygpt__read_floats(loaded.v, p + 8 * P, P);
    }
    if (tinygpt__check_loaded_values(&loaded, err)) {
        tinygpt_model_free(&loaded);
        return -1;
    }
    loaded.step = tinygpt__get_u64(d + 40);
    loaded.rng.state = tinygpt__get_u64(d + 96);
    tinygpt__model_replace(model, &loaded);
    return 0;
}

/* ---- views: a model that reads its weights from the image (tinygpt_load_view) */

/* Bytes of a view's names: the struct, [L] layers and, for int8, a qmat per tensor. */
static size_t tinygpt__view_names_size(const tinygpt_config *cfg, int int8, int *ok)
{
    size_t n = tinygpt__add(sizeof(struct tinygpt_names),
                            tinygpt__mul((size_t)cfg->n_layer, sizeof(tinygpt__layer), ok), ok);
    if (int8) n = tinygpt__add(n, tinygpt__mul(tinygpt__add(tinygpt__mul(12, (size_t)cfg->n_layer, ok), 5, ok),
                                               sizeof(tinygpt__qmat), ok), ok);
    return n;
}

TINYGPT_DEF size_t tinygpt_sampling_memory(const void *image, size_t len, size_t context_len)
{
    const unsigned char *d = (const unsigned char *)image;
    tinygpt_config cfg;
    tinygpt_train_config tc;
    uint32_t flags = 0;
    size_t expected = 0, V, cap, total, kv;
    int ok = 1;
    if (!d || len < TINYGPT__HEADER_SIZE + 4 || tinygpt__read_header(d, &cfg, &tc, &flags, &expected, NULL)) return 0;
    V = (size_t)cfg.vocab_size;
    cap = context_len == 0 || context_len > (size_t)cfg.block_size ? (size_t)cfg.block_size : context_len;
    /* the model: the vocabulary's three arrays and the names */
    total = tinygpt__add(tinygpt__mul(3 * sizeof(uint32_t), V, &ok),
                         tinygpt__view_names_size(&cfg, memcmp(d, "tinygpt8", 8) == 0, &ok), &ok);
    /* tinygpt_generate: the window, the sampler's candidates, the cache (tinygpt__kv_cache_alloc) */
    total = tinygpt__add(total, tinygpt__mul(sizeof(int32_t), cap, &ok), &ok);
    total = tinygpt__add(total, tinygpt__mul(sizeof(tinygpt__candidate), V, &ok), &ok);
    total = tinygpt__add(total, tinygpt__mul(sizeof(float), tinygpt__kv_cache_floats(&cfg, (int)cap, &kv, &ok), &ok),
                         &ok);
    return ok ? total : 0;
}

TINYGPT_DEF int tinygpt_load_view(tinygpt_model *model, const void *image, size_t len, tinygpt_error *err)
{
    const unsigned char *d = (const unsigned char *)image, *p;
    const uint32_t one = 1;
    tinygpt_config cfg;
    tinygpt_train_config tc;
    tinygpt_model fresh;
    uint32_t flags = 0;
    size_t names_size, P;
    int int8, ok = 1, k, nt;
    if (!model || !image) return tinygpt__fail(err, "load_view needs a model and an image");
    if (tinygpt__check_image(d, len, &cfg, &tc, &flags, err)) return -1;
    if (memcmp(&one, "\1\0\0\0", 4) != 0)
        return tinygpt__fail(err, "load_view reads the image in place, which needs a little-endian host: "
                                  "use tinygpt_load_memory (it copies the weights)");
    if ((uintptr_t)d % 4 != 0)
        return tinygpt__fail(err, "load_view needs an image aligned to 4 bytes (this one is at an address %d mod 4): "
                                  "align it, or use tinygpt_load_memory (it copies the weights)", (int)((uintptr_t)d % 4));
    int8 = memcmp(d, "tinygpt8", 8) == 0;
    P = tinygpt_num_params(&cfg);
    p = d + TINYGPT__HEADER_SIZE + 4 * (size_t)cfg.vocab_size;
    nt = tinygpt__num_tensors(&cfg);
    memset(&fresh, 0, sizeof fresh);
    fresh.config = cfg;
    fresh.num_params = P;
    if (int8) {  /* rules 16-18, then rule 15 over the float tensors */
        const unsigned char *at = p;
        char label[64];
        if (tinygpt__read_int8_tensors(NULL, &cfg, p, err)) return -1;
        for (k = 0; k < nt; k++) {
            tinygpt__tensor t = tinygpt__tensor_at(&cfg, k);
            size_t i;
            if (tinygpt__is_matrix(&t)) {
                at += tinygpt__int8_tensor_bytes(&cfg, t.spec, &ok);
                continue;
            }
            for (i = 0; i < t.count; i++)
                if (!tinygpt__finite(tinygpt__get_f32(at + 4 * i)))
                    return tinygpt__fail(err, "parameter %s, index %llu, is %g: values must be finite",
                                         tinygpt__tensor_label(&t, label), (unsigned long long)i,
                                         (double)tinygpt__get_f32(at + 4 * i));
            at += 4 * t.count;
        }
    } else {  /* rule 15 over the image's own arrays */
        fresh.params = (float *)(uintptr_t)p;
        if (flags & 1u) { fresh.m = fresh.params + P; fresh.v = fresh.params + 2 * P; }
        if (tinygpt__check_loaded_values(&fresh, err)) return -1;
        fresh.m = fresh.v = NULL;  /* a view samples: the moments stay unread */
    }
    if (tinygpt_vocab_from_codepoints(&fresh.vocab, (const uint32_t *)(const void *)(d + TINYGPT__HEADER_SIZE),
                                      cfg.vocab_size, err))
        return -1;
    names_size = tinygpt__view_names_size(&cfg, int8, &ok);
    fresh.names = (struct tinygpt_names *)tinygpt_alloc(names_size);
    if (!fresh.names) {
        tinygpt_vocab_free(&fresh.vocab);
        return tinygpt__fail(err, "out of memory for a view of %llu parameters", (unsigned long long)P);
    }
    memset(fresh.names, 0, names_size);
    fresh.names->param_layer = (tinygpt__layer *)(fresh.names + 1);
    if (!int8) {
        tinygpt__name_tensors(&cfg, fresh.params, &fresh.names->params, fresh.names->param_layer);
    } else {  /* float tensors: pointers into the image; matrices: their scales and int8 rows */
        const unsigned char *at = p;
        fresh.names->q8 = (tinygpt__qmat *)(void *)(fresh.names->param_layer + cfg.n_layer);
        for (k = 0; k < nt; k++) {
            tinygpt__tensor t = tinygpt__tensor_at(&cfg, k);
            char *holder = t.layer < 0 ? (char *)&fresh.names->params : (char *)&fresh.names->param_layer[t.layer];
            float *f = (float *)(uintptr_t)at;
            if (tinygpt__is_matrix(&t)) {
                size_t R = tinygpt__dim(&cfg, t.spec->rows, &ok);
                fresh.names->q8[k].scale = f;
                fresh.names->q8[k].q = (const signed char *)(at + 4 * R);
                f = NULL;
                at += tinygpt__int8_tensor_bytes(&cfg, t.spec, &ok);
            } else {
                at += 4 * t.count;
            }
            memcpy(holder + t.spec->field, &f, sizeof f);
        }
    }
    fresh.train = tc;
    fresh.step = tinygpt__get_u64(d + 40);
    fresh.rng.state = tinygpt__get_u64(d + 96);
    fresh.image = image;
    tinygpt__model_replace(model, &fresh);
    return 0;
}

#ifndef TINYGPT_NO_STDIO
TINYGPT_DEF int tinygpt_load(tinygpt_model *model, const char *path, tinygpt_error *err)
{
    char *data;
    size_t len;
    int rc;
    if (tinygpt_read_file(path, &data, &len, err)) return -1;
    rc = tinygpt_load_memory(model, data, len, err);
    tinygpt_free(data);
    if (rc && err) {  /* prefix the file name */
        char msg[sizeof err->message];
        memcpy(msg, err->message, sizeof msg);
        snprintf(err->message, sizeof err->message, "%.100s: %.150s", path, msg);
    }
    return rc;
}

/* The temporary file of a save. It is created exclusively under a fresh name
   in the destination's folder, so it is never an existing file, a file another
   saver is writing, or a link: POSIX open(O_CREAT | O_EXCL) fails on any
   existing name, a dangling link included; Windows _open(_O_EXCL) likewise.
   Plain C99 has no exclusive create: there the name is checked with fopen "rb"
   first, which leaves a window between the check and the create. */
#if defined(_WIN32)
#define TINYGPT__FILES_WIN32 1
#elif defined(__unix__) || defined(__APPLE__)
#define TINYGPT__FILES_POSIX 1
#endif

/* Buffered writer that keeps a running CRC. */
typedef struct {
#if defined(TINYGPT__FILES_POSIX) || defined(TINYGPT__FILES_WIN32)
    int fd;
#else
    FILE *f;
#endif
    int errnum;                /* errno of the first failure; -1: failed without one */
    uint32_t crc, table[256];
    size_t n;
    unsigned char buf[1 << 16];
} tinygpt__writer;

/* Creates `tmp` (path.tmp-XXXXXXXX) exclusively for writing, with permission
   bits `mode` (before the umask); tries fresh names while they exist. */
static int tinygpt__writer_open(tinygpt__writer *w, const char *path, char *tmp, size_t tmp_size, unsigned mode)
{
    uint64_t seed = tinygpt__mix64((uint64_t)time(NULL) ^ (uint64_t)clock() << 32 ^ (uint64_t)(size_t)w);
    int attempt;
#if defined(TINYGPT__FILES_POSIX)
    seed ^= (uint64_t)getpid() << 16;
#endif
    for (attempt = 0; attempt < 64; attempt++) {
        seed = tinygpt__mix64(seed + (uint64_t)attempt);
        snprintf(tmp, tmp_size, "%s.tmp-%08lx", path, (unsigned long)(seed & 0xFFFFFFFFu));
        errno = 0;
#if defined(TINYGPT__FILES_POSIX)
        w->fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, (mode_t)mode);
        if (w->fd >= 0) return 0;
#elif defined(TINYGPT__FILES_WIN32)
        (void)mode;
        w->fd = _open(tmp, _O_WRONLY | _O_CREAT | _O_EXCL | _O_BINARY, _S_IREAD | _S_IWRITE);
        if (w->fd >= 0) return 0;
#else
        (void)mode;
        w->f = fopen(tmp, "rb");
        if (w->f) { fclose(w->f); errno = EEXIST; continue; }
        w->f = fopen(tmp, "wb");
        if (w->f) return 0;
#endif
        if (errno != EEXIST) break;
    }
    w->errnum = errno ? errno : -1;
    return -1;
}

static void tinygpt__writer_raw(tinygpt__writer *w, const unsigned char *p, size_t n)
{
    if (w->errnum) return;
#if defined(TINYGPT__FILES_POSIX) || defined(TINYGPT__FILES_WIN32)
    while (n > 0) {
        unsigned chunk = n > (1u << 30) ? (1u << 30) : (unsigned)n;
#if defined(TINYGPT__FILES_POSIX)
        long k = (long)write(w->fd, p, chunk);
#else
        long k = (long)_write(w->fd, p, chunk);
#endif
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) { w->errnum = k < 0 && errno ? errno : -1; return; }
        p += k;
        n -= (size_t)k;
    }
#else
    errno = 0;
    if (fwrite(p, 1, n, w->f) != n) w->errnum = errno ? errno : -1;
#endif
}

/* Flushes, makes the data durable where the platform can (so the rename
   that follows never publishes a file whose blocks are not on disk), closes. */
static void tinygpt__writer_close(tinygpt__writer *w)
{
    int failed = 0;
#if defined(TINYGPT__FILES_POSIX)
    if (!w->errnum && fsync(w->fd) != 0 && errno != EINVAL) w->errnum = errno;
    failed = close(w->fd) != 0;
#elif defined(TINYGPT__FILES_WIN32)
    failed = _close(w->fd) != 0;
#else
    failed = fflush(w->f) != 0 || ferror(w->f);
    if (fclose(w->f) != 0) failed = 1;
#endif
    if (failed && !w->errnum) w->errnum = errno ? errno : -1;
}

static void tinygpt__flush(tinygpt__writer *w)
{
    tinygpt__writer_raw(w, w->buf, w->n);
    w->n = 0;
}

static void tinygpt__write(tinygpt__writer *w, const unsigned char *p, size_t n)
{
    w->crc = tinygpt__crc32(w->table, w->crc, p, n);
    while (n) {
        size_t k = sizeof w->buf - w->n < n ? sizeof w->buf - w->n : n;
        memcpy(w->buf + w->n, p, k);
        w->n += k; p += k; n -= k;
        if (w->n == sizeof w->buf) tinygpt__flush(w);
    }
}

static void tinygpt__write_floats(tinygpt__writer *w, const float *x, size_t n)
{
    unsigned char b[4];
    size_t i;
    for (i = 0; i < n; i++) {
        uint32_t v;
        memcpy(&v, x + i, 4);
        tinygpt__put_u32(b, v);
        tinygpt__write(w, b, 4);
    }
}

static const char *tinygpt__strerror(int errnum)
{
    return errnum > 0 ? strerror(errnum) : "unknown error";
}

/* The whole file, header to CRC, through w. */
static void tinygpt__write_checkpoint(tinygpt__writer *w, const tinygpt_model *model, int with_optimizer)
{
    unsigned char header[TINYGPT__HEADER_SIZE], b[4];
    size_t i;
    w->crc = 0;
    w->n = 0;
    tinygpt__crc32_table(w->table);
    tinygpt__write_header(header, model, with_optimizer);
    tinygpt__write(w, header, sizeof header);
    for (i = 0; i < (size_t)model->config.vocab_size; i++) {
        tinygpt__put_u32(b, model->vocab.codepoints[i]);
        tinygpt__write(w, b, 4);
    }
    tinygpt__write_floats(w, model->params, model->num_params);
    if (with_optimizer) {
        tinygpt__write_floats(w, model->m, model->num_params);
        tinygpt__write_floats(w, model->v, model->num_params);
    }
    tinygpt__put_u32(b, w->crc);
    tinygpt__write(w, b, 4);
    tinygpt__flush(w);
}

/* tinygpt_save, or with `image` (an int8 file made in memory) those bytes as they are. */
static int tinygpt__save_file(const tinygpt_model *model, const char *path, int with_optimizer,
                              const unsigned char *image, size_t image_len, tinygpt_error *err)
{
    size_t tmp_size;
    char *tmp;
    tinygpt__writer *w;
    unsigned mode = 0666;  /* a new file: what the umask leaves of rw for all, as for any new file */
    int keep_mode = 0, errnum;
    if (tinygpt__check_model(model, err) || tinygpt__check_writable(model, err)) return -1;
    if (!path || !*path) return tinygpt__fail(err, "save needs a file name");
#if defined(TINYGPT__FILES_POSIX)
    {   /* an existing destination: refuse a directory, keep a file's permission bits */
        struct stat st;
        if (stat(path, &st) == 0) {
            if (S_ISDIR(st.st_mode)) return tinygpt__fail(err, "cannot save to '%s': it is a directory", path);
            mode = (unsigned)st.st_mode & 0777u;
            keep_mode = 1;
        }
    }
#endif
    with_optimizer = with_optimizer && model->m && model->v;
    tmp_size = strlen(path) + 16;
    tmp = (char *)tinygpt_alloc(tmp_size);
    w = (tinygpt__writer *)tinygpt_alloc(sizeof *w);
    if (!tmp || !w) {
        tinygpt_free(tmp);
        tinygpt_free(w);
        return tinygpt__fail(err, "out of memory saving '%s'", path);
    }
    w->errnum = 0;
    if (tinygpt__writer_open(w, path, tmp, tmp_size, mode)) {
        tinygpt__fail(err, "cannot create a temporary file beside '%s' (%s): %s; '%s' is unchanged", path, tmp,
                      tinygpt__strerror(w->errnum), path);
        tinygpt_free(tmp);
        tinygpt_free(w);
        return -1;
    }
    if (image) {
        w->crc = 0;
        w->n = 0;
        tinygpt__crc32_table(w->table);
        tinygpt__write(w, image, image_len);
        tinygpt__flush(w);
    } else {
        tinygpt__write_checkpoint(w, model, with_optimizer);
    }
    tinygpt__writer_close(w);
    errnum = w->errnum;
    tinygpt_free(w);
#if defined(TINYGPT__FILES_POSIX)
    /* the umask may have taken bits the old file had; failing to restore them loses no data */
    if (!errnum && keep_mode) (void)chmod(tmp, (mode_t)mode);
#endif
    (void)keep_mode;
    if (errnum) {
        remove(tmp);
        tinygpt__fail(err, "error writing '%s': %s; '%s' is unchanged", tmp, tinygpt__strerror(errnum), path);
        tinygpt_free(tmp);
        return -1;
    }
    errno = 0;
    if (rename(tmp, path) != 0) {
        errnum = errno;
#ifdef _WIN32
        /* Windows' rename does not replace an existing file: remove it first
           (the one moment a crash could leave no file at path) */
        if (remove(path) == 0 && rename(tmp, path) == 0) errnum = 0;
        else errnum = errno;
#endif
        if (errnum) {
            remove(tmp);
            tinygpt__fail(err, "cannot rename '%s' to '%s': %s", tmp, path, tinygpt__strerror(errnum));
            tinygpt_free(tmp);
            return -1;
        }
    }
    tinygpt_free(tmp);
    return 0;
}

TINYGPT_DEF int tinygpt_save(const tinygpt_model *model, const char *path, int with_optimizer,
                             tinygpt_error *err)
{
    return tinygpt__save_file(model, path, with_optimizer, NULL, 0, err);
}

TINYGPT_DEF int tinygpt_save_int8(const tinygpt_model *model, const char *path, tinygpt_error *err)
{
    size_t n;
    unsigned char *image;
    int rc;
    if (tinygpt__check_model(model, err) || tinygpt__check_writable(model, err)) return -1;
    if (!path || !*path) return tinygpt__fail(err, "save needs a file name");
    n = tinygpt_int8_checkpoint_size(model);
    image = n ? (unsigned char *)tinygpt_alloc(n) : NULL;
    if (!image) return tinygpt__fail(err, "out of memory saving '%s'", path);
    rc = tinygpt_save_int8_memory(model, image, n, err);
    if (rc == 0) rc = tinygpt__save_file(model, path, 0, image, n, err);
    tinygpt_free(image);
    return rc;
}
#endif /* TINYGPT_NO_STDIO */

/* ================================================================ kernels: speed only */

/* Nothing below changes what is computed (the tests hold every kernel to
   the plain ops above, and tinygpt__matmul to tinygpt__matmul_reference);
   all of it is about speed: compiler and vector-width plumbing, the
   blocked, packed matmul with its register-tile micro-kernel, rows of dot
   products and axpys for attention, summing lanes, and the polynomial exp. */

/* Register tile MR x NR and cache blocks: an MC x KC block of A stays in L2,
   a KC x NR sliver of B in L1 or L2, while the micro-kernel keeps MR x NR sums
   in registers. NR is a multiple of the common vector widths (4, 8, 16
   floats). KC 512 rather than 256: half the passes over C when K is 1024 or
   4096 (measured 10-20% faster on those products, no slower on the others). */
/* The register tile is MR x NR. With gcc or clang it is written with their
   generic vector types (two vectors per row of the tile, six rows: twelve
   accumulators, as many as 16 registers hold alongside two rows of B and a
   broadcast), because their auto-vectorisers disagree on which plain-C tiles
   they keep in registers. AVX-512 has 32 registers, and there the tile has
   eight rows: a seed-model step's products took 2.3% less time with gcc and
   1.3% less with clang (ten and twelve rows: no better), and attention's
   32-row blocks are whole tiles. Elsewhere, or with TINYGPT_NO_VECTOR_EXT, a
   plain-C tile that compilers vectorise is used. */
/* Not where float arithmetic runs in a wider type (FLT_EVAL_METHOD != 0, as
   x87 on 32-bit x86): gcc then refuses a float scalar times a float vector. */
#if (defined(__GNUC__) || defined(__clang__)) && !defined(TINYGPT_NO_VECTOR_EXT) && \
    (!defined(FLT_EVAL_METHOD) || FLT_EVAL_METHOD == 0)
#define TINYGPT__VECTOR_EXT 1
#if defined(__AVX512F__)
#define TINYGPT__VL 16
#elif defined(__AVX__)
#define TINYGPT__VL 8
#else
#define TINYGPT__VL 4  /* SSE, NEON, and a scalar lowering elsewhere */
#endif
typedef float tinygpt__vf __attribute__((vector_size(TINYGPT__VL * 4)));
#ifndef TINYGPT_MR
#if TINYGPT__VL == 16
#define TINYGPT_MR 8
#else
#define TINYGPT_MR 6
#endif
#endif
#ifndef TINYGPT_NR
#define TINYGPT_NR (2 * TINYGPT__VL)
#elif TINYGPT_NR != 2 * TINYGPT__VL
#error "tinygpt: the vector micro-kernel's NR is two vector widths; other TINYGPT_NR values need TINYGPT_NO_VECTOR_EXT"
#endif
#else
#ifndef TINYGPT_MR
#define TINYGPT_MR 4
#endif
#ifndef TINYGPT_NR
#define TINYGPT_NR 16
#endif
#endif
#define TINYGPT__MC (16 * TINYGPT_MR)
#define TINYGPT__KC 512
#define TINYGPT__NC (64 * TINYGPT_NR)


/* Sixteen partial sums: without them a compiler may not reorder a float
   sum, so the loop would run one multiply-add at a time. */
static float tinygpt__dot(const float *a, const float *b, int n)
{
    float lane[16] = {0}, s = 0.0f;
    int i = 0, j;
    for (; i + 16 <= n; i += 16)
        for (j = 0; j < 16; j++) lane[j] += a[i + j] * b[i + j];
    for (; i < n; i++) s += a[i] * b[i];
    for (j = 0; j < 16; j++) s += lane[j];
    return s;
}

/* Floats of K rows x N columns of B packed whole (tinygpt__pack_b): N
   rounded up to whole slivers. */
static size_t tinygpt__packed_b_size(int N, int K)
{
    return (size_t)K * (((size_t)N + TINYGPT_NR - 1) / TINYGPT_NR * TINYGPT_NR);
}

/* Floats of a block of A packed for tinygpt__matmul_packed_b, K deep. */
static size_t tinygpt__packed_a_size(int K, int *ok)
{
    return tinygpt__mul((size_t)TINYGPT__MC, (size_t)K, ok);
}

/* The B panel of a product with N columns and depth K: at most KC x NC. */
static size_t tinygpt__matmul_panel(int N, int K)
{
    return tinygpt__packed_b_size(N < TINYGPT__NC ? N : TINYGPT__NC, K < TINYGPT__KC ? K : TINYGPT__KC);
}

/* p moved up to the next 64-byte boundary (at most 15 floats): packed
   slivers start on cache lines. */
static float *tinygpt__align64(float *p)
{
    return p + (16 - ((uintptr_t)p / sizeof(float)) % 16) % 16;
}

/* Work for products of at most N columns and depth K: per thread, a B panel
   and an A block; + 16: room to align them to 64 bytes (the block sizes are
   multiples of 16 floats). */
static size_t tinygpt__matmul_work_size_for(int threads, int N, int K)
{
    if (threads < 1) threads = 1;
    if (threads > TINYGPT__MAX_THREADS) threads = TINYGPT__MAX_THREADS;
    return (size_t)threads * (tinygpt__matmul_panel(N, K) + (size_t)TINYGPT__MC * TINYGPT__KC + 16);
}

/* Work for products of any shape. */
static size_t tinygpt__matmul_work_size(int threads)
{
    return tinygpt__matmul_work_size_for(threads, TINYGPT__NC, TINYGPT__KC);
}

/* The whole slivers of tinygpt__pack_a when A is a transpose (rs = 1): the
   MR values of one k are contiguous and go together. Eight k at a time, every
   sliver: sliver by sliver over all kc, each sliver walked kc rows of A a
   row apart, and at 4 KB apart (mlp fc's weight gradient, dout rows of 1024
   floats) those rows share one set of the L1 cache and were gone before the
   next sliver came back for them: its packing took 1.8x as long. */
static void tinygpt__pack_a_columns(float *dst, tinygpt__view a, int i0, int mc, int p0, int kc, float *sums)
{
    int k0, k1, s, p, i;
    for (k0 = 0; k0 < kc; k0 = k1) {
        k1 = kc - k0 < 8 ? kc : k0 + 8;
        for (s = 0; s < mc; s += TINYGPT_MR) {
            float *d = dst + (size_t)s * kc;
            for (p = k0; p < k1; p++) {
                memcpy(d + (size_t)p * TINYGPT_MR, a.p + (size_t)(i0 + s) + (size_t)(p0 + p) * a.cs,
                       TINYGPT_MR * sizeof(float));
            }
        }
        for (p = k0; sums && p < k1; p++) {
            const float *col = a.p + (size_t)i0 + (size_t)(p0 + p) * a.cs;
            for (i = 0; i < mc; i++) sums[i] += col[i];
        }
    }
}

/* Copies rows [i0, i0+mc) x cols [p0, p0+kc) of A into MR-row slivers,
   sliver-major then k then row; rows past mc are zero. When A is a
   transpose, tinygpt__pack_a_columns packs its whole slivers; the rest goes
   one row of A at a time (tinygpt__matmul_packed_b reads A as stored in
   place, and packs so only a last few rows short of MR). sums, if not NULL,
   gets each row's values added (sums[i] for row i0 + i), in k order: a
   layer's bias gradient is the row sums of dout^T, the A of its weight
   gradient, and this is the one pass that reads it. */
static void tinygpt__pack_a(float *dst, tinygpt__view a, int i0, int mc, int p0, int kc, float *sums)
{
    int whole = a.rs == 1 ? mc - mc % TINYGPT_MR : 0, s, p, i;
    if (whole > 0) tinygpt__pack_a_columns(dst, a, i0, whole, p0, kc, sums);
    for (s = whole, dst += (size_t)whole * kc; s < mc; s += TINYGPT_MR, dst += (size_t)TINYGPT_MR * kc) {
        int mr = mc - s < TINYGPT_MR ? mc - s : TINYGPT_MR;
        const float *src = a.p + (size_t)(i0 + s) * a.rs + (size_t)p0 * a.cs;
        if (mr < TINYGPT_MR) memset(dst, 0, (size_t)TINYGPT_MR * kc * sizeof(float));
        for (i = 0; i < mr; i++) {
            const float *row = src + (size_t)i * a.rs;
            for (p = 0; p < kc; p++) dst[(size_t)p * TINYGPT_MR + i] = row[(size_t)p * a.cs];
            if (sums) for (p = 0; p < kc; p++) sums[s + i] += row[(size_t)p * a.cs];
        }
    }
}

/* An 8 x 8 block transposed in registers (row i of src, 8 floats at
   src + i*lds, becomes column i at dst, rows ldd apart): three rounds of
   shuffles that swap 1 x 1, 2 x 2 and 4 x 4 sub-blocks. Packing B when it is
   a transpose (a layer's W^T, attention's K^T) is a transpose, and in the
   sampling prefill, whose products have few rows, packing weighs as much as
   multiplying: element by element it is several times slower. gcc 12 and
   clang have __builtin_shufflevector; elsewhere the element loop does it. */
#if defined(TINYGPT__VECTOR_EXT) && defined(__has_builtin)
#if __has_builtin(__builtin_shufflevector)
#define TINYGPT__SHUFFLEVECTOR 1  /* also used by tinygpt__vsum */
typedef float tinygpt__v8 __attribute__((vector_size(32)));
static void tinygpt__transpose8(float *dst, size_t ldd, const float *src, size_t lds)
{
    tinygpt__v8 r[8], t[8];
    int i;
    for (i = 0; i < 8; i++) memcpy(&r[i], src + (size_t)i * lds, sizeof r[i]);
    for (i = 0; i < 8; i += 2) {  /* 1 x 1 */
        t[i] = __builtin_shufflevector(r[i], r[i + 1], 0, 8, 1, 9, 4, 12, 5, 13);
        t[i + 1] = __builtin_shufflevector(r[i], r[i + 1], 2, 10, 3, 11, 6, 14, 7, 15);
    }
    for (i = 0; i < 8; i += 2) {  /* 2 x 2: pairs (0,2), (1,3), (4,6), (5,7) */
        int a = i / 4 * 4 + i % 4 / 2;
        r[i] = __builtin_shufflevector(t[a], t[a + 2], 0, 1, 8, 9, 4, 5, 12, 13);
        r[i + 1] = __builtin_shufflevector(t[a], t[a + 2], 2, 3, 10, 11, 6, 7, 14, 15);
    }
    for (i = 0; i < 4; i++) {     /* 4 x 4 */
        t[i] = __builtin_shufflevector(r[i], r[i + 4], 0, 1, 2, 3, 8, 9, 10, 11);
        t[i + 4] = __builtin_shufflevector(r[i], r[i + 4], 4, 5, 6, 7, 12, 13, 14, 15);
    }
    for (i = 0; i < 8; i++) memcpy(dst + (size_t)i * ldd, &t[i], sizeof t[i]);
}
#endif
#endif

/* Sliver `sliver` of tinygpt__pack_b, column by column: B a transpose
   (rows of B strided, columns contiguous) or the last, narrower sliver. */
static void tinygpt__pack_b_sliver(float *dst, tinygpt__view b, int p0, int kc, int j0, int nc, int sliver)
{
    int s = sliver * TINYGPT_NR, nr = nc - s < TINYGPT_NR ? nc - s : TINYGPT_NR, k, j, k0 = 0;
    float *d = dst + (size_t)s * kc;
    const float *src = b.p + (size_t)p0 * b.rs + (size_t)(j0 + s) * b.cs;
    if (nr < TINYGPT_NR) memset(d, 0, (size_t)TINYGPT_NR * kc * sizeof(float));
#ifdef TINYGPT__SHUFFLEVECTOR
    if (b.rs == 1 && nr == TINYGPT_NR) {  /* B a transpose: 8 x 8 blocks, then the k left over */
        for (j = 0; j < TINYGPT_NR; j += 8)   /* eight columns of B, read along memory, at a time */
            for (k = 0; k + 8 <= kc; k += 8)
                tinygpt__transpose8(d + (size_t)k * TINYGPT_NR + j, TINYGPT_NR, src + (size_t)j * b.cs + k, b.cs);
        k0 = kc - kc % 8;
    }
#endif
    for (j = 0; j < nr; j++) {
        const float *col = src + (size_t)j * b.cs;
        for (k = k0; k < kc; k++) d[(size_t)k * TINYGPT_NR + j] = col[(size_t)k * b.rs];
    }
}

/* Copies rows [p0, p0+kc) x cols [j0, j0+nc) of B into NR-column slivers;
   columns past nc are zero. When B's rows are contiguous (cs = 1), each row
   of the panel is read once, in one run, and dealt out to the slivers; the
   rest (B a transpose, whose columns are contiguous, or a last narrower
   sliver) goes sliver by sliver (tinygpt__pack_b_sliver). */
static void tinygpt__pack_b(float *dst, tinygpt__view b, int p0, int kc, int j0, int nc)
{
    int nslivers = (nc + TINYGPT_NR - 1) / TINYGPT_NR, by_rows = b.cs == 1 ? nc / TINYGPT_NR : 0;
    int p, sliver;
    /* Row by row: each row of B is read once, along memory. Sliver by sliver
       (NR floats from each of kc rows, a row apart, then the next NR), the
       rows' lines crowded a few cache sets and came again from L3 for every
       sliver: lm head dW (65 x 256 x 4096) took 1.6x as long with clang,
       1.3x with gcc. */
    for (p = 0; by_rows > 0 && p < kc; p++) {
        const float *row = b.p + (size_t)(p0 + p) * b.rs + (size_t)j0;
        int g;
        /* memcpy: as an element loop, clang 14 copied float by float */
        for (g = 0; g < by_rows; g++)
            memcpy(dst + (size_t)g * TINYGPT_NR * kc + (size_t)p * TINYGPT_NR, row + (size_t)g * TINYGPT_NR,
                   TINYGPT_NR * sizeof(float));
    }
    for (sliver = by_rows; sliver < nslivers; sliver++) tinygpt__pack_b_sliver(dst, b, p0, kc, j0, nc, sliver);
}

/* The register tile: C[MR][NR] = (C +) sum over k of a(i,k) * b[k][j], b
   packed, a(i,k) at a[i*ars + k*acs]: a packed sliver (ars = 1, acs = MR)
   or MR rows of A as stored (ars = A's row stride, acs = 1). The tile goes
   to C, rows ldc apart. */
#ifdef TINYGPT__VECTOR_EXT
/* Inlined into tinygpt__matmul_block, whose calls give the strides as
   constants: the addresses of a packed sliver then need no multiplies. */
TINYGPT__CONTRACT __attribute__((always_inline))
static inline void tinygpt__micro_kernel(int kc, const float *TINYGPT__RESTRICT a, size_t ars, size_t acs,
                                         const float *TINYGPT__RESTRICT b, float *TINYGPT__RESTRICT c, size_t ldc,
                                         int accumulate)
{
    tinygpt__vf acc[TINYGPT_MR][2], b0, b1;
    int p, i;
    /* The tile of C added to at the end was last touched a whole pass ago
       and is in L3 or memory by now: ask for it while the sums run (5-15%
       on the products that take two passes over K, both compilers). */
    if (accumulate)
        for (i = 0; i < TINYGPT_MR; i++) {
            __builtin_prefetch(c + (size_t)i * ldc);
            __builtin_prefetch(c + (size_t)i * ldc + TINYGPT_NR - 1);
        }
    /* The sums start from the first k's products (kc >= 1), not from zeros:
       gcc zeroed them with 16-byte stores to the stack and reloaded them as
       32-byte vectors, a failed store-to-load forward per sum that took a
       fifth of the kernel's time on K = 256 products. */
    memcpy(&b0, b, sizeof b0);  /* memcpy: no alignment or aliasing assumptions */
    memcpy(&b1, b + TINYGPT__VL, sizeof b1);
    for (i = 0; i < TINYGPT_MR; i++) {
        acc[i][0] = a[i * ars] * b0;  /* scalar times vector: the scalar is broadcast */
        acc[i][1] = a[i * ars] * b1;
    }
    for (p = 1; p < kc; p++) {
        a += acs;
        b += TINYGPT_NR;
        memcpy(&b0, b, sizeof b0);
        memcpy(&b1, b + TINYGPT__VL, sizeof b1);
        for (i = 0; i < TINYGPT_MR; i++) {
            acc[i][0] += a[i * ars] * b0;
            acc[i][1] += a[i * ars] * b1;
        }
    }
    for (i = 0; i < TINYGPT_MR; i++, c += ldc) {
        b0 = acc[i][0];  /* copies, so the tile's address is never taken and it stays in registers */
        b1 = acc[i][1];
        if (accumulate) {
            tinygpt__vf c0, c1;
            memcpy(&c0, c, sizeof c0);
            memcpy(&c1, c + TINYGPT__VL, sizeof c1);
            b0 += c0;
            b1 += c1;
        }
        memcpy(c, &b0, sizeof b0);
        memcpy(c + TINYGPT__VL, &b1, sizeof b1);
    }
}
#else
/* Fixed trip counts and a local accumulator let compilers keep the tile in
   vector registers; copying the row of B first stops gcc from reloading it
   per FMA. */
static void tinygpt__micro_kernel(int kc, const float *TINYGPT__RESTRICT a, size_t ars, size_t acs,
                                  const float *TINYGPT__RESTRICT b, float *TINYGPT__RESTRICT c, size_t ldc,
                                  int accumulate)
{
    float acc[TINYGPT_MR][TINYGPT_NR];
    int p, i, j;
    for (i = 0; i < TINYGPT_MR; i++)
        for (j = 0; j < TINYGPT_NR; j++) acc[i][j] = 0.0f;
    for (p = 0; p < kc; p++) {
        float brow[TINYGPT_NR];
        for (j = 0; j < TINYGPT_NR; j++) brow[j] = b[j];
        /* gcc keeps the tile in registers only when told to unroll it */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC unroll 16
#endif
        for (i = 0; i < TINYGPT_MR; i++) {
            float ai = a[i * ars];
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC unroll 32
#endif
            for (j = 0; j < TINYGPT_NR; j++) acc[i][j] = TINYGPT__FMA(ai, brow[j], acc[i][j]);
        }
        a += acs;
        b += TINYGPT_NR;
    }
    for (i = 0; i < TINYGPT_MR; i++, c += ldc)
        for (j = 0; j < TINYGPT_NR; j++) c[j] = accumulate ? c[j] + acc[i][j] : acc[i][j];
}
#endif

/* One MC x KC block of A against a packed KC x nc panel of B, whose
   slivers are ldb * NR floats apart (ldb >= kc: the first kc rows of a
   deeper panel). A is packed (lda = 0), or read in place (lda = its row
   stride, its columns contiguous, mc a multiple of MR). An edge tile (mr <
   MR or nr < NR) goes through `edge`, then the part that exists to C. With
   `zeros` (TINYGPT__A_LOWER or _UPPER, off relative to this block's rows), a
   tile's sums run only over the k where its rows of A can be nonzero: the
   terms left out are exact zeros, so the sums are the same. Marked as the
   micro-kernel is: gcc inlines a function with an optimize attribute only
   into one with the same. */
TINYGPT__CONTRACT
static void tinygpt__matmul_block(float *c, size_t ldc, const float *a, size_t lda, const float *bp, size_t ldb,
                                  int mc, int nc, int kc, int accumulate, int zeros, int off)
{
    float edge[TINYGPT_MR * TINYGPT_NR];
    int ir, jr, i, j;
    for (jr = 0; jr < nc; jr += TINYGPT_NR) {
        int nr = nc - jr < TINYGPT_NR ? nc - jr : TINYGPT_NR;
        const float *b = bp + (size_t)jr * ldb;
        for (ir = 0; ir < mc; ir += TINYGPT_MR) {
            int mr = mc - ir < TINYGPT_MR ? mc - ir : TINYGPT_MR, whole = mr == TINYGPT_MR && nr == TINYGPT_NR;
            int kb = 0, ke = kc;  /* this tile's k range */
            float *ctile = c + (size_t)ir * ldc + jr, *out = whole ? ctile : edge;
            size_t ldo = whole ? ldc : TINYGPT_NR;
            if (zeros == TINYGPT__A_LOWER && ir + TINYGPT_MR + off < kc) ke = ir + TINYGPT_MR + off;
            if (zeros == TINYGPT__A_UPPER && ir - off > 0) kb = ir - off;
            if (ke <= kb) {  /* every term zero */
                memset(edge, 0, sizeof edge);
                whole = 0;
            } else if (lda) {
                tinygpt__micro_kernel(ke - kb, a + (size_t)ir * lda + kb, lda, 1, b + (size_t)kb * TINYGPT_NR, out,
                                      ldo, accumulate && whole);
            } else {
                tinygpt__micro_kernel(ke - kb, a + (size_t)ir * kc + (size_t)kb * TINYGPT_MR, 1, TINYGPT_MR,
                                      b + (size_t)kb * TINYGPT_NR, out, ldo, accumulate && whole);
            }
            if (whole) continue;
            for (i = 0; i < mr; i++) {
                float *crow = ctile + (size_t)i * ldc;
                const float *trow = edge + i * TINYGPT_NR;
                if (accumulate) for (j = 0; j < nr; j++) crow[j] += trow[j];
                else            for (j = 0; j < nr; j++) crow[j] = trow[j];
            }
        }
    }
}

/* out[j] += x . w_j for the nrows rows w_j = w + j*ldw, each K long: the
   matrix-vector product of sampling one token. */
#ifdef TINYGPT__VECTOR_EXT
/* The lanes' sum as a tree (halves added, then their halves): a row of 256
   floats is only sixteen vector steps, so a chain of one add per lane would
   take about as long as the row itself. With __builtin_shufflevector the
   halves are vector adds in registers; gcc turns the lane loop below into
   one scalar add per lane. */
#ifdef TINYGPT__SHUFFLEVECTOR
typedef float tinygpt__v4 __attribute__((vector_size(16)));
static float tinygpt__vsum(tinygpt__vf v)
{
    tinygpt__v4 q;
#if TINYGPT__VL == 16
    tinygpt__v8 h = __builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7) +
                    __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15);
#elif TINYGPT__VL == 8
    tinygpt__v8 h = v;
#endif
#if TINYGPT__VL >= 8
    q = __builtin_shufflevector(h, h, 0, 1, 2, 3) + __builtin_shufflevector(h, h, 4, 5, 6, 7);
#else
    q = v;
#endif
    return (q[0] + q[2]) + (q[1] + q[3]);
}
#else
static float tinygpt__vsum(tinygpt__vf v)
{
    float lanes[TINYGPT__VL];
    int half, i;
    memcpy(lanes, &v, sizeof lanes);
    for (half = TINYGPT__VL / 2; half > 0; half /= 2)
        for (i = 0; i < half; i++) lanes[i] += lanes[i + half];
    return lanes[0];
}
#endif

/* Sampling streams every weight once per token, from L3 for the small
   models and from memory for big ones: the rows are read as a few long
   sequential streams the hardware prefetcher follows, rows j, j+q, ...
   (q = nrows / streams) together, sharing each load of x. Measured against
   a plain one-pass sum over the weights, in alternation: with 16-float
   vectors two streams with two sums each read faster than four with one
   (gcc 92% of that sum's rate against 86%, clang 92% against 87%); with
   8-float vectors gcc read faster with four (88% against 82%) and clang
   with two (88% against 82%), and four stay. */
#if TINYGPT__VL >= 16
TINYGPT__CONTRACT
static void tinygpt__dot_rows(float *out, const float *x, const float *w, size_t ldw, int nrows, int K)
{
    int q = nrows / 2, j, k, kv = K - K % (2 * TINYGPT__VL);  /* [0, kv) two vectors at a time, the rest one by one */
    for (j = 0; j < q; j++) {
        const float *w0 = w + (size_t)j * ldw, *w1 = w0 + (size_t)q * ldw;
        tinygpt__vf s0, s1, u0, u1, xv, v;  /* s: even vectors of k, u: odd; named, so they stay in registers */
        float t0 = 0.0f, t1 = 0.0f;
        memset(&s0, 0, sizeof s0); s1 = s0; u0 = s0; u1 = s0;
        for (k = 0; k < kv; k += 2 * TINYGPT__VL) {
            memcpy(&xv, x + k, sizeof xv);
            memcpy(&v, w0 + k, sizeof v); s0 += xv * v;
            memcpy(&v, w1 + k, sizeof v); s1 += xv * v;
            memcpy(&xv, x + k + TINYGPT__VL, sizeof xv);
            memcpy(&v, w0 + k + TINYGPT__VL, sizeof v); u0 += xv * v;
            memcpy(&v, w1 + k + TINYGPT__VL, sizeof v); u1 += xv * v;
        }
        for (; k < K; k++) { t0 += x[k] * w0[k]; t1 += x[k] * w1[k]; }
        out[j] += tinygpt__vsum(s0 + u0) + t0;
        out[j + q] += tinygpt__vsum(s1 + u1) + t1;
    }
    if (nrows % 2) out[nrows - 1] += tinygpt__dot(x, w + (size_t)(nrows - 1) * ldw, K);
}
#else
TINYGPT__CONTRACT
static void tinygpt__dot_rows(float *out, const float *x, const float *w, size_t ldw, int nrows, int K)
{
    int q = nrows / 4, j, k, kv = K - K % TINYGPT__VL;  /* [0, kv) in vectors, the rest one by one */
    for (j = 0; j < q; j++) {
        const float *w0 = w + (size_t)j * ldw, *w1 = w0 + (size_t)q * ldw;
        const float *w2 = w1 + (size_t)q * ldw, *w3 = w2 + (size_t)q * ldw;
        tinygpt__vf s0, s1, s2, s3, xv, v;  /* named sums, so they stay in registers */
        float t0 = 0.0f, t1 = 0.0f, t2 = 0.0f, t3 = 0.0f;
        memset(&s0, 0, sizeof s0); s1 = s0; s2 = s0; s3 = s0;
        for (k = 0; k < kv; k += TINYGPT__VL) {
            memcpy(&xv, x + k, sizeof xv);
            memcpy(&v, w0 + k, sizeof v); s0 += xv * v;
            memcpy(&v, w1 + k, sizeof v); s1 += xv * v;
            memcpy(&v, w2 + k, sizeof v); s2 += xv * v;
            memcpy(&v, w3 + k, sizeof v); s3 += xv * v;
        }
        for (; k < K; k++) { t0 += x[k] * w0[k]; t1 += x[k] * w1[k]; t2 += x[k] * w2[k]; t3 += x[k] * w3[k]; }
        out[j] += tinygpt__vsum(s0) + t0;
        out[j + q] += tinygpt__vsum(s1) + t1;
        out[j + 2 * q] += tinygpt__vsum(s2) + t2;
        out[j + 3 * q] += tinygpt__vsum(s3) + t3;
    }
    for (j = 4 * q; j < nrows; j++) out[j] += tinygpt__dot(x, w + (size_t)j * ldw, K);
}
#endif
#else
static void tinygpt__dot_rows(float *out, const float *x, const float *w, size_t ldw, int nrows, int K)
{
    int j;
    for (j = 0; j < nrows; j++) out[j] += tinygpt__dot(x, w + (size_t)j * ldw, K);
}
#endif

/* out[j] = scale[j] * (q[j] . x) for the int8 rows q[j] = q + j*K: sampling
   from an int8 view reads a byte per weight instead of four. With vector
   extensions, four rows at a time in vectors (clang: the bytes widened to
   floats a vector at a time; gcc: see below); without them (TINYGPT_NO_VECTOR_EXT, as the embedded
   example builds), plain C in eight running sums combined in a fixed order,
   the same bits on every target. */
#if defined(TINYGPT__VECTOR_EXT) && !defined(__clang__)
/* gcc scalarises __builtin_convertvector from bytes and does not vectorise
   a widening loop inside a vector expression, but does vectorise a plain
   widening loop (at -O3): each row goes through a float buffer, 256 at a time. */
static void tinygpt__dot_rows_q8(float *out, const float *x, const signed char *q, const float *scale, int nrows, int K)
{
    float buf[256];
    int j, k0, i;
    for (j = 0; j < nrows; j++) {
        const signed char *r = q + (size_t)j * K;
        float acc = 0.0f;
        for (k0 = 0; k0 < K; k0 += 256) {
            int n = K - k0 < 256 ? K - k0 : 256;
            for (i = 0; i < n; i++) buf[i] = (float)r[k0 + i];
            acc += tinygpt__dot(x + k0, buf, n);
        }
        out[j] = scale[j] * acc;
    }
}
#elif defined(TINYGPT__VECTOR_EXT)
typedef signed char tinygpt__vq __attribute__((vector_size(TINYGPT__VL)));
/* A vector of int8 widened to floats (clang). */
#define TINYGPT__Q8_WIDEN(v, p) do { tinygpt__vq b_; memcpy(&b_, (p), sizeof b_); \
                                     (v) = __builtin_convertvector(b_, tinygpt__vf); } while (0)

static void tinygpt__dot_rows_q8(float *out, const float *x, const signed char *q, const float *scale, int nrows, int K)
{
    int j = 0, k, kv = K - K % TINYGPT__VL;
    for (; j + 4 <= nrows; j += 4) {  /* four consecutive rows: one sequential stream of bytes */
        const signed char *r0 = q + (size_t)j * K, *r1 = r0 + K, *r2 = r1 + K, *r3 = r2 + K;
        tinygpt__vf s0, s1, s2, s3, xv, w;
        float t0 = 0.0f, t1 = 0.0f, t2 = 0.0f, t3 = 0.0f;
        memset(&s0, 0, sizeof s0); s1 = s0; s2 = s0; s3 = s0;
        for (k = 0; k < kv; k += TINYGPT__VL) {
            memcpy(&xv, x + k, sizeof xv);
            TINYGPT__Q8_WIDEN(w, r0 + k); s0 += xv * w;
            TINYGPT__Q8_WIDEN(w, r1 + k); s1 += xv * w;
            TINYGPT__Q8_WIDEN(w, r2 + k); s2 += xv * w;
            TINYGPT__Q8_WIDEN(w, r3 + k); s3 += xv * w;
        }
        for (; k < K; k++) {
            t0 += x[k] * (float)r0[k]; t1 += x[k] * (float)r1[k];
            t2 += x[k] * (float)r2[k]; t3 += x[k] * (float)r3[k];
        }
        out[j] = scale[j] * (tinygpt__vsum(s0) + t0);
        out[j + 1] = scale[j + 1] * (tinygpt__vsum(s1) + t1);
        out[j + 2] = scale[j + 2] * (tinygpt__vsum(s2) + t2);
        out[j + 3] = scale[j + 3] * (tinygpt__vsum(s3) + t3);
    }
    for (; j < nrows; j++) {
        const signed char *r = q + (size_t)j * K;
        tinygpt__vf sv, xv, w;
        float t = 0.0f;
        memset(&sv, 0, sizeof sv);
        for (k = 0; k < kv; k += TINYGPT__VL) {
            memcpy(&xv, x + k, sizeof xv);
            TINYGPT__Q8_WIDEN(w, r + k);
            sv += xv * w;
        }
        for (; k < K; k++) t += x[k] * (float)r[k];
        out[j] = scale[j] * (tinygpt__vsum(sv) + t);
    }
}
#else
static void tinygpt__dot_rows_q8(float *out, const float *x, const signed char *q, const float *scale, int nrows, int K)
{
    int j, k, k8 = K - K % 8;
    for (j = 0; j < nrows; j++) {
        const signed char *r = q + (size_t)j * K;
        float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f, s4 = 0.0f, s5 = 0.0f, s6 = 0.0f, s7 = 0.0f;
        for (k = 0; k < k8; k += 8) {
            s0 += x[k] * (float)r[k];         s1 += x[k + 1] * (float)r[k + 1];
            s2 += x[k + 2] * (float)r[k + 2]; s3 += x[k + 3] * (float)r[k + 3];
            s4 += x[k + 4] * (float)r[k + 4]; s5 += x[k + 5] * (float)r[k + 5];
            s6 += x[k + 6] * (float)r[k + 6]; s7 += x[k + 7] * (float)r[k + 7];
        }
        for (; k < K; k++) s0 += x[k] * (float)r[k];
        out[j] = scale[j] * (((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7)));
    }
}
#endif

/* Fewer rows than a register tile (sampling one token): packing would cost
   more than the product, so go straight through B, contiguous side inner. */
static void tinygpt__matmul_few_rows(float *c, tinygpt__view a, tinygpt__view b, int M, int N, int K,
                                     int accumulate)
{
    int i, j, k;
    for (i = 0; i < M; i++) {
        float *crow = c + (size_t)i * N;
        if (!accumulate) memset(crow, 0, (size_t)N * sizeof(float));
        if (b.rs == 1 && a.cs == 1) {  /* column j of B is contiguous: one dot product each */
            tinygpt__dot_rows(crow, a.p + (size_t)i * a.rs, b.p, b.cs, N, K);
        } else {                       /* add a(i,k) times row k of B */
            for (k = 0; k < K; k++) {
                float aik = a.p[(size_t)i * a.rs + (size_t)k * a.cs];
                const float *brow = b.p + (size_t)k * b.rs;
                for (j = 0; j < N; j++) crow[j] += aik * brow[(size_t)j * b.cs];
            }
        }
    }
}


/* rows x n of C (rows ldc apart) += bias[n] on every row. */
static void tinygpt__add_bias(float *c, size_t ldc, const float *bias, int rows, int n)
{
    int i, j;
    for (i = 0; i < rows; i++, c += ldc)
        for (j = 0; j < n; j++) c[j] += bias[j];
}

/* C[M, nc] (+)= A[M, kc] times a panel of B already packed (tinygpt__pack_b;
   its slivers ldb * NR floats apart, ldb >= kc), C's rows ldc apart. A's
   rows are read in place when its columns are contiguous: packing them
   interleaves MR rows a float at a time, which would take a tenth of a
   training step. Otherwise, and for a last few rows short of MR, A is packed
   into `ap` (MC x kc floats, 64-byte aligned). bias[nc], if not NULL, is
   added to each block of C's rows when done, while it is in cache.
   a_sums[M], if not NULL, gets A's row sums over these kc added. */
static void tinygpt__matmul_packed_b(float *c, size_t ldc, tinygpt__view a, const float *bp, size_t ldb,
                                     const float *bias, int M, int nc, int kc, int accumulate, float *ap,
                                     int zeros, int off, float *a_sums)
{
    int ic, i, p;
    for (ic = 0; ic < M; ic += TINYGPT__MC) {
        int mc = M - ic < TINYGPT__MC ? M - ic : TINYGPT__MC, whole = a.cs == 1 ? mc - mc % TINYGPT_MR : 0;
        float *cb = c + (size_t)ic * ldc;
        if (whole > 0)
            tinygpt__matmul_block(cb, ldc, a.p + (size_t)ic * a.rs, a.rs, bp, ldb, whole, nc, kc, accumulate,
                                  zeros, zeros == TINYGPT__A_LOWER ? off + ic : off - ic);
        for (i = 0; a_sums && i < whole; i++) {  /* rows read in place */
            const float *row = a.p + (size_t)(ic + i) * a.rs;
            for (p = 0; p < kc; p++) a_sums[ic + i] += row[p];
        }
        if (whole < mc) {
            tinygpt__pack_a(ap, a, ic + whole, mc - whole, 0, kc, a_sums ? a_sums + ic + whole : NULL);
            tinygpt__matmul_block(cb + (size_t)whole * ldc, ldc, ap, 0, bp, ldb, mc - whole, nc, kc, accumulate,
                                  zeros, zeros == TINYGPT__A_LOWER ? off + ic + whole : off - ic - whole);
        }
        if (bias) tinygpt__add_bias(cb, ldc, bias, mc, nc);
    }
}

/* The K passes of tinygpt__matmul_blocked: K in equal passes of at most KC
   (768 as 2 x 384, not 512 + 256). */
static int tinygpt__kstep(int K)
{
    int passes = (K + TINYGPT__KC - 1) / TINYGPT__KC;
    return (K + passes - 1) / passes;
}

/* The blocked product on one thread: C[M,N] (+)= A[M,K] B[K,N] (+ bias[N]
   on every row, if not NULL, added with the last pass over K), C's rows ldc
   apart; a_sums[M], if not NULL, += A's row sums; `work`:
   tinygpt__matmul_work_size_for(1, N, K) floats. */
static void tinygpt__matmul_blocked(float *c, size_t ldc, tinygpt__view a, tinygpt__view b, const float *bias,
                                    float *a_sums, int M, int N, int K, int accumulate, float *work)
{
    float *bp = tinygpt__align64(work), *ap = bp + tinygpt__matmul_panel(N, K);
    int jc, pc;
    for (jc = 0; jc < N; jc += TINYGPT__NC) {
        int nc = N - jc < TINYGPT__NC ? N - jc : TINYGPT__NC;
        int kstep = tinygpt__kstep(K);
        for (pc = 0; pc < K; pc += kstep) {
            int kc = K - pc < kstep ? K - pc : kstep;
            tinygpt__view apart = a;
            apart.p += (size_t)pc * a.cs;
            tinygpt__pack_b(bp, b, pc, kc, jc, nc);
            tinygpt__matmul_packed_b(c + jc, ldc, apart, bp, (size_t)kc, bias && pc + kc == K ? bias + jc : NULL,
                                     M, nc, kc, accumulate || pc > 0, ap, TINYGPT__A_FULL, 0,
                                     jc == 0 ? a_sums : NULL);  /* A is read once per column panel */
        }
    }
}

/* Threads for a product of fma multiply-adds split into `parts` shares:
   one below TINYGPT__PAR_FMA, never more than the shares. */
static int tinygpt__matmul_threads(double fma, int parts, int threads)
{
    threads = TINYGPT__PAR_FMA(fma, threads);
    if (threads < 1) threads = 1;
    if (threads > TINYGPT__MAX_THREADS) threads = TINYGPT__MAX_THREADS;
    return threads > parts ? parts : threads;
}

/* Share `share` of `shares` of the product below, on this thread: C's rows
   split at MR (or, when A is the smaller operand, C's columns at NR), as a
   product of its own that packs what it needs itself. A product's sums do
   not depend on where its tiles are, so no split changes the bits. a_sums
   goes with the rows; split by columns, every share packs all of A, and the
   first adds its row sums. */
static void tinygpt__matmul_share(float *c, tinygpt__view a, tinygpt__view b, const float *bias, float *a_sums,
                                  int M, int N, int K, int accumulate, float *work, int share, int shares)
{
    int by_cols = M < N, unit = by_cols ? TINYGPT_NR : TINYGPT_MR, size = by_cols ? N : M;
    int parts = (size + unit - 1) / unit;
    int lo = share * parts / shares * unit, hi = (share + 1) * parts / shares * unit;
    tinygpt__view part = by_cols ? b : a;
    if (hi > size) hi = size;
    if (lo >= hi) return;
    part.p += (size_t)lo * (by_cols ? b.cs : a.rs);
    if (by_cols)
        tinygpt__matmul_blocked(c + lo, (size_t)N, a, part, bias ? bias + lo : NULL, lo == 0 ? a_sums : NULL,
                                M, hi - lo, K, accumulate, work);
    else
        tinygpt__matmul_blocked(c + (size_t)lo * N, (size_t)N, part, b, bias, a_sums ? a_sums + lo : NULL,
                                hi - lo, N, K, accumulate, work);
}

/* C[M,N] = A[M,K] B[K,N] (or += when accumulate) (+ bias[N] on every row,
   if not NULL), C row-major with row stride N; tinygpt__matmul without a
   bias. Every product in the model, forward and backward, comes here;
   transposes are expressed by the views' strides. `work` holds
   tinygpt__matmul_work_size(threads) floats.
   With threads, each computes its share (tinygpt__matmul_share): one
   parallel loop per product, nothing shared, no waiting between packing and
   multiplying. Each parallel loop costs a sleeping thread's wake-up, tens of
   microseconds on a virtual machine, so a loop per pass over K (a weight
   gradient makes eight) would cost more than the operand packed twice, the
   smaller one. Every thread count gives the same bits. a_sums[M], if not
   NULL, gets A's row sums added, each in k order. */
static void tinygpt__matmul_sums(float *c, tinygpt__view a, tinygpt__view b, const float *bias, float *a_sums,
                                 int M, int N, int K, int accumulate, float *work, int threads)
{
    int parts = M < N ? (N + TINYGPT_NR - 1) / TINYGPT_NR : (M + TINYGPT_MR - 1) / TINYGPT_MR, t;
    size_t slice = tinygpt__matmul_work_size_for(1, N, K);
    threads = tinygpt__matmul_threads((double)M * N * K, parts, threads);
    if (K == 0) {
        if (!accumulate) memset(c, 0, (size_t)M * N * sizeof(float));
        return;
    }
    if (M < TINYGPT_MR) {
        int i, k;
        tinygpt__matmul_few_rows(c, a, b, M, N, K, accumulate);
        if (bias) tinygpt__add_bias(c, (size_t)N, bias, M, N);
        for (i = 0; a_sums && i < M; i++)
            for (k = 0; k < K; k++) a_sums[i] += a.p[(size_t)i * a.rs + (size_t)k * a.cs];
        return;
    }
    if (threads == 1) {
        tinygpt__matmul_blocked(c, (size_t)N, a, b, bias, a_sums, M, N, K, accumulate, work);
        return;
    }
    TINYGPT__FOR(threads, for (t = 0; t < threads; t++)
        tinygpt__matmul_share(c, a, b, bias, a_sums, M, N, K, accumulate, work + (size_t)t * slice, t, threads));
}

/* Products at least this deep run as two halves of K when their caller has
   room for one more C (tinygpt__matmul_halves; a weight gradient's K is the
   batch's rows); shallower ones, or of fewer rows than MR, in one. */
#define TINYGPT__HALVES_MIN_K (2 * TINYGPT__KC)

/* Floats of tinygpt__matmul_halves's `half` for an M x N product. */
static size_t tinygpt__halves_size(int M, int N)
{
    return (size_t)M * N + (size_t)M;
}

/* C[M,N] += A[M,K] B[K,N] and a_sums[M] += A's row sums (a_sums may be
   NULL), as two products over the halves of K: the first adds into C, the
   second goes into `half` (tinygpt__halves_size(M, N) floats), which is then
   added to C. With threads, half of them take each half of K, so each packs
   half of A and half of B; split by C's rows instead, every thread would
   pack all of B (for a weight gradient, 4 MiB of a layer's input). One
   thread does the same two halves in turn: the same bits. */
static void tinygpt__matmul_halves(float *c, tinygpt__view a, tinygpt__view b, float *a_sums, int M, int N, int K,
                                   float *half, float *work, int threads)
{
    int k0 = K / 2, parts = M < N ? (N + TINYGPT_NR - 1) / TINYGPT_NR : (M + TINYGPT_MR - 1) / TINYGPT_MR, t;
    float *half_sums = a_sums ? half + (size_t)M * N : NULL;
    size_t slice = tinygpt__matmul_work_size_for(1, N, K), i;
    tinygpt__view a1 = a, b1 = b;  /* the second half */
    if (K < TINYGPT__HALVES_MIN_K || M < TINYGPT_MR) {
        tinygpt__matmul_sums(c, a, b, NULL, a_sums, M, N, K, 1, work, threads);
        return;
    }
    a1.p += (size_t)k0 * a.cs;
    b1.p += (size_t)k0 * b.rs;
    if (half_sums) memset(half_sums, 0, (size_t)M * sizeof(float));
    threads = tinygpt__matmul_threads((double)M * N * K, 2 * parts, threads);
    if (threads == 1) {
        tinygpt__matmul_blocked(c, (size_t)N, a, b, NULL, a_sums, M, N, k0, 1, work);
        tinygpt__matmul_blocked(half, (size_t)N, a1, b1, NULL, half_sums, M, N, K - k0, 0, work);
    } else {
        int first = (threads + 1) / 2;  /* threads on the first half */
        TINYGPT__FOR(threads, for (t = 0; t < threads; t++) {
            if (t < first)
                tinygpt__matmul_share(c, a, b, NULL, a_sums, M, N, k0, 1, work + (size_t)t * slice, t, first);
            else
                tinygpt__matmul_share(half, a1, b1, NULL, half_sums, M, N, K - k0, 0, work + (size_t)t * slice,
                                      t - first, threads - first);
        });
    }
    for (i = 0; i < (size_t)M * N; i++) c[i] += half[i];
    for (i = 0; half_sums && i < (size_t)M; i++) a_sums[i] += half_sums[i];
}

/* C = A B (+ bias on every row), as tinygpt__matmul_sums. */
static void tinygpt__matmul_bias(float *c, tinygpt__view a, tinygpt__view b, const float *bias, int M, int N, int K,
                                 int accumulate, float *work, int threads)
{
    tinygpt__matmul_sums(c, a, b, bias, NULL, M, N, K, accumulate, work, threads);
}

static void tinygpt__matmul(float *c, tinygpt__view a, tinygpt__view b, int M, int N, int K,
                            int accumulate, float *work, int threads)
{
    tinygpt__matmul_sums(c, a, b, NULL, NULL, M, N, K, accumulate, work, threads);
}

/* A weight matrix W [OC, IC] packed once for the products that read it as
   B = W^T (tinygpt__linear_forward's): column block by column block, pass by
   pass over IC as tinygpt__matmul_blocked splits them, each panel as
   tinygpt__pack_b leaves it. The sampling prefill, a forward per token once
   the window slides, would otherwise pack every weight again for every token. */
static size_t tinygpt__packed_weight_size(int OC, int IC)
{
    size_t total = 0;
    int jc;
    for (jc = 0; jc < OC; jc += TINYGPT__NC)
        total += tinygpt__packed_b_size(OC - jc < TINYGPT__NC ? OC - jc : TINYGPT__NC, IC);
    return total;
}

static void tinygpt__pack_weight(float *dst, const float *w, int OC, int IC)
{
    tinygpt__view b;
    int jc, pc, kstep = tinygpt__kstep(IC);
    b.p = w; b.rs = 1; b.cs = (size_t)IC;  /* B(k, j) = W[j, k] */
    for (jc = 0; jc < OC; jc += TINYGPT__NC) {
        int nc = OC - jc < TINYGPT__NC ? OC - jc : TINYGPT__NC;
        for (pc = 0; pc < IC; pc += kstep) {
            int kc = IC - pc < kstep ? IC - pc : kstep;
            tinygpt__pack_b(dst, b, pc, kc, jc, nc);
            dst += tinygpt__packed_b_size(nc, kc);
        }
    }
}

/* out[N,OC] = inp[N,IC] W^T + bias with W packed by tinygpt__pack_weight
   into wp: tinygpt__linear_forward's sums in the same passes, so the same
   bits. Fewer rows than MR take its row path, on W itself. The threads split
   the columns at NR. */
static void tinygpt__linear_forward_packed(float *out, const float *inp, const float *w, const float *wp,
                                           const float *bias, int N, int IC, int OC, float *work, int threads)
{
    int parts = (OC + TINYGPT_NR - 1) / TINYGPT_NR, kstep = tinygpt__kstep(IC), t, chunks;
    size_t slice = tinygpt__matmul_work_size_for(1, OC, IC);
    if (N < TINYGPT_MR) {
        tinygpt__linear_forward(out, inp, w, bias, N, IC, OC, work, threads);
        return;
    }
    threads = tinygpt__matmul_threads((double)N * OC * IC, parts, threads);
    chunks = threads > 1 ? (parts < 4 * threads ? parts : 4 * threads) : 1;
    TINYGPT__FOR_DYNAMIC(threads, for (t = 0; t < chunks; t++) {
        int lo = t * parts / chunks * TINYGPT_NR, hi = (t + 1) * parts / chunks * TINYGPT_NR, jc, pc;
        const float *panel = wp;
        float *ap = tinygpt__align64(tinygpt__thread_scratch(work, slice));
        tinygpt__view a;
        if (hi > OC) hi = OC;
        for (jc = 0; jc < OC; jc += TINYGPT__NC) {
            int nc = OC - jc < TINYGPT__NC ? OC - jc : TINYGPT__NC;
            int j0 = lo > jc ? lo : jc, j1 = hi < jc + nc ? hi : jc + nc;
            for (pc = 0; pc < IC; pc += kstep) {
                int kc = IC - pc < kstep ? IC - pc : kstep;
                a.p = inp + pc; a.rs = (size_t)IC; a.cs = 1;
                if (j0 < j1)  /* slivers are kc * NR floats apart, and j0 - jc is a multiple of NR */
                    tinygpt__matmul_packed_b(out + j0, (size_t)OC, a, panel + (size_t)(j0 - jc) * kc, (size_t)kc,
                                             bias && pc + kc == IC ? bias + j0 : NULL, N, j1 - j0, kc, pc > 0, ap,
                                             TINYGPT__A_FULL, 0, NULL);
                panel += tinygpt__packed_b_size(nc, kc);
            }
        }
    });
}

/* LayerNorm sums a row in TINYGPT__LANES interleaved partial sums: one
   running float sum is a chain of dependent adds, which the compiler may not
   split into vector lanes itself (3x slower at C = 256). */
static float tinygpt__lanes_total(const float lane[TINYGPT__LANES])
{
    float s = 0.0f;
    int j;
    for (j = 0; j < TINYGPT__LANES; j++) s += lane[j];
    return s;
}

/* The lanes as one vector where the compiler has vector types. Written as
   arrays, gcc 12 vectorised their loops across elements instead, 16 at a
   time, and sorted them back into the lanes with permutes: LayerNorm ran at
   half the speed clang's build had. Each function below runs its vector
   loop first, if any, and its plain loop then finishes what is left (all of
   it without vector types); the sums are the same, lane by lane. */
#ifdef TINYGPT__VECTOR_EXT
typedef float tinygpt__lanes_v __attribute__((vector_size(TINYGPT__LANES * sizeof(float))));
#endif

/* x[0] + ... + x[n-1] in those lanes (element i in lane i % TINYGPT__LANES). */
static float tinygpt__lanes_sum(const float *x, int n)
{
    float lane[TINYGPT__LANES] = {0};
    int i = 0, j, whole = n - n % TINYGPT__LANES;
#ifdef TINYGPT__VECTOR_EXT
    tinygpt__lanes_v acc, xv;
    memset(&acc, 0, sizeof acc);
    for (; i < whole; i += TINYGPT__LANES) {
        memcpy(&xv, x + i, sizeof xv);
        acc += xv;
    }
    memcpy(lane, &acc, sizeof lane);
#endif
    for (; i < whole; i += TINYGPT__LANES)
        for (j = 0; j < TINYGPT__LANES; j++) lane[j] += x[i + j];
    for (j = 0; j < n % TINYGPT__LANES; j++) lane[j] += x[whole + j];
    return tinygpt__lanes_total(lane);
}

/* (x[0] - m)^2 + ... + (x[n-1] - m)^2 in the lanes: a row's variance. */
static float tinygpt__lanes_sq_dev(const float *x, float m, int n)
{
    float lane[TINYGPT__LANES] = {0};
    int i = 0, j, whole = n - n % TINYGPT__LANES;
#ifdef TINYGPT__VECTOR_EXT
    tinygpt__lanes_v acc, d;
    memset(&acc, 0, sizeof acc);
    for (; i < whole; i += TINYGPT__LANES) {
        memcpy(&d, x + i, sizeof d);
        d -= m;
        acc += d * d;
    }
    memcpy(lane, &acc, sizeof lane);
#endif
    for (; i < whole; i += TINYGPT__LANES)
        for (j = 0; j < TINYGPT__LANES; j++) lane[j] += (x[i + j] - m) * (x[i + j] - m);
    for (j = 0; j < n % TINYGPT__LANES; j++) lane[j] += (x[whole + j] - m) * (x[whole + j] - m);
    return tinygpt__lanes_total(lane);
}

/* a[0] b[0] + ... + a[n-1] b[n-1] in the lanes. */
static float tinygpt__lanes_dot(const float *a, const float *b, int n)
{
    float lane[TINYGPT__LANES] = {0};
    int i = 0, j, whole = n - n % TINYGPT__LANES;
#ifdef TINYGPT__VECTOR_EXT
    tinygpt__lanes_v acc, av, bv;
    memset(&acc, 0, sizeof acc);
    for (; i < whole; i += TINYGPT__LANES) {
        memcpy(&av, a + i, sizeof av);
        memcpy(&bv, b + i, sizeof bv);
        acc += av * bv;
    }
    memcpy(lane, &acc, sizeof lane);
#endif
    for (; i < whole; i += TINYGPT__LANES)
        for (j = 0; j < TINYGPT__LANES; j++) lane[j] += a[i + j] * b[i + j];
    for (j = 0; j < n % TINYGPT__LANES; j++) lane[j] += a[whole + j] * b[whole + j];
    return tinygpt__lanes_total(lane);
}

/* A LayerNorm row's two backward sums, in the lanes: with dnorm_i = dy_i
   w_i and norm_i = (x_i - m) s, *sum_dnorm = sum of dnorm_i and
   *sum_dnorm_norm = sum of dnorm_i norm_i. */
static void tinygpt__lanes_layernorm_grad(const float *dy, const float *w, const float *x, float m, float s, int n,
                                          float *sum_dnorm, float *sum_dnorm_norm)
{
    float l1[TINYGPT__LANES] = {0}, l2[TINYGPT__LANES] = {0};
    int i = 0, j, whole = n - n % TINYGPT__LANES;
#ifdef TINYGPT__VECTOR_EXT
    tinygpt__lanes_v acc1, acc2, dyv, wv, xv;
    memset(&acc1, 0, sizeof acc1);
    memset(&acc2, 0, sizeof acc2);
    for (; i < whole; i += TINYGPT__LANES) {
        memcpy(&dyv, dy + i, sizeof dyv);
        memcpy(&wv, w + i, sizeof wv);
        memcpy(&xv, x + i, sizeof xv);
        dyv *= wv;                /* dnorm */
        xv = (xv - m) * s;        /* norm */
        acc1 += dyv;
        acc2 += dyv * xv;
    }
    memcpy(l1, &acc1, sizeof l1);
    memcpy(l2, &acc2, sizeof l2);
#endif
    for (; i < whole; i += TINYGPT__LANES)
        for (j = 0; j < TINYGPT__LANES; j++) {
            float norm = (x[i + j] - m) * s, dnorm = dy[i + j] * w[i + j];
            l1[j] += dnorm;
            l2[j] += dnorm * norm;
        }
    for (j = 0; j < n % TINYGPT__LANES; j++) {
        float norm = (x[whole + j] - m) * s, dnorm = dy[whole + j] * w[whole + j];
        l1[j] += dnorm;
        l2[j] += dnorm * norm;
    }
    *sum_dnorm = tinygpt__lanes_total(l1);
    *sum_dnorm_norm = tinygpt__lanes_total(l2);
}

/* A float's bits and back; memcpy, not a union or a pointer cast. */
static TINYGPT__INLINE uint32_t tinygpt__bits(float f) { uint32_t u; memcpy(&u, &f, sizeof u); return u; }
static TINYGPT__INLINE float tinygpt__from_bits(uint32_t u) { float f; memcpy(&f, &u, sizeof f); return f; }

/* c ? a : b by masking bits. gcc moves arithmetic that only one side of a
   ?: uses into a branch, and then (with -ftrapping-math, its default) does not
   vectorise the loop; both sides computed and masked, it does. */
static TINYGPT__INLINE float tinygpt__select(int c, float a, float b)
{
    uint32_t m = 0u - (uint32_t)(c != 0);
    return tinygpt__from_bits((tinygpt__bits(a) & m) | (tinygpt__bits(b) & ~m));
}

/* exp(-h) for 0 <= h <= 87 (callers keep it there). With k = round(h / ln 2)
   and r = k ln 2 - h in [-ln2/2, ln2/2], exp(-h) = 2^-k exp(r): exp(r) is a
   degree-6 polynomial (a minimax fit made for this file; relative error 2e-9)
   and 2^-k is put together in the exponent bits. No libm call and no branch,
   so loops over it vectorise. */
static TINYGPT__INLINE float tinygpt__exp_neg(float h)
{
    int k = (int)(h * 1.44269504f + 0.5f);
    /* ln 2 in two parts: k times the first, 0x3f317200, is exact */
    float r = ((float)k * 0.693145751953125f - h) + (float)k * 1.42860677e-6f, p = 0.00138368461f;
    p = TINYGPT__FMA(p, r, 0.00837481578f);
    p = TINYGPT__FMA(p, r, 0.0416682256f);
    p = TINYGPT__FMA(p, r, 0.166664202f);
    p = TINYGPT__FMA(p, r, 0.499999921f);
    p = TINYGPT__FMA(p, r, 1.00000004f);
    p = TINYGPT__FMA(p, r, 1.0f);
    return p * tinygpt__from_bits((uint32_t)(127 - k) << 23);
}

/* exp(-h) for any h >= 0, as softmax needs it: 0 past h = 87 (below 2^-125,
   nothing beside the largest term's 1), and NaN stays NaN so that a bad score
   still shows in the loss. */
static TINYGPT__INLINE float tinygpt__exp_of_minus(float h)
{
    float e = tinygpt__exp_neg(tinygpt__select(h < 87.0f, h, 87.0f));
    return tinygpt__select(h < 87.0f, e, tinygpt__select(h != h, h, 0.0f));
}

/* y[i] += sum over j < m of a[j] * x_j[i] for i < n, where row x_j starts at
   x + j*ldx. Four rows per pass over y, so y is loaded and stored once per
   four multiply-adds; the loop over i is plain and contiguous, so it
   vectorises. Every attention product is one of these. */
TINYGPT__CONTRACT
static void tinygpt__axpy_rows(float *TINYGPT__RESTRICT y, const float *a, const float *x, size_t ldx,
                               int m, int n)
{
    int i, j = 0;
    for (; j + 8 <= m; j += 8) {
        const float *x0 = x + (size_t)j * ldx, *x1 = x0 + ldx, *x2 = x1 + ldx, *x3 = x2 + ldx;
        const float *x4 = x3 + ldx, *x5 = x4 + ldx, *x6 = x5 + ldx, *x7 = x6 + ldx;
        float a0 = a[j], a1 = a[j + 1], a2 = a[j + 2], a3 = a[j + 3];
        float a4 = a[j + 4], a5 = a[j + 5], a6 = a[j + 6], a7 = a[j + 7];
        for (i = 0; i < n; i++)
            y[i] = y[i] + a0 * x0[i] + a1 * x1[i] + a2 * x2[i] + a3 * x3[i]
                        + a4 * x4[i] + a5 * x5[i] + a6 * x6[i] + a7 * x7[i];
    }
    for (; j + 4 <= m; j += 4) {
        const float *x0 = x + (size_t)j * ldx, *x1 = x0 + ldx, *x2 = x1 + ldx, *x3 = x2 + ldx;
        float a0 = a[j], a1 = a[j + 1], a2 = a[j + 2], a3 = a[j + 3];
        for (i = 0; i < n; i++) y[i] = y[i] + a0 * x0[i] + a1 * x1[i] + a2 * x2[i] + a3 * x3[i];
    }
    for (; j < m; j++) {
        const float *x0 = x + (size_t)j * ldx;
        float a0 = a[j];
        for (i = 0; i < n; i++) y[i] += a0 * x0[i];
    }
}

#endif /* TINYGPT_IMPLEMENTATION_DONE */
#endif /* TINYGPT_IMPLEMENTATION */

/*
------------------------------------------------------------------------------
MIT License

Copyright (c) 2026 the tinygpt authors

Permission is hereby granted, free of charge, to any person obtaining a copy of
this software and associated documentation files (the "Software"), to deal in
the Software without restriction, including without limitation the rights to
use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies
of the Software, and to permit persons to whom the Software is furnished to do
so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
------------------------------------------------------------------------------
*/
