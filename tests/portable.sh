#!/usr/bin/env bash
# tests/portable.sh - the compiler and architecture matrix (README: "Platforms").
#
# Builds tests/test_tinygpt.c for every target below with warnings as errors,
# runs it (natively, under qemu-user, wine or node), and prints one line per
# target: the target, passed or FAILED, the driver's test count, the time.
# Missing tools are installed with apt-get (Debian packages only). Exits
# non-zero when any target fails.
#
#   tests/portable.sh                 every target
#   tests/portable.sh s390x wasm32    only these (names as in the first column)
#   JOBS=N tests/portable.sh          targets at a time (default: the core count)
#   KEEP=1 tests/portable.sh          keep the build directory and logs
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
jobs_max=${JOBS:-$(nproc 2>/dev/null || echo 2)}
started=$(date +%s)

# Flags for every gcc/clang-family compiler: -Wvla because C99 would allow VLAs
# and the header promises none.
W="-Wall -Wextra -pedantic -Werror -Wvla"
SRC=tests/test_tinygpt.c

# name | compiler command | how the binary runs ({} is the binary) | driver
# mode | Debian packages | what the report calls it. Emulated targets run
# --quick (every test, smaller sizes). The order here is the report's.
TARGETS=(
  "gcc-c99|gcc -std=c99 $W -O2|{}|full|gcc|gcc -std=c99, x86-64"
  "gcc-c11|gcc -std=c11 $W -O2|{}|full|gcc|gcc -std=c11, x86-64"
  "clang-c99|clang -std=c99 $W -O2|{}|full|clang|clang -std=c99, x86-64"
  "clang-c11|clang -std=c11 $W -O2|{}|full|clang|clang -std=c11, x86-64"
  "g++|g++ -x c++ -std=c++11 $W -O2|{}|full|g++|g++ -std=c++11 (as C++), x86-64"
  "clang++|clang++ -x c++ -std=c++11 $W -O2|{}|full|clang|clang++ -std=c++11 (as C++), x86-64"
  "tcc|tcc -std=c99 -Wall -Werror|{}|full|tcc|tcc, x86-64"
  "i386|gcc -m32 -std=c99 $W -O2|{}|full|gcc libc6-dev-i386 lib32gcc-GCCVER-dev|gcc -m32, i386 (x87 floats)"
  "aarch64|aarch64-linux-gnu-gcc -std=c99 $W -O2|qemu-aarch64 -L /usr/aarch64-linux-gnu {}|quick|gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user|gcc, aarch64 under qemu-user"
  "armhf|arm-linux-gnueabihf-gcc -std=c99 $W -O2|qemu-arm -L /usr/arm-linux-gnueabihf {}|quick|gcc-arm-linux-gnueabihf libc6-dev-armhf-cross qemu-user|gcc, 32-bit ARM under qemu-user"
  "riscv64|riscv64-linux-gnu-gcc -std=c99 $W -O2|qemu-riscv64 -L /usr/riscv64-linux-gnu {}|quick|gcc-riscv64-linux-gnu libc6-dev-riscv64-cross qemu-user|gcc, riscv64 under qemu-user"
  "s390x|s390x-linux-gnu-gcc -std=c99 $W -O2|qemu-s390x -L /usr/s390x-linux-gnu {}|quick|gcc-s390x-linux-gnu libc6-dev-s390x-cross qemu-user|gcc, s390x (big-endian) under qemu-user"
  "win64|x86_64-w64-mingw32-gcc -std=c99 $W -O2|WINE {}|full|gcc-mingw-w64-x86-64-posix wine64|mingw-w64, Windows x86-64 under wine"
  "wasm32|emcc -std=c99 $W -O2 -sALLOW_MEMORY_GROWTH=1 -sNODERAWFS=1 -sSINGLE_FILE=1|node {}|full|emscripten|emscripten, WebAssembly under node"
)
# The slow ones start first so that they overlap everything else.
START_ORDER="s390x riscv64 aarch64 armhf i386 tcc wasm32 win64 gcc-c99 gcc-c11 clang-c99 clang-c11 g++ clang++"

field() { local IFS='|'; set -f; local a=($1); set +f; echo "${a[$2]}"; }

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
gccver=$(gcc -dumpversion 2>/dev/null | cut -d. -f1); gccver=${gccver:-12}

# A target's tools are there when its compiler (and runner) start and, for
# -m32, when a 32-bit program links.
tools_ok() {
  local name=$1 cc run
  cc=$(field "$2" 1); run=$(field "$2" 2)
  command -v "${cc%% *}" >/dev/null 2>&1 || return 1
  case "$run" in
    WINE*) wine_cmd >/dev/null || return 1 ;;
    "{}")  ;;
    *)     command -v "${run%% *}" >/dev/null 2>&1 || return 1 ;;
  esac
  case "$name" in
    i386) echo 'int main(void){return 0;}' | gcc -m32 -x c - -o "$work/probe32" >/dev/null 2>&1 || return 1 ;;
    aarch64|armhf|riscv64|s390x)  # the cross libc is only recommended by the compiler package, and
      # without it the compiler quietly takes the host's headers from /usr/include
      cc=${cc%% *}; [ -f "/usr/${cc%-gcc}/include/stdio.h" ] || return 1 ;;
    wasm32) command -v node >/dev/null 2>&1 || return 1 ;;
  esac
  return 0
}
wine_cmd() { command -v wine64 2>/dev/null || { [ -x /usr/lib/wine/wine64 ] && echo /usr/lib/wine/wine64; } || return 1; }

need=()
for t in "${TARGETS[@]}"; do
  name=$(field "$t" 0); is_selected "$name" || continue
  tools_ok "$name" "$t" && continue
  for p in $(field "$t" 4); do need+=("${p/GCCVER/$gccver}"); done
done
apt_secs=0
if [ ${#need[@]} -gt 0 ]; then
  need=($(printf '%s\n' "${need[@]}" | sort -u))
  echo "installing: ${need[*]}"
  a0=$(date +%s)
  export DEBIAN_FRONTEND=noninteractive
  { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}"; } >"$work/apt.log" 2>&1 ||
    { echo "apt-get failed (the targets that need these will fail):"; tail -5 "$work/apt.log"; }
  apt_secs=$(( $(date +%s) - a0 ))
fi

# emcc's JS optimiser needs Debian's acorn, which a node from outside Debian does not look for.
export NODE_PATH=${NODE_PATH:+$NODE_PATH:}/usr/share/nodejs
export WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="

# ------------------------------------------------------------ one target
# Builds and runs in its own directory (the driver writes tests/tmp_*.bin
# relative to where it runs), with tests/golden and tests/portable linked in.
run_target() {
  local spec=$1 name cc run mode dir exe t0 t1 rc=0 last status
  name=$(field "$spec" 0); cc=$(field "$spec" 1); run=$(field "$spec" 2); mode=$(field "$spec" 3)
  dir=$work/$name
  mkdir -p "$dir/tests"
  ln -s "$root/tests/golden" "$dir/tests/golden"
  ln -s "$root/tests/portable" "$dir/tests/portable"
  case "$name" in win64) exe=test.exe ;; wasm32) exe=test.js ;; *) exe=test ;; esac
  t0=$(date +%s)
  if ! tools_ok "$name" "$spec"; then
    echo "FAILED|tools missing (see the apt-get output)|0" >"$dir/result"; return
  fi
  if ! $cc -I"$root" -o "$dir/$exe" "$root/$SRC" -lm >"$dir/build.log" 2>&1; then
    echo "FAILED|build failed|$(( $(date +%s) - t0 ))" >"$dir/result"; return
  fi
  local args=(); [ "$mode" = quick ] && args=(--quick)
  if [ "$name" = win64 ]; then
    local wine; wine=$(wine_cmd)
    run=${run/WINE/$wine}
    export WINEPREFIX=$dir/wineprefix
  fi
  (cd "$dir" && timeout 900 ${run/\{\}/./$exe} "${args[@]}") >"$dir/run.log" 2>&1 || rc=$?
  if [ "$name" = win64 ]; then  # stop this prefix's wineserver, which outlives the program
    WINEPREFIX=$dir/wineprefix "$(dirname "$(wine_cmd)")/wineserver" -k >/dev/null 2>&1 ||
      WINEPREFIX=$dir/wineprefix wineserver -k >/dev/null 2>&1 || true
  fi
  t1=$(date +%s)
  last=$(tr -d '\r' <"$dir/run.log" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -1)
  if [ $rc -eq 0 ] && [ -n "$last" ] && [ "${last#* passed, }" = "0 failed" ]; then status=passed; else status=FAILED; fi
  [ -n "$last" ] || last="no summary line (exit status $rc)"
  echo "$status|$last ($mode)|$(( t1 - t0 ))" >"$dir/result"
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

failed=0
for t in "${TARGETS[@]}"; do
  name=$(field "$t" 0); is_selected "$name" || continue
  r=$(cat "$work/$name/result" 2>/dev/null || echo "FAILED|did not finish|0")
  status=$(field "$r" 0); what=$(field "$r" 1); secs=$(field "$r" 2)
  printf '%-9s %-42s %-6s  %s  %ss\n' "$name" "$(field "$t" 5)" "$status" "$what" "$secs"
  [ "$status" = passed ] || failed=$((failed + 1))
done
for t in "${TARGETS[@]}"; do  # what went wrong, for each failed target
  name=$(field "$t" 0); is_selected "$name" || continue
  grep -q '^passed' "$work/$name/result" 2>/dev/null && continue
  echo "---- $name"
  for f in build.log run.log; do
    [ -s "$work/$name/$f" ] && { grep -E 'error|FAILED' "$work/$name/$f" | head -20; tail -5 "$work/$name/$f"; }
  done
done
echo "matrix: $((count - failed)) of $count targets passed in $(( $(date +%s) - started ))s (apt-get: ${apt_secs}s)"
[ $failed -eq 0 ]
