/* test_faults.c - hostile input and faults: allocation failure, killed and failing saves, NaN, fuzzer finds */
/* The library's allocations are counted, and failed on demand, by the
   allocator of test_memory.c (g_lib_live, g_lib_calls, g_lib_fail_at,
   g_lib_fail_rest; expect.h), whichever test file's copy of it makes them.

   - every allocation of creating, loading, training, generating, ... fails in
     turn: an error comes back, nothing leaks, held objects stay usable
   - a process killed (SIGKILL) while it saves over a checkpoint leaves the old
     file or the new one, never a mix (POSIX only)
   - a full disk or an unwritable directory gives an error and keeps the old file
   - a NaN or infinite loss or gradient is reported with the step and the tensor
   - the file loader is a thin layer over the memory loader
   - inputs the fuzzers (tests/fuzz/) found or that guard their fixes */
#include "tinygpt_impl.h"  /* first: feature macros, expect.h, this file's own copy of tinygpt.h */

#if (defined(__unix__) || defined(__APPLE__)) && !defined(__EMSCRIPTEN__)
#define TEST_POSIX 1
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#else
#define TEST_POSIX 0
#endif

/* Scratch files, named after the process where it has an id, so that two
   test runs in one checkout do not trip over each other's files. */
enum { PATH_FILE, PATH_OLD_TMP, PATH_RO_DIR, PATH_RO_FILE, PATH_OTHER };
static const char *fault_path(int which)
{
    static char names[5][96];
    if (!names[0][0]) {
        long id = 0;
#if TEST_POSIX
        id = (long)getpid();
#endif
        sprintf(names[PATH_FILE], "tests/tmp_fault_%ld.bin", id);
        sprintf(names[PATH_OLD_TMP], "tests/tmp_fault_%ld.bin.tmp", id);
        sprintf(names[PATH_RO_DIR], "tests/tmp_readonly_dir_%ld", id);
        sprintf(names[PATH_RO_FILE], "tests/tmp_readonly_dir_%ld/ck.bin", id);
        sprintf(names[PATH_OTHER], "tests/tmp_fault_other_%ld.txt", id);
    }
    return names[which];
}
#define FAULT_FILE fault_path(PATH_FILE)
#define FAULT_OTHER fault_path(PATH_OTHER)  /* a user's file that saves must never touch */

static const char fault_text[] = "the quick brown fox jumps over the lazy dog; THE QUICK BROWN FOX!\n";

/* Writes `bytes` to path as the old checkpoint. */
static int put_file(const char *path, const unsigned char *bytes, size_t len)
{
    FILE *f = fopen(path, "wb");
    int ok = f && fwrite(bytes, 1, len, f) == len;
    if (f && fclose(f) != 0) ok = 0;
    return ok ? 0 : -1;
}

/* The file holds exactly `bytes`. */
static int file_is(const char *path, const unsigned char *bytes, size_t len)
{
    size_t got = 0;
    unsigned char *disk = read_bytes(path, &got);
    int same = disk && got == len && memcmp(disk, bytes, len) == 0;
    free(disk);
    return same;
}

#if TEST_POSIX
/* How many temporary files of saves to `path` (path.tmp-XXXXXXXX) are in its
   folder; with remove_them, removes them too. */
static int count_temps(const char *path, int remove_them)
{
    char dir[256], prefix[256], name[600];
    const char *slash = strrchr(path, '/');
    struct dirent *e;
    DIR *d;
    int n = 0;
    if (slash) { sprintf(dir, "%.*s", (int)(slash - path), path); sprintf(prefix, "%s.tmp-", slash + 1); }
    else { strcpy(dir, "."); sprintf(prefix, "%s.tmp-", path); }
    d = opendir(dir);
    if (!d) return -1;
    while ((e = readdir(d)) != NULL)
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0) {
            n++;
            if (remove_them) { sprintf(name, "%s/%s", dir, e->d_name); remove(name); }
        }
    closedir(d);
    return n;
}
#else
static int count_temps(const char *path, int remove_them) { (void)path; (void)remove_them; return 0; }  /* names unknown */
#endif

/* ---------------------------------------------------------------- allocation failure */

/* Allocation number n (counted from now) fails; with rest, every later one too. */
static void arm_alloc_failure(long n, int rest)
{
    g_lib_calls = 0;
    g_lib_fail_at = n;
    g_lib_fail_rest = rest;
}
static long disarm_alloc_failure(void)
{
    g_lib_fail_at = 0;
    return g_lib_calls;
}

enum { OP_VOCAB, OP_CREATE, OP_LOAD_MEMORY, OP_LOAD_FILE, OP_TRAIN_FIRST, OP_TRAIN_GROW, OP_GENERATE,
       OP_ESTIMATE, OP_SAVE, N_FAULT_OPS };
static const char *const fault_op_names[N_FAULT_OPS] = {
    "vocab_build", "model_create", "load_memory", "load (file)", "first train step",
    "train step, larger batch", "generate", "estimate_loss", "save"};

typedef struct {
    unsigned char *ck;      /* a checkpoint with AdamW state, also on disk as FAULT_FILE */
    size_t ck_len;
    tinygpt_vocab vocab;
    tinygpt_config cfg;
    tinygpt_train_config tc;
    int32_t tokens[sizeof fault_text];
    size_t n_tokens;
    int32_t x[3 * 8], y[3 * 8];  /* up to B = 3, T = 8 */
} fault_fixture;

/* What an operation leaves behind, to compare a retry with a clean run. */
typedef struct { float *params; size_t n; uint64_t step; int32_t out[6]; float loss; } fault_result;

static void fault_result_free(fault_result *r) { free(r->params); memset(r, 0, sizeof *r); }

/* The object each operation works on, built with the allocator working. */
static int fault_setup(int op, const fault_fixture *f, tinygpt_model *held, tinygpt_error *err)
{
    memset(held, 0, sizeof *held);
    if (op == OP_TRAIN_FIRST || op == OP_TRAIN_GROW) {
        if (tinygpt_model_create(held, &f->cfg, &f->vocab, &f->tc, err)) return -1;
        /* a step with B = 1 first, so the larger batch must grow the activations */
        if (op == OP_TRAIN_GROW && tinygpt_train_step(held, f->x, f->y, 1, 8, NULL, err)) return -1;
        return 0;
    }
    return tinygpt_load_memory(held, f->ck, f->ck_len, err);
}

/* Runs the operation (the failure is armed around this call only). */
static int fault_call(int op, const fault_fixture *f, tinygpt_model *held, fault_result *res, tinygpt_error *err)
{
    int rc = -1;
    memset(res, 0, sizeof *res);
    switch (op) {
    case OP_VOCAB: {
        tinygpt_vocab v = zero_vocab;
        rc = tinygpt_vocab_build(&v, fault_text, sizeof fault_text - 1, err);
        if (rc == 0) { res->out[0] = v.size; tinygpt_vocab_free(&v); }  /* its size, to compare */
        break;
    }
    case OP_CREATE: {
        tinygpt_model m = zero_model;
        rc = tinygpt_model_create(&m, &f->cfg, &f->vocab, &f->tc, err);
        if (rc == 0) tinygpt_model_free(&m);
        break;
    }
    case OP_LOAD_MEMORY: rc = tinygpt_load_memory(held, f->ck, f->ck_len, err); break;
    case OP_LOAD_FILE: rc = tinygpt_load(held, FAULT_FILE, err); break;
    case OP_TRAIN_FIRST: rc = tinygpt_train_step(held, f->x, f->y, 2, 8, &res->loss, err); break;
    case OP_TRAIN_GROW: rc = tinygpt_train_step(held, f->x, f->y, 3, 8, &res->loss, err); break;
    case OP_GENERATE: {
        tinygpt_rng rng;
        tinygpt_rng_seed(&rng, 99);
        rc = generate_old(held, f->tokens, 3, 6, 0.9f, 0, 1.0f, &rng, res->out, NULL, NULL, NULL, err);
        break;
    }
    case OP_ESTIMATE: {
        tinygpt_rng rng;
        tinygpt_rng_seed(&rng, 5);
        rc = tinygpt_estimate_loss(held, f->tokens, f->n_tokens, 2, 2, &rng, &res->loss, err);
        break;
    }
    case OP_SAVE: rc = tinygpt_save(held, FAULT_FILE, 1, err); break;
    }
    return rc;
}

/* After the operation: the model it worked on, as values to compare. */
static void fault_capture(const tinygpt_model *held, fault_result *res)
{
    if (!held->params) return;
    res->n = held->num_params;
    res->params = falloc(res->n);
    memcpy(res->params, held->params, res->n * sizeof(float));
    res->step = held->step;
}

static int fault_same(const fault_result *a, const fault_result *b)
{
    return a->n == b->n && a->step == b->step && same_bits(a->loss, b->loss) &&
           memcmp(a->out, b->out, sizeof a->out) == 0 &&
           (a->n == 0 || !a->params || memcmp(a->params, b->params, a->n * sizeof(float)) == 0);
}

/* Fails allocation 1, 2, ... of one operation until it makes no more (with
   `rest`, that allocation and every later one). Returns the count it makes. */
static long fault_sweep(int op, const fault_fixture *f, int rest)
{
    const char *name = fault_op_names[op];
    fault_result clean, got;
    tinygpt_model held = zero_model;
    tinygpt_error err;
    long n, made = -1, live0 = g_lib_live;
    /* the clean run: what every retry must reproduce */
    if (fault_setup(op, f, &held, &err) != 0) { EXPECTF(0, "%s: setup: %s", name, err.message); return -1; }
    if (fault_call(op, f, &held, &clean, &err) != 0) {
        EXPECTF(0, "%s: clean run: %s", name, err.message);
        tinygpt_model_free(&held);
        return -1;
    }
    fault_capture(&held, &clean);
    tinygpt_model_free(&held);
    for (n = 1; n < 1000 && made < 0; n++) {
        model_snap before;
        long live1, calls;
        int rc;
        if (fault_setup(op, f, &held, &err) != 0) { EXPECTF(0, "%s: setup: %s", name, err.message); break; }
        snap_take(&before, &held);
        live1 = g_lib_live;
        err.message[0] = 0;
        arm_alloc_failure(n, rest);
        rc = fault_call(op, f, &held, &got, &err);
        calls = disarm_alloc_failure();
        if (calls < n) {  /* allocation n never came: the sweep is complete */
            EXPECTF(rc == 0, "%s: succeeds when no allocation fails: %s", name, err.message);
            made = n - 1;
        } else {
            /* a forward pass may leave the model with grown activation
               buffers, which it owns and frees; it takes no update */
            int grows = op == OP_TRAIN_FIRST || op == OP_TRAIN_GROW || op == OP_GENERATE || op == OP_ESTIMATE;
            EXPECTF(rc != 0 && mentions(err.message, "memory"),
                    "%s, allocation %ld of %ld failing%s: rc %d, message \"%s\"", name, n, calls,
                    rest ? " (and later ones)" : "", rc, err.message);
            if (!grows)  /* a failed call holds on to nothing new */
                EXPECTF(g_lib_live == live1, "%s, allocation %ld failing: %ld allocations leaked", name, n,
                        g_lib_live - live1);
            /* the model it worked on is untouched */
            EXPECTF(grows ? before.shallow.step == held.step && !before.m == !held.m &&
                                   memcmp(before.params, held.params, held.num_params * sizeof(float)) == 0 &&
                                   (!held.m || memcmp(before.m, held.m, held.num_params * sizeof(float)) == 0)
                             : snap_same(&before, &held),
                    "%s, allocation %ld failing: the held model changed", name, n);
            if (op == OP_SAVE) {
                EXPECTF(file_is(FAULT_FILE, f->ck, f->ck_len), "save, allocation %ld failing: the old checkpoint changed", n);
                EXPECTF(count_temps(FAULT_FILE, 1) == 0, "save, allocation %ld failing: left a temp file behind", n);
            }
            /* and still usable: the same call now gives what a clean run gives */
            fault_result_free(&got);
            rc = fault_call(op, f, &held, &got, &err);
            fault_capture(&held, &got);
            EXPECTF(rc == 0 && fault_same(&clean, &got), "%s, after allocation %ld failed: retry %s (%s)", name,
                    n, rc ? "fails" : "differs from a clean run", rc ? err.message : "");
        }
        fault_result_free(&got);
        snap_free(&before);
        tinygpt_model_free(&held);
        EXPECTF(g_lib_live == live0, "%s, allocation %ld failing: %ld allocations leaked in all", name, n,
                g_lib_live - live0);
    }
    fault_result_free(&clean);
    EXPECTF(made >= 0, "%s: the sweep did not end", name);
    return made;
}

void test_alloc_failures(void)
{
    fault_fixture f;
    tinygpt_model m = zero_model;
    tinygpt_error err;
    int op, i;
    long live0 = g_lib_live;
    memset(&f, 0, sizeof f);
    f.tc = tc_plain();  /* no dropout: a retried step must match a clean one bit for bit */
    f.cfg.vocab_size = 0; f.cfg.block_size = 8; f.cfg.n_layer = 2; f.cfg.n_head = 2; f.cfg.n_embd = 8;
    if (tinygpt_vocab_build(&f.vocab, fault_text, sizeof fault_text - 1, &err) != 0 ||
        tinygpt_encode(&f.vocab, fault_text, sizeof fault_text - 1, f.tokens, &f.n_tokens, &err) != 0 ||
        tinygpt_model_create(&m, &f.cfg, &f.vocab, &f.tc, &err) != 0) {
        EXPECTF(0, "fixture: %s", err.message);
        tinygpt_vocab_free(&f.vocab);
        return;
    }
    for (i = 0; i < 3 * 8; i++) { f.x[i] = f.tokens[i]; f.y[i] = f.tokens[i + 1]; }
    train_steps(&m, f.tokens, f.n_tokens, 2, 1);
    EXPECT_OK(tinygpt_save(&m, FAULT_FILE, 1, &err), err);
    tinygpt_model_free(&m);
    f.ck = read_bytes(FAULT_FILE, &f.ck_len);
    if (!EXPECT(f.ck != NULL)) { tinygpt_vocab_free(&f.vocab); return; }
    for (op = 0; op < N_FAULT_OPS; op++) {
        long only = fault_sweep(op, &f, 0), rest = fault_sweep(op, &f, 1);
        EXPECTF(only == rest, "%s: %ld allocations, %ld when failures persist", fault_op_names[op], only, rest);
        printf("  %-26s %ld allocations; each failed in turn, alone and with all later ones\n",
               fault_op_names[op], only);
    }
    free(f.ck);
    tinygpt_vocab_free(&f.vocab);
    remove(FAULT_FILE);
    count_temps(FAULT_FILE, 1);
    EXPECTF(g_lib_live == live0, "%ld library allocations leaked", g_lib_live - live0);
}

/* ---------------------------------------------------------------- crash-safe saving */


/* Two checkpoints of one shape (old: a; new: b), large enough that a save
   takes a while, and their bytes as saved. */
typedef struct { tinygpt_model a, b; unsigned char *bytes_a, *bytes_b; size_t len_a, len_b; } save_pair;

static int save_pair_make(save_pair *s, int C)
{
    tinygpt_train_config tc = tc_plain();
    tinygpt_error err;
    int32_t ids[sizeof fault_text];
    size_t n;
    memset(s, 0, sizeof *s);
    if (make_model(&s->a, fault_text, 16, 2, 4, C, &tc) != 0) return -1;
    if (!EXPECT_OK(tinygpt_encode(&s->a.vocab, fault_text, sizeof fault_text - 1, ids, &n, &err), err)) return -1;
    train_steps(&s->a, ids, n, 2, 1);
    if (!EXPECT_OK(tinygpt_save(&s->a, FAULT_FILE, 1, &err), err)) return -1;
    s->bytes_a = read_bytes(FAULT_FILE, &s->len_a);
    if (!EXPECT_OK(tinygpt_load_memory(&s->b, s->bytes_a, s->len_a, &err), err)) return -1;
    train_steps(&s->b, ids, n, 2, 1);
    if (!EXPECT_OK(tinygpt_save(&s->b, FAULT_FILE, 1, &err), err)) return -1;
    s->bytes_b = read_bytes(FAULT_FILE, &s->len_b);
    return s->bytes_a && s->bytes_b ? 0 : -1;
}

static void save_pair_free(save_pair *s)
{
    tinygpt_model_free(&s->a);
    tinygpt_model_free(&s->b);
    free(s->bytes_a);
    free(s->bytes_b);
}

#if TEST_POSIX
static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void sleep_s(double s)
{
    struct timespec ts;
    ts.tv_sec = (time_t)s;
    ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
    while (nanosleep(&ts, &ts) != 0) {}
}

/* A child saves b and a over FAULT_FILE, alternately and without end; the
   parent kills it after a delay that sweeps two whole saves, and then finds
   either a or b on disk. */
void test_crash_safe_save(void)
{
    save_pair s;
    tinygpt_model loaded = zero_model;
    tinygpt_error err;
    int trials = g_quick ? 40 : 200, t, bad = 0, killed = 0, mid = 0, old_seen = 0, new_seen = 0, reps;
    double save_s, t0;
    memset(&loaded, 0, sizeof loaded);
    if (save_pair_make(&s, 32) != 0) { save_pair_free(&s); return; }
    /* how long one save takes here, to spread the kills over it */
    t0 = now_s();
    for (reps = 0; reps < 4; reps++) tinygpt_save(&s.a, FAULT_FILE, 1, NULL);
    save_s = (now_s() - t0) / reps;
    for (t = 0; t < trials; t++) {
        int fds[2], status = 0;
        char c = 0;
        pid_t pid;
        if (!EXPECT(put_file(FAULT_FILE, s.bytes_a, s.len_a) == 0) || !EXPECT(pipe(fds) == 0)) break;
        fflush(stdout);
        pid = fork();
        if (pid < 0) {
            printf("  crash-safe save: skipped, fork failed\n");
            close(fds[0]);
            close(fds[1]);
            break;
        }
        if (pid == 0) {  /* child: say "started", then save until killed */
            long i;
            close(fds[0]);
            if (write(fds[1], "s", 1) != 1) _exit(3);
            for (i = 0;; i++)
                if (tinygpt_save(i % 2 ? &s.a : &s.b, FAULT_FILE, 1, NULL) != 0) _exit(4);
        }
        close(fds[1]);
        if (read(fds[0], &c, 1) != 1) c = 0;
        close(fds[0]);
        sleep_s(save_s * 2.2 * ((double)t + 0.5) / (double)trials);
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        if (c == 's' && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) killed++;
        else EXPECTF(0, "trial %d: the saver was not killed while saving (status %d)", t, status);
        if (count_temps(FAULT_FILE, 1) > 0) mid++;
        if (file_is(FAULT_FILE, s.bytes_a, s.len_a)) old_seen++;
        else if (file_is(FAULT_FILE, s.bytes_b, s.len_b)) new_seen++;
        else if (bad++ == 0) EXPECTF(0, "trial %d: the file is neither the old nor the new checkpoint", t);
        if (t % 8 == 0)  /* and it loads: its CRC holds */
            EXPECTF(tinygpt_load(&loaded, FAULT_FILE, &err) == 0, "trial %d: %s", t, err.message);
    }
    EXPECTF(bad == 0, "%d of %d kills left a file that is neither checkpoint", bad, trials);
    EXPECTF(killed == trials, "%d of %d savers killed", killed, trials);
    EXPECTF(mid > 0, "no kill landed in the middle of a save (save takes %.2f ms)", save_s * 1e3);
    printf("  %d SIGKILLs over 2.2 saves of %lu bytes (%.2f ms each): %d mid-write (temp file left), "
           "file old %d times, new %d times, mixed %d\n", trials, (unsigned long)s.len_a, save_s * 1e3, mid,
           old_seen, new_seen, bad);
    tinygpt_model_free(&loaded);
    save_pair_free(&s);
    remove(FAULT_FILE);
    count_temps(FAULT_FILE, 1);
}
#else
void test_crash_safe_save(void)
{
    printf("  crash-safe save: skipped (needs fork and kill)\n");
}
#endif

/* Saving where it cannot succeed: an error, and the old file as it was. */
void test_save_errors(void)
{
    save_pair s;
    tinygpt_error err;
    if (save_pair_make(&s, 16) != 0) { save_pair_free(&s); return; }
#if TEST_POSIX
    /* a full disk: a child whose file size limit is 1 KiB (writes past it fail
       with EFBIG, the signal ignored) saves over the old file */
    if (put_file(FAULT_FILE, s.bytes_a, s.len_a) == 0) {
        int status = -1;
        pid_t pid;
        fflush(stdout);
        pid = fork();
        if (pid == 0) {
            struct rlimit rl;
            rl.rlim_cur = rl.rlim_max = 1024;
            signal(SIGXFSZ, SIG_IGN);
            if (setrlimit(RLIMIT_FSIZE, &rl) != 0) _exit(2);
            err.message[0] = 0;
            if (tinygpt_save(&s.b, FAULT_FILE, 1, &err) == 0) _exit(1);
            _exit(mentions(err.message, "error writing") && mentions(err.message, FAULT_FILE) &&
                  mentions(err.message, strerror(EFBIG)) ? 0 : 3);
        }
        if (pid > 0) waitpid(pid, &status, 0);
        EXPECTF(pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
                "full disk: the child's save gave status %d (1: it succeeded; 3: the message lacks the file or why)",
                status);
        EXPECTF(file_is(FAULT_FILE, s.bytes_a, s.len_a), "full disk: the old checkpoint changed");
        EXPECTF(count_temps(FAULT_FILE, 1) == 0, "full disk: the temp file was left behind");
    }
    /* a read-only directory */
    {
        const char *dir = fault_path(PATH_RO_DIR), *path = fault_path(PATH_RO_FILE);
        if (mkdir(dir, 0755) == 0 && put_file(path, s.bytes_a, s.len_a) == 0 && chmod(dir, 0555) == 0) {
            if (geteuid() == 0) {
                /* root writes anywhere: save from a child that gives up root
                   for an ordinary user (exit 0: refused as it should be) */
                int status = -1;
                pid_t pid;
                fflush(stdout);
                pid = fork();
                if (pid == 0) {
                    if (setgid(65534) != 0 || setuid(65534) != 0 || geteuid() == 0) _exit(2);
                    err.message[0] = 0;
                    if (tinygpt_save(&s.b, path, 1, &err) == 0) _exit(1);
                    _exit(mentions(err.message, "tmp_readonly_dir") ? 0 : 3);
                }
                if (pid > 0) waitpid(pid, &status, 0);
                if (pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 2) {
                    printf("  read-only directory: skipped (running as root, and cannot become another user)\n");
                } else {
                    EXPECTF(pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
                            "read-only directory, as uid 65534: status %d (1: the save succeeded)", status);
                    EXPECTF(file_is(path, s.bytes_a, s.len_a), "read-only directory: the old checkpoint changed");
                }
            } else {
                err.message[0] = 0;
                EXPECT_FAIL(tinygpt_save(&s.b, path, 1, &err));
                EXPECT_MENTIONS(err, "tmp_readonly_dir");
                EXPECTF(file_is(path, s.bytes_a, s.len_a), "read-only directory: the old checkpoint changed");
            }
        }
        chmod(dir, 0755);
        count_temps(path, 1);
        remove(path);
        rmdir(dir);
    }
#else
    printf("  full disk, read-only directory: skipped (POSIX only)\n");
#endif
    /* a directory that does not exist, anywhere */
    err.message[0] = 0;
    EXPECT_FAIL(tinygpt_save(&s.b, "tests/tmp_no_such_dir/ck.bin", 1, &err));
    EXPECT_MENTIONS(err, "tmp_no_such_dir");
    save_pair_free(&s);
    remove(FAULT_FILE);
}

/* Where a save writes: two savers at once, links, a user's files beside the
   checkpoint, kept permissions, a directory in the way. */
#if TEST_POSIX
void test_save_paths(void)
{
    static const unsigned char precious[] = "a user's own file";
    save_pair s;
    tinygpt_model loaded = zero_model;
    tinygpt_error err;
    struct stat st;
    int round, torn = 0, reads = 0, status[2] = {-1, -1}, k;
    pid_t pid[2];
    if (save_pair_make(&s, 32) != 0) { save_pair_free(&s); return; }

    /* two processes save different checkpoints to one path, 25 times each,
       while this one reads it: every read and the last file is one of the two */
    fflush(stdout);
    for (k = 0; k < 2; k++) {
        pid[k] = fork();
        if (pid[k] == 0) {
            for (round = 0; round < 25; round++)
                if (tinygpt_save(k ? &s.b : &s.a, FAULT_FILE, 1, NULL) != 0) _exit(4);
            _exit(0);
        }
    }
    for (;;) {
        int alive = 0;
        for (k = 0; k < 2; k++) {
            int st_k;
            if (pid[k] > 0 && status[k] == -1 && waitpid(pid[k], &st_k, WNOHANG) == 0) alive = 1;
            else if (pid[k] > 0 && status[k] == -1) status[k] = st_k;
        }
        {
            size_t got = 0, at = 0;
            unsigned char *disk = read_bytes(FAULT_FILE, &got);
            int is_a = disk && got == s.len_a && memcmp(disk, s.bytes_a, got) == 0;
            int is_b = disk && got == s.len_b && memcmp(disk, s.bytes_b, got) == 0;
            if (!is_a && !is_b) {
                if (torn++ == 0 && disk) {
                    while (at < got && at < s.len_a && disk[at] == s.bytes_a[at]) at++;
                    printf("  torn read: %lu bytes (checkpoints: %lu), first difference from a at %lu\n",
                           (unsigned long)got, (unsigned long)s.len_a, (unsigned long)at);
                }
            }
            free(disk);
        }
        reads++;
        if (!alive) break;
    }
    for (k = 0; k < 2; k++)
        EXPECTF(pid[k] > 0 && WIFEXITED(status[k]) && WEXITSTATUS(status[k]) == 0,
                "concurrent saver %d: status %d (4: a save failed)", k, status[k]);
    EXPECTF(torn == 0, "concurrent saves: %d of %d reads saw neither checkpoint", torn, reads);
    EXPECTF(file_is(FAULT_FILE, s.bytes_a, s.len_a) || file_is(FAULT_FILE, s.bytes_b, s.len_b),
            "concurrent saves: the final file is neither checkpoint");
    EXPECTF(count_temps(FAULT_FILE, 1) == 0, "concurrent saves left temp files");
    printf("  two savers x 25 saves: %d reads, %d torn\n", reads, torn);

    /* files named like the old fixed temp name are a user's, not ours */
    remove(FAULT_FILE);
    if (EXPECT(put_file(fault_path(PATH_OLD_TMP), precious, sizeof precious) == 0)) {
        EXPECT_OK(tinygpt_save(&s.a, FAULT_FILE, 1, &err), err);
        EXPECTF(file_is(fault_path(PATH_OLD_TMP), precious, sizeof precious), "save deleted or changed %s",
                fault_path(PATH_OLD_TMP));
        remove(fault_path(PATH_OLD_TMP));
    }
    /* a link there is not written through */
    if (EXPECT(put_file(FAULT_OTHER, precious, sizeof precious) == 0)) {
        char target[128];
        sprintf(target, "%s", strrchr(FAULT_OTHER, '/') + 1);  /* relative to tests/ */
        if (symlink(target, fault_path(PATH_OLD_TMP)) == 0) {
            EXPECT_OK(tinygpt_save(&s.b, FAULT_FILE, 1, &err), err);
            EXPECTF(file_is(FAULT_OTHER, precious, sizeof precious), "save wrote through a link at %s",
                    fault_path(PATH_OLD_TMP));
            remove(fault_path(PATH_OLD_TMP));
        }
        /* a link at the destination itself is replaced by the checkpoint; its target is untouched */
        remove(FAULT_FILE);
        if (EXPECT(symlink(target, FAULT_FILE) == 0)) {
            EXPECT_OK(tinygpt_save(&s.a, FAULT_FILE, 1, &err), err);
            EXPECTF(file_is(FAULT_OTHER, precious, sizeof precious), "save wrote through the link at the destination");
            EXPECTF(lstat(FAULT_FILE, &st) == 0 && S_ISREG(st.st_mode) && file_is(FAULT_FILE, s.bytes_a, s.len_a),
                    "the link at the destination was not replaced by the checkpoint");
        }
        /* a dangling link too, and nothing is created where it pointed */
        remove(FAULT_FILE);
        remove(FAULT_OTHER);
        if (EXPECT(symlink(target, FAULT_FILE) == 0)) {
            EXPECT_OK(tinygpt_save(&s.a, FAULT_FILE, 1, &err), err);
            EXPECTF(lstat(FAULT_OTHER, &st) != 0, "a save through a dangling link created its target");
            EXPECTF(lstat(FAULT_FILE, &st) == 0 && S_ISREG(st.st_mode), "the dangling link was not replaced");
        }
        remove(FAULT_OTHER);
    }
    /* the destination's permission bits are kept, whatever the umask */
    {
        static const unsigned modes[3] = {0600, 0640, 0664};
        mode_t old_mask = umask(022);
        for (k = 0; k < 3; k++) {
            chmod(FAULT_FILE, (mode_t)modes[k]);
            EXPECT_OK(tinygpt_save(&s.b, FAULT_FILE, 1, &err), err);
            EXPECTF(stat(FAULT_FILE, &st) == 0 && (st.st_mode & 0777) == modes[k],
                    "save over a %03o file left it %03o", modes[k], (unsigned)(st.st_mode & 0777));
        }
        umask(old_mask);
    }
    /* a directory where the checkpoint should go: refused at once, the directory as it was */
    remove(FAULT_FILE);
    if (EXPECT(mkdir(FAULT_FILE, 0755) == 0)) {
        err.message[0] = 0;
        EXPECT_FAIL(tinygpt_save(&s.a, FAULT_FILE, 1, &err));
        EXPECT_MENTIONS(err, "directory");
        EXPECT_MENTIONS(err, FAULT_FILE);
        EXPECTF(stat(FAULT_FILE, &st) == 0 && S_ISDIR(st.st_mode), "the directory is gone");
        rmdir(FAULT_FILE);
    }
    EXPECTF(count_temps(FAULT_FILE, 1) == 0, "a save left a temp file");
    EXPECT_OK(tinygpt_save(&s.a, FAULT_FILE, 1, &err), err);
    EXPECT_OK(tinygpt_load(&loaded, FAULT_FILE, &err), err);
    tinygpt_model_free(&loaded);
    save_pair_free(&s);
    remove(FAULT_FILE);
}
#else
void test_save_paths(void)
{
    printf("  save paths: skipped (needs fork, links and permissions)\n");
}
#endif

/* ---------------------------------------------------------------- states the library refuses */

/* Every public function that takes a model answers a zeroed one (what a failed
   create or load leaves) with an error; training re-checks the public
   hyperparameters it reads; the fill rule (replace on success, unchanged on
   failure) holds for create; the optimizer refuses an update that would write
   NaN or infinity. */
void test_hostile_state(void)
{
    tinygpt_model z = zero_model, m = zero_model, held = zero_model;
    tinygpt_vocab voc = zero_vocab;
    tinygpt_config cfg;
    tinygpt_train_config tc = tc_plain();
    tinygpt_error err;
    tinygpt_rng rng = {1};
    int32_t x[16], y[16], out[4];
    float loss = 0;
    double dloss = 0;
    long live0 = g_lib_live;
    model_snap snap;
    int i;
    for (i = 0; i < 16; i++) { x[i] = i % 6; y[i] = (i + 1) % 6; }

    /* a zeroed model: every call an error, nothing allocated, nothing crashes */
#define ZEROED_FAILS(call) do { err.message[0] = 0; EXPECT_FAIL(call); EXPECT_MENTIONS(err, "initialised"); } while (0)
    ZEROED_FAILS(tinygpt_forward(&z, x, y, 1, 4, 1, &loss, &err));
    ZEROED_FAILS(tinygpt_forward(&z, x, y, 1, 4, 0, &loss, &err));
    ZEROED_FAILS(tinygpt_backward(&z, &err));
    ZEROED_FAILS(tinygpt_optimizer_step(&z, NULL, &err));
    ZEROED_FAILS(tinygpt_train_step(&z, x, y, 1, 4, &loss, &err));
    ZEROED_FAILS(tinygpt_estimate_loss(&z, x, 16, 1, 1, &rng, &loss, &err));
    ZEROED_FAILS(tinygpt_evaluate_tokens(&z, x, 16, 2, &dloss, &err));
    ZEROED_FAILS(generate_old(&z, x, 1, 4, 1.0f, 0, 1.0f, &rng, out, NULL, NULL, NULL, &err));
    ZEROED_FAILS(tinygpt_save(&z, TMP_FILE, 1, &err));
    EXPECT(tinygpt_logits(&z) == NULL);
    tinygpt_zero_grad(&z);
    EXPECT(g_lib_live == live0);
#undef ZEROED_FAILS

    if (make_model(&m, "abcdef", 8, 1, 2, 8, &tc) != 0) return;
    /* a config edited after creation no longer matches the parameters: refused */
    m.config.n_embd = 16;
    err.message[0] = 0;
    EXPECT_FAIL(tinygpt_forward(&m, x, y, 1, 8, 0, &loss, &err));
    m.config.n_embd = 8;
    /* training reads model->train; bad values there are refused with the config check's words */
    {
        static const struct { int field; float value; const char *word; } bad[5] = {
            {0, 1.0f, "beta1"}, {1, 1.0f, "dropout"}, {1, -0.5f, "dropout"}, {2, NAN, "learning_rate"},
            {3, 0.0f, "eps"}};
        for (i = 0; i < 5; i++) {
            tinygpt_train_config keep = m.train;
            float *f = bad[i].field == 0 ? &m.train.beta1 : bad[i].field == 1 ? &m.train.dropout
                     : bad[i].field == 2 ? &m.train.learning_rate : &m.train.eps;
            *f = bad[i].value;
            snap_take(&snap, &m);
            err.message[0] = 0;
            EXPECTF(tinygpt_train_step(&m, x, y, 2, 8, &loss, &err) != 0, "%s = %g: a training step was taken",
                    bad[i].word, (double)bad[i].value);
            EXPECTF(mentions(err.message, bad[i].word), "%s = %g: message \"%s\"", bad[i].word, (double)bad[i].value,
                    err.message);
            EXPECTF(snap_same(&snap, &m), "%s = %g: the model changed", bad[i].word, (double)bad[i].value);
            snap_free(&snap);
            if (bad[i].field == 0) {  /* the optimizer on its own too, after a good forward and backward */
                m.train = keep;
                EXPECT_OK(tinygpt_forward(&m, x, y, 2, 8, 1, &loss, &err), err);
                tinygpt_zero_grad(&m);
                EXPECT_OK(tinygpt_backward(&m, &err), err);
                *f = bad[i].value;
                err.message[0] = 0;
                EXPECT_FAIL(tinygpt_optimizer_step(&m, NULL, &err));
                EXPECT_MENTIONS(err, "beta1");
            }
            m.train = keep;
        }
    }
    /* an update that would overflow a parameter is refused whole */
    EXPECT_OK(tinygpt_train_step(&m, x, y, 2, 8, &loss, &err), err);
    m.train.learning_rate = 3e38f;
    m.train.min_lr = 3e38f;
    m.train.warmup_steps = 0;
    m.train.weight_decay = 0.0f;
    EXPECT_OK(tinygpt_forward(&m, x, y, 2, 8, 1, &loss, &err), err);
    tinygpt_zero_grad(&m);
    EXPECT_OK(tinygpt_backward(&m, &err), err);
    snap_take(&snap, &m);
    err.message[0] = 0;
    EXPECT_FAIL(tinygpt_optimizer_step(&m, NULL, &err));
    EXPECT_MENTIONS(err, "not taken");
    EXPECTF(snap_same(&snap, &m), "a refused update changed the model (step %llu)", (unsigned long long)m.step);
    snap_free(&snap);
    m.train = tc;
    /* sampling from a model whose logits overflow: an error, not NaN into the sort */
    {
        size_t P = m.num_params, VC = (size_t)m.config.vocab_size * 8, c;
        for (c = 0; c < 8; c++) {  /* lnf gives 2 everywhere, and lm_head's row 0 is huge: logit 0 overflows */
            m.params[P - VC - 16 + c] = 0.0f;
            m.params[P - VC - 8 + c] = 2.0f;
            m.params[P - VC + c] = 3e38f;
        }
        err.message[0] = 0;
        EXPECT_FAIL(generate_old(&m, x, 1, 4, 1.0f, 0, 1.0f, &rng, out, NULL, NULL, NULL, &err));
        EXPECT_MENTIONS(err, "logit");
    }

    tinygpt_model_free(&m);
    if (make_model(&m, "abcdef", 8, 1, 2, 8, &tc) != 0) return;
    /* the fill rule: create over a live model replaces it (no leak), a failing
       create leaves it whole, and a NULL training config means the defaults */
    cfg.vocab_size = 0; cfg.block_size = 8; cfg.n_layer = 1; cfg.n_head = 2; cfg.n_embd = 8;
    if (EXPECT_OK(tinygpt_vocab_build(&voc, "xyz", 3, &err), err)) {
        long live1;
        EXPECT_OK(tinygpt_model_create(&held, &cfg, &voc, NULL, &err), err);
        EXPECT(held.train.learning_rate == tinygpt_train_config_default().learning_rate &&
               held.train.seed == tinygpt_train_config_default().seed);
        live1 = g_lib_live;
        EXPECT_OK(tinygpt_model_create(&held, &cfg, &voc, &tc, &err), err);
        EXPECTF(g_lib_live == live1, "create over a live model: %ld blocks more", g_lib_live - live1);
        snap_take(&snap, &held);
        cfg.n_head = 3;
        EXPECT_FAIL(tinygpt_model_create(&held, &cfg, &voc, &tc, &err));
        EXPECTF(snap_same(&snap, &held), "a failed create changed the live model");
        cfg.n_head = 2;
        EXPECT_FAIL(tinygpt_model_create(&held, &cfg, NULL, &tc, &err));
        EXPECT_FAIL(tinygpt_model_create(&held, NULL, &voc, &tc, &err));
        EXPECTF(snap_same(&snap, &held), "a create without a vocabulary or config changed the live model");
        snap_free(&snap);
        /* out of memory for the parameters names their real count */
        cfg.n_embd = 32;
        arm_alloc_failure(4, 0);  /* three blocks of the vocabulary, then the parameters */
        err.message[0] = 0;
        EXPECT_FAIL(tinygpt_model_create(&held, &cfg, &voc, &tc, &err));
        disarm_alloc_failure();
        cfg.vocab_size = 3;
        EXPECTF(has_number(err.message, (unsigned long)tinygpt_num_params(&cfg)), "message \"%s\" lacks the count %lu",
                err.message, (unsigned long)tinygpt_num_params(&cfg));
        tinygpt_vocab_free(&voc);
    }
    tinygpt_model_free(&held);
    tinygpt_model_free(&m);
    EXPECTF(g_lib_live == live0, "%ld library allocations leaked", g_lib_live - live0);
}

/* ---------------------------------------------------------------- numerical faults */

/* A failed update leaves parameters, moments and step as they were. */
static int update_not_taken(const model_snap *s, const tinygpt_model *m)
{
    size_t P = m->num_params;
    return m->step == s->shallow.step && memcmp(s->params, m->params, P * sizeof(float)) == 0 &&
           s->m && m->m && memcmp(s->m, m->m, P * sizeof(float)) == 0 && memcmp(s->v, m->v, P * sizeof(float)) == 0;
}

void test_numeric_faults(void)
{
    /* not static: tcc cannot fold NAN and INFINITY into a static initializer */
    const struct { const char *tensor, *words; float value; } poison[] = {
        {"h1.attn.qkv.weight", "layer 1 attn.qkv.weight", NAN},
        {"wpe", "wpe", INFINITY},
        {"h0.ln2.bias", "layer 0 ln2.bias", -INFINITY},
        {"lm_head.weight", "lm_head", NAN}};
    tinygpt_train_config tc = tc_plain();
    tensor_info t[MAX_TENSORS];
    tinygpt_model m = zero_model;
    tinygpt_error err;
    int32_t ids[sizeof fault_text], x[16], y[16];
    size_t n, i;
    int k, nt, q;
    float loss = 0;
    model_snap snap;
    if (make_model(&m, fault_text, 8, 2, 2, 8, &tc) != 0) return;
    if (!EXPECT_OK(tinygpt_encode(&m.vocab, fault_text, sizeof fault_text - 1, ids, &n, &err), err)) {
        tinygpt_model_free(&m);
        return;
    }
    for (i = 0; i < 16; i++) { x[i] = ids[i]; y[i] = ids[i + 1]; }
    train_steps(&m, ids, n, 2, 2);
    nt = tensor_table(&m.config, t);
    /* a NaN or infinite parameter: the loss is not finite, and the message
       names the step and the tensor; no update is taken */
    for (q = 0; q < (int)(sizeof poison / sizeof poison[0]); q++) {
        for (k = 0; k < nt && strcmp(t[k].name, poison[q].tensor) != 0; k++) {}
        if (!EXPECTF(k < nt, "no tensor %s", poison[q].tensor)) continue;
        m.params[t[k].off + 3] = poison[q].value;
        snap_take(&snap, &m);
        err.message[0] = 0;
        EXPECT_FAIL(tinygpt_train_step(&m, x, y, 2, 8, &loss, &err));
        EXPECTF(mentions(err.message, "not finite") && mentions(err.message, "step") && has_number(err.message, 2) &&
                mentions(err.message, poison[q].words) && has_number(err.message, 3),
                "%s poisoned: message \"%s\"", poison[q].tensor, err.message);
        EXPECTF(update_not_taken(&snap, &m), "%s poisoned: the update was taken", poison[q].tensor);
        m.params[t[k].off + 3] = 0.01f;  /* cured, it trains again */
        snap_free(&snap);
    }
    EXPECT_OK(tinygpt_train_step(&m, x, y, 2, 8, &loss, &err), err);
    /* finite parameters whose logits overflow: the message says so */
    for (k = 0; k < nt && strcmp(t[k].name, "lm_head.weight") != 0; k++) {}
    if (k < nt) {
        float *keep = falloc(t[k].n);
        memcpy(keep, m.params + t[k].off, t[k].n * sizeof(float));
        for (i = 0; i < t[k].n; i++) m.params[t[k].off + i] = (i % 2 ? 3e38f : -3e38f);
        snap_take(&snap, &m);
        err.message[0] = 0;
        EXPECT_FAIL(tinygpt_train_step(&m, x, y, 2, 8, &loss, &err));
        EXPECT_MENTIONS(err, "not finite");
        EXPECT_MENTIONS(err, "every parameter is finite");
        EXPECTF(has_number(err.message, (unsigned long)m.step), "message \"%s\"", err.message);
        EXPECT(update_not_taken(&snap, &m));
        snap_free(&snap);
        memcpy(m.params + t[k].off, keep, t[k].n * sizeof(float));
        free(keep);
    }
    /* a NaN or infinite gradient: optimizer_step names the step and the tensor */
    for (q = 0; q < 2; q++) {
        const char *name = q ? "h1.mlp.fc.bias" : "lnf.bias", *words = q ? "layer 1 mlp.fc.bias" : "lnf.bias";
        for (k = 0; k < nt && strcmp(t[k].name, name) != 0; k++) {}
        if (!EXPECT(k < nt)) continue;
        tinygpt_zero_grad(&m);
        EXPECT_OK(tinygpt_forward(&m, x, y, 2, 8, 1, &loss, &err), err);
        EXPECT_OK(tinygpt_backward(&m, &err), err);
        m.grads[t[k].off + 1] = q ? NAN : INFINITY;
        snap_take(&snap, &m);
        err.message[0] = 0;
        EXPECT_FAIL(tinygpt_optimizer_step(&m, NULL, &err));
        EXPECTF(mentions(err.message, "gradient") && mentions(err.message, words) &&
                has_number(err.message, (unsigned long)m.step), "%s: message \"%s\"", name, err.message);
        EXPECT(update_not_taken(&snap, &m));
        snap_free(&snap);
    }
    EXPECT_OK(tinygpt_train_step(&m, x, y, 2, 8, &loss, &err), err);
    tinygpt_model_free(&m);
}

/* ---------------------------------------------------------------- file loader = memory loader */

void test_load_layers(void)
{
    tinygpt_train_config tc = tc_plain();
    tinygpt_model m = zero_model, from_file = zero_model, from_mem = zero_model;
    tinygpt_error err, err_mem;
    unsigned char *bytes;
    size_t len = 0;
    char want[600];
    memset(&from_file, 0, sizeof from_file);
    memset(&from_mem, 0, sizeof from_mem);
    if (make_model(&m, fault_text, 8, 1, 2, 8, &tc) != 0) return;
    EXPECT_OK(tinygpt_save(&m, FAULT_FILE, 1, &err), err);
    bytes = read_bytes(FAULT_FILE, &len);
    if (!EXPECT(bytes != NULL)) { tinygpt_model_free(&m); return; }
    EXPECT_OK(tinygpt_load(&from_file, FAULT_FILE, &err), err);
    EXPECT_OK(tinygpt_load_memory(&from_mem, bytes, len, &err), err);
    EXPECT(models_identical(&from_file, &from_mem, 0) && models_identical(&m, &from_mem, 0));
    /* a bad file fails as its bytes do, with the file's name in front */
    bytes[len / 2] ^= 0x40;
    EXPECT(put_file(FAULT_FILE, bytes, len) == 0);
    EXPECT_FAIL(tinygpt_load(&from_file, FAULT_FILE, &err));
    EXPECT_FAIL(tinygpt_load_memory(&from_mem, bytes, len, &err_mem));
    snprintf(want, sizeof want, "%s: %s", FAULT_FILE, err_mem.message);
    EXPECTF(strcmp(err.message, want) == 0, "file: \"%s\", memory: \"%s\"", err.message, err_mem.message);
    /* a directory opens for reading on some systems, but reading it fails */
    err.message[0] = 0;
    EXPECT_FAIL(tinygpt_load(&from_file, "tests", &err));
    EXPECT_MENTIONS(err, "tests");
    EXPECT(models_identical(&from_file, &m, 0));  /* the failed loads kept what they held */
    free(bytes);
    tinygpt_model_free(&m);
    tinygpt_model_free(&from_file);
    tinygpt_model_free(&from_mem);
    remove(FAULT_FILE);
}

/* ---------------------------------------------------------------- fuzzer findings */

void test_fuzz_regressions(void)
{
    tinygpt_model m = zero_model;
    tinygpt_vocab v = zero_vocab;
    tinygpt_error err;
    unsigned char h[132];
    memset(&m, 0, sizeof m);
    /* no crash found so far (see docs/robustness.md). One out-of-memory
       was: a 17,410-position model asked for 1.2 GB to run T = 3, and
       test_short_sequences_allocate_little keeps it fixed (its input is the
       seed tests/fuzz/corpus/load/long-block-size-short-run). These guard the
       edges the harnesses walk: a header alone, and one that claims a
       vocabulary of every code point in a file too short for it */
    memset(h, 0, sizeof h);
    memcpy(h, "tinygpt", 8);
    put_u32(h + 8, 1);
    EXPECT_FAIL(tinygpt_load_memory(&m, h, sizeof h, &err));
    put_u32(h + 16, 0x110000); put_u32(h + 20, 1); put_u32(h + 24, 1); put_u32(h + 28, 1); put_u32(h + 32, 1);
    put_f32(h + 60, 1e-8f);
    fix_crc(h, sizeof h);
    EXPECT_FAIL(tinygpt_load_memory(&m, h, sizeof h, &err));
    EXPECT(m.params == NULL);
    /* text that ends inside a multi-byte character, after good ones */
    EXPECT_FAIL(tinygpt_vocab_build(&v, "\xC3\xA9\xF0\x9F\x98", 5, &err));
    EXPECT(has_number(err.message, 2));
    EXPECT(v.size == 0 && v.codepoints == NULL);
    /* vocab_build collects code points a bitmap byte at a time, over the range
       the text uses (a fuzzer speed-up): the ends of Unicode and of bytes */
    {
        static const char text[] = "\xF4\x8F\xBF\xBF" "a\0\x07\x08\x0F\x10" "\xEF\xBF\xBF" "\xF4\x8F\xBF\xB8" "a";
        static const uint32_t want[9] = {0, 7, 8, 0xF, 0x10, 'a', 0xFFFF, 0x10FFF8, 0x10FFFF};
        if (EXPECT_OK(tinygpt_vocab_build(&v, text, sizeof text - 1, &err), err)) {
            EXPECT(v.size == 9 && memcmp(v.codepoints, want, sizeof want) == 0);
            tinygpt_vocab_free(&v);
        }
        if (EXPECT_OK(tinygpt_vocab_build(&v, "z", 1, &err), err)) {
            EXPECT(v.size == 1 && v.codepoints[0] == 'z');
            tinygpt_vocab_free(&v);
        }
    }
    /* the smallest model there is (every dimension 1), as the resizing load
       harness makes them: it trains, samples, and loads back */
    {
        tinygpt_train_config tc = tc_plain();
        tinygpt_model back = zero_model;
        tinygpt_rng rng;
        int32_t x = 0, out[3] = {-1, -1, -1};
        float loss = -1;
        memset(&back, 0, sizeof back);
        if (make_model(&m, "a", 1, 1, 1, 1, &tc) == 0) {
            tinygpt_rng_seed(&rng, 1);
            EXPECT_OK(tinygpt_train_step(&m, &x, &x, 1, 1, &loss, &err), err);
            EXPECT(loss == 0.0f);  /* one token: always right */
            EXPECT_OK(generate_old(&m, &x, 1, 3, 1.0f, 0, 1.0f, &rng, out, NULL, NULL, NULL, &err), err);
            EXPECT(out[0] == 0 && out[1] == 0 && out[2] == 0);
            EXPECT_OK(tinygpt_save(&m, FAULT_FILE, 1, &err), err);
            EXPECT_OK(tinygpt_load(&back, FAULT_FILE, &err), err);
            EXPECT(models_identical(&m, &back, 1));
        }
        tinygpt_model_free(&m);
        tinygpt_model_free(&back);
        remove(FAULT_FILE);
    }
}

/* ---------------------------------------------------------------- leaks */

void test_no_leaks(void)
{
    /* the tests before this one freed everything the library allocated */
    EXPECTF(g_lib_live == 0, "%ld library allocations still live after all the tests", g_lib_live);
}
