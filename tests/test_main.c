/* test_main.c - the test driver for tinygpt.h: main runs every group of the test files below and counts */
/* Build and run from the top directory:  make test
   (or: cc -std=c99 -O2 -I. -o tests/test_tinygpt FILES -lm && ./tests/test_tinygpt,
   FILES being every .c file directly in tests/: the Makefile's TEST_SRC)

       ./tests/test_tinygpt [--quick] [GOLDEN_DIR]

   --quick shrinks sizes (for slow emulated platforms); every test still runs.
   GOLDEN_DIR defaults to tests/golden (init.bin, trained.bin, stepped.bin, text.txt).
   Temporary files go to tests/tmp_*.bin and are removed afterwards.

   Counting: every EXPECT is one check. A failed check prints one line
   (file:line, the expression, the values involved); each test group prints
   one summary line; the last line is exactly "N passed, N failed", and the
   exit status is 0 only when nothing failed. Nothing here asserts on time.

   One program from these files (each its own translation unit, with its own
   static copy of tinygpt.h: tinygpt_impl.h; what they share: expect.h):
     test_main.c        main, the order of the groups
     helpers.c          the checks' machinery and counters, the shared helpers
     test_vocab.c       the vocabulary: UTF-8, encode, decode
     test_data.c        batches, the train/validation split, the rng
     test_ops.c         matmul and the ops, forward and backward
     test_model.c       the whole model: gradients, the reference, golden files, evaluation, errors
     test_optim.c       AdamW, the schedule, overfitting
     test_sampling.c    sampling and the key/value cache
     test_checkpoint.c  save, load, resume, reading rules, int8, views, the portable file
     test_memory.c      the counting allocator, examples/hugepages.h, memory bounds
     test_faults.c      allocation failure, killed saves, full disks, NaN, fuzzer finds */
#include "tinygpt_impl.h"  /* first: feature macros, expect.h, this file's own copy of tinygpt.h */

#ifndef TEST_MODEL
#define TEST_MODEL 1 /* the model/checkpoint/sampling tests; -DTEST_MODEL=0 runs only the ops */
#endif

/* ======================================================================== */
/*                                    main                                  */
/* ======================================================================== */

typedef struct { const char *name; void (*fn)(void); } test_group;

static const test_group groups[] = {
    {"vocabulary", test_vocab},
    {"rng, batches, split", test_batches},
    {"matmul", test_matmul},
    {"ops: forward and backward vs finite differences", test_ops},
#if TEST_MODEL
    {"model creation", test_model_create},
    {"whole-model gradient vs finite differences", test_model_gradients},
    {"reference path: whole model forward and backward", test_reference_model},
    {"golden checkpoints (PyTorch)", test_golden},
    {"portable checkpoint (tests/portable)", test_portable},
    {"sizes that wrap a 32-bit size_t", test_size_limits},
    {"short sequences allocate little", test_short_sequences_allocate_little},
    {"AdamW and the lr schedule", test_optimizer},
    {"save / load round trip", test_save_load},
    {"resume bit for bit", test_resume},
    {"checkpoint reading rules", test_reading_rules},
    {"overfit a tiny text", test_overfit},
    {"sampling", test_sampling},
    {"evaluate_tokens and estimate_loss", test_evaluate},
    {"two models in one process", test_two_models},
    {"huge-page allocator (examples/hugepages.h)", test_hugepages},
    {"error paths", test_errors},
    /* hostile input and faults (test_faults.c): allocation failure, killed saves, NaN, ... */
    {"allocation failure", test_alloc_failures},
    {"crash-safe saving (SIGKILL)", test_crash_safe_save},
    {"full disk, unwritable directory", test_save_errors},
    {"save: concurrent savers, links, permissions, a directory", test_save_paths},
    {"states the library refuses: zeroed models, edited configs, bad updates", test_hostile_state},
    {"numerical faults", test_numeric_faults},
    {"file loader over memory loader", test_load_layers},
    {"fuzzer regressions", test_fuzz_regressions},
    {"no leaks", test_no_leaks},
    {"int8 checkpoints", test_int8},
    {"views: sampling from an image in place (tinygpt_load_view)", test_views}
#endif
};

int main(int argc, char **argv)
{
    int i, ng = (int)(sizeof groups / sizeof groups[0]);
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) g_quick = 1;
        else if (argv[i][0] == '-') {
            printf("usage: %s [--quick] [GOLDEN_DIR]\n", argv[0]);
            return 2;
        } else {
            strncpy(g_golden_dir, argv[i], sizeof g_golden_dir - 1);
        }
    }
    {   /* the driver reads tests/golden and writes scratch files under tests/: say so, not 300 failures */
        FILE *probe = fopen(golden_path("init.bin"), "rb");
        if (!probe) {
            printf("cannot open %s: run the tests from the repository root (make test)\n",
                   golden_path("init.bin"));
            return 2;
        }
        fclose(probe);
    }
    g_work = falloc(tinygpt__matmul_work_size(1));
    for (i = 0; i < ng; i++) {
        int p0 = g_passed, f0 = g_failed;
        printf("[%d/%d] %s\n", i + 1, ng, groups[i].name);
        fflush(stdout);
        groups[i].fn();
        printf("[%d/%d] %s: %d passed, %d failed\n", i + 1, ng, groups[i].name, g_passed - p0, g_failed - f0);
        fflush(stdout);
    }
    free(g_work);
    printf("%d passed, %d failed\n", g_passed, g_failed);
    return g_failed == 0 ? 0 : 1;
}
