#!/usr/bin/env bash
# The main job on a bare machine: set up, build, then
#  1. simulate the bundled 20-station line (10 replications of an 8-hour shift): KPI table on
#     stdout and an HTML report;
#  2. generate a recorded shift of the same line with the plant simulator (dirty sensors and the
#     sample faults) and replay it through the twin: real KPIs beside the twin's prediction.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
mkdir -p out
./build/twin simulate scenes/machining20.yaml --hours 8 --reps 10 --report out/machining20.html "$@"
echo "report: out/machining20.html" >&2
echo
./build/twin generate scenes/machining20.yaml --hours 8 --seed 1 \
  --faults scenes/faults/machining20.yaml -o out/machining20_shift.mcap
echo
./build/twin replay scenes/machining20.yaml out/machining20_shift.mcap --json out/replay.json
echo "recording: out/machining20_shift.mcap (open it in any MCAP tool); replay JSON: out/replay.json" >&2
