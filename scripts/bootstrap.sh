#!/usr/bin/env bash
# Installs the Debian packages twin needs (only the missing ones), then configures and builds
# into build/. Safe to run again: a second run installs nothing and rebuilds only what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  cmake g++ make pkg-config ccache clang libclang-rt-dev libomp-dev
  libeigen3-dev libbullet-dev libimgui-dev libglfw3-dev libgl-dev
  libprotobuf-dev protobuf-compiler
  libcli11-dev libyaml-cpp-dev nlohmann-json3-dev
  libzstd-dev liblz4-dev zlib1g-dev
  libcsv-dev libhowardhinnant-date-dev tzdata
  libstb-dev fonts-dejavu-core
  mosquitto libmosquitto-dev libssl-dev libgrpc++-dev protobuf-compiler-grpc
  libwebsocketpp-dev libasio-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libegl-dev libegl-mesa0
  xvfb xauth libgl1-mesa-dri
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "bootstrap: installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

build_type="${TWIN_BUILD_TYPE:-Release}"
# Warnings are errors here: the project keeps them at zero.
cmake -S . -B build -DCMAKE_BUILD_TYPE="$build_type" -DTWIN_WERROR=ON ${TWIN_CMAKE_ARGS:-} >/dev/null
cmake --build build -j"$(nproc)"
