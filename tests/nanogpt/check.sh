#!/bin/sh
# tests/nanogpt/check.sh - examples/nanogpt/convert.py against tinygpt and a
# nanoGPT-layout model in PyTorch (tests/nanogpt/nanogpt_layout.py). Run from
# anywhere; needs a C compiler and Python 3 with PyTorch: skips (exit 0) without.
#   (a) two trained nanoGPT-style checkpoints (bias=True with keys under
#       _orig_mod., as torch.compile saves them; bias=False with shuffled ids)
#       -> tinygpt: ./evaluate's loss equals PyTorch's within 1e-4, and the AdamW
#       moments equal the optimizer's
#   (b) back to nanoGPT: every tensor and the optimizer state exactly equal, and
#       train.py's resume path (strict load, optimizer.load_state_dict, a step) works
#   (c) tests/golden/trained.bin: refused as it is (lm_head != wte); with
#       lm_head := wte -> nanoGPT -> tinygpt gives the same file byte for byte;
#       with --tie=lm_head the parameter region comes back byte for byte
#   (d) broken inputs: exit status 1 and one line on stderr, never a traceback
# PYTHON=... picks the interpreter, CC=... the compiler (default cc).
set -u
cd "$(dirname "$0")/../.." || exit 1
START=$(date +%s)

PY=
for p in "${PYTHON:-}" python3 /usr/bin/python3; do
    if [ -n "$p" ] && command -v "$p" >/dev/null 2>&1 && "$p" -c 'import torch, numpy' >/dev/null 2>&1; then
        PY=$p
        break
    fi
done
if [ -z "$PY" ]; then
    echo "nanogpt check: SKIP: no python3 with PyTorch and numpy (Debian/Ubuntu: apt-get install python3-torch)"
    exit 0
fi

W=$(mktemp -d "${TMPDIR:-/tmp}/nanogpt-check.XXXXXX") || exit 1
trap 'rm -rf "$W"' EXIT
trap 'exit 1' INT TERM
convert() { "$PY" examples/nanogpt/convert.py "$@"; }
layout() { "$PY" tests/nanogpt/nanogpt_layout.py "$@"; }
TEXT=tests/nanogpt/text.txt
GOLDEN=tests/golden/trained.bin
PASS=0
FAIL=0

ok() { PASS=$((PASS + 1)); echo "ok   $*"; }
bad() { FAIL=$((FAIL + 1)); echo "FAIL $*"; }
# run NAME CMD...: CMD must succeed; its output goes to $W/NAME.log
run() {
    name=$1; shift
    if "$@" >"$W/$name.log" 2>&1; then return 0; fi
    bad "$name: '$*' failed:"; sed 's/^/       /' "$W/$name.log"; return 1
}
# same_loss LABEL BIN DIR TEXT [FLAGS]: ./evaluate on the tinygpt file against
# PyTorch on the nanoGPT one; FLAGS go to nanogpt_layout.py loss, whose other
# lines are reported as checks of their own
same_loss() {
    label=$1 bin=$2 dir=$3 text=$4; shift 4
    c=$("$W/evaluate" "$bin" "$text" --threads 1 2>"$W/eval.log" | sed -n 's/^loss //p')
    if ! layout loss "$dir" "$text" "$@" >"$W/torch.log" 2>&1; then
        bad "$label: nanogpt_layout.py loss failed:"; cat "$W/torch.log"; return
    fi
    p=$(head -n 1 "$W/torch.log")
    if awk -v a="$c" -v b="$p" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(a != "" && b != "" && d <= 1e-4) }'; then
        ok "$label: tinygpt loss $c, PyTorch loss $p"
    else
        bad "$label: tinygpt loss '$c' vs PyTorch loss '$p'"; cat "$W/eval.log"
    fi
    tail -n +2 "$W/torch.log" | while IFS= read -r line; do echo "ok   $label: $line"; done
    PASS=$((PASS + $(tail -n +2 "$W/torch.log" | wc -l)))
}

CC=${CC:-cc}
if ! $CC -std=c99 -O2 -I. -o "$W/evaluate" examples/evaluate.c -lm >"$W/cc.log" 2>&1; then
    echo "FAIL cannot build examples/evaluate.c with $CC:"; cat "$W/cc.log"; exit 1
fi
echo "nanogpt check: $("$PY" -c 'import sys, torch; print("Python %d.%d, PyTorch %s" % (sys.version_info[0], sys.version_info[1], torch.__version__))'), ./evaluate built with $CC in $W"
run make layout make "$W" || exit 1
sed 's/^/     /' "$W/make.log"

# ---- (a) nanoGPT -> tinygpt
for v in compiled nobias; do
    run "to-tinygpt-$v" convert to-tinygpt "$W/$v/ckpt.pt" "$W/$v/meta.pkl" "$W/$v.bin" &&
        same_loss "(a) $v" "$W/$v.bin" "$W/$v" "$TEXT" --moments "$W/$v.bin"
done

# ---- (b) and back
if run back-compiled convert to-nanogpt "$W/compiled.bin" "$W/compiled.back"; then
    run cmp-compiled layout compare "$W/compiled" "$W/compiled.back" &&
        sed 's/^/ok   (b) compiled: /' "$W/cmp-compiled.log" && PASS=$((PASS + 2))
fi
if run back-nobias convert to-nanogpt "$W/nobias.bin" "$W/nobias.back" --no-bias; then
    run cmp-nobias layout compare "$W/nobias" "$W/nobias.back" &&
        sed 's/^/ok   (b) nobias --no-bias: /' "$W/cmp-nobias.log" && PASS=$((PASS + 2))
fi
if run back-nobias-b convert to-nanogpt "$W/nobias.bin" "$W/nobias.backb"; then
    run cmp-nobias-b layout compare "$W/nobias" "$W/nobias.backb" --zero-biases &&
        sed 's/^/ok   (b) nobias as bias=True: /' "$W/cmp-nobias-b.log" && PASS=$((PASS + 2))
fi

# ---- (c) tinygpt -> nanoGPT -> tinygpt from the golden trained checkpoint
if convert to-nanogpt "$GOLDEN" "$W/untied" >"$W/untied.out" 2>"$W/untied.err"; then
    bad "(c) $GOLDEN (lm_head != wte) went to nanoGPT without --tie"
elif grep -q 'lm_head' "$W/untied.err" && [ "$(wc -l <"$W/untied.err")" -eq 1 ]; then
    ok "(c) $GOLDEN as it is: $(cut -c1-120 "$W/untied.err")..."
else
    bad "(c) $GOLDEN as it is: unexpected error:"; cat "$W/untied.err"
fi
if run tie layout tie "$GOLDEN" "$W" &&
   run tied-out convert to-nanogpt "$W/tied_wte.bin" "$W/tied" &&
   run tied-back convert to-tinygpt "$W/tied/ckpt.pt" "$W/tied/meta.pkl" "$W/tied.back.bin"; then
    if cmp "$W/tied_wte.bin" "$W/tied.back.bin" >/dev/null; then
        ok "(c) trained.bin with lm_head := wte, AdamW state included, -> nanoGPT -> tinygpt: the whole file byte for byte ($(wc -c <"$W/tied_wte.bin") bytes)"
    else
        bad "(c) tied trained.bin round trip differs: $(cmp "$W/tied_wte.bin" "$W/tied.back.bin")"
    fi
    same_loss "(c) trained.bin with lm_head := wte" "$W/tied_wte.bin" "$W/tied" tests/golden/text.txt
fi
if run lm-out convert to-nanogpt "$GOLDEN" "$W/lm" --tie=lm_head &&
   run lm-back convert to-tinygpt "$W/lm/ckpt.pt" "$W/lm/meta.pkl" "$W/lm.back.bin"; then
    run lm-same layout same-params "$W/tied_lm_head.bin" "$W/lm.back.bin" &&
        ok "(c) trained.bin --tie=lm_head -> nanoGPT -> tinygpt: $(cat "$W/lm-same.log")"
    same_loss "(c) trained.bin --tie=lm_head" "$W/lm.back.bin" "$W/lm" tests/golden/text.txt --resume
fi

# ---- (d) broken inputs: exit status 1, one line on stderr starting "error: ", no traceback
D=$W/bad
M=$W/compiled/meta.pkl
CK=$W/compiled/ckpt.pt
# through the command line, as a user runs it
expect_error() {
    what=$1; shift
    "$@" >"$W/err.out" 2>"$W/err.txt"
    rc=$?
    lines=$(wc -l <"$W/err.txt")
    if [ $rc -eq 1 ] && [ "$lines" -eq 1 ] && grep -q '^error: ' "$W/err.txt" && [ ! -s "$W/err.out" ]; then
        ok "(d) $what: $(cut -c1-150 "$W/err.txt")"
    else
        bad "(d) $what: exit $rc, $lines stderr lines:"; cat "$W/err.txt" "$W/err.out"
    fi
}
expect_error "no arguments" convert
expect_error "missing checkpoint" convert to-tinygpt "$W/none.pt" "$M" "$W/x.bin"
expect_error "missing meta.pkl" convert to-tinygpt "$CK" "$W/none.pkl" "$W/x.bin"
expect_error "text file as checkpoint" convert to-tinygpt "$TEXT" "$M" "$W/x.bin"
expect_error "pickle that would run code" convert to-tinygpt "$D/evil.pt" "$M" "$W/x.bin"
expect_error "meta.pkl not a pickle" convert to-tinygpt "$CK" "$D/text_meta.pkl" "$W/x.bin"
expect_error "multi-character token" convert to-tinygpt "$CK" "$D/multichar_meta.pkl" "$W/x.bin"
expect_error "output directory missing" convert to-tinygpt "$CK" "$M" "$W/no/such/dir/x.bin"
expect_error "CRC mismatch" convert to-nanogpt "$D/bad_crc.bin" "$W/x"
expect_error "truncated tinygpt file" convert to-nanogpt "$D/truncated.bin" "$W/x"
expect_error "nanoGPT file as tinygpt input" convert to-nanogpt "$CK" "$W/x"
expect_error "--no-bias with nonzero biases" convert to-nanogpt "$W/compiled.bin" "$W/x" --no-bias
# those that load a checkpoint, in one process (PyTorch takes seconds to start)
cat >"$W/cases" <<EOF
pickle that is not a checkpoint|to-tinygpt|$D/not_ckpt.pkl|$M|$W/x.bin
torch.save of a list|to-tinygpt|$D/a_list.pt|$M|$W/x.bin
checkpoint without model_args|to-tinygpt|$D/no_model_args.pt|$M|$W/x.bin
missing tensor|to-tinygpt|$D/missing_key.pt|$M|$W/x.bin
wrong shape|to-tinygpt|$D/wrong_shape.pt|$M|$W/x.bin
NaN weight|to-tinygpt|$D/nan_weight.pt|$M|$W/x.bin
model variant (unknown model_args key)|to-tinygpt|$D/unknown_arg.pt|$M|$W/x.bin
vocabulary size mismatch|to-tinygpt|$CK|$D/small_meta.pkl|$W/x.bin
EOF
layout errors "$W/cases" >"$W/cases.log" 2>&1
cat "$W/cases.log"
PASS=$((PASS + $(grep -c '^ok' "$W/cases.log")))
FAIL=$((FAIL + $(grep -c -v '^ok' "$W/cases.log")))
[ -e "$W/x.bin" ] && bad "(d) a refused conversion left $W/x.bin behind"
[ -e "$W/x/ckpt.pt" ] && bad "(d) a refused conversion left $W/x/ckpt.pt behind"

# optimizer state that does not map (a tensor one step behind): weights converted, no moments, said so
if run skipped convert to-tinygpt "$D/skipped_step.pt" "$M" "$W/skipped.bin"; then
    if grep -q 'moments not carried over.*step' "$W/skipped.log" && [ "$(od -An -tu1 -j12 -N1 "$W/skipped.bin" | tr -d ' ')" = 0 ]; then
        ok "(d) optimizer step counts that differ: no moments written, $(grep -o 'optimizer state for [^(]*' "$W/skipped.log")..."
    else
        bad "(d) optimizer step counts that differ:"; cat "$W/skipped.log"
    fi
fi

echo "nanogpt check: $PASS passed, $FAIL failed ($(($(date +%s) - START)) s)"
[ $FAIL -eq 0 ]
