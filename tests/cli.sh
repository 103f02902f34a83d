#!/usr/bin/env bash
# tests/cli.sh - the example programs as a user runs them: their flags, the
# files they read and write, and what they refuse. One line per case, then
# "N passed, N failed"; exits non-zero when any case fails.
#
#   tests/cli.sh           builds train_shakespeare, generate and evaluate from
#                          examples/ into a temporary folder (CC, default cc) and tests them
#   tests/cli.sh BINDIR    tests the programs already in BINDIR (e.g. older builds)
#
# Run from anywhere; it works in the repository root. Every run is tiny (a
# 16-wide, 1-layer model on tests/golden/text.txt) and runs under a 4 GB
# address-space limit and a time limit, so a run that tries to build a huge
# model fails fast instead of taking the machine.
set -u
cd "$(dirname "$0")/.."
root=$PWD
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

CC=${CC:-cc}
OPENMP=$(echo 'int main(void){return 0;}' | $CC -fopenmp -x c - -o /dev/null >/dev/null 2>&1 && echo -fopenmp)
if [ $# -ge 1 ]; then
  bin=$(cd "$1" && pwd)
else
  bin=$tmp/bin
  mkdir -p "$bin"
  for p in train_shakespeare generate evaluate; do
    $CC -std=c99 -Wall -Wextra -pedantic -O2 $OPENMP -I. -o "$bin/$p" examples/$p.c -lm ||
      { echo "cannot build examples/$p.c"; exit 1; }
  done
fi

# scale_params CKPT OUT X: a copy of CKPT with every parameter set to X (finite
# but too large for a finite loss); built from the current header.
cat >"$tmp/scale_params.c" <<'EOF'
#define TINYGPT_IMPLEMENTATION
#include "tinygpt.h"
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv)
{
    tinygpt_model m = {0};
    tinygpt_error e;
    size_t i;
    if (argc != 4 || tinygpt_load(&m, argv[1], &e) != 0) { fprintf(stderr, "scale_params: %s\n", argc == 4 ? e.message : "usage"); return 1; }
    for (i = 0; i < m.num_params; i++) m.params[i] = (float)atof(argv[3]);
    if (tinygpt_save(&m, argv[2], 0, &e) != 0) { fprintf(stderr, "scale_params: %s\n", e.message); return 1; }
    tinygpt_model_free(&m);
    return 0;
}
EOF
$CC -std=c99 -O1 -I. -o "$tmp/scale_params" "$tmp/scale_params.c" -lm || { echo "cannot build the helper"; exit 1; }

TEXT=$root/tests/golden/text.txt
TINY=(--block_size 16 --n_embd 16 --n_head 2 --n_layer 1 --batch_size 2 --eval_iters 1 --sample_chars 0)

passed=0 failed=0
# run PROGRAM ARGS...: runs bin/PROGRAM in the case's folder; $rc its status,
# $out its stdout and stderr together, $secs the wall time
run() {
  local p=$1 t0 t1
  shift
  t0=$(date +%s.%N)
  out=$( (ulimit -v 4000000; exec timeout 20 "$bin/$p" "$@") 2>&1 )
  rc=$?
  t1=$(date +%s.%N)
  secs=$(awk "BEGIN { print $t1 - $t0 }")
}
ok=1 why=""
expect() {  # expect DESCRIPTION COMMAND...: the case fails unless COMMAND succeeds
  local d=$1
  shift
  if ! "$@" >/dev/null 2>&1; then
    [ $ok = 1 ] && why="$d (status $rc: $(printf '%s' "$out" | tail -n 1 | cut -c1-150))"
    ok=0
  fi
}
says() { printf '%s' "$out" | grep -qF -- "$1"; }
says_not() { ! printf '%s' "$out" | grep -qF -- "$1"; }
status() { [ "$rc" = "$1" ]; }
failed_run() { [ "$rc" != 0 ] && [ "$rc" != 124 ] && [ "$rc" -lt 128 ]; }  # refused: not killed, not timed out
quick() { awk "BEGIN { exit !($secs < 10) }"; }
differ() { ! cmp -s "$1" "$2"; }
begin() {  # begin NAME: a fresh folder with a copy of the text, cwd there
  name=$1 ok=1 why=""
  mkdir -p "$tmp/case/$name"
  cd "$tmp/case/$name"
  cp "$TEXT" text.txt
  cp "$TEXT" text.orig
}
end() {
  if [ $ok = 1 ]; then echo "ok    $name"; passed=$((passed + 1))
  else echo "FAIL  $name: $why"; failed=$((failed + 1)); fi
  cd "$root"
}
train() { run train_shakespeare --data text.txt "${TINY[@]}" "$@"; }
# a checkpoint (and log) from a short run: ck.bin, ck.csv in the case's folder
make_ckpt() { train --max_iters 4 --eval_interval 2 --out ck.bin --log ck.csv >/dev/null; cp ck.bin ck.orig; }

# ---------------------------------------------------------------- flags

begin "help: train_shakespeare lists every flag, --overwrite too"
run train_shakespeare --help
expect "exit 0" status 0
for f in batch_size block_size n_layer n_head n_embd dropout learning_rate max_iters warmup_iters min_lr \
         weight_decay beta1 beta2 grad_clip eval_interval eval_iters seed data out log resume threads \
         log_interval sample_chars overwrite init_from final_sample_chars; do
  expect "--$f listed" says "--$f "
done
end

begin "help: generate and evaluate list every flag and argument"
run generate --help
expect "generate exits 0" status 0
for f in CKPT --start --max_new_tokens --num_samples --temperature --top_k --top_p --seed --threads --interactive; do
  expect "generate $f listed" says "$f "
done
run evaluate --help
expect "evaluate exits 0" status 0
for f in CKPT TEXTFILE --batch_size --threads; do expect "evaluate $f listed" says "$f"; done
end

begin "flags: --flag value and --flag=value are the same"
make_ckpt
run generate ck.bin --max_new_tokens 20 --seed 7 --top_k=5
a=$out
run generate ck.bin --max_new_tokens=20 --seed=7 --top_k 5
expect "exit 0" status 0
expect "same text" [ "$a" = "$out" ]
end

begin "flags: unknown flags, missing values and arguments are refused"
run generate --nope 1 ck.bin;            expect "unknown flag" says "unknown flag '--nope'"
run evaluate x.bin;                      expect "missing TEXTFILE" says "TEXTFILE"
run generate;                            expect "missing CKPT" failed_run
run train_shakespeare --max_iters;       expect "--max_iters needs a value" says "--max_iters needs a value"
run evaluate a b c;                      expect "extra argument" says "unexpected argument 'c'"
end

# ---------------------------------------------------------------- 1. the start-up check truncates nothing

begin "1. a symlink at OUT.tmp: its target is never written (start-up check, save)"
echo "precious" >victim
ln -s victim out.bin.tmp
train --max_iters 2 --eval_interval 0 --out out.bin --log log.csv
expect "the run succeeds" status 0
expect "the link's target is untouched" [ "$(cat victim)" = "precious" ]
expect "the link is still a link to it" [ -L out.bin.tmp ]
expect "out.bin is a regular file" test -f out.bin -a ! -L out.bin
end

begin "1. the start-up check leaves no file behind"
mkdir d
train --max_iters 1 --eval_interval 0 --out d/out.bin --log d/log.csv
expect "the run succeeds" status 0
expect "only out.bin, log.csv and its plot log.svg in the folder" [ "$(ls -A d | tr '\n' ' ')" = "log.csv log.svg out.bin " ]
end

# ---------------------------------------------------------------- 2. paths that alias

begin "2. --out equal to --data is refused, the text kept"
train --max_iters 1 --out text.txt --log log.csv
expect "refused" failed_run
expect "names both flags" says "--out and --data name the same file (text.txt)"
expect "text unchanged" cmp text.txt text.orig
expect "no log written" [ ! -e log.csv ]
end

begin "2. --log equal to --data (another spelling) is refused, the text kept"
train --max_iters 1 --out out.bin --log ./text.txt
expect "refused" failed_run
expect "names both flags" says "--log and --data name the same file"
expect "text unchanged" cmp text.txt text.orig
end

begin "2. --log a symbolic link to --data is refused"
ln -s text.txt link.csv
train --max_iters 1 --out out.bin --log link.csv
expect "refused" failed_run
expect "names both flags" says "--log and --data name the same file"
expect "text unchanged" cmp text.txt text.orig
end

begin "2. --out a hard link of --data is refused"
ln text.txt hard.bin
train --max_iters 1 --out hard.bin --log log.csv
expect "refused" failed_run
expect "names both flags" says "--out and --data name the same file"
expect "text unchanged" cmp text.txt text.orig
end

begin "2. --resume X --log X is refused, the checkpoint kept"
make_ckpt
train --resume ck.bin --log ck.bin --max_iters 6
expect "refused" failed_run
expect "names both flags" says "--log and --resume name the same file (ck.bin)"
expect "checkpoint unchanged" cmp ck.bin ck.orig
end

begin "2. --out equal to --log is refused"
train --max_iters 1 --out same.bin --log same.bin
expect "refused" failed_run
expect "names both flags" says "--out and --log name the same file (same.bin)"
expect "nothing written" [ ! -e same.bin ]
end

begin "2. --out out.bin --log ./out.bin (neither there yet) is refused"
train --max_iters 1 --out out.bin --log ./out.bin
expect "refused" failed_run
expect "names both flags" says "--out and --log name the same file (out.bin and ./out.bin)"
expect "nothing written" [ ! -e out.bin ]
end

# ---------------------------------------------------------------- 3. running the quick start twice

begin "3. a fresh run over an existing --out is refused, naming --resume and --overwrite"
make_ckpt
train --max_iters 2 --out ck.bin --log new.csv
expect "refused" failed_run
expect "names --resume ck.bin" says "--resume ck.bin"
expect "names --overwrite" says "--overwrite"
expect "checkpoint unchanged" cmp ck.bin ck.orig
expect "no log written" [ ! -e new.csv ]
end

begin "3. a fresh run over an existing --log is refused, naming it"
echo "step,train_loss,val_loss,elapsed_s" >old.csv
echo "1,2.0,,0.1" >>old.csv
cp old.csv old.orig
train --max_iters 2 --out new.bin --log old.csv
expect "refused" failed_run
expect "names the log" says "old.csv"
expect "names --overwrite" says "--overwrite"
expect "log unchanged" cmp old.csv old.orig
expect "no checkpoint written" [ ! -e new.bin ]
end

begin "3. --overwrite replaces both; it takes no value"
make_ckpt
train --max_iters 2 --eval_interval 0 --out ck.bin --log ck.csv --overwrite
expect "the run succeeds" status 0
expect "checkpoint replaced" differ ck.bin ck.orig
expect "a fresh log: one header, one eval row" [ "$(grep -c step ck.csv)" = 1 ]
train --max_iters 2 --out x.bin --log x.csv --overwrite=1
expect "--overwrite=1 refused" says "--overwrite takes no value"
end

begin "3. --resume appends to the log and writes the resumed file"
make_ckpt
lines=$(wc -l <ck.csv)
train --resume ck.bin --log ck.csv --max_iters 6 --eval_interval 2
expect "the run succeeds" status 0
expect "the log grew" [ "$(wc -l <ck.csv)" -gt "$lines" ]
expect "one header line" [ "$(grep -c '^step' ck.csv)" = 1 ]
expect "the checkpoint moved on" differ ck.bin ck.orig
end

# ---------------------------------------------------------------- 4. --out a folder; every failure says why

begin "4. --out naming a folder is refused at start-up"
mkdir outdir
train --max_iters 100000 --eval_interval 0 --out outdir --log log.csv
expect "refused" failed_run
expect "at once" quick
expect "names the folder" says "outdir"
expect "no outdir.tmp left" [ ! -e outdir.tmp ]
end

begin "4. --out in a missing folder: refused, saying why"
train --max_iters 1 --out nowhere/ck.bin --log log.csv
expect "refused" failed_run
expect "says why" says "No such file or directory"
end

begin "4. --log naming a folder is refused at start-up, saying why"
mkdir logdir
train --max_iters 100000 --eval_interval 0 --out ck.bin --log logdir
expect "refused" failed_run
expect "at once" quick
expect "names it" says "logdir"
end

begin "4. a missing --data, checkpoint or text: the reason is given"
train --data missing.txt --max_iters 1 --out ck.bin --log log.csv
expect "train says why" says "No such file or directory"
run generate missing.bin
expect "generate says why" says "No such file or directory"
make_ckpt
run evaluate ck.bin missing.txt
expect "evaluate says why" says "No such file or directory"
end

begin "4. writing to a full stdout: generate says why and exits 1"
make_ckpt
if [ -w /dev/full ]; then
  out=$( (exec "$bin/generate" ck.bin --max_new_tokens 5000 >/dev/full) 2>&1 ); rc=$?
  expect "exit 1" status 1
  expect "says why" says "No space left on device"
fi
end

# ---------------------------------------------------------------- 10. flag messages and early checks

begin "10. --temperature 1e-320 (underflows) is accepted"
make_ckpt
run generate ck.bin --max_new_tokens 5 --temperature 1e-320
expect "exit 0" status 0
end

begin "10. --learning_rate 1e-320 (underflows) is accepted"
train --max_iters 1 --eval_interval 0 --out ck.bin --log log.csv --learning_rate 1e-320
expect "exit 0" status 0
end

begin "10. --batch_size 2147483648 is too large"
train --max_iters 1 --out ck.bin --log log.csv --batch_size 2147483648
expect "refused" failed_run
expect "says too large" says "too large"
end

begin "10. --dropout 0.9999999999 (1 as a float) is refused by the flag check"
train --max_iters 1 --out ck.bin --log log.csv --dropout 0.9999999999
expect "refused" failed_run
expect "names --dropout" says "for --dropout"
expect "not the library's (got 1)" says_not "(got 1)"
end

begin "10. a huge --block_size: the text is too short, found before the model is built"
train --max_iters 1 --out ck.bin --log log.csv --block_size 100000000
expect "refused" failed_run
expect "at once" quick
expect "says the split is too short" says "needs at least block_size+1"
end

begin "10. a run larger than the machine: refused before it is built, with the figure"
train --max_iters 1 --out ck.bin --log log.csv --n_embd 32768 --n_head 1 --n_layer 8
expect "refused" failed_run
expect "at once" quick
expect "gives the memory needed" says "GiB"
end

begin "evaluate: a loss that is not finite is an error"
make_ckpt
"$tmp/scale_params" ck.bin big.bin 3e38 >/dev/null 2>&1
run evaluate big.bin text.txt
expect "exit 1" status 1
expect "no loss printed" says_not "loss nan"
end

# ---------------------------------------------------------------- issue 16: training output, a newcomer's path

begin "16. progress line: elapsed, eta, tok/s, GFLOP/s; one CSV row per logged step, val_loss at evals"
train --max_iters 12 --eval_interval 4 --log_interval 2 --out ck.bin --log ck.csv --final_sample_chars 0
expect "the run succeeds" status 0
for w in "| elapsed " "| eta " " tok/s | " " GFLOP/s | " " ms/step | "; do expect "the progress line shows '$w'" says "$w"; done
expect "one header" [ "$(grep -c '^step' ck.csv)" = 1 ]
expect "rows at steps 2, 4, ..., 12, each once" [ "$(tail -n +2 ck.csv | cut -d, -f1 | tr '\n' ' ')" = "2 4 6 8 10 12 " ]
expect "val_loss at 4, 8 and 12 only" [ "$(awk -F, 'NR > 1 && $3 != "" { printf "%s ", $1 }' ck.csv)" = "4 8 12 " ]
expect "every row has a train loss and an elapsed_s" [ "$(awk -F, 'NR > 1 && ($2 == "" || $4 == "")' ck.csv | wc -l)" = 0 ]
end

begin "16. an eval off the log interval and the last step get one row each"
train --max_iters 7 --eval_interval 3 --log_interval 5 --out ck.bin --log ck.csv --final_sample_chars 0
expect "the run succeeds" status 0
expect "rows 3, 5, 6, 7" [ "$(tail -n +2 ck.csv | cut -d, -f1 | tr '\n' ' ')" = "3 5 6 7 " ]
expect "val_loss at 3, 6 and 7 (the end)" [ "$(awk -F, 'NR > 1 && $3 != "" { printf "%s ", $1 }' ck.csv)" = "3 6 7 " ]
end

begin "16. the plot is drawn next to the log, titled after the run; the summary names everything"
train --max_iters 6 --eval_interval 3 --out ck.bin --log run.csv --final_sample_chars 30
expect "the run succeeds" status 0
expect "run.svg is an SVG" grep -q "<svg" run.svg
expect "its title names the data file and the shape" grep -q "text.txt .* 1 layer, 2 heads, 16 wide, block 16" run.svg
expect "summary: best val loss" says "best val loss "
expect "summary: final val loss at step 6" grep -q "final val loss .* at step 6" <<<"$out"
expect "summary: wall time" says "wall time "
expect "summary: the checkpoint" says "checkpoint      ck.bin"
expect "summary: the plot" says "loss plot       run.svg"
expect "a 30-character sample at the end" says "---- 30 characters from step 6"
train --max_iters 2 --eval_interval 0 --out ck2.bin --log run2.csv --final_sample_chars 0
expect "--final_sample_chars 0: no sample" says_not "characters from step"
end

begin "16. a plot that cannot be written only warns; the run goes on"
mkdir run.svg && touch run.svg/keep  # a folder with a file where the plot goes
train --max_iters 4 --eval_interval 2 --out ck.bin --log run.csv --final_sample_chars 0
expect "the run succeeds" status 0
expect "it warns, naming the plot" says "warning: the loss plot run.svg was not drawn"
expect "the checkpoint is written" test -f ck.bin
expect "the folder is untouched" test -f run.svg/keep
end

begin "16. --log next to --data: a plot that would replace the text is refused"
cp text.txt text.svg
train --max_iters 1 --out ck.bin --log text.csv --data text.svg
expect "refused" failed_run
expect "names the plot and --data" says "the loss plot text.svg"
expect "the text kept" cmp text.svg text.orig
end

begin "16. --resume: elapsed_s goes on from the log's last row; an unfinished last line is dropped"
make_ckpt
awk -F, 'BEGIN { OFS = "," } NR == 1 { print; next } { $4 = 1000 + NR; print }' ck.csv >ck.tmp && mv ck.tmp ck.csv
printf '5,3.1' >>ck.csv  # a row cut short
train --resume ck.bin --log ck.csv --max_iters 6 --eval_interval 2 --final_sample_chars 0
expect "the run succeeds" status 0
expect "it notes the unfinished line" says "unfinished line"
expect "the cut row is gone" [ "$(grep -c '^5,3\.1' ck.csv)" = 0 ]
expect "every row is whole" [ "$(awk -F, 'NF != 4' ck.csv | wc -l)" = 0 ]
expect "the new rows' elapsed_s continue past 1003" awk -F, 'END { exit !($1 == 6 && $4 > 1003) }' ck.csv
expect "the summary gives the whole run's time" says "since the run began"
end

begin "16. offline without the corpus: where to download it and where to put it; nothing written"
run train_shakespeare "${TINY[@]}" --max_iters 1
expect "refused" failed_run
expect "the URL" says "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt"
expect "a curl command" says "curl -fL -o data/tinyshakespeare.txt https://"
expect "a wget command" says "wget -O data/tinyshakespeare.txt https://"
expect "not 'make data', which fails offline too" says_not "make data"
expect "no checkpoint" [ ! -e ckpt.bin ]
expect "no log" [ ! -e train_log.csv ]
end

# ---------------------------------------------------------------- issue 18: --init_from, --interactive

begin "18. --init_from: the checkpoint's weights, the flags' hyperparameters, a fresh optimizer from step 0"
make_ckpt  # ck.bin at step 4
train --init_from ck.bin --max_iters 2 --eval_interval 0 --learning_rate 0.002 --out ft.bin --log ft.csv
expect "the run succeeds" status 0
expect "it says it fine-tunes ck.bin" says "fine-tuning from ck.bin"
expect "with the new learning rate" says "learning_rate 0.002"
expect "the loss before fine-tuning" says "step 0: train loss"
expect "logged as row 0" grep -q '^0,[0-9.]*,[0-9.]*,' ft.csv
expect "ck.bin untouched" cmp ck.bin ck.orig
train --resume ft.bin --log ft.csv --max_iters 3 --eval_interval 0
expect "ft.bin counts its own steps (2, not 4 + 2)" says "resuming ft.bin at step 2 of"
expect "its schedule is the new run's (max_iters 2)" says "keeping the checkpoint's lr schedule (max_steps 2)"
end

begin "18. --init_from with --max_iters 0 saves the checkpoint's weights unchanged"
make_ckpt
train --init_from ck.bin --max_iters 0 --out ft.bin --log ft.csv --final_sample_chars 0
expect "the run succeeds" status 0
run evaluate ck.bin text.txt
a=$out
run evaluate ft.bin text.txt
expect "the same loss as ck.bin" [ "$a" = "$out" ]
end

begin "18. --init_from keeps the checkpoint's shape: another --n_embd is refused, the same accepted"
make_ckpt
train --init_from ck.bin --max_iters 1 --out a.bin --log a.csv --n_embd 32
expect "refused" failed_run
expect "names the flag and the checkpoint's value" says "--n_embd 32: --init_from ck.bin has n_embd 16"
expect "nothing written" [ ! -e a.bin ]
train --init_from ck.bin --max_iters 1 --eval_interval 0 --out b.bin --log b.csv --final_sample_chars 0
expect "the same shape (TINY's flags) is accepted" status 0
end

begin "18. --init_from and --resume together are refused; --out the --init_from checkpoint is refused"
make_ckpt
train --init_from ck.bin --resume ck.bin --max_iters 6
expect "refused" failed_run
expect "says why" says "--resume and --init_from together"
train --init_from ck.bin --out ck.bin --log a.csv --max_iters 6
expect "refused" failed_run
expect "says why" says "is the checkpoint --init_from starts from"
expect "checkpoint unchanged" cmp ck.bin ck.orig
expect "no log written" [ ! -e a.csv ]
end

begin "18. text outside the checkpoint's vocabulary: each character named, with code point and byte offset"
make_ckpt
n=$(wc -c <text.txt)
{ cat text.txt; printf 'Zebra\tzz\xe2\x80\x8b\n'; } >more.txt
train --init_from ck.bin --data more.txt --max_iters 1 --out a.bin --log a.csv
expect "refused" failed_run
expect "counts them" says "more.txt has 4 characters not in the vocabulary of ck.bin"
expect "names Z with its first offset" says "'Z' (U+005A) at byte $n"
expect "names the tab" says "'\\t' (U+0009) at byte $((n + 5))"
expect "names z" says "'z' (U+007A) at byte $((n + 6))"
expect "names the zero-width space by code point" says "U+200B at byte $((n + 8))"
expect "nothing written" [ ! -e a.bin ]
train --resume ck.bin --data more.txt --max_iters 6 --log ck.csv
expect "--resume says the same" says "'Z' (U+005A) at byte $n"
expect "checkpoint unchanged" cmp ck.bin ck.orig
end

begin "18. generate --interactive from a pipe: prompts continued, a bad one reported, the session goes on"
make_ckpt
printf 'the \nzz\xe2\x9c\x93\n\n' >prompts.txt
gen=$( (ulimit -v 4000000; exec timeout 20 "$bin/generate" ck.bin --interactive --max_new_tokens 20 <prompts.txt) 2>gen.err )
rc=$?
out=$(cat gen.err)
expect "exit 0 at the end of input" status 0
expect "the bad prompt's character named" says "line 2: the prompt has 1 character not in the vocabulary of ck.bin: 'z' (U+007A) at byte 0"
expect "no '> ' marker from a pipe" says_not "> "
expect "two continuations (lines 1 and 3)" [ "$(printf '%s\n' "$gen" | grep -c '^---------------$')" = 1 ]
first=$(printf '%s\n' "$gen" | sed '/^---------------$/,$d')
run generate ck.bin --start "the " --max_new_tokens 20
expect "the first equals --start 'the ' with the same seed" [ "$first" = "$out" ]
expect "the third continues from a newline" [ "$(printf '%s\n' "$gen" | sed '1,/^---------------$/d' | head -n 1)" = "" ]
end

begin "18. generate --interactive: empty input ends at once; --start with it is refused"
make_ckpt
run generate ck.bin --interactive </dev/null
expect "exit 0" status 0
expect "nothing printed" [ -z "$out" ]
run generate ck.bin --interactive --start "the " </dev/null
expect "refused" failed_run
expect "says why" says "--start and --interactive"
end

# ---------------------------------------------------------------- the whole path

begin "smoke: train, evaluate, generate, resume"
train --max_iters 20 --eval_interval 10 --out ck.bin --log ck.csv
expect "train" status 0
run evaluate ck.bin text.txt
expect "evaluate" status 0
expect "evaluate prints the loss" says "loss "
run generate ck.bin --max_new_tokens 40 --num_samples 2
expect "generate" status 0
train --resume ck.bin --max_iters 30 --eval_interval 10 --log ck.csv
expect "resume" status 0
expect "resumed at step 20" says "resuming ck.bin at step 20"
end

echo "$passed passed, $failed failed"
[ $failed = 0 ]
