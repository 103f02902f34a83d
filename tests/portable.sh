#!/usr/bin/env bash
# tests/portable.sh - the compiler and architecture matrix (docs/platforms.md).
#
# Builds the test driver (tests/*.c, one program) for every target below with
# warnings as errors, runs it (natively, under qemu-user, wine or node), and
# prints one line per target: the target, passed, FAILED or SKIPPED, the
# driver's test count, the time. Missing tools are installed with apt-get
# (Debian packages only). Exits non-zero when any target fails.
#
# What runs a target's programs here is probed, not assumed: a tiny program
# built by the target's compiler must run under the first runner of the
# target's list (third column), else under the next (installed when missing):
# a kernel without 32-bit x86, a wine that does not start or a broken qemu-user
# fails the probe. The report line then names the runner that stood in and why,
# e.g. "gcc -m32, i386 (x87 floats) under qemu-i386: kernel runs no 32-bit
# programs". qemu is called by name, so no binfmt_misc registration is needed
# (qemu-user-binfmt is not installed). Emulated targets run the driver with
# --quick. A target this host cannot build or run at all (no runner works;
# tools missing and apt-get absent, not root or failing) is SKIPPED with the
# host's reason and is not a failure; a target whose build or tests fail is
# FAILED.
#
#   tests/portable.sh                 every target
#   tests/portable.sh s390x wasm32    only these (names as in the first column)
#   JOBS=N tests/portable.sh          targets at a time (default: the core count)
#   KEEP=1 tests/portable.sh          keep the build directory and logs
#   PORTABLE_NO_NATIVE_I386=1 tests/portable.sh i386
#                                     run i386 under qemu-i386 even when the
#                                     kernel runs 32-bit programs (to test that
#                                     fallback on such a host)
#   PORTABLE_STRICT=1 tests/portable.sh   SKIPPED targets count as failures
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
jobs_max=${JOBS:-$(nproc 2>/dev/null || echo 2)}
started=$(date +%s)

# Flags for every gcc/clang-family compiler: -Wvla because C99 would allow VLAs
# and the header promises none.
W="-Wall -Wextra -pedantic -Werror -Wvla"
SRC=(tests/*.c)  # the test driver's files, compiled and linked in one command

# name | compiler command | how the binary runs ({} is the binary): runners,
# best first, separated by ';' | driver mode | the compiler's Debian packages
# (runner_pkg names the runners') | what the report calls it. Emulated targets
# run --quick (every test, smaller sizes). The order here is the report's.
TARGETS=(
  "gcc-c99|gcc -std=c99 $W -O2|{}|full|gcc|gcc -std=c99, x86-64"
  "gcc-c11|gcc -std=c11 $W -O2|{}|full|gcc|gcc -std=c11, x86-64"
  "clang-c99|clang -std=c99 $W -O2|{}|full|clang|clang -std=c99, x86-64"
  "clang-c11|clang -std=c11 $W -O2|{}|full|clang|clang -std=c11, x86-64"
  "g++|g++ -x c++ -std=c++11 $W -O2|{}|full|g++|g++ -std=c++11 (as C++), x86-64"
  "clang++|clang++ -x c++ -std=c++11 $W -O2|{}|full|clang|clang++ -std=c++11 (as C++), x86-64"
  "tcc|tcc -std=c99 -Wall -Werror|{}|full|tcc|tcc, x86-64"
  "i386|gcc -m32 -std=c99 $W -O2 -idirafter /usr/include/x86_64-linux-gnu|{}; qemu-i386 {}; qemu-i386-static {}|full|gcc libc6-dev-i386 lib32gcc-GCCVER-dev|gcc -m32, i386 (x87 floats)"
  "aarch64|aarch64-linux-gnu-gcc -std=c99 $W -O2|qemu-aarch64 -L /usr/aarch64-linux-gnu {}; qemu-aarch64-static -L /usr/aarch64-linux-gnu {}|quick|gcc-aarch64-linux-gnu libc6-dev-arm64-cross|gcc, aarch64 under qemu-user"
  "armhf|arm-linux-gnueabihf-gcc -std=c99 $W -O2|qemu-arm -L /usr/arm-linux-gnueabihf {}; qemu-arm-static -L /usr/arm-linux-gnueabihf {}|quick|gcc-arm-linux-gnueabihf libc6-dev-armhf-cross|gcc, 32-bit ARM under qemu-user"
  "riscv64|riscv64-linux-gnu-gcc -std=c99 $W -O2|qemu-riscv64 -L /usr/riscv64-linux-gnu {}; qemu-riscv64-static -L /usr/riscv64-linux-gnu {}|quick|gcc-riscv64-linux-gnu libc6-dev-riscv64-cross|gcc, riscv64 under qemu-user"
  "s390x|s390x-linux-gnu-gcc -std=c99 $W -O2|qemu-s390x -L /usr/s390x-linux-gnu {}; qemu-s390x-static -L /usr/s390x-linux-gnu {}|quick|gcc-s390x-linux-gnu libc6-dev-s390x-cross|gcc, s390x (big-endian) under qemu-user"
  "win64|x86_64-w64-mingw32-gcc -std=c99 $W -O2|wine64 {}; /usr/lib/wine/wine64 {}; wine {}|full|gcc-mingw-w64-x86-64-posix|mingw-w64, Windows x86-64 under wine"
  "wasm32|emcc -std=c99 $W -O2 -sALLOW_MEMORY_GROWTH=1 -sNODERAWFS=1 -sSINGLE_FILE=1|node {}|full|emscripten|emscripten, WebAssembly under node"
)
# The slow ones start first so that they overlap everything else.
START_ORDER="s390x riscv64 aarch64 armhf i386 tcc wasm32 win64 gcc-c99 gcc-c11 clang-c99 clang-c11 g++ clang++"

field() { local IFS='|'; set -f; local a=($1); set +f; echo "${a[$2]-}"; }
# A target's Debian packages; GCCVER is the host gcc's major version (lib32gcc-12-dev with gcc 12).
gccver=$(gcc -dumpversion 2>/dev/null | cut -d. -f1)
packages() { local p; for p in $(field "$1" 4); do echo "${p/GCCVER/${gccver:-12}}"; done; }

selected=("$@")
is_selected() {
  [ ${#selected[@]} -eq 0 ] && return 0
  local s; for s in "${selected[@]}"; do [ "$s" = "$1" ] && return 0; done
  return 1
}
for s in "${selected[@]}"; do
  found=0; for t in "${TARGETS[@]}"; do [ "$(field "$t" 0)" = "$s" ] && found=1; done
  [ $found = 1 ] || { echo "unknown target '$s'"; exit 2; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/tinygpt-portable.XXXXXX")
cleanup() { [ "${KEEP:-0}" = 1 ] && echo "kept: $work" || rm -rf "$work"; }
trap cleanup EXIT

# ------------------------------------------------------------ tools and packages
# A target's compiler is there when it starts and, for -m32, when a 32-bit
# program links (libc6-dev-i386 brings the 32-bit libc; <errno.h>'s <asm/...>
# comes from the host's /usr/include/x86_64-linux-gnu, searched last. Not
# gcc-multilib: Debian makes it conflict with every cross compiler, so
# installing it removed the armhf and s390x ones mid-run); otherwise this
# prints what is missing.
tools_ok() {
  local name=$1 cc
  cc=$(field "$2" 1)
  command -v "${cc%% *}" >/dev/null 2>&1 || { echo "no ${cc%% *}"; return 1; }
  case "$name" in
    i386) printf '#include <errno.h>\n#include <math.h>\nint main(void){return errno;}\n' |
            gcc -m32 -idirafter /usr/include/x86_64-linux-gnu -x c - -o "$work/probe32" -lm >/dev/null 2>&1 ||
            { echo "gcc -m32 cannot build a 32-bit program"; return 1; } ;;
    aarch64|armhf|riscv64|s390x)  # the cross libc is only recommended by the compiler package, and
      # without it the compiler quietly takes the host's headers from /usr/include
      cc=${cc%% *}; [ -f "/usr/${cc%-gcc}/include/stdio.h" ] || { echo "no /usr/${cc%-gcc}/include/stdio.h"; return 1; } ;;
  esac
  return 0
}

# A target's runners, best first, one a line; the program of a runner ({} when
# the kernel runs the binary itself) and the Debian package that brings it.
runners() { local r; local IFS=';'; set -f; for r in $(field "$1" 2); do echo "${r# }"; done; set +f; }
runner_prog() { echo "${1%% *}"; }
runner_pkg() {
  case "$(runner_prog "$1")" in
    qemu-*-static) echo qemu-user-static ;;
    qemu-*) echo qemu-user ;;
    wine64|*/wine64) echo wine64 ;;
    wine) echo wine ;;
    node) echo nodejs ;;
  esac
}
runner_there() { local p; p=$(runner_prog "$1"); [ "$p" = "{}" ] || command -v "$p" >/dev/null 2>&1; }
# Why this run must not use a runner, when the environment says so.
ruled_out() {
  [ "$1" = i386 ] && [ "$2" = "{}" ] && [ "${PORTABLE_NO_NATIVE_I386:-0}" = 1 ] && echo "PORTABLE_NO_NATIVE_I386=1"
}

# apt-get, trying again while another apt-get or dpkg holds apt's locks (up to
# 10 minutes); its output goes to $work/apt.log.
apt_get() {
  local i rc
  for i in $(seq 120); do
    apt-get "$@" >"$work/apt.out" 2>&1; rc=$?
    cat "$work/apt.out" >>"$work/apt.log"
    if [ $rc -eq 0 ] || ! grep -q 'Could not get lock' "$work/apt.out"; then return $rc; fi
    sleep 5
  done
  return 1
}

# Installs those of the Debian packages given that are not installed yet, one
# apt-get at a time (targets call it in parallel). On failure it prints why,
# for the report. When apt-get cannot install anything here (none, not root,
# no network), later calls give that reason at once.
install() {
  (
    flock 9
    local p pkgs=() a0 rc=0 why
    for p in "$@"; do
      [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] || pkgs+=("$p")
    done
    [ ${#pkgs[@]} -gt 0 ] || exit 0
    [ -s "$work/apt.broken" ] && { cat "$work/apt.broken"; exit 1; }
    if ! command -v apt-get >/dev/null 2>&1; then echo "no apt-get on this host" | tee "$work/apt.broken"; exit 1; fi
    if [ "$(id -u)" != 0 ]; then echo "apt-get needs root" | tee "$work/apt.broken"; exit 1; fi
    echo "installing: ${pkgs[*]}" >&2
    a0=$(date +%s)
    export DEBIAN_FRONTEND=noninteractive
    if [ ! -e "$work/apt.updated" ]; then  # once a run; a failed update may still leave usable lists
      apt_get update -qq </dev/null; touch "$work/apt.updated"
    fi
    apt_get install -y -qq --no-install-recommends "${pkgs[@]}" </dev/null || rc=$?
    echo $(( $(date +%s) - a0 )) >>"$work/apt.secs"
    [ $rc -eq 0 ] && exit 0
    why=$(grep '^E:' "$work/apt.out" | tail -1); why="apt-get failed: ${why:-exit status $rc}"
    echo "$why (${pkgs[*]})" >&2; tail -5 "$work/apt.out" >&2
    # a package this Debian does not have spoils only the targets that need it
    grep -qE 'Unable to locate package|has no installation candidate' "$work/apt.out" || echo "$why" >"$work/apt.broken"
    echo "$why"; exit 1
  ) 9>"$work/apt.lock"
}

# First the compilers and each target's first runner, in one apt-get; a
# target that needs a fallback runner installs it when it gets there.
need=()
for t in "${TARGETS[@]}"; do
  name=$(field "$t" 0); is_selected "$name" || continue
  tools_ok "$name" "$t" >/dev/null || need+=($(packages "$t"))
  while IFS= read -r r; do
    ruled_out "$name" "$r" >/dev/null && continue
    runner_there "$r" || need+=($(runner_pkg "$r"))
    break
  done < <(runners "$t")
done
if [ ${#need[@]} -gt 0 ]; then
  apt_why=$(install $(printf '%s\n' "${need[@]}" | sort -u)) ||
    echo "apt-get: $apt_why (the targets that need these will try alone, else be SKIPPED)"
fi

# emcc's JS optimiser needs Debian's acorn, which a node from outside Debian does not look for.
export NODE_PATH=${NODE_PATH:+$NODE_PATH:}/usr/share/nodejs
export WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="

# Stops the wineserver of $WINEPREFIX, which outlives the program (Debian 12's
# wine64 alone has /usr/lib/wine/wineserver64 and no wineserver).
wine_stop() {
  local d s; d=$(dirname "$(command -v "$(runner_prog "$1")" 2>/dev/null || echo /usr/lib/wine/wine64)")
  for s in "$d/wineserver" "$d/wineserver64" wineserver; do "$s" -k >/dev/null 2>&1 && return; done
  return 0
}

# Runs the tiny program $3 in directory $1 under runner $2. Bash itself starts
# it when the kernel is to run it: under timeout, execvp would hand a binary
# the kernel refuses (ENOEXEC) to /bin/sh, hiding "Exec format error".
probe() {
  if [ "$2" = "{}" ]; then (cd "$1" && "./$3") </dev/null >"$1/probe-run.log" 2>&1
  else (cd "$1" && timeout 300 ${2/\{\}/./$3}) </dev/null >"$1/probe-run.log" 2>&1
  fi
}

# Why a runner did not run the tiny program ($3: its exit status, $4: its
# output), in the report's words.
why_not() {
  local name=$1 prog; prog=$(runner_prog "$2")
  if [ "$prog" = "{}" ] && grep -q 'Exec format error' "$4"; then
    [ "$name" = i386 ] && echo "kernel runs no 32-bit programs" || echo "kernel cannot execute it"
  elif [ "$3" = 124 ]; then echo "$prog did not finish a tiny program in 300s"
  else
    echo "$([ "$prog" = "{}" ] && echo "a tiny program" || echo "$prog") fails (exit status $3: $(tr -d '\r' <"$4" | grep -m1 . | cut -c1-80))"
  fi
}

# ------------------------------------------------------------ one target
# Builds and runs in its own directory (the driver writes tests/tmp_*.bin
# relative to where it runs), with tests/golden and tests/portable linked in.
# Writes status|what|seconds|runner note to $dir/result.
run_target() {
  local spec=$1 name cc run= mode dir exe t0 t1 rc=0 last status why whys= why1= first= note= r prog alts limit=900
  name=$(field "$spec" 0); cc=$(field "$spec" 1); mode=$(field "$spec" 3)
  dir=$work/$name
  mkdir -p "$dir/tests"
  ln -s "$root/tests/golden" "$dir/tests/golden"
  ln -s "$root/tests/portable" "$dir/tests/portable"
  case "$name" in win64) exe=test.exe ;; wasm32) exe=test.js ;; *) exe=test ;; esac
  t0=$(date +%s)
  if ! why=$(tools_ok "$name" "$spec"); then  # the batch install failed: this target's packages alone
    r=$(install $(packages "$spec")) || why="$why; $r"
    tools_ok "$name" "$spec" >/dev/null || { echo "SKIPPED|$why|0||" >"$dir/result"; return; }
  fi
  # The tiny program: if the compiler cannot build it, the target's flags are wrong (FAILED).
  echo 'int main(void) { return 0; }' >"$dir/probe.c"
  if ! (cd "$dir" && $cc -o "probe-$exe" probe.c) >"$dir/probe.log" 2>&1; then
    echo "FAILED|cannot build a tiny program|$(( $(date +%s) - t0 ))||" >"$dir/result"; return
  fi
  [ "$name" = win64 ] && export WINEPREFIX=$dir/wineprefix  # the probe's first start makes it
  mapfile -t alts < <(runners "$spec")
  for r in "${alts[@]}"; do
    prog=$(runner_prog "$r")
    if ! why=$(ruled_out "$name" "$r"); then
      runner_there "$r" || why=$(install $(runner_pkg "$r"))
      if ! runner_there "$r"; then why="no $prog${why:+ ($why)}"
      elif probe "$dir" "$r" "probe-$exe"; then run=$r
      else why=$(why_not "$name" "$r" $? "$dir/probe-run.log")
      fi
      [ "$name" = win64 ] && [ -z "$run" ] && { wine_stop "$r"; rm -rf "$WINEPREFIX"; }
    fi
    [ -n "$run" ] && break
    [ -n "$whys" ] || { first=$prog; why1=$why; }
    whys=${whys:+$whys; }$why
    echo "${prog/#\{\}/natively}: $why" >>"$dir/runners.log"
  done
  if [ -z "$run" ]; then
    echo "SKIPPED|$whys|$(( $(date +%s) - t0 ))||" >"$dir/result"; return
  fi
  # The report names a fallback and why the best runner did not do (wine64 found
  # outside PATH is no fallback).
  [ -n "$whys" ] && [ "$(basename "$first")" != "$(basename "$prog")" ] && note=" under $prog: $why1"
  # emulated targets run --quick; i386's x87 under qemu takes 13 minutes of it on a busy host
  case "$prog" in qemu-*) mode=quick; limit=1800 ;; esac
  if ! $cc -I"$root" -o "$dir/$exe" "${SRC[@]/#/$root/}" -lm >"$dir/build.log" 2>&1; then
    echo "FAILED|build failed|$(( $(date +%s) - t0 ))|$note" >"$dir/result"; return
  fi
  local args=(); [ "$mode" = quick ] && args=(--quick)
  (cd "$dir" && timeout $limit ${run/\{\}/./$exe} "${args[@]}") </dev/null >"$dir/run.log" 2>&1 || rc=$?
  [ "$name" = win64 ] && wine_stop "$run"
  t1=$(date +%s)
  last=$(tr -d '\r' <"$dir/run.log" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -1)
  if [ $rc -eq 0 ] && [ -n "$last" ] && [ "${last#* passed, }" = "0 failed" ]; then status=passed; else status=FAILED; fi
  [ -n "$last" ] || last="no summary line (exit status $rc)"
  echo "$status|$last ($mode)|$(( t1 - t0 ))|$note" >"$dir/result"
}

# ------------------------------------------------------------ the matrix
count=0
for name in $START_ORDER; do is_selected "$name" && count=$((count + 1)); done
echo "running $count targets, $jobs_max at a time"
for name in $START_ORDER; do
  is_selected "$name" || continue
  for t in "${TARGETS[@]}"; do [ "$(field "$t" 0)" = "$name" ] && spec=$t; done
  while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do wait -n; done
  run_target "$spec" &
done
wait

failed=0 skipped=0
for t in "${TARGETS[@]}"; do
  name=$(field "$t" 0); is_selected "$name" || continue
  r=$(cat "$work/$name/result" 2>/dev/null || echo "FAILED|did not finish|0|")
  status=$(field "$r" 0); what=$(field "$r" 1); secs=$(field "$r" 2)
  what_is=$(field "$t" 5); note=$(field "$r" 3)
  [ -n "$note" ] && what_is="${what_is% under *}$note"  # the runner that stood in, and why
  printf '%-9s %-42s %-7s  %s  %ss\n' "$name" "$what_is" "$status" "$what" "$secs"
  case "$status" in passed) ;; SKIPPED) skipped=$((skipped + 1)) ;; *) failed=$((failed + 1)) ;; esac
done
for t in "${TARGETS[@]}"; do  # what went wrong, for each target that did not pass
  name=$(field "$t" 0); is_selected "$name" || continue
  grep -q '^passed' "$work/$name/result" 2>/dev/null && continue
  echo "---- $name"
  [ -s "$work/$name/runners.log" ] && cat "$work/$name/runners.log"
  for f in probe.log build.log run.log; do
    [ -s "$work/$name/$f" ] && { grep -E 'error|FAILED' "$work/$name/$f" | head -20; tail -5 "$work/$name/$f"; }
  done
done
apt_secs=0; [ -f "$work/apt.secs" ] && while read -r s; do apt_secs=$((apt_secs + s)); done <"$work/apt.secs"
skips=""; [ $skipped -gt 0 ] && skips=", $skipped SKIPPED (this host cannot build or run them)"
echo "matrix: $((count - failed - skipped)) of $count targets passed$skips in $(( $(date +%s) - started ))s (apt-get: ${apt_secs}s)"
[ "${PORTABLE_STRICT:-0}" = 1 ] && failed=$((failed + skipped))
[ $failed -eq 0 ]
