#!/usr/bin/env bash
# The main job on a bare machine: set up, build, then
#  1. simulate the bundled 20-station line (10 replications of an 8-hour shift): KPI table on
#     stdout and an HTML report;
#  2. `twin demo`: record a shift of the same line with the plant simulator (dirty sensors and
#     the sample faults; made once, then reused), replay it through the twin (real KPIs beside
#     the twin's prediction), then open the viewer on it, or, with no display (or --no-window),
#     write a screenshot of the viewer at a breakdown to out/demo/twin_demo.png.
# Arguments go to `twin demo` (e.g. --no-window, --hours 2).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
mkdir -p out
./build/twin simulate scenes/machining20.yaml --hours 8 --reps 10 --report out/machining20.html
echo "report: out/machining20.html" >&2
echo
./build/twin demo --out out/demo "$@"
