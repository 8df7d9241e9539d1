#!/usr/bin/env bash
# Set up, build, and run every test (CTest prints the summary at the end).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
ctest --test-dir build --output-on-failure -j"$(nproc)" "$@"
