#!/usr/bin/env bash
# Builds and runs the benchmarks; prints the figures and keeps them as JSON in
# bench/results/<machine>/ (machine = hostname-independent description: cores and CPU model).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
cpu=$(grep -m1 "model name" /proc/cpuinfo | sed 's/.*: //; s/[^A-Za-z0-9]\+/-/g; s/-$//')
machine="${TWIN_BENCH_MACHINE:-$(nproc)core-${cpu}}"
out="bench/results/${machine}"
mkdir -p "$out"
./build/twin_bench --benchmark_out="$out/line_model.json" --benchmark_out_format=json "$@"
echo "results: $out/line_model.json" >&2
