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

#define DEFAULT_BATCH_SIZE     16
#define DEFAULT_BLOCK_SIZE     128
#define DEFAULT_N_LAYER        4
#define DEFAULT_N_HEAD         4
#define DEFAULT_N_EMBD         256
#define DEFAULT_DROPOUT        0.1
#define DEFAULT_LEARNING_RATE  3e-4
#define DEFAULT_MIN_LR         3e-5
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
    {"log",           FLAG_FILE,   OPT(log),           0, 0,        NULL, "CSV: step,train_loss,val_loss,elapsed_s"},
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

static void encode_corpus(run *r, const tinygpt_vocab *vocab, const char *text, size_t len)
{
    tinygpt_error err;
    size_t n = 0;
    if (len > SIZE_MAX / sizeof(int32_t)) fail("%s is too large", r->opt.data);
    r->tokens = (int32_t *)malloc((len ? len : 1) * sizeof(int32_t));
    if (!r->tokens) fail("out of memory encoding %s", r->opt.data);
    if (tinygpt_encode(vocab, text, len, r->tokens, &n, &err) != 0) {
        fail("%s: %s%s", r->opt.data, err.message,
             *r->opt.resume ? " (the checkpoint's vocabulary must cover the text)" : "");
    }
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
static void open_log(run *r)
{
    const char *path = r->opt.log;
    int append = *r->opt.resume && file_kind_of(path) != FILE_MISSING;
    errno = 0;
    r->csv = fopen(path, append ? "a" : "w");
    if (!r->csv) fail("cannot open %s for writing: %s", path, why());
    if (!append) fprintf(r->csv, "step,train_loss,val_loss,elapsed_s\n");
    if (fflush(r->csv) != 0) fail("cannot write %s: %s", path, why());
}

static void setup(run *r)
{
    const options *o = &r->opt;
    tinygpt_vocab vocab = {0};  /* tinygpt_vocab_build fills a zeroed (or live) vocabulary */
    tinygpt_config cfg;
    tinygpt_error err;
    char *text = NULL;
    size_t len = 0;
    check_paths(o);
    load_text(o, &text, &len);
    if (*o->resume) {
        resume_model(r);  /* the checkpoint's vocabulary, shape and batch size */
        cfg = r->model.config;
    } else {
        if (tinygpt_vocab_build(&vocab, text, len, &err) != 0) fail("%s: %s", o->data, err.message);
        cfg = config_from_options(o, vocab.size);
        if (tinygpt_config_check(&cfg, &err) != 0) fail("%s", err.message);
    }
    encode_corpus(r, *o->resume ? &r->model.vocab : &vocab, text, len);
    tinygpt_free(text);
    r->B = o->batch_size;
    r->T = cfg.block_size;
    check_split("train", r->n_train, r->T);
    check_split("validation", r->n_val, r->T);
    check_memory(&cfg, r->B);
    if (!*o->resume) create_model(r, &cfg, &vocab);
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

static void csv_row(run *r, double train_loss, const char *val_loss)
{
    errno = 0;
    fprintf(r->csv, "%llu,%.6f,%s,%.3f\n", ull(r->model.step), train_loss, val_loss,
            now_seconds() - r->t_start);
    if (fflush(r->csv) != 0) fail("cannot write %s: %s", r->opt.log, why());
}

static void log_progress(run *r)
{
    double per_step = r->interval_seconds / r->interval_steps;
    double loss = r->interval_loss / r->interval_steps;
    float lr = tinygpt_lr(&r->model.train, r->model.step - 1);  /* what the last update used */
    double tok_per_s = per_step > 0 ? (double)r->B * r->T / per_step : 0.0;
    int ms_digits = per_step < 0.01 ? 2 : 0;  /* tiny models: "0.42 ms/step" */
    char eta[32];
    format_duration(per_step * (double)(r->max_iters - r->model.step), eta, sizeof eta);
    printf("step %llu/%llu | loss %.4f | lr %.2e | %.*f ms/step | %.0f tok/s | eta %s\n",
           ull(r->model.step), ull(r->max_iters), loss, (double)lr, ms_digits, per_step * 1000.0,
           tok_per_s, eta);
    fflush(stdout);
    csv_row(r, loss, "");
    r->interval_seconds = r->interval_loss = 0;
    r->interval_steps = 0;
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

static void print_sample(run *r)
{
    int32_t start = tinygpt_vocab_find(&r->model.vocab, '\n');
    tinygpt_sampler sampler = tinygpt_sampler_default(r->model.train.seed + r->model.step);  /* 0.8, top 40 */
    tinygpt_error err;
    if (start < 0) start = 0;
    printf("---- sample ----\n");
    fflush(stdout);
    if (tinygpt_generate(&r->model, &sampler, &start, 1, (size_t)r->opt.sample_chars, NULL, NULL, stream_token,
                         &r->model.vocab, &err) != 0)
        fprintf(stderr, "warning: sampling failed: %s\n", err.message);
    printf("\n----------------\n");
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

static void evaluate_and_save(run *r)
{
    char val[32];
    float train_loss = estimate(r, r->tokens, r->n_train);
    r->val_loss = estimate(r, r->tokens + r->n_train, r->n_val);
    printf("step %llu: train loss %.4f, val loss %.4f\n", ull(r->model.step), (double)train_loss,
           (double)r->val_loss);
    if (!(fabsf(train_loss) <= FLT_MAX && fabsf(r->val_loss) <= FLT_MAX))  /* diverged: keep the old file */
        fail("the loss is not finite at step %llu; stopped without saving (%s, if any, is the last good checkpoint)",
             ull(r->model.step), r->opt.out);
    if (r->opt.sample_chars > 0) print_sample(r);
    save_checkpoint(r);
    printf("saved %s\n", r->opt.out);
    fflush(stdout);
    snprintf(val, sizeof val, "%.6f", (double)r->val_loss);
    csv_row(r, train_loss, val);
    r->evaluated = 1;
    r->evaluated_step = r->model.step;
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
    r->interval_seconds += now_seconds() - t0;
    r->interval_loss += loss;
    r->interval_steps++;
}

static void train(run *r)
{
    while (!g_interrupted && r->model.step < r->max_iters) {
        uint64_t step;
        train_one_step(r);
        if (g_interrupted) break;
        step = r->model.step;
        if (step % (uint64_t)r->opt.log_interval == 0 || step == r->max_iters) log_progress(r);
        if (r->opt.eval_interval > 0 && step % (uint64_t)r->opt.eval_interval == 0)
            evaluate_and_save(r);
    }
}

static void save_on_interrupt(run *r)
{
    signal(SIGINT, SIG_IGN);
    if (!r->evaluated || r->evaluated_step != r->model.step)  /* else an eval just saved it */
        save_checkpoint(r);
    printf("\ninterrupted at step %llu: saved %s (resume with --resume %s)\n", ull(r->model.step),
           r->opt.out, r->opt.out);
}

static void finish(run *r)
{
    char wall[32];
    if (!r->evaluated || r->evaluated_step != r->model.step) evaluate_and_save(r);
    format_duration(now_seconds() - r->t_start, wall, sizeof wall);
    printf("done: step %llu in %s | final val loss %.4f | checkpoint %s | log %s\n",
           ull(r->model.step), wall, (double)r->val_loss, r->opt.out, r->opt.log);
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
    print_header(&r);
    catch_sigint();
    train(&r);
    if (g_interrupted) save_on_interrupt(&r);
    else finish(&r);
    cleanup(&r);
    return 0;
}
