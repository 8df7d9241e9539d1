#!/usr/bin/env bash
# A live twin on one machine: a mosquitto broker on a loopback port, `twin live` following the
# plant through it (gRPC on 127.0.0.1:50051, Foxglove on ws://127.0.0.1:8765), and `twin edge`
# publishing the bottling sample's shift as a Sparkplug B edge node at 120x real time.
#   usage: scripts/live_demo.sh [SCENE] [HOURS]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
scene="${1:-scenes/bottling.yaml}"
hours="${2:-0.5}"
speed=120
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
work=$(mktemp -d)
printf 'listener %s 127.0.0.1\nallow_anonymous true\n' "$port" >"$work/mosquitto.conf"
broker=$(command -v mosquitto || echo /usr/sbin/mosquitto)
"$broker" -c "$work/mosquitto.conf" >"$work/mosquitto.log" 2>&1 &
broker_pid=$!
trap 'kill $broker_pid 2>/dev/null || true; rm -rf "$work"' EXIT
sleep 0.5
mkdir -p out
seconds=$(python3 -c "print(int($hours * 3600 / $speed) + 8)")
build/twin live "$scene" --mqtt "127.0.0.1:$port" --clock source --status-every 5 \
  --duration "$seconds" --json out/live_demo.json --record out/live_demo.mcap &
live_pid=$!
sleep 1
build/twin edge "$scene" --mqtt "127.0.0.1:$port" --hours "$hours" --speed "$speed"
wait $live_pid
echo "final state: out/live_demo.json; what the twin received: out/live_demo.mcap" \
  "(build/twin replay $scene out/live_demo.mcap)"
