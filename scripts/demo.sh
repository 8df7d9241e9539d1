#!/usr/bin/env bash
# The main job on a bare machine: set up, build, and simulate the bundled 20-station line
# (10 replications of an 8-hour shift) with a table on stdout and an HTML report.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
mkdir -p out
./build/twin simulate scenes/machining20.yaml --hours 8 --reps 10 --report out/machining20.html "$@"
echo "report: out/machining20.html" >&2
