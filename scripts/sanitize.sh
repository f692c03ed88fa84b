#!/usr/bin/env bash
# Builds the tests with AddressSanitizer + UndefinedBehaviorSanitizer (Debug, -O1) into
# build-asan/ and runs the unit and property tests plus a few seeds of every library scenario.
# Usage: scripts/sanitize.sh [ctest -R regex]   (RMQSIM_ASAN_SEEDS=N seeds per scenario, default 2)
# Any sanitizer report fails the run (halt_on_error, and UBSan reports are made fatal).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
BUILD_DIR=${RMQSIM_ASAN_BUILD_DIR:-build-asan}
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
    -DCMAKE_CXX_FLAGS="-O1 -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer" \
    -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" \
    -DRMQSIM_BUILD_BENCHMARKS=OFF -DRMQSIM_SWEEP_SEEDS:STRING="${RMQSIM_ASAN_SEEDS:-2}" \
    -DPYTHON_EXECUTABLE=/usr/bin/python3 >/dev/null
fi
cmake --build "$BUILD_DIR"
export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
cd "$BUILD_DIR"
# The interop tests run real servers and node: their cost is not the point here.
if [ $# -gt 0 ]; then
  ctest --output-on-failure -j"$(nproc)" --timeout 1800 -R "$1" -E interop
else
  ctest --output-on-failure -j"$(nproc)" --timeout 1800 -E interop
fi
