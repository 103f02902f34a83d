#!/usr/bin/env bash
# tests/plot/check.sh - checks examples/lossplot.h and examples/plot.c (issue 16).
#   tests/plot/check.sh            (from anywhere; writes only to build/plot/check/)
# Builds plot.c and test_lossplot.c with gcc and clang (C99, -Werror) and g++
# (C++11), runs the API test, draws the CSVs of tests/plot and checks that each
# SVG is well-formed XML with the lines it should have, that the malformed ones
# fail with a message naming the line, that a reader never sees half an SVG
# while it is redrawn, and, when chromium is installed (Debian: chromium),
# renders one to PNG and checks that the picture shows the plot.
# Needs a C compiler and python3. PLOT_OUT=DIR writes elsewhere.
set -uo pipefail
cd "$(dirname "$0")/../.."
T=tests/plot
OUT=${PLOT_OUT:-build/plot/check}
WARN="-Wall -Wextra -pedantic -Werror"
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
check() { if "$@"; then ok; else bad "$*"; fi; }

rm -rf "$OUT"
mkdir -p "$OUT"

echo "=== build: plot.c and test_lossplot.c (C99 with gcc and clang, C++11 with g++) ==="
built=""
for cc in gcc clang; do
  command -v $cc >/dev/null 2>&1 || { echo "skipped: no $cc"; continue; }
  for prog in examples/plot.c $T/test_lossplot.c; do
    name=$(basename "$prog" .c)
    check $cc -std=c99 $WARN -O2 -o "$OUT/${name}_$cc" "$prog" -lm
  done
  [ -n "$built" ] || built=$cc
done
if command -v g++ >/dev/null 2>&1; then
  for prog in examples/plot.c $T/test_lossplot.c; do
    check g++ -x c++ -std=c++11 $WARN -O2 -o "$OUT/$(basename "$prog" .c)_cxx" "$prog"
  done
else
  echo "skipped: no g++"
fi
if [ -z "$built" ]; then echo "no C compiler"; exit 1; fi
PLOT="$OUT/plot_$built"

echo "=== the API (test_lossplot) ==="
for exe in "$OUT"/test_lossplot_*; do
  [ -x "$exe" ] || continue
  rm -f "$OUT"/*.svg
  if "$exe" $T "$OUT" >"$OUT/api.txt" 2>&1; then ok; else bad "$exe"; fi
  echo "$(basename "$exe"): $(tail -n 1 "$OUT/api.txt")"
  grep FAIL "$OUT/api.txt"
done
# under AddressSanitizer and UBSan, where clang has their runtimes
if echo 'int main(void){return 0;}' | clang -fsanitize=address,undefined -x c - -o /dev/null >/dev/null 2>&1; then
  check clang -std=c99 $WARN -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all \
    -o "$OUT/test_lossplot_asan" $T/test_lossplot.c -lm
  rm -f "$OUT"/*.svg
  check "$OUT/test_lossplot_asan" $T "$OUT"
  check clang -std=c99 $WARN -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all \
    -o "$OUT/plot_asan" examples/plot.c -lm
  for f in normal empty one_row constant messy resumed extreme malformed short_row no_header; do
    "$OUT/plot_asan" $T/$f.csv "$OUT/asan_$f.svg" >/dev/null 2>"$OUT/asan_$f.txt"
    rc=$?
    if [ $rc -le 1 ] && ! grep -q "Sanitizer\|runtime error" "$OUT/asan_$f.txt"; then ok; else bad "plot $f.csv under ASan/UBSan (exit $rc)"; cat "$OUT/asan_$f.txt"; fi
  done
  echo "ASan + UBSan: test_lossplot and plot on every CSV"
else
  echo "skipped: ASan/UBSan (clang has no sanitizer runtime here)"
fi

echo "=== plot: the CSVs of tests/plot ==="
# name, then what svgcheck.py expects of its SVG
while read -r name expect; do
  if "$PLOT" $T/$name.csv "$OUT/$name.svg" --title "$name" >/dev/null; then
    # shellcheck disable=SC2086
    check python3 $T/svgcheck.py svg "$OUT/$name.svg" $expect --title "$name"
  else
    bad "plot $name.csv failed"
  fi
done <<'EOF'
normal --train 200 --val 8 --markers 8 --ymax 5
empty --train 0 --val 0 --markers 0 --nodata
one_row --train 0 --val 0 --markers 0
constant --train 5 --val 0 --markers 1
messy --train 6 --val 0 --markers 1 --ymax 4.5
resumed --train 9 --val 2 --markers 2 --ymax 4.5
extreme --train 3 --val 2 --markers 2
EOF
# the default OUT is next to the CSV, the default title the CSV's path
cp $T/normal.csv "$OUT/train_log.csv"
check "$PLOT" "$OUT/train_log.csv"
check python3 $T/svgcheck.py svg "$OUT/train_log.svg" --title "$OUT/train_log.csv"
check python3 $T/svgcheck.py svg "$OUT/api.svg" --title "a<b & \"c\" 'd' ? e ü"
# a log of 200,000 rows stays a small SVG
python3 - "$OUT/long.csv" <<'EOF'
import math, sys
with open(sys.argv[1], "w") as f:
    f.write("step,train_loss,val_loss,elapsed_s\n")
    for i in range(1, 200001):
        f.write("%d,%.6f,,%.3f\n" % (i, 1.3 + 2.8 * math.exp(-i / 20000) + 0.05 * math.sin(i * 0.7), i * 0.01))
        if i % 5000 == 0:
            f.write("%d,%.6f,%.6f,%.3f\n" % (i, 1.3 + 2.8 * math.exp(-i / 20000), 1.4 + 2.8 * math.exp(-i / 20000), i * 0.01))
EOF
check "$PLOT" "$OUT/long.csv" "$OUT/long.svg"
size=$(wc -c <"$OUT/long.svg")
if [ "$size" -lt 200000 ]; then ok; else bad "long.svg is $size bytes"; fi
check python3 $T/svgcheck.py svg "$OUT/long.svg" --val 40 --markers 40
echo "long.csv: 200,000 rows -> $size bytes of SVG"

echo "=== malformed logs fail with a message naming the line ==="
while read -r name want; do
  if "$PLOT" $T/$name.csv "$OUT/$name.svg" >"$OUT/$name.out" 2>"$OUT/$name.err"; then
    bad "plot $name.csv succeeded"
  else
    msg=$(cat "$OUT/$name.err")
    echo "$name.csv: $msg"
    case "$msg" in "error: "*"$want"*) ok ;; *) bad "$name.csv: expected '$want' in: $msg" ;; esac
    if [ -e "$OUT/$name.svg" ]; then bad "$name.csv left an SVG"; else ok; fi
  fi
done <<'EOF'
malformed line 4: train_loss "oops" is not a number
short_row line 3: 2 fields where the header has 4
no_header line 1: expected a header row
EOF
"$PLOT" $T/missing.csv "$OUT/x.svg" 2>"$OUT/missing.err"
rc=$?
if [ $rc -eq 1 ] && grep -q "^error: cannot open $T/missing.csv" "$OUT/missing.err"; then ok; else bad "a missing CSV: exit $rc, $(cat "$OUT/missing.err")"; fi
"$PLOT" >/dev/null 2>&1 && bad "plot with no arguments succeeded" || ok
"$PLOT" a.csv b.svg c.svg >/dev/null 2>&1 && bad "plot with three paths succeeded" || ok

echo "=== redrawing: a reader never sees half an SVG ==="
rm -f "$OUT"/*.tmp
( rc=0; for _ in $(seq 150); do "$PLOT" $T/normal.csv "$OUT/live.svg" >/dev/null || { rc=1; break; }; done; touch "$OUT/live.done"; exit $rc ) &
writer=$!
"$PLOT" $T/normal.csv "$OUT/live.svg" >/dev/null
python3 - "$OUT/live.svg" "$OUT/live.done" <<'EOF'
import os, sys, time, xml.etree.ElementTree as ET
svg, done = sys.argv[1], sys.argv[2]
reads, deadline = 0, time.time() + 120
while not os.path.exists(done) and time.time() < deadline:
    with open(svg, "rb") as f:
        data = f.read()
    try:
        ET.fromstring(data)
    except ET.ParseError as e:
        sys.exit("FAIL: read %d bytes of a half-written SVG: %s" % (len(data), e))
    reads += 1
print("%d reads of live.svg while it was redrawn 150 times, every one whole" % reads)
EOF
r=$?
wait $writer
w=$?
if [ $r -eq 0 ] && [ $w -eq 0 ]; then ok; else bad "redrawing (reader $r, writer $w)"; fi
tmps=$(find "$OUT" -name '*.tmp' | wc -l)
if [ "$tmps" -eq 0 ]; then ok; else bad "$tmps temporary files left"; fi

echo "=== chromium: the SVG rendered to PNG ==="
if command -v chromium >/dev/null 2>&1; then
  profile=$(mktemp -d)
  png="$OUT/normal.png"
  timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-background-networking --no-first-run \
    --disable-sync --disable-component-update --user-data-dir="$profile" --screenshot="$png" \
    --window-size=900,600 "file://$(pwd)/$OUT/normal.svg" >"$OUT/chromium.log" 2>&1
  rm -rf "$profile"
  if [ -s "$png" ] && [ "$(wc -c <"$png")" -gt 10000 ]; then
    ok
    check python3 $T/svgcheck.py png "$png"
  else
    bad "chromium wrote no PNG (see $OUT/chromium.log)"
  fi
else
  echo "skipped: chromium is not installed (apt-get install chromium)"
fi

echo "plot: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
