#!/usr/bin/env bash
# Builds the libFuzzer targets with clang-14 (ASan + UBSan) in build-fuzz/ and runs each for
# SECONDS (default 30) on a corpus seeded from scenes/, from MCAP files written by
# McapWriter and from the CSV exports in tests/replay/data/. Exits non-zero if any fuzzer
# finds a crash, hang, leak or UB; the reproducer is left in build-fuzz/artifacts/<fuzzer>/.
#   usage: scripts/fuzz.sh [SECONDS]
set -euo pipefail

SECONDS_PER_FUZZER="${1:-30}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="$ROOT/build-fuzz"
JOBS="${JOBS:-$(nproc)}"
mkdir -p "$BUILD"

CC="${CC_FUZZ:-clang-14}" CXX="${CXX_FUZZ:-clang++-14}" \
  cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTWIN_BUILD_VIEWER=OFF \
  -DTWIN_BUILD_TESTS=OFF -DTWIN_BUILD_BENCH=OFF -DTWIN_BUILD_NETWORK=OFF -DTWIN_FUZZ=ON >"$BUILD/configure.log" 2>&1 ||
  { cat "$BUILD/configure.log"; exit 1; }
cmake --build "$BUILD" -j "$JOBS" --target fuzz_scene fuzz_mcap fuzz_mcap_seed fuzz_csv \
  fuzz_telemetry fuzz_telemetry_seed fuzz_sparkplug >/dev/null ||
  { cmake --build "$BUILD" -j 1 --target fuzz_scene fuzz_mcap fuzz_mcap_seed fuzz_csv \
    fuzz_telemetry fuzz_telemetry_seed fuzz_sparkplug; exit 1; }

# Corpora live in the build directory and grow across runs; seeds are (re)added every time.
mkdir -p "$BUILD/corpus/scene" "$BUILD/corpus/mcap" "$BUILD/corpus/csv" "$BUILD/corpus/telemetry" \
  "$BUILD/corpus/sparkplug"
# fuzz_sparkplug starts from an empty corpus plus any kept reproducers.
if [ -d "$ROOT/fuzz/corpus/sparkplug" ]; then
  find "$ROOT/fuzz/corpus/sparkplug" -type f -exec cp {} "$BUILD/corpus/sparkplug/" \;
fi
find "$ROOT/scenes" "$ROOT/fuzz/corpus/scene" -name '*.yaml' -exec cp {} "$BUILD/corpus/scene/" \; \
  2>/dev/null || true
"$BUILD/fuzz/fuzz_mcap_seed" "$BUILD/corpus/mcap"
if [ -d "$ROOT/fuzz/corpus/mcap" ]; then
  find "$ROOT/fuzz/corpus/mcap" -type f -exec cp {} "$BUILD/corpus/mcap/" \;
fi

# fuzz_csv reads its options from the first byte: seed each export with a few option bytes
# (long/wide, time formats, Berlin, delimiters, strict, scene).
for csv in "$ROOT"/tests/replay/data/*.csv; do
  for opt in 00 01 02 08 11 20 41 80 89; do
    { printf "\\x$opt"; cat "$csv"; } >"$BUILD/corpus/csv/$(basename "$csv" .csv)_$opt"
  done
done

# fuzz_telemetry: the first byte picks SampleBatch, event records, MCAP or mirror state; the
# seeds are plant-simulator telemetry of the fuzzer's scene (see fuzz/telemetry_fuzzer.cc).
"$BUILD/fuzz/fuzz_telemetry_seed" "$BUILD/corpus/telemetry"
if [ -d "$ROOT/fuzz/corpus/telemetry" ]; then
  find "$ROOT/fuzz/corpus/telemetry" -type f -exec cp {} "$BUILD/corpus/telemetry/" \;
fi

status=0
for name in scene mcap csv telemetry sparkplug; do
  exe="$BUILD/fuzz/fuzz_$name"
  artifacts="$BUILD/artifacts/fuzz_$name"
  log="$BUILD/fuzz_$name.log"
  mkdir -p "$artifacts"
  dict=()
  [ -f "$ROOT/fuzz/$name.dict" ] && dict=(-dict="$ROOT/fuzz/$name.dict")
  set +e
  ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1" \
    UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
    "$exe" "${dict[@]}" -max_total_time="$SECONDS_PER_FUZZER" -rss_limit_mb=2048 -timeout=10 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" "$BUILD/corpus/$name" >"$log" 2>&1
  rc=$?
  set -e
  runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
  speed="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)"
  # (no "cov:" line when a seed crashes before the corpus is loaded: keep going to the report)
  cov="$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2 || true)"
  ft="$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2 || true)"
  crashes="$(find "$artifacts" -type f | wc -l)"
  if [ "$rc" -ne 0 ]; then
    [ "$crashes" -eq 0 ] && crashes=1
    status=1
  fi
  echo "fuzz_$name: runs ${runs:-?} (${speed:-?} exec/s), coverage ${cov:-?} edges / ${ft:-?} features, crashes: $crashes"
  if [ "$rc" -ne 0 ]; then
    echo "---- fuzz_$name failed (exit $rc); log $log; artifacts in $artifacts ----"
    grep -A40 -m1 'ERROR:\|runtime error\|==ERROR\|ALARM' "$log" || tail -40 "$log"
  fi
done
exit "$status"
