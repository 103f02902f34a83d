# tinygpt: make examples | make test | make clean
# CC=clang works too. Release flags: -O3 and, where the compiler has them,
# -march=native (the matmul relies on the compiler vectorising it) and -fopenmp.
CC      ?= cc
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

EXAMPLES := train_shakespeare generate evaluate minimal

.PHONY: all examples test clean data

all: examples

examples: $(EXAMPLES) data

$(EXAMPLES): %: examples/%.c tinygpt.h
	$(CC) $(CFLAGS) -I. -o $@ $< $(LDLIBS)

# Fetch the corpus when it is missing; offline, say so and carry on.
data: data/tinyshakespeare.txt
data/tinyshakespeare.txt:
	@mkdir -p data
	@if command -v curl >/dev/null 2>&1; then curl -fsSL -o $@.part "$(CORPUS_URL)" && mv $@.part $@; \
	 elif command -v wget >/dev/null 2>&1; then wget -q -O $@.part "$(CORPUS_URL)" && mv $@.part $@; fi; \
	 rm -f $@.part; \
	 if [ ! -f $@ ]; then echo "note: could not download the corpus; see data/README.md (the build itself succeeded)"; fi

tests/test_tinygpt: tests/test_tinygpt.c tinygpt.h
	$(CC) $(CFLAGS) -I. -o $@ tests/test_tinygpt.c $(LDLIBS)

test: tests/test_tinygpt
	./tests/test_tinygpt

clean:
	rm -f $(EXAMPLES) tests/test_tinygpt
