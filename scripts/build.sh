#!/usr/bin/env bash
# Configures (once) and builds rmqsim with Ninja and ccache. Usage: build.sh [ninja targets...]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${RMQSIM_BUILD_DIR:-build}
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DPYTHON_EXECUTABLE=/usr/bin/python3 >/dev/null
fi
cmake --build "$BUILD_DIR" -- "$@"
