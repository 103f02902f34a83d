/* train_shakespeare.c - train a character-level GPT on a text file with tinygpt.h.
   Every hyperparameter is a flag named as in nanoGPT; see ./train_shakespeare --help.
       make examples && ./train_shakespeare                  (data/tinyshakespeare.txt)
       ./train_shakespeare --data my.txt --max_iters 500 --out my.bin
       ./train_shakespeare --resume ckpt.bin                 (continue a run; Ctrl-C saves)
       ./train_shakespeare --init_from ckpt.bin --data my.txt --out tuned.bin --log tuned.csv
                                                             (fine-tune: its weights, new hyperparameters)
   Writes a checkpoint (FORMAT.md v1) at every eval, a CSV log of the losses (one row per
   logged step) and an SVG plot of them next to the log, redrawn at every eval.
   A fresh run refuses to replace an existing checkpoint or log unless given --overwrite. */
#define _POSIX_C_SOURCE 200809L  /* before any header: clock_gettime, sigaction, common.h's calls */
#include "hugepages.h"  /* before other headers: 2 MiB pages for the big buffers (see the file) */
#define TINYGPT_IMPLEMENTATION
#include "tinygpt.h"
#include "common.h"
#include "lossplot.h"

#include <signal.h>

/* ================================================================ defaults (tune here) */

#define DEFAULT_BATCH_SIZE     32
#define DEFAULT_BLOCK_SIZE     128
#define DEFAULT_N_LAYER        4
#define DEFAULT_N_HEAD         4
#define DEFAULT_N_EMBD         256
#define DEFAULT_DROPOUT        0.0
#define DEFAULT_LEARNING_RATE  2e-3
#define DEFAULT_MIN_LR         2e-4
#define DEFAULT_WEIGHT_DECAY   0.1
#define DEFAULT_BETA1          0.9
#define DEFAULT_BETA2          0.95
#define DEFAULT_GRAD_CLIP      1.0
#define DEFAULT_WARMUP_ITERS   100
#define DEFAULT_MAX_ITERS      2000
#define DEFAULT_EVAL_INTERVAL  250
#define DEFAULT_EVAL_ITERS     20
#define DEFAULT_LOG_INTERVAL   10
#define DEFAULT_SAMPLE_CHARS   200
#define DEFAULT_FINAL_SAMPLE_CHARS 500
#define DEFAULT_SEED           1337
#define DEFAULT_DATA           "data/tinyshakespeare.txt"
#define DEFAULT_OUT            "ckpt.bin"
#define DEFAULT_LOG            "train_log.csv"

/* ================================================================ small helpers */

/* Wall-clock seconds from an arbitrary origin. (_POSIX_TIMERS lives in <unistd.h>,
   so test for the clock itself; clock() is CPU time, a rough fallback.) */
static double now_seconds(void)
{
#if defined(CLOCK_MONOTONIC)
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) == 0)
        return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
#endif
    return (double)clock() / CLOCKS_PER_SEC;
}

/* "25m43s", "1h02m03s", "7s" */
static void format_duration(double seconds, char *out, size_t size)
{
    long s = seconds > 0 && seconds < 1e9 ? (long)(seconds + 0.5) : 0;
    if (s >= 3600)
        snprintf(out, size, "%ldh%02ldm%02lds", s / 3600, s / 60 % 60, s % 60);
    else if (s >= 60)
        snprintf(out, size, "%ldm%02lds", s / 60, s % 60);
    else
        snprintf(out, size, "%lds", s);
}

/* ================================================================ flags */

typedef struct options {
    int batch_size, block_size, n_layer, n_head, n_embd;
    float dropout, learning_rate, min_lr, weight_decay, beta1, beta2, grad_clip;
    int max_iters, warmup_iters, eval_interval, eval_iters, log_interval, sample_chars, threads;
    int final_sample_chars;
    unsigned long long seed;
    const char *data, *out, *log, *resume, *init_from;
    int overwrite;
    unsigned char given[32];  /* given[i]: flag FLAGS[i] was on the command line */
} options;

#define OPT(field) offsetof(options, field)
static const flag FLAGS[] = {
    /* name           type         value               min  max       range help */
    {"batch_size",    FLAG_INT,    OPT(batch_size),    1, INT_MAX,  NULL, "sequences per training step"},
    {"block_size",    FLAG_INT,    OPT(block_size),    1, INT_MAX,  NULL, "context length in characters"},
    {"n_layer",       FLAG_INT,    OPT(n_layer),       1, INT_MAX,  NULL, "transformer blocks"},
    {"n_head",        FLAG_INT,    OPT(n_head),        1, INT_MAX,  NULL, "attention heads; must divide n_embd"},
    {"n_embd",        FLAG_INT,    OPT(n_embd),        1, INT_MAX,  NULL, "embedding width"},
    {"dropout",       FLAG_REAL,   OPT(dropout),       0, 1,        "[)", "dropout probability in training"},
    {"learning_rate", FLAG_REAL,   OPT(learning_rate), 0, HUGE_VAL, "[)", "peak learning rate, after warmup"},
    {"max_iters",     FLAG_INT,    OPT(max_iters),     0, INT_MAX,  NULL, "last step; also the lr schedule length"},
    {"warmup_iters",  FLAG_INT,    OPT(warmup_iters),  0, INT_MAX,  NULL, "steps of linear lr warmup"},
    {"min_lr",        FLAG_REAL,   OPT(min_lr),        0, HUGE_VAL, "[)", "lr at the end of the cosine decay"},
    {"weight_decay",  FLAG_REAL,   OPT(weight_decay),  0, HUGE_VAL, "[)", "AdamW weight decay (2-D weights)"},
    {"beta1",         FLAG_REAL,   OPT(beta1),         0, 1,        "[)", "AdamW beta1"},
    {"beta2",         FLAG_REAL,   OPT(beta2),         0, 1,        "[)", "AdamW beta2"},
    {"grad_clip",     FLAG_REAL,   OPT(grad_clip),     0, HUGE_VAL, "[)", "max gradient norm; 0 = no clipping"},
    {"eval_interval", FLAG_INT,    OPT(eval_interval), 0, INT_MAX,  NULL, "eval, sample, save every N; 0 = at end"},
    {"eval_iters",    FLAG_INT,    OPT(eval_iters),    1, INT_MAX,  NULL, "batches per loss estimate"},
    {"seed",          FLAG_U64,    OPT(seed),          0, 0,        NULL, "seed for init, batches and dropout"},
    {"data",          FLAG_FILE,   OPT(data),          0, 0,        NULL, "UTF-8 text: 90% train, 10% val"},
    {"out",           FLAG_FILE,   OPT(out),           0, 0,        NULL, "checkpoint to write; resume: same file"},
    {"log",           FLAG_FILE,   OPT(log),           0, 0,        NULL, "CSV: step,train_loss,val_loss,elapsed_s; the SVG plot beside it takes its name"},
    {"resume",        FLAG_FILE,   OPT(resume),        0, 0,        NULL, "checkpoint to continue training (default: none)"},
    {"init_from",     FLAG_FILE,   OPT(init_from),     0, 0,        NULL, "checkpoint whose weights and vocabulary start a new run "
                                                                             "(fine-tuning; its shape, fresh optimizer; default: none)"},
    {"overwrite",     FLAG_SWITCH, OPT(overwrite),     0, 0,        NULL, "let a fresh run replace an existing --out and --log"},
    {"threads",       FLAG_INT,    OPT(threads),       0, INT_MAX,  NULL, "worker threads; 0 = library default"},
    {"log_interval",  FLAG_INT,    OPT(log_interval),  1, INT_MAX,  NULL, "print progress every N steps"},
    {"sample_chars",  FLAG_INT,    OPT(sample_chars),  0, INT_MAX,  NULL, "characters sampled at each eval; 0 = none"},
    {"final_sample_chars", FLAG_INT, OPT(final_sample_chars), 0, INT_MAX, NULL,
     "characters sampled at the end (temperature 0.8, top_k 40); 0 = none"},
};
#define N_FLAGS (sizeof FLAGS / sizeof FLAGS[0])
typedef char flags_fit_in_options_given[N_FLAGS <= sizeof(((options *)0)->given) ? 1 : -1];
static const flag_table TABLE = {
    "./train_shakespeare", "Trains a character-level GPT on a text file; Ctrl-C saves and stops.",
    FLAGS, (int)N_FLAGS};

/* The flags a checkpoint owns: with --resume, its values win. */
static const char *const FROM_CHECKPOINT[] = {
    "batch_size", "block_size", "n_layer", "n_head", "n_embd", "dropout", "learning_rate",
    "warmup_iters", "min_lr", "weight_decay", "beta1", "beta2", "grad_clip", "seed"};

static void default_options(options *o)
{
    memset(o, 0, sizeof *o);
    o->batch_size = DEFAULT_BATCH_SIZE;       o->block_size = DEFAULT_BLOCK_SIZE;
    o->n_layer = DEFAULT_N_LAYER;             o->n_head = DEFAULT_N_HEAD;
    o->n_embd = DEFAULT_N_EMBD;               o->dropout = DEFAULT_DROPOUT;
    o->learning_rate = DEFAULT_LEARNING_RATE; o->min_lr = DEFAULT_MIN_LR;
    o->weight_decay = DEFAULT_WEIGHT_DECAY;   o->beta1 = DEFAULT_BETA1;
    o->beta2 = DEFAULT_BETA2;                 o->grad_clip = DEFAULT_GRAD_CLIP;
    o->max_iters = DEFAULT_MAX_ITERS;         o->warmup_iters = DEFAULT_WARMUP_ITERS;
    o->eval_interval = DEFAULT_EVAL_INTERVAL; o->eval_iters = DEFAULT_EVAL_ITERS;
    o->log_interval = DEFAULT_LOG_INTERVAL;   o->sample_chars = DEFAULT_SAMPLE_CHARS;
    o->seed = DEFAULT_SEED;                   o->threads = 0;
    o->data = DEFAULT_DATA;                   o->out = DEFAULT_OUT;
    o->log = DEFAULT_LOG;                     o->resume = "";
    o->init_from = "";                        o->final_sample_chars = DEFAULT_FINAL_SAMPLE_CHARS;
}

static int given(const options *o, const char *name)
{
    return o->given[flag_index(&TABLE, name, strlen(name))];
}

static void parse_args(int argc, char **argv, options *o)
{
    default_options(o);
    parse_flags(&TABLE, argc, argv, o, o->given);
    if (*o->resume && *o->init_from)
        fail("--resume and --init_from together: --resume %s continues that run exactly (its optimizer, "
             "step and hyperparameters); --init_from %s starts a new run from its weights. Pass one of them",
             o->resume, o->init_from);
    if (*o->resume && !given(o, "out")) o->out = o->resume;  /* continue the same file */
}

/* ================================================================ Ctrl-C */

static volatile sig_atomic_t g_interrupted = 0;

static void on_sigint(int sig)
{
    g_interrupted = 1;
#if !defined(SA_RESTART)
    signal(sig, on_sigint);  /* plain signal() may reset the handler on delivery */
#else
    (void)sig;
#endif
}

/* With POSIX sigaction the handler stays installed (a second Ctrl-C cannot kill
   us half-way) and interrupted writes restart; elsewhere, plain signal(). */
static void catch_sigint(void)
{
#if defined(SA_RESTART)
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGINT, &sa, NULL);
#else
    signal(SIGINT, on_sigint);
#endif
}

/* ================================================================ setup */

typedef struct run {
    options       opt;
    tinygpt_model model;
    int32_t      *tokens;           /* [n_train + n_val] the encoded text */
    size_t        n_train, n_val;
    int32_t      *x, *y;            /* [B*T] one batch of inputs and targets */
    int           B, T;
    uint64_t      max_iters;
    FILE         *csv;
    char          svg[4096];        /* the loss plot, next to the log ("" if its name is too long) */
    char          title[160];       /* the plot's title: the data file and the model's shape */
    double        t_start;          /* when this process started */
    double        elapsed_before;   /* a resumed run: the log's last elapsed_s */
    double        flops_per_step;   /* see step_flops */
    double        interval_seconds; /* time in training steps since the last log line */
    double        interval_loss;    /* sum of their losses */
    int           interval_steps;
    double        logged_loss;      /* mean train loss of the interval the last log line closed */
    uint64_t      start_step;       /* the step this process started training from */
    double        train_seconds;    /* time in training steps, this process */
    double        eval_seconds;     /* time in evals (with their sample, save and plot), this process */
    int           n_evals;
    int           evaluated;        /* an eval ran at evaluated_step */
    uint64_t      evaluated_step;
    float         val_loss;         /* from the last eval */
    int           have_best;        /* best_val: the lowest val loss of this run (the log's, when resumed) */
    float         best_val;
    uint64_t      best_step;
    int           have_init_val;    /* --init_from: the loss before fine-tuning */
    float         init_val;
} run;

static unsigned long long ull(uint64_t v) { return (unsigned long long)v; }
static int clamp_int(uint64_t v) { return v > INT_MAX ? INT_MAX : (int)v; }

/* The SVG loss plot's path, next to the log: 1, or 0 when the path is too long. */
static int plot_path(const char *log, char *svg, size_t size)
{
    return lossplot_svg_path_for(log, svg, size) == 0;
}

/* Refuses, before anything is read, built or written, a run that would destroy
   a file: two flags naming one file, a fresh run over an existing checkpoint or
   log (unless --overwrite), --out naming a folder. And fails now, not after the
   first eval, if --out or --log cannot be written. */
static void check_paths(const options *o)
{
    const char *resume = *o->resume ? o->resume : NULL, *init = *o->init_from ? o->init_from : NULL;
    char folder[4096], svg[4096];
    file_kind out = file_kind_of(o->out), log = file_kind_of(o->log);
    refuse_same_file("out", o->out, "data", o->data);
    refuse_same_file("log", o->log, "data", o->data);
    if (resume) refuse_same_file("log", o->log, "resume", resume);
    if (init) refuse_same_file("log", o->log, "init_from", init);
    if (init) refuse_same_file("data", o->data, "init_from", init);
    refuse_same_file("out", o->out, "log", o->log);
    if (resume) check_readable("--resume", resume);
    if (init) check_readable("--init_from", init);

    /* The loss plot is written next to the log: it must not be any input or the checkpoint. */
    if (plot_path(o->log, svg, sizeof svg)) {
        const char *names[4], *files[4];
        int i, n = 0;
        names[n] = "--data"; files[n++] = o->data;
        names[n] = "--out"; files[n++] = o->out;
        if (resume) { names[n] = "--resume"; files[n++] = resume; }
        if (init) { names[n] = "--init_from"; files[n++] = init; }
        for (i = 0; i < n; i++)
            if (same_file(svg, files[i]))
                fail("the loss plot %s (named after --log %s) and %s name the same file: choose another --log",
                     svg, o->log, names[i]);
    }

    if (out == FILE_DIRECTORY || *split_path(o->out, folder, sizeof folder) == '\0')
        fail("--out %s is a folder: name the checkpoint file to write", o->out);
    if (out == FILE_OTHER) fail("--out %s is not a regular file", o->out);
    if (out == FILE_REGULAR && !o->overwrite && !(resume && same_file(o->out, resume))) {
        if (init && same_file(o->out, init))
            fail("--out %s is the checkpoint --init_from starts from: name another --out for the new run "
                 "(or pass --overwrite to replace it)", o->out);
        if (resume)
            fail("--out %s already exists and is not the checkpoint resumed: pass --overwrite to replace it",
                 o->out);
        fail("--out %s already exists: pass --resume %s to continue training it, or --overwrite to "
             "replace it", o->out, o->out);
    }
    probe_folder("out", o->out);  /* tinygpt_save creates its temp file there */

    if (log == FILE_DIRECTORY) fail("--log %s is a folder: name the CSV file to write", o->log);
    if (log == FILE_REGULAR && !resume && !o->overwrite)
        fail("--log %s already exists: a fresh run would truncate it; pass --overwrite to replace it "
             "(a run with --resume appends to it)", o->log);
    if (log == FILE_REGULAR) {  /* "ab" never truncates */
        FILE *f;
        errno = 0;
        if (!(f = fopen(o->log, "ab"))) fail("cannot open --log %s for writing: %s", o->log, why());
        fclose(f);
    } else if (log == FILE_MISSING) {
        probe_folder("log", o->log);
    }
}

/* Where the default corpus comes from (the Makefile's `make data` fetches the same file). */
#define CORPUS_URL "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt"

static void load_text(const options *o, char **text, size_t *len)
{
    tinygpt_error err;
    if (!given(o, "data") && file_kind_of(o->data) == FILE_MISSING) {
        fflush(stdout);
        fprintf(stderr,
                "error: " DEFAULT_DATA " not found. It is tiny Shakespeare (1.1 MB), from\n"
                "    " CORPUS_URL "\n"
                "Download it to " DEFAULT_DATA " (run this from the repository's top folder):\n"
                "    mkdir -p data && curl -fL -o " DEFAULT_DATA " " CORPUS_URL "\n"
                "or  mkdir -p data && wget -O " DEFAULT_DATA " " CORPUS_URL "\n"
                "(offline: copy the file there by any means), or train on your own UTF-8 text:\n"
                "    ./train_shakespeare --data my_text.txt\n");
        exit(1);
    }
    check_readable("--data", o->data);
    if (tinygpt_read_file(o->data, text, len, &err) != 0) fail("%s", err.message);
}

/* The model shape the flags ask for, over a vocabulary of vocab_size. */
static tinygpt_config config_from_options(const options *o, int vocab_size)
{
    tinygpt_config cfg;
    cfg.vocab_size = vocab_size;
    cfg.block_size = o->block_size;
    cfg.n_layer = o->n_layer;
    cfg.n_head = o->n_head;
    cfg.n_embd = o->n_embd;
    return cfg;
}

static void create_model(run *r, const tinygpt_config *cfg, const tinygpt_vocab *vocab)
{
    const options *o = &r->opt;
    tinygpt_train_config tc = tinygpt_train_config_default();
    tinygpt_error err;
    tc.learning_rate = o->learning_rate;
    tc.min_lr = o->min_lr;
    tc.beta1 = o->beta1;
    tc.beta2 = o->beta2;
    tc.weight_decay = o->weight_decay;
    tc.grad_clip = o->grad_clip;
    tc.dropout = o->dropout;
    tc.warmup_steps = (uint32_t)o->warmup_iters;
    tc.batch_size = (uint32_t)o->batch_size;
    tc.max_steps = (uint64_t)o->max_iters;
    tc.seed = o->seed;
    if (tinygpt_model_create(&r->model, cfg, vocab, &tc, &err) != 0) fail("%s", err.message);
    r->max_iters = (uint64_t)o->max_iters;
}

/* The options a checkpoint implies (for the flags it owns). */
static void checkpoint_options(const tinygpt_model *m, options *ck)
{
    if (m->train.batch_size) ck->batch_size = clamp_int(m->train.batch_size);
    ck->block_size = m->config.block_size;
    ck->n_layer = m->config.n_layer;
    ck->n_head = m->config.n_head;
    ck->n_embd = m->config.n_embd;
    ck->dropout = m->train.dropout;
    ck->learning_rate = m->train.learning_rate;
    ck->min_lr = m->train.min_lr;
    ck->weight_decay = m->train.weight_decay;
    ck->beta1 = m->train.beta1;
    ck->beta2 = m->train.beta2;
    ck->grad_clip = m->train.grad_clip;
    ck->warmup_iters = clamp_int(m->train.warmup_steps);
    ck->seed = m->train.seed;
}

/* Takes the checkpoint's value of every flag it owns, noting flags that lose. */
static void adopt_checkpoint(options *o, const options *ck)
{
    char a[64], b[64];
    size_t i;
    for (i = 0; i < sizeof FROM_CHECKPOINT / sizeof FROM_CHECKPOINT[0]; i++) {
        int k = flag_index(&TABLE, FROM_CHECKPOINT[i], strlen(FROM_CHECKPOINT[i]));
        const flag *f = &FLAGS[k];
        size_t size = f->type == FLAG_REAL ? sizeof(float)
                    : f->type == FLAG_U64  ? sizeof(unsigned long long) : sizeof(int);
        if (o->given[k] && strcmp(flag_value_text(o, f, a), flag_value_text(ck, f, b)) != 0)
            printf("note: --%s %s ignored: the checkpoint has %s\n", f->name, a, b);
        memcpy(flag_field(o, f), (const char *)ck + f->offset, size);
    }
}

static void resume_model(run *r)
{
    tinygpt_model *m = &r->model;
    options ck = r->opt;
    tinygpt_error err;
    if (tinygpt_load(m, r->opt.resume, &err) != 0) fail("%s", err.message);
    if (given(&r->opt, "max_iters") || m->train.max_steps == 0)
        r->max_iters = (uint64_t)r->opt.max_iters;
    else
        r->max_iters = m->train.max_steps;
    printf("resuming %s at step %llu of %llu\n", r->opt.resume, ull(m->step), ull(r->max_iters));
    checkpoint_options(m, &ck);
    adopt_checkpoint(&r->opt, &ck);
    m->train.batch_size = (uint32_t)r->opt.batch_size;  /* in case it was 0 (unknown) */
    if (m->step >= r->max_iters)
        printf("note: nothing to train (already at step %llu); pass a larger --max_iters\n", ull(m->step));
    else if (m->train.max_steps != 0 && r->max_iters > m->train.max_steps)
        printf("note: keeping the checkpoint's lr schedule (max_steps %llu); step %llu will use lr %.2e\n",
               ull(m->train.max_steps), ull(r->max_iters), (double)tinygpt_lr(&m->train, r->max_iters - 1));
}

/* --init_from: the checkpoint's shape, weights and vocabulary, into *init;
   every other setting comes from the flags. A shape flag that disagrees with
   the checkpoint is refused (the weights fix the shape). */
static void load_init(run *r, tinygpt_model *init)
{
    static const char *const SHAPE[] = {"block_size", "n_layer", "n_head", "n_embd"};
    options *o = &r->opt, ck = r->opt;
    tinygpt_error err;
    char a[64], b[64];
    size_t i;
    if (tinygpt_load(init, o->init_from, &err) != 0) fail("%s", err.message);
    ck.block_size = init->config.block_size;
    ck.n_layer = init->config.n_layer;
    ck.n_head = init->config.n_head;
    ck.n_embd = init->config.n_embd;
    for (i = 0; i < sizeof SHAPE / sizeof SHAPE[0]; i++) {
        int k = flag_index(&TABLE, SHAPE[i], strlen(SHAPE[i]));
        const flag *f = &FLAGS[k];
        if (o->given[k] && strcmp(flag_value_text(o, f, a), flag_value_text(&ck, f, b)) != 0)
            fail("--%s %s: --init_from %s has %s %s, and a run from a checkpoint keeps its shape "
                 "(block_size %d, n_layer %d, n_head %d, n_embd %d). Drop --%s, or train a new model "
                 "without --init_from", f->name, a, o->init_from, f->name, b, ck.block_size, ck.n_layer,
                 ck.n_head, ck.n_embd, f->name);
    }
    o->block_size = ck.block_size;
    o->n_layer = ck.n_layer;
    o->n_head = ck.n_head;
    o->n_embd = ck.n_embd;
    printf("fine-tuning from %s (trained %llu steps): its weights and vocabulary of %d characters; "
           "the other settings from the flags, a fresh optimizer and lr schedule from step 0\n",
           o->init_from, ull(init->step), init->vocab.size);
}

/* The new model takes the checkpoint's weights (the same shape: the same FORMAT.md order). */
static void copy_weights(run *r, const tinygpt_model *init)
{
    if (r->model.num_params != init->num_params)
        fail("--init_from %s: %lu parameters, but the model built from its shape has %lu",
             r->opt.init_from, (unsigned long)init->num_params, (unsigned long)r->model.num_params);
    memcpy(r->model.params, init->params, init->num_params * sizeof(float));
}

static void encode_corpus(run *r, const tinygpt_vocab *vocab, const char *text, size_t len)
{
    const char *ckpt = *r->opt.resume ? r->opt.resume : *r->opt.init_from ? r->opt.init_from : NULL;
    tinygpt_error err;
    size_t n = 0;
    if (len > SIZE_MAX / sizeof(int32_t)) fail("%s is too large", r->opt.data);
    if (ckpt) {  /* every character the text has must be in the checkpoint's vocabulary: name those that are not */
        char list[1024];
        long missing = vocab_missing_chars(vocab, text, len, list, sizeof list);
        if (missing < 0) fail("%s: %s", r->opt.data, list);
        if (missing > 0)
            fail("%s has %ld character%s not in the vocabulary of %s (%d characters): %s. A run from a "
                 "checkpoint can only train on text written in its characters; edit them out of the "
                 "text, or train a new model on it without --%s",
                 r->opt.data, missing, missing == 1 ? "" : "s", ckpt, vocab->size, list,
                 *r->opt.resume ? "resume" : "init_from");
    }
    r->tokens = (int32_t *)malloc((len ? len : 1) * sizeof(int32_t));
    if (!r->tokens) fail("out of memory encoding %s", r->opt.data);
    if (tinygpt_encode(vocab, text, len, r->tokens, &n, &err) != 0) fail("%s: %s", r->opt.data, err.message);
    r->n_train = tinygpt_train_split(n);
    r->n_val = n - r->n_train;
}

static void check_split(const char *name, size_t n, int T)
{
    if (n < (size_t)T + 1)
        fail("the %s split has %lu tokens but needs at least block_size+1 = %lu "
             "(use a longer text or a smaller --block_size)", name, (unsigned long)n, (unsigned long)T + 1);
}

/* Fails now, before the model is built, if the run cannot fit in memory. */
static void check_memory(const tinygpt_config *cfg, int B)
{
    size_t need = tinygpt_train_memory(cfg, B);
    double have = physical_memory(), GiB = 1024.0 * 1024.0 * 1024.0;
    if (need == 0)
        fail("a run of batch_size %d, block_size %d, n_layer %d, n_embd %d needs more memory than "
             "this machine can address: use smaller values", B, cfg->block_size, cfg->n_layer, cfg->n_embd);
    if (have > 0 && (double)need > have)
        fail("this run needs %.2f GiB (parameters, gradients, AdamW moments and the activations of a "
             "%d x %d batch) but the machine has %.2f GiB of memory: use a smaller --batch_size, "
             "--block_size, --n_embd or --n_layer", (double)need / GiB, B, cfg->block_size, have / GiB);
}

static void alloc_batch(run *r)
{
    size_t n = (size_t)r->B * (size_t)r->T;
    if (n / (size_t)r->B != (size_t)r->T || n > SIZE_MAX / sizeof(int32_t))
        fail("batch_size * block_size is too large");
    r->x = (int32_t *)malloc(n * sizeof(int32_t));
    r->y = (int32_t *)malloc(n * sizeof(int32_t));
    if (!r->x || !r->y) fail("out of memory for a batch of %d x %d tokens", r->B, r->T);
}

/* A fresh run writes a new log (check_paths made sure it may); a resumed one
   appends to the log when it exists. */
/* The index of column `name` in a CSV header line, or -1. */
static int csv_column(const char *header, const char *name)
{
    size_t n = strlen(name);
    int col = 0;
    const char *p = header;
    for (;;) {
        size_t len = strcspn(p, ",\r");
        if (len == n && strncmp(p, name, n) == 0) return col;
        if (p[len] != ',') return -1;
        p += len + 1;
        col++;
    }
}

/* Field `col` of a CSV line as a number: 1, or 0 when it is missing, empty or not a number. */
static int csv_number(const char *line, int col, double *out)
{
    const char *p = line;
    char *end;
    int i;
    if (col < 0) return 0;
    for (i = 0; i < col; i++) {
        p = strchr(p, ',');
        if (!p) return 0;
        p++;
    }
    if (*p == ',' || *p == '\r' || *p == '\0') return 0;
    *out = strtod(p, &end);
    return end != p && (*end == ',' || *end == '\r' || *end == '\0') && *out == *out && fabs(*out) < 1e300;
}

/* A resumed run continues its log: elapsed time goes on from the log's last
   elapsed_s, and the best val loss so far is the log's best up to the
   checkpoint's step (a log may hold rows past it, from a run that stopped
   after its last save). A last line without its newline, a write cut short,
   is dropped. Returns 1 when the log has a header line. */
static int read_log_history(run *r)
{
    const char *path = r->opt.log;
    char *text = NULL, *line;
    size_t len = 0, complete;
    int col_step = -1, col_val = -1, col_elapsed = -1, have_header = 0;
    tinygpt_error err;
    if (tinygpt_read_file(path, &text, &len, &err) != 0) fail("%s", err.message);
    for (complete = len; complete > 0 && text[complete - 1] != '\n'; complete--) {}
    if (complete < len) {
        int cut = 0;
#if defined(FILES_POSIX)
        cut = truncate(path, (off_t)complete) == 0;
#endif
        if (!cut) {  /* elsewhere: end it, so the next row starts on a line of its own */
            FILE *f = fopen(path, "ab");
            if (f) { fputc('\n', f); fclose(f); }
        }
        printf("note: %s ended in an unfinished line (%s)\n", path,
               cut ? "dropped" : "ended with a newline; the plot will name it");
    }
    text[complete] = '\0';
    for (line = text; *line; ) {
        char *next = strchr(line, '\n');
        double step, val, elapsed;
        if (next) *next = '\0';
        if (*line && *line != '\r') {
            if (!have_header) {
                if (line == text && (unsigned char)line[0] == 0xEF && (unsigned char)line[1] == 0xBB &&
                    (unsigned char)line[2] == 0xBF)
                    line += 3;  /* a BOM */
                col_step = csv_column(line, "step");
                col_val = csv_column(line, "val_loss");
                col_elapsed = csv_column(line, "elapsed_s");
                have_header = 1;
            } else {
                if (csv_number(line, col_elapsed, &elapsed) && elapsed >= 0) r->elapsed_before = elapsed;
                if (csv_number(line, col_step, &step) && step <= (double)r->model.step &&
                    csv_number(line, col_val, &val) && (!r->have_best || val < r->best_val)) {
                    r->have_best = 1;
                    r->best_val = (float)val;
                    r->best_step = (uint64_t)step;
                }
            }
        }
        if (!next) break;
        line = next + 1;
    }
    tinygpt_free(text);
    if (have_header && col_elapsed < 0)
        printf("note: %s has no elapsed_s column; elapsed time starts again from 0\n", path);
    return have_header;
}

static void open_log(run *r)
{
    const char *path = r->opt.log;
    int append = *r->opt.resume && file_kind_of(path) != FILE_MISSING;
    int header = !append || !read_log_history(r);
    errno = 0;
    r->csv = fopen(path, append ? "a" : "w");
    if (!r->csv) fail("cannot open %s for writing: %s", path, why());
    if (header) fprintf(r->csv, "step,train_loss,val_loss,elapsed_s\n");
    if (fflush(r->csv) != 0) fail("cannot write %s: %s", path, why());
}

static void setup(run *r)
{
    const options *o = &r->opt;
    tinygpt_vocab vocab = {0};  /* tinygpt_vocab_build fills a zeroed (or live) vocabulary */
    tinygpt_model init = {0};   /* --init_from's checkpoint */
    tinygpt_config cfg;
    tinygpt_error err;
    char *text = NULL;
    size_t len = 0;
    check_paths(o);
    load_text(o, &text, &len);
    if (*o->resume) {
        resume_model(r);  /* the checkpoint's vocabulary, shape and batch size */
        cfg = r->model.config;
    } else if (*o->init_from) {
        load_init(r, &init);  /* the checkpoint's vocabulary and shape */
        cfg = init.config;
    } else {
        if (tinygpt_vocab_build(&vocab, text, len, &err) != 0) fail("%s: %s", o->data, err.message);
        cfg = config_from_options(o, vocab.size);
        if (tinygpt_config_check(&cfg, &err) != 0) fail("%s", err.message);
    }
    encode_corpus(r, *o->resume ? &r->model.vocab : *o->init_from ? &init.vocab : &vocab, text, len);
    tinygpt_free(text);
    r->B = o->batch_size;
    r->T = cfg.block_size;
    check_split("train", r->n_train, r->T);
    check_split("validation", r->n_val, r->T);
    check_memory(&cfg, r->B);
    if (*o->init_from) {
        create_model(r, &cfg, &init.vocab);
        copy_weights(r, &init);
        tinygpt_model_free(&init);
    } else if (!*o->resume) {
        create_model(r, &cfg, &vocab);
    }
    tinygpt_vocab_free(&vocab);
    r->model.threads = o->threads;
    alloc_batch(r);
    open_log(r);
}

static void print_header(const run *r)
{
    const tinygpt_model *m = &r->model;
    const tinygpt_train_config *t = &m->train;
    printf("tinygpt: %lu parameters (%.2fM) | vocab %d | tokens: train %lu, val %lu\n",
           (unsigned long)m->num_params, (double)m->num_params / 1e6, m->config.vocab_size,
           (unsigned long)r->n_train, (unsigned long)r->n_val);
    printf("config: n_layer %d, n_head %d, n_embd %d, block_size %d, batch_size %d, dropout %g, "
           "learning_rate %g, min_lr %g, warmup_iters %lu, max_iters %llu, weight_decay %g, "
           "beta1 %g, beta2 %g, grad_clip %g, seed %llu\n",
           m->config.n_layer, m->config.n_head, m->config.n_embd, m->config.block_size, r->B,
           (double)t->dropout, (double)t->learning_rate, (double)t->min_lr,
           (unsigned long)t->warmup_steps, ull(r->max_iters), (double)t->weight_decay,
           (double)t->beta1, (double)t->beta2, (double)t->grad_clip, ull(t->seed));
    fflush(stdout);
}

/* ================================================================ logging */

/* Floating-point operations of one training step of B sequences of T tokens,
   counting the matrix products only, at 2 per multiply-add (an M x K by K x N
   product is 2*M*N*K). Forward, per token: each layer's four linear maps,
   qkv (C -> 3C), the attention output (C -> C), the MLP's C -> 4C and 4C -> C,
   12*C^2 multiply-adds in all, and lm_head's C*V. Attention, per sequence,
   layer and head: query t scores t+1 keys (q.k) and sums t+1 values (p.v),
   each hs multiply-adds, so 2 * hs * T(T+1)/2 over the causal triangle, which
   is all the library computes; over the H heads, C*T(T+1). Backward does each
   product twice (the gradient for each of its two operands), so a step is 3x
   the forward:
       6 * B*T * (12*L*C^2 + C*V)  +  6 * B * L * C * T(T+1)
   Not counted: LayerNorm, GELU, softmax, dropout, the embeddings, the loss
   and AdamW (a few operations per activation or parameter). */
static double step_flops(const tinygpt_config *c, int B, int T)
{
    double L = c->n_layer, C = c->n_embd, V = c->vocab_size, N = (double)B * T;
    double linear = 2.0 * N * (12.0 * L * C * C + C * V);
    double attention = 2.0 * B * L * C * (double)T * (T + 1.0);
    return 3.0 * (linear + attention);
}

/* Seconds since the run started: this process's time, plus the earlier
   sessions' when resumed (the log's last elapsed_s). */
static double elapsed(const run *r)
{
    return r->elapsed_before + (now_seconds() - r->t_start);
}

static void csv_row(run *r, double train_loss, const char *val_loss)
{
    errno = 0;
    fprintf(r->csv, "%llu,%.6f,%s,%.3f\n", ull(r->model.step), train_loss, val_loss, elapsed(r));
    if (fflush(r->csv) != 0) fail("cannot write %s: %s", r->opt.log, why());
}

/* The steps in (after, max_iters] that end with an eval. */
static uint64_t evals_after(const run *r, uint64_t after)
{
    uint64_t every = (uint64_t)r->opt.eval_interval, n;
    if (after >= r->max_iters) return 0;
    if (every == 0) return 1;  /* the one at the end */
    n = r->max_iters / every - after / every;
    return n + (r->max_iters % every != 0);
}

/* Seconds left: the remaining steps at this process's average time per
   training step since it started (not the last interval's: on a shared
   machine that swings), plus the remaining evals at their average time. Before
   the first eval, an eval is taken to cost its 2 * eval_iters forward passes,
   a third of a training step each. eval_now: an eval at this step is still to come. */
static double eta_seconds(const run *r, int eval_now)
{
    uint64_t done = r->model.step - r->start_step, left = r->max_iters - r->model.step;
    double per_step = done ? r->train_seconds / (double)done : 0.0;
    double per_eval = r->n_evals ? r->eval_seconds / r->n_evals : per_step * 2.0 * r->opt.eval_iters / 3.0;
    return per_step * (double)left + per_eval * (double)(evals_after(r, r->model.step) + (eval_now ? 1 : 0));
}

/* One progress line for the steps since the last one: their mean loss, the
   lr, their speed (ms/step, tokens/s, GFLOP/s as step_flops counts them), the
   run's elapsed time and the time left. */
static void log_progress(run *r, int eval_now)
{
    double per_step = r->interval_seconds / r->interval_steps;
    double loss = r->interval_loss / r->interval_steps;
    float lr = tinygpt_lr(&r->model.train, r->model.step - 1);  /* what the last update used */
    double tok_per_s = per_step > 0 ? (double)r->B * r->T / per_step : 0.0;
    double gflops = per_step > 0 ? r->flops_per_step / per_step / 1e9 : 0.0;
    int ms_digits = per_step < 0.01 ? 2 : 0;  /* tiny models: "0.42 ms/step" */
    int width = snprintf(NULL, 0, "%llu", ull(r->max_iters));
    char eta[32], took[32];
    format_duration(elapsed(r), took, sizeof took);
    format_duration(eta_seconds(r, eval_now), eta, sizeof eta);
    printf("step %*llu/%llu | loss %.4f | lr %.2e | %.*f ms/step | %.0f tok/s | %.*f GFLOP/s | "
           "elapsed %s | eta %s\n",
           width, ull(r->model.step), ull(r->max_iters), loss, (double)lr, ms_digits, per_step * 1000.0,
           tok_per_s, gflops < 10 ? 2 : 1, gflops, took, eta);
    fflush(stdout);
    r->logged_loss = loss;
    r->interval_seconds = r->interval_loss = 0;
    r->interval_steps = 0;
}

/* Redraws the SVG loss plot from the log. A failure only warns: the plot
   never stops a run. */
static void draw_plot(run *r)
{
    char err[512];
    if (!r->svg[0]) return;
    if (lossplot_write_svg(r->opt.log, r->svg, r->title, err, sizeof err) != 0)
        fprintf(stderr, "warning: the loss plot %s was not drawn: %s\n", r->svg, err);
}

/* What the run knows before its first step: the FLOPs of a step, where the
   plot goes and its title. */
static void prepare_outputs(run *r)
{
    char folder[4096];
    const char *data = split_path(r->opt.data, folder, sizeof folder);
    const tinygpt_config *c = &r->model.config;
    r->flops_per_step = step_flops(c, r->B, r->T);
    r->start_step = r->model.step;
    if (!plot_path(r->opt.log, r->svg, sizeof r->svg)) {
        r->svg[0] = '\0';
        fprintf(stderr, "warning: no loss plot: the path of --log %s is too long\n", r->opt.log);
    }
    snprintf(r->title, sizeof r->title, "%s \xC2\xB7 %d layer%s, %d head%s, %d wide, block %d%s",
             *data ? data : r->opt.data, c->n_layer, c->n_layer == 1 ? "" : "s", c->n_head,
             c->n_head == 1 ? "" : "s", c->n_embd, c->block_size, *r->opt.init_from ? ", fine-tuned" : "");
}

/* ================================================================ evaluation */

/* Mean loss over eval_iters batches, the same batches at every eval. */
static float estimate(run *r, const int32_t *tokens, size_t n)
{
    tinygpt_rng rng;
    tinygpt_error err;
    float loss = 0;
    tinygpt_rng_seed(&rng, r->model.train.seed ^ 0x5EED);
    if (tinygpt_estimate_loss(&r->model, tokens, n, r->B, r->opt.eval_iters, &rng, &loss, &err) != 0)
        fail("estimating the loss at step %llu: %s", ull(r->model.step), err.message);
    return loss;
}

static int stream_token(void *user, int32_t token)
{
    char utf8[4];
    int n = tinygpt_token_utf8((const tinygpt_vocab *)user, token, utf8);
    if (n > 0) fwrite(utf8, 1, (size_t)n, stdout);
    fflush(stdout);
    return g_interrupted != 0;  /* Ctrl-C cuts the sample short */
}

/* Streams `chars` sampled characters after a newline (temperature 0.8, top_k 40). */
static void print_sample(run *r, int chars, uint64_t seed, const char *heading)
{
    int32_t start = tinygpt_vocab_find(&r->model.vocab, '\n');
    tinygpt_sampler sampler = tinygpt_sampler_default(seed);  /* 0.8, top 40 */
    tinygpt_error err;
    if (start < 0) start = 0;
    printf("%s\n", heading);
    fflush(stdout);
    if (tinygpt_generate(&r->model, &sampler, &start, 1, (size_t)chars, NULL, NULL, stream_token,
                         &r->model.vocab, &err) != 0)
        fprintf(stderr, "warning: sampling failed: %s\n", err.message);
    printf("\n%.*s\n", (int)strlen(heading), "----------------------------------------------------------------"
           "----------------------------------------------------------------");
}

/* A model with a NaN or infinite parameter is never saved: it would replace
   the last good checkpoint with one that cannot be trained any further. */
static void save_checkpoint(run *r)
{
    tinygpt_error err;
    size_t i;
    for (i = 0; i < r->model.num_params; i++)
        if (!(fabsf(r->model.params[i]) <= FLT_MAX))
            fail("parameter %lu is %g at step %llu; stopped without saving (%s, if any, is the last good checkpoint)",
                 (unsigned long)i, (double)r->model.params[i], ull(r->model.step), r->opt.out);
    if (tinygpt_save(&r->model, r->opt.out, 1, &err) != 0)
        fail("saving step %llu: %s", ull(r->model.step), err.message);
}

/* Estimates the train and val loss, prints them (and whether val is the best
   yet), a sample, and saves the checkpoint. The caller writes the log row. */
static void evaluate_and_save(run *r)
{
    float train_loss = estimate(r, r->tokens, r->n_train);
    r->val_loss = estimate(r, r->tokens + r->n_train, r->n_val);
    printf("step %llu: train loss %.4f, val loss %.4f", ull(r->model.step), (double)train_loss,
           (double)r->val_loss);
    if (!(fabsf(train_loss) <= FLT_MAX && fabsf(r->val_loss) <= FLT_MAX)) {  /* diverged: keep the old file */
        printf("\n");
        fail("the loss is not finite at step %llu; stopped without saving (%s, if any, is the last good checkpoint)",
             ull(r->model.step), r->opt.out);
    }
    if (!r->have_best || r->val_loss < r->best_val) {
        if (r->have_best) printf(" (best yet)");
        r->have_best = 1;
        r->best_val = r->val_loss;
        r->best_step = r->model.step;
    } else {
        printf(" (best %.4f at step %llu)", (double)r->best_val, ull(r->best_step));
    }
    printf("\n");
    if (r->opt.sample_chars > 0) print_sample(r, r->opt.sample_chars, r->model.train.seed + r->model.step,
                                              "---- sample ----");
    save_checkpoint(r);
    printf("saved %s%s%s\n", r->opt.out, r->svg[0] ? " | plot " : "", r->svg);
    fflush(stdout);
    r->evaluated = 1;
    r->evaluated_step = r->model.step;
}

/* --init_from: the loss the run starts from, as row 0 of the log. */
static void evaluate_start(run *r)
{
    char val[32];
    float train_loss = estimate(r, r->tokens, r->n_train);
    r->init_val = estimate(r, r->tokens + r->n_train, r->n_val);
    r->have_init_val = 1;
    printf("step 0: train loss %.4f, val loss %.4f (%s before fine-tuning)\n", (double)train_loss,
           (double)r->init_val, r->opt.init_from);
    fflush(stdout);
    snprintf(val, sizeof val, "%.6f", (double)r->init_val);
    csv_row(r, train_loss, val);
    draw_plot(r);
}

/* ================================================================ training */

static void train_one_step(run *r)
{
    tinygpt_error err;
    float loss = 0;
    double t0 = now_seconds();
    if (tinygpt_get_batch(r->tokens, r->n_train, r->B, r->T, &r->model.rng, r->x, r->y, &err) != 0 ||
        tinygpt_train_step(&r->model, r->x, r->y, r->B, r->T, &loss, &err) != 0)
        fail("training failed after step %llu: %s; stopped without saving", ull(r->model.step),
             err.message);
    t0 = now_seconds() - t0;
    r->interval_seconds += t0;
    r->train_seconds += t0;
    r->interval_loss += loss;
    r->interval_steps++;
}

/* Every log_interval steps a progress line and a log row; at every eval
   (every eval_interval steps, and at the last step) the progress line, the
   eval, one log row with val_loss filled, and the plot redrawn. */
static void train(run *r)
{
    while (!g_interrupted && r->model.step < r->max_iters) {
        uint64_t step;
        int eval;
        train_one_step(r);
        if (g_interrupted) break;
        step = r->model.step;
        eval = step == r->max_iters || (r->opt.eval_interval > 0 && step % (uint64_t)r->opt.eval_interval == 0);
        if (eval) {
            double t0;
            char val[32];
            log_progress(r, 1);
            t0 = now_seconds();
            evaluate_and_save(r);
            snprintf(val, sizeof val, "%.6f", (double)r->val_loss);
            csv_row(r, r->logged_loss, val);
            draw_plot(r);
            r->eval_seconds += now_seconds() - t0;
            r->n_evals++;
        } else if (step % (uint64_t)r->opt.log_interval == 0) {
            log_progress(r, 0);
            csv_row(r, r->logged_loss, "");
        }
    }
}

/* The command that continues this run. */
static void print_resume_command(const run *r)
{
    printf("./train_shakespeare --resume %s", r->opt.out);
    if (given(&r->opt, "data")) printf(" --data %s", r->opt.data);
    if (given(&r->opt, "log") || *r->opt.resume) printf(" --log %s", r->opt.log);
    printf("\n");
}

/* The end of a run: its losses, time, files, and (finished, not interrupted) a longer sample. */
static void print_summary(run *r, int interrupted)
{
    char wall[32], total[32];
    uint64_t done = r->model.step - r->start_step;
    format_duration(now_seconds() - r->t_start, wall, sizeof wall);
    format_duration(elapsed(r), total, sizeof total);
    printf("\n==== %s at step %llu of %llu ====\n", interrupted ? "stopped (Ctrl-C)" : "done",
           ull(r->model.step), ull(r->max_iters));
    if (r->have_init_val)
        printf("start val loss  %.4f (%s, before fine-tuning)\n", (double)r->init_val, r->opt.init_from);
    if (r->have_best) printf("best val loss   %.4f at step %llu\n", (double)r->best_val, ull(r->best_step));
    if (r->evaluated)
        printf("%s val loss  %.4f at step %llu\n", interrupted && r->evaluated_step != r->model.step ? "last " : "final",
               (double)r->val_loss, ull(r->evaluated_step));
    printf("wall time       %s", wall);
    if (r->elapsed_before > 0) printf(" (this session; %s since the run began)", total);
    if (done > 0 && r->train_seconds > 0)
        printf(": %llu steps, %.0f tok/s and %.2f GFLOP/s on average", ull(done),
               (double)done * r->B * r->T / r->train_seconds, (double)done * r->flops_per_step / r->train_seconds / 1e9);
    printf("\n");
    printf("checkpoint      %s (step %llu)\n", r->opt.out, ull(r->model.step));
    printf("log             %s\n", r->opt.log);
    if (r->svg[0]) printf("loss plot       %s (open it in a browser)\n", r->svg);
    if (interrupted || r->model.step < r->max_iters) {
        printf("continue with   ");
        print_resume_command(r);
    } else if (r->opt.final_sample_chars > 0 && !g_interrupted) {
        char heading[160];
        snprintf(heading, sizeof heading, "---- %d characters from step %llu (temperature 0.8, top_k 40) ----",
                 r->opt.final_sample_chars, ull(r->model.step));
        printf("\n");
        print_sample(r, r->opt.final_sample_chars, r->model.train.seed + r->model.step + 0x9E3779B97F4A7C15ULL,
                     heading);
        printf("more: ./generate %s --max_new_tokens 1000\n", r->opt.out);
    }
    fflush(stdout);
}

/* Ctrl-C: the steps since the last log row get theirs (so elapsed_s is
   right when the run is resumed), the model is saved, the plot redrawn. */
static void save_on_interrupt(run *r)
{
    signal(SIGINT, SIG_IGN);
    if (r->interval_steps > 0) {
        csv_row(r, r->interval_loss / r->interval_steps, "");
        r->interval_seconds = r->interval_loss = 0;
        r->interval_steps = 0;
    }
    if (!r->evaluated || r->evaluated_step != r->model.step)  /* else an eval just saved it */
        save_checkpoint(r);
    printf("\ninterrupted at step %llu: saved %s\n", ull(r->model.step), r->opt.out);
    draw_plot(r);
    print_summary(r, 1);
}

static void finish(run *r)
{
    if (!r->evaluated || r->evaluated_step != r->model.step) {  /* nothing was left to train */
        evaluate_and_save(r);
        draw_plot(r);
    }
    print_summary(r, 0);
}

static void cleanup(run *r)
{
    errno = 0;
    if (r->csv && fclose(r->csv) != 0) fail("cannot write %s: %s", r->opt.log, why());
    free(r->x);
    free(r->y);
    free(r->tokens);
    tinygpt_model_free(&r->model);
}

int main(int argc, char **argv)
{
    static run r;  /* zeroed */
    r.t_start = now_seconds();
    parse_args(argc, argv, &r.opt);
    setup(&r);
    prepare_outputs(&r);
    print_header(&r);
    catch_sigint();
    if (*r.opt.init_from) evaluate_start(&r);
    train(&r);
    if (g_interrupted) save_on_interrupt(&r);
    else finish(&r);
    cleanup(&r);
    return 0;
}
