#!/usr/bin/env bash
# Set up, build, and run every test (CTest prints the summary at the end).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
# Under a virtual display, so the viewer's screenshot tests run too.
xvfb-run -a -s "-screen 0 1280x800x24" \
  ctest --test-dir build --output-on-failure -j"$(nproc)" "$@"
