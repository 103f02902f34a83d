# tinygpt: make examples | make test | make clean
# Release flags: -O3 and, where the compiler has them, -march=native (the
# matmul relies on the compiler vectorising it) and -fopenmp.
# The compiler: clang when it is installed with a working OpenMP, else cc
# (a seed-model training step measured 8-10% faster with clang 14 than with
# gcc 12, at 1 and 2 threads; docs/performance.md). CC=gcc,
# CC=cc or any other on the command line wins.
ifeq ($(origin CC),default)
CC := $(shell echo 'int main(void){return 0;}' | clang -fopenmp -x c - -o /dev/null >/dev/null 2>&1 && echo clang || echo cc)
endif
CSTD    ?= -std=c99
WARN    ?= -Wall -Wextra -pedantic
NATIVE  := $(shell $(CC) -march=native -E -x c /dev/null >/dev/null 2>&1 && echo -march=native)
# OpenMP threads where the compiler and its runtime are there; the header
# builds and runs single-threaded without them.
OPENMP  := $(shell echo 'int main(void){return 0;}' | $(CC) -fopenmp -x c - -o /dev/null >/dev/null 2>&1 && echo -fopenmp)
OPT     ?= -O3 $(NATIVE) $(OPENMP)
CFLAGS  ?= $(CSTD) $(WARN) $(OPT)
LDLIBS  ?= -lm
CORPUS_URL := https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt

EXAMPLES := train_shakespeare generate evaluate minimal quantize

.PHONY: all examples test clean data bench

all: examples

examples: $(EXAMPLES) data

$(EXAMPLES): %: examples/%.c examples/common.h examples/lossplot.h examples/hugepages.h tinygpt.h
	$(CC) $(CFLAGS) -I. -o $@ $< $(LDLIBS)

# Fetch the corpus when it is missing; offline, say so and carry on.
data: data/tinyshakespeare.txt
data/tinyshakespeare.txt:
	@mkdir -p data
	@if command -v curl >/dev/null 2>&1; then curl -fsSL -o $@.part "$(CORPUS_URL)" && mv $@.part $@; \
	 elif command -v wget >/dev/null 2>&1; then wget -q -O $@.part "$(CORPUS_URL)" && mv $@.part $@; fi; \
	 rm -f $@.part; \
	 if [ ! -f $@ ]; then echo "note: could not download the corpus (the build itself succeeded). Fetch it when online:"; \
	   echo "  curl -fL -o $@ $(CORPUS_URL)"; echo "  (or wget -O $@ $(CORPUS_URL)); any UTF-8 text works too: ./train_shakespeare --data FILE"; fi

# The test driver: one program from every .c file directly in tests/ (main is
# in tests/test_main.c; each file compiles its own static copy of tinygpt.h,
# tests/tinygpt_impl.h; tests/portable.sh and .ci/run take tests/*.c alike).
TEST_SRC := tests/test_main.c tests/helpers.c tests/test_vocab.c tests/test_data.c tests/test_ops.c \
            tests/test_model.c tests/test_optim.c tests/test_sampling.c tests/test_checkpoint.c \
            tests/test_memory.c tests/test_faults.c
TEST_DEPS := $(TEST_SRC) tests/expect.h tests/tinygpt_impl.h tests/crc32_ref.h examples/hugepages.h tinygpt.h

tests/test_tinygpt: $(TEST_DEPS)
	$(CC) $(CFLAGS) -I. -o $@ $(TEST_SRC) $(LDLIBS)

test: tests/test_tinygpt
	./tests/test_tinygpt

# make portable: the test driver on every compiler and platform of docs/platforms.md (installs what it needs with apt-get; see tests/portable.sh).
.PHONY: portable
portable:
	tests/portable.sh

# make bench: the performance table of issue 4 (bench/bench.c), built with the
# release flags above and rebuilt every time. Its OpenBLAS column is there only
# when a cblas program links with -lopenblas (Debian: libopenblas-dev); the
# header never links it. BENCH_QUICK=1 runs the small version CI uses;
# BENCH_ARGS passes more options (e.g. --no-torch; see bench/bench.c).
# OpenMP threads wait passively (OMP_WAIT_POLICY=passive, as issue 4 asks for
# PyTorch's 2-thread run) unless you set it: on a shared machine busy-waiting
# threads lose their core to other work and a step takes several times longer.
BENCH_OPENBLAS = $(shell printf '\043include <cblas.h>\nint main(void){float a=1,c=0;cblas_sgemm(CblasRowMajor,CblasNoTrans,CblasNoTrans,1,1,1,1.0f,&a,1,&a,1,0.0f,&c,1);return c != 1;}\n' \
	| $(CC) -x c - -o /dev/null -lopenblas >/dev/null 2>&1 && echo -DTINYGPT_BENCH_OPENBLAS -lopenblas)
bench: bench/bench.c examples/hugepages.h tinygpt.h
	$(CC) $(CFLAGS) -I. -DTINYGPT_BENCH_FLAGS='"$(CC) $(OPT)"' -o bench/bench bench/bench.c $(LDLIBS) $(BENCH_OPENBLAS)
	OMP_WAIT_POLICY=$${OMP_WAIT_POLICY:-passive} ./bench/bench $(if $(filter-out 0,$(BENCH_QUICK)),--quick) $(BENCH_ARGS)

# Robustness (docs/robustness.md); everything these build goes to build/.
#   make sanitize    the test driver under clang's AddressSanitizer + UBSan
#   make valgrind    train + save, resume (load), generate, evaluate under memcheck
#   make fuzz        each libFuzzer harness of tests/fuzz/ for FUZZ_TIME seconds
#                    (FUZZ_SEED=S FUZZ_RUNS=N: the same N inputs every time, as CI runs it)
#   make fuzz-seeds  rewrites the committed seed corpora, tests/fuzz/corpus/
# The sanitizer runtimes and libFuzzer come with clang (Debian: libclang-rt-N-dev).
SAN_CC     ?= clang
SAN_OPENMP := $(shell echo 'int main(void){return 0;}' | $(SAN_CC) -fopenmp -x c - -o /dev/null >/dev/null 2>&1 && echo -fopenmp)
SANITIZE   := -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_TIME  ?= 60
FUZZ_SEED  ?= 0
FUZZ_RUNS  ?= -1
# memcheck builds: no -march=native (valgrind lacks AVX-512) and no OpenMP
# (its thread pool is not ours to free)
VALGRIND   := valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
VG_TRAIN   := --data tests/golden/text.txt --block_size 16 --n_embd 16 --n_head 2 --n_layer 1 \
              --batch_size 2 --eval_iters 1 --sample_chars 20 --log build/vg/log.csv
vg = $(VALGRIND) --log-file=build/vg/$(1).log $(2) >/dev/null || { cat build/vg/$(1).log; exit 1; }

.PHONY: sanitize valgrind fuzz fuzz-seeds

build/test_asan: $(TEST_DEPS)
	@mkdir -p build
	$(SAN_CC) $(CSTD) $(WARN) $(SANITIZE) $(SAN_OPENMP) -I. -o $@ $(TEST_SRC) $(LDLIBS)

sanitize: build/test_asan
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ./build/test_asan

build/vg/%: examples/%.c examples/common.h examples/lossplot.h examples/hugepages.h tinygpt.h
	@mkdir -p build/vg
	$(CC) $(CSTD) $(WARN) -O2 -g -I. -o $@ $< $(LDLIBS)

valgrind: build/vg/train_shakespeare build/vg/generate build/vg/evaluate
	@rm -f build/vg/ck.bin build/vg/log.csv build/vg/*.log
	@$(call vg,train,build/vg/train_shakespeare $(VG_TRAIN) --max_iters 6 --eval_interval 3 --out build/vg/ck.bin)
	@$(call vg,resume,build/vg/train_shakespeare $(VG_TRAIN) --resume build/vg/ck.bin --max_iters 9 --eval_interval 3)
	@$(call vg,generate,build/vg/generate build/vg/ck.bin --max_new_tokens 40)
	@$(call vg,evaluate,build/vg/evaluate build/vg/ck.bin tests/golden/text.txt)
	@grep -H "ERROR SUMMARY\|definitely lost\|no leaks are possible" build/vg/*.log

build/fuzz_%: tests/fuzz/fuzz_%.c tests/crc32_ref.h tinygpt.h
	@mkdir -p build
	$(SAN_CC) $(CSTD) $(WARN) -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -I. -o $@ $< $(LDLIBS)

# New inputs go to build/fuzz/NAME (the committed seeds stay as they are); a
# crash stops make and leaves its input as build/fuzz/NAME-crash-*.
fuzz: build/fuzz_load build/fuzz_vocab
	@for h in load vocab; do \
	  mkdir -p build/fuzz/$$h; \
	  echo "fuzz_$$h: $(FUZZ_TIME) s (seed $(FUZZ_SEED), runs $(FUZZ_RUNS)) from tests/fuzz/corpus/$$h"; \
	  ./build/fuzz_$$h -max_total_time=$(FUZZ_TIME) -seed=$(FUZZ_SEED) -runs=$(FUZZ_RUNS) \
	    -max_len=8192 -timeout=30 -print_final_stats=1 \
	    -artifact_prefix=build/fuzz/$$h- build/fuzz/$$h tests/fuzz/corpus/$$h >build/fuzz/$$h.log 2>&1 \
	    || { tail -n 80 build/fuzz/$$h.log; exit 1; }; \
	  grep -E "stat::(number_of_executed_units|average_exec_per_sec|new_units_added)|cov: " build/fuzz/$$h.log | tail -n 4; \
	done

build/make_seeds: tests/fuzz/make_seeds.c tinygpt.h
	@mkdir -p build
	$(CC) $(CSTD) $(WARN) -O1 -I. -o $@ $< $(LDLIBS)

fuzz-seeds: build/make_seeds
	mkdir -p tests/fuzz/corpus/load tests/fuzz/corpus/vocab
	./build/make_seeds tests/fuzz/corpus

# make plot [CSV=train_log.csv] [SVG=out.svg] [TITLE="run name"]: redraws a
# training log's loss plot (the SVG goes next to the CSV unless SVG is given)
build/bin/plot: examples/plot.c examples/lossplot.h
	@mkdir -p build/bin
	$(CC) $(CSTD) $(WARN) -O2 -o $@ examples/plot.c $(LDLIBS)

.PHONY: plot
plot: build/bin/plot
	./build/bin/plot $(or $(CSV),train_log.csv) $(SVG) $(if $(TITLE),--title "$(TITLE)")

# make embedded-run: the example model sampled on an emulated Cortex-M4F
# (installs gcc-arm-none-eabi, newlib and qemu-system-arm when missing);
# make embedded-check also runs it natively and compares the two outputs.
.PHONY: embedded-run embedded-check
embedded-run:
	$(MAKE) -C examples/embedded run
embedded-check:
	$(MAKE) -C examples/embedded check

.PHONY: help
help:
	@echo "make examples     build train_shakespeare, generate, evaluate, minimal (and fetch the corpus)"
	@echo "make test         the test driver; its last line is 'N passed, N failed'"
	@echo "make bench        speed figures against the machine's limits (and PyTorch, when installed)"
	@echo "make plot CSV=F   redraw the loss plot of a training log"
	@echo "make data         download tiny Shakespeare into data/"
	@echo "make sanitize     the tests under AddressSanitizer + UBSan"
	@echo "make valgrind     train, resume, generate, evaluate under memcheck"
	@echo "make fuzz         the libFuzzer harnesses (FUZZ_TIME seconds each)"
	@echo "make portable     the tests on every compiler and platform (installs what it needs)"
	@echo "make embedded-run the example model on an emulated bare-metal Cortex-M4F"
	@echo "make clean        remove what the targets built"

clean:
	rm -f $(EXAMPLES) tests/test_tinygpt bench/bench
	rm -rf build
