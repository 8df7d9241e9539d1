#!/usr/bin/env bash
# Builds and runs the benchmarks; prints the figures and keeps them as JSON in
# bench/results/<machine>/ (pass Google Benchmark flags through, e.g. --benchmark_repetitions=3) (machine = hostname-independent description: cores and CPU model).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
cpu=$(grep -m1 "model name" /proc/cpuinfo | sed 's/.*: //; s/[^A-Za-z0-9]\+/-/g; s/-$//')
machine="${TWIN_BENCH_MACHINE:-$(nproc)core-${cpu}}"
out="bench/results/${machine}"
mkdir -p "$out"
# The line model (20-station sample) and replay (a generated 8-hour shift of the 250-machine
# plant, made once in build/bench_data/: about a minute and 2.6 GB with its recorded copy).
./build/twin_bench --benchmark_filter='Machining20' \
  --benchmark_out="$out/line_model.json" --benchmark_out_format=json "$@"
./build/twin_bench --benchmark_filter='Plant250' \
  --benchmark_out="$out/replay.json" --benchmark_out_format=json "$@"
# Physics: 1,000 parts on Bullet conveyor belts at 60 Hz (simulated seconds per wall second).
./build/twin_bench --benchmark_filter='Physics' \
  --benchmark_out="$out/physics.json" --benchmark_out_format=json "$@"
# Forecast from now: 200 replications of the 20-station line to the end of an 8-hour shift.
./build/twin_bench --benchmark_filter='Forecast|BM_Fork_' \
  --benchmark_out="$out/forecast.json" --benchmark_out_format=json "$@"
# RUL on NASA's C-MAPSS FD001 (../shared/data/cmapss, or TWIN_CMAPSS_DIR): RMSE and the PHM08
# score beside published results; skipped with a message when the files are not there.
./build/twin_bench --benchmark_filter='Cmapss' \
  --benchmark_out="$out/cmapss.json" --benchmark_out_format=json "$@"
# The viewer's frame time (needs the viewer; under a virtual display when there is none).
if ./build/twin_bench --benchmark_list_tests=true | grep '^BM_ViewerFrame' >/dev/null; then
  run_display=()
  [ -z "${DISPLAY:-}" ] && run_display=(xvfb-run -a -s "-screen 0 1280x800x24")
  "${run_display[@]}" ./build/twin_bench --benchmark_filter='ViewerFrame' \
    --benchmark_out="$out/viewer.json" --benchmark_out_format=json "$@"
fi
# The live twin (needs the network parts and mosquitto, or a broker in TWIN_BENCH_MQTT=host:port):
# ingest through the broker, latency from an edge publish to the gRPC stream at 1,000 and
# 10,000 messages/s, and the twin's periodic snapshot and KPI work. About a minute.
if ./build/twin_bench --benchmark_list_tests=true | grep '^Live' >/dev/null; then
  ./build/twin_bench --benchmark_filter='Live' \
    --benchmark_out="$out/live.json" --benchmark_out_format=json "$@"
else
  echo "no live benchmarks in this build" >&2
fi
echo "results: $(ls "$out"/*.json | tr '\n' ' ')" >&2
