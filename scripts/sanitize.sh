#!/usr/bin/env bash
# The sanitizer stage: one AddressSanitizer + UndefinedBehaviorSanitizer build (Debug, -O1, UB
# non-recoverable) in build-asan/, used for the tests and for fuzzing (docs/fuzzing.md).
#
# With clang++ (the default when installed) the build is configured with -DRMQSIM_FUZZ=ON: every
# target also gets libFuzzer coverage instrumentation (-fsanitize=fuzzer-no-link) and the fuzz
# targets of tests/fuzz are built. Without clang++ it falls back to g++ and no fuzz targets.
#
# What it runs, in this order:
#   1. CTest, every test but the interop ones (real servers, node) and those that run whole
#      scenarios over and over (about 40x slower under ASan): the library sweeps scenario_*, the
#      CLI test, the planted-bug test, the scenario determinism tests and the cluster-level
#      properties. What runs: unit, component, end-to-end, faults, checkers, model-based
#      properties, lint, and each fuzz target over its seed corpus. RMQSIM_ASAN_FULL=1 runs the
#      excluded ones too (but interop);
#   2. `rmqsim run scenarios/library/chaos.textproto --seed N` for each N in
#      RMQSIM_ASAN_CHAOS_SEEDS (default "1 2"), in parallel;
#   3. `rmqsim sweep` of RMQSIM_ASAN_SWEEP_FILE (default scenarios/library/slave_destroyed
#      .textproto) over seeds RMQSIM_ASAN_SWEEP_SEEDS (default 1..2).
# Any sanitizer report fails the run (halt_on_error; UBSan reports are fatal). Warnings are not
# errors here (RMQSIM_WERROR=OFF): clang warns differently, and the g++ build is the -Werror gate.
#
# Usage: scripts/sanitize.sh [ctest -R regex]
#        scripts/sanitize.sh --build-only [ninja targets...]
#   regex               only the CTest tests matching it, and no scenario runs
#   --build-only        configure and build (everything, or the targets given), run nothing
# Knobs (environment):
#   RMQSIM_ASAN_BUILD_DIR   build directory (default build-asan)
#   RMQSIM_ASAN_CXX         compiler (default clang++ if installed, else g++)
#   RMQSIM_ASAN_FULL=1      also run the CLI, planted-bug, determinism and cluster property tests
#   RMQSIM_ASAN_LIBRARY=1   also run the scenario_* library sweeps, RMQSIM_ASAN_SEEDS seeds per
#                           file (default 2; the typed cache entry RMQSIM_SWEEP_SEEDS)
#   RMQSIM_ASAN_CHAOS_SEEDS, RMQSIM_ASAN_SWEEP_FILE, RMQSIM_ASAN_SWEEP_SEEDS  (see above)
#   RMQSIM_ASAN_JOBS        parallel jobs for the build and CTest (default nproc)
set -euo pipefail
cd "$(dirname "$0")/.."

build_only=0
regex=""
if [ "${1:-}" = "--build-only" ]; then
  build_only=1
  shift
else
  regex=${1:-}
fi

bash scripts/install-deps.sh
BUILD_DIR=${RMQSIM_ASAN_BUILD_DIR:-build-asan}
JOBS=${RMQSIM_ASAN_JOBS:-$(nproc)}

if [ -n "${RMQSIM_ASAN_CXX:-}" ]; then
  CXX_BIN=$(command -v "$RMQSIM_ASAN_CXX")
elif command -v clang++ >/dev/null 2>&1; then
  CXX_BIN=$(command -v clang++)
else
  CXX_BIN=$(command -v g++)
fi
SAN_FLAGS="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
if "$CXX_BIN" --version | grep -qi clang; then
  FUZZ=ON
  DEBUG_INFO=-gline-tables-only  # enough for symbolized stacks; compiles and links much faster
  # -fsanitize=function (part of clang's "undefined") with the coverage instrumentation makes
  # clang 14 fail on coroutines ("Cannot represent a difference across sections").
  SAN_FLAGS="$SAN_FLAGS -fno-sanitize=function"
else
  FUZZ=OFF
  DEBUG_INFO=-g1
fi

# A build directory configured with another compiler is started over (CMake cannot switch).
if [ -f "$BUILD_DIR/CMakeCache.txt" ] &&
   ! grep -qx "CMAKE_CXX_COMPILER:[A-Z]*=$CXX_BIN" "$BUILD_DIR/CMakeCache.txt"; then
  echo "sanitize: $BUILD_DIR was configured with another compiler; starting it over" >&2
  rm -rf "$BUILD_DIR"
fi

cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_CXX_COMPILER="$CXX_BIN" \
  -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_CXX_FLAGS_DEBUG:STRING="-O1 $DEBUG_INFO" \
  -DCMAKE_CXX_FLAGS:STRING="$SAN_FLAGS" \
  -DCMAKE_EXE_LINKER_FLAGS:STRING="-fsanitize=address,undefined" \
  -DCMAKE_SHARED_LINKER_FLAGS:STRING="-fsanitize=address,undefined" \
  -DRMQSIM_FUZZ:BOOL="$FUZZ" -DRMQSIM_WERROR:BOOL=OFF -DRMQSIM_ALLOCATOR:STRING=system \
  -DRMQSIM_BUILD_BENCHMARKS:BOOL=OFF -DRMQSIM_BUILD_PYTHON:BOOL=OFF \
  -DRMQSIM_SWEEP_SEEDS:STRING="${RMQSIM_ASAN_SEEDS:-2}" \
  -DPYTHON_EXECUTABLE=/usr/bin/python3 >/dev/null
if [ "$build_only" -eq 1 ]; then
  cmake --build "$BUILD_DIR" -- -j"$JOBS" "$@"
  exit 0
fi
cmake --build "$BUILD_DIR" -- -j"$JOBS"

export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
fail=0

# 1. CTest.
exclude='^interop_'
if [ "${RMQSIM_ASAN_FULL:-0}" != 1 ]; then
  exclude='^interop_|^scenario_|^cli_test$|^planted_bugs$|^Determinism\.|^ClusterProperty'
  [ "${RMQSIM_ASAN_LIBRARY:-0}" = 1 ] && exclude='^interop_|^cli_test$|^planted_bugs$|^Determinism\.|^ClusterProperty'
fi
ctest_args=(--test-dir "$BUILD_DIR" --output-on-failure -j"$JOBS" --timeout 1800 -E "$exclude")
[ -n "$regex" ] && ctest_args+=(-R "$regex")
ctest "${ctest_args[@]}" || fail=1
if [ -n "$regex" ]; then exit "$fail"; fi

# 2 and 3. A handful of whole scenarios under the sanitizers.
RMQSIM=$BUILD_DIR/scenarios/rmqsim
logs=$BUILD_DIR/sanitize-logs
mkdir -p "$logs"
pids=()
for seed in ${RMQSIM_ASAN_CHAOS_SEEDS:-1 2}; do
  "$RMQSIM" run scenarios/library/chaos.textproto --seed "$seed" >"$logs/chaos-$seed.txt" 2>&1 &
  pids+=("$!:chaos seed $seed:$logs/chaos-$seed.txt")
done
for p in "${pids[@]}"; do
  IFS=: read -r pid what log <<<"$p"
  if wait "$pid"; then
    echo "sanitize: rmqsim run $what: OK ($(grep -m1 '^  speed' "$log" | sed 's/^ *//'))"
  else
    echo "sanitize: rmqsim run $what: FAILED (log $log):"; tail -n 40 "$log"; fail=1
  fi
done
sweep_file=${RMQSIM_ASAN_SWEEP_FILE:-scenarios/library/slave_destroyed.textproto}
echo "sanitize: rmqsim sweep $sweep_file --seeds ${RMQSIM_ASAN_SWEEP_SEEDS:-1..2}"
"$RMQSIM" sweep "$sweep_file" --seeds "${RMQSIM_ASAN_SWEEP_SEEDS:-1..2}" --jobs "$JOBS" \
  --junit "$BUILD_DIR/junit/asan-sweep.xml" | tail -n 5 || fail=1

[ "$fail" -eq 0 ] && echo "sanitize: OK" || echo "sanitize: FAILED"
exit "$fail"
