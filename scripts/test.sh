#!/usr/bin/env bash
# Set up, build, and run every test (CTest prints the summary at the end).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh

# Test peers from npm: the official MCAP reader and writer (exact versions in package-lock.json).
# Node and npm come from Debian when the machine has none.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
# Live peers: an Eclipse Tahu Sparkplug B edge node, a Foxglove WebSocket client, grpc-js.
for interop in tests/replay/interop tests/net/interop; do
  if [ ! -f $interop/node_modules/.package-lock.json ] ||
     [ $interop/package-lock.json -nt $interop/node_modules/.package-lock.json ]; then
    npm ci --prefix $interop --no-audit --no-fund --loglevel=error >/dev/null
  fi
done

# Fuzz the parsers of outside data (scene YAML, MCAP) for a bounded time with libFuzzer
# (a separate clang build in build-fuzz/); any crash, leak or undefined behaviour fails.
bash scripts/fuzz.sh "${TWIN_FUZZ_SECONDS:-30}"

# Under a virtual display, so the viewer's screenshot tests run too.
xvfb-run -a -s "-screen 0 1280x800x24" \
  ctest --test-dir build --output-on-failure -j"$(nproc)" "$@"
