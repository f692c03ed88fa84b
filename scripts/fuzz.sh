#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz in the sanitizer build (scripts/sanitize.sh:
# clang, ASan + UBSan, build-asan/) and runs each one from its seed corpus. See docs/fuzzing.md.
#
# Usage: scripts/fuzz.sh [--smoke] [MINUTES] [TARGET...]
#   MINUTES   minutes per target (default RMQSIM_FUZZ_MINUTES, else 5)
#   --smoke   RMQSIM_FUZZ_SMOKE_SECONDS (default 25) seconds per target instead
#   TARGET    only these targets (default: all of them)
# Targets run RMQSIM_FUZZ_JOBS at a time (default nproc). New inputs go to
# build-asan/fuzz/<target>/corpus (the checked-in seeds in tests/fuzz/corpus/<target> are read,
# never written). Exit status 1 on any finding (crash, sanitizer report, failed RMQ_ASSERT or
# check, leak, timeout), with the input's path and the command that reproduces it.
set -euo pipefail
cd "$(dirname "$0")/.."

ALL_TARGETS=(remoting_fuzz stored_message_fuzz scenario_fuzz namesrv_fuzz broker_fuzz)
seconds=""
if [ "${1:-}" = "--smoke" ]; then seconds=${RMQSIM_FUZZ_SMOKE_SECONDS:-25}; shift; fi
if [[ "${1:-}" =~ ^[0-9]+$ ]]; then
  [ -z "$seconds" ] && seconds=$(($1 * 60))
  shift
fi
[ -z "$seconds" ] && seconds=$((${RMQSIM_FUZZ_MINUTES:-5} * 60))
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${ALL_TARGETS[@]}")
BUILD_DIR=${RMQSIM_ASAN_BUILD_DIR:-build-asan}
JOBS=${RMQSIM_FUZZ_JOBS:-$(nproc)}

if ! command -v clang++ >/dev/null 2>&1 && [ -z "${RMQSIM_ASAN_CXX:-}" ]; then
  echo "fuzz: clang++ is not installed: no fuzz targets (libFuzzer needs clang)" >&2
  exit 2
fi
bash scripts/sanitize.sh --build-only "${targets[@]}"

export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
root=$PWD
run_one() {
  local t=$1 work=$root/$BUILD_DIR/fuzz/$1
  mkdir -p "$work/corpus" "$work/artifacts"
  # -timeout: an input running longer is a finding (a hang); -rss_limit_mb: ASan's shadow
  # memory counts, hence the margin.
  "$root/$BUILD_DIR/tests/fuzz/$t" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=3072 \
    -print_final_stats=1 -artifact_prefix="$work/artifacts/" \
    "$work/corpus" "$root/tests/fuzz/corpus/$t" >"$work/log.txt" 2>&1
}

echo "fuzz: ${#targets[@]} targets, ${seconds}s each, $JOBS at a time"
declare -A pid_of=()
status=0
report() {
  local t=$1 rc=$2 work=$BUILD_DIR/fuzz/$1
  local execs rate
  execs=$(grep -m1 'stat::number_of_executed_units' "$work/log.txt" | awk '{print $2}')
  rate=$(grep -m1 'stat::average_exec_per_sec' "$work/log.txt" | awk '{print $2}')
  if [ "$rc" -eq 0 ]; then
    echo "fuzz: $t: OK, ${execs:-?} inputs, ${rate:-?} exec/s, corpus $(ls "$work/corpus" | wc -l) files"
    return
  fi
  status=1
  echo "fuzz: $t: FINDING (exit $rc), log $work/log.txt"
  grep -E 'ERROR: |FINDING|Assertion|runtime error|==[0-9]+==' "$work/log.txt" | head -n 8 | sed 's/^/    /'
  local input
  input=$(grep -o 'Test unit written to .*' "$work/log.txt" | tail -n 1 | sed 's/Test unit written to //')
  if [ -n "$input" ]; then
    echo "    input:     $input"
    echo "    reproduce: $BUILD_DIR/tests/fuzz/$t $input"
  else
    tail -n 20 "$work/log.txt" | sed 's/^/    /'
  fi
}
running=()
for t in "${targets[@]}"; do
  while [ ${#running[@]} -ge "$JOBS" ]; do
    sleep 1
    still=()
    for r in "${running[@]}"; do
      if kill -0 "${pid_of[$r]}" 2>/dev/null; then still+=("$r"); else
        wait "${pid_of[$r]}" && rc=0 || rc=$?
        report "$r" "$rc"
      fi
    done
    running=("${still[@]}")
  done
  run_one "$t" &
  pid_of[$t]=$!
  running+=("$t")
done
for r in "${running[@]}"; do
  wait "${pid_of[$r]}" && rc=0 || rc=$?
  report "$r" "$rc"
done
[ "$status" -eq 0 ] && echo "fuzz: OK" || echo "fuzz: FINDINGS (see above)"
exit "$status"
