#!/usr/bin/env bash
# The rmqsim CLI end to end: exit statuses (0 pass, 1 violation, 2 bad input), a scenario that
# must fail, coverage that must fail, sweep's JUnit and replay lines, shrink's output reproducing
# the failure, replay's trace files, list, bench. Usage: cli_test.sh <rmqsim> <source-dir>
set -uo pipefail
rmqsim=${1:?usage: cli_test.sh <rmqsim> <source-dir>}
src=${2:?usage: cli_test.sh <rmqsim> <source-dir>}
work=$(mktemp -d /tmp/rmqsim-cli-XXXXXX)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0
ok() { echo "ok   $1"; passed=$((passed + 1)); }
bad() { echo "FAIL $1"; failed=$((failed + 1)); }
# expect <name> <exit-status> <regex-or-empty> <command...>: the status and the output both.
expect() {
  local name=$1 want=$2 pattern=$3
  shift 3
  local out rc
  out=$("$@" 2>&1)
  rc=$?
  if [[ $rc -ne $want ]]; then
    bad "$name: exit status $rc, expected $want"
    echo "$out" | tail -20 | sed 's/^/      /'
    return
  fi
  if [[ -n $pattern ]] && ! grep -qE -- "$pattern" <<<"$out"; then
    bad "$name: output does not match /$pattern/"
    echo "$out" | tail -20 | sed 's/^/      /'
    return
  fi
  ok "$name"
}
data=$src/tests/scenarios/testdata
lib=$src/scenarios/library

# Bad input: exit 2 with file:line:column: field.
printf 'workload {\n  producers { rate: -3 }\n}\n' >"$work/bad.textproto"
expect "bad field value names file:line:column and field" 2 \
  "bad.textproto:2:[0-9]+: workload.producers\[0\].rate: must be" "$rmqsim" run "$work/bad.textproto"
printf 'phases { chaoss: "1m" }\n' >"$work/typo.textproto"
expect "unknown field names file:line:column" 2 'typo.textproto:1:[0-9]+: .*no field named "chaoss"' \
  "$rmqsim" run "$work/typo.textproto"
printf 'faults { timeline { at: "5s" kind: KILL target { group: "broker-z" } } }\n' >"$work/target.textproto"
expect "a target that matches nothing" 2 'target.textproto:1:[0-9]+: faults.timeline\[0\]' \
  "$rmqsim" run "$work/target.textproto"
expect "missing file" 2 "cannot open" "$rmqsim" run "$work/nope.textproto"
expect "bad --set path" 2 'no field "nope"' "$rmqsim" run "$lib/chaos.textproto" --set phases.nope=1
expect "bad flag value" 2 "" "$rmqsim" run "$lib/chaos.textproto" --seed x
expect "a negative seed is refused" 2 "" "$rmqsim" run "$lib/chaos.textproto" --seed -1
expect "bad seed list" 2 "not a seed list" "$rmqsim" sweep "$lib/chaos.textproto" --seeds 5..1
expect "bad shard" 2 "not K/N" "$rmqsim" sweep "$lib/chaos.textproto" --shard 3/2

# A run that must fail: exit 1, the failing checker, the replay line.
expect "broken promise fails delivery with a replay line" 1 \
  "check delivery  FAIL: .*SEND_OK lost" "$rmqsim" run "$data/broken_promise.textproto" --seed 1
expect "the replay line is complete" 1 \
  "replay +rmqsim run .*broken_promise.textproto --seed 1 --set phases.quiet=40s" \
  "$rmqsim" run "$data/broken_promise.textproto" --seed 1 --set phases.quiet=40s
# Wrong expectations against a real run make the other checkers fail too.
expect "routes: an expiry shorter than the name server's fails on stale routes" 1 \
  "check routes    FAIL: .*stale routes" \
  "$rmqsim" run "$lib/heartbeat_drop.textproto" --seed 1 --set checks.routes.expiry=60s
expect "liveness: an impossible quiet-phase target fails" 1 "check liveness  FAIL" \
  "$rmqsim" run "$lib/heartbeat_drop.textproto" --seed 1 \
  --set checks.liveness.min_send_ok_per_producer=100000
expect "an unmet requirement fails coverage" 1 "check coverage  FAIL" \
  "$rmqsim" run "$data/unmet_requirement.textproto"
expect "the same scenario passes without the requirement" 0 "result +OK" \
  "$rmqsim" run "$data/unmet_requirement.textproto" --set checks.require[0].kind=KILL \
  --set checks.require[0].role=SLAVE

# Sweep: exit 1 on a failure, a table with replay lines, JUnit with the failure.
expect "sweep reports failures with replay lines" 1 \
  "replay: rmqsim run .*broken_promise.textproto --seed 2" \
  "$rmqsim" sweep "$data/broken_promise.textproto" --seeds 1..2 --jobs 2 --junit "$work/junit.xml"
if grep -q '<failure message=' "$work/junit.xml" && grep -q 'tests="2" failures="2"' "$work/junit.xml"; then
  ok "JUnit XML counts the failures"
else
  bad "JUnit XML counts the failures"; cat "$work/junit.xml"
fi
expect "sweep shards split the runs" 0 "1 runs in" \
  "$rmqsim" sweep "$data/unmet_requirement.textproto" --seeds 1..2 --shard 2/2 \
  --set checks.require[0].kind=KILL --set checks.require[0].role=SLAVE
expect "sweep checks determinism" 0 "0 of 1 digests differ" \
  "$rmqsim" sweep "$data/unmet_requirement.textproto" --seeds 3 --check-determinism \
  --set checks.require[0].kind=KILL --set checks.require[0].role=SLAVE

# Shrink: a scenario file that still fails the same checker.
"$rmqsim" shrink "$data/broken_promise.textproto" --seed 1 >"$work/shrunk.textproto" 2>"$work/shrink.log"
rc=$?
if [[ $rc -eq 1 ]] && grep -q "checker delivery still fails" "$work/shrunk.textproto"; then
  ok "shrink prints a minimal scenario"
else
  bad "shrink prints a minimal scenario (exit $rc)"; cat "$work/shrink.log"
fi
expect "the shrunk scenario reproduces the failure" 1 "check delivery  FAIL" \
  "$rmqsim" run "$work/shrunk.textproto" --seed 1
expect "shrink on a passing seed says so" 0 "nothing to shrink" \
  "$rmqsim" shrink "$data/unmet_requirement.textproto" --seed 1 \
  --set checks.require[0].kind=KILL --set checks.require[0].role=SLAVE

# Replay: trace files.
expect "replay writes traces and the history" 0 "result +OK" \
  "$rmqsim" replay "$data/unmet_requirement.textproto" --seed 1 \
  --set checks.require[0].kind=KILL --set checks.require[0].role=SLAVE \
  --trace "$work/trace.json" --text-trace "$work/trace.txt" --filter FaultInjected \
  --history "$work/history.jsonl"
if /usr/bin/python3 - "$work" <<'PY'
import json, sys
w = sys.argv[1]
t = json.load(open(w + "/trace.json"))
names = {e.get("args", {}).get("name") for e in t["traceEvents"] if e.get("ph") == "M"}
assert "broker-a-s1" in names, names
assert any(e.get("ph") == "X" and e["name"] == "KILL" for e in t["traceEvents"])
assert any(e.get("ph") == "i" and e["name"].startswith("send") for e in t["traceEvents"])
lines = open(w + "/trace.txt").read().splitlines()
assert lines and all("FaultInjected" in l for l in lines), lines[:3]
recs = [json.loads(l) for l in open(w + "/history.jsonl")]
assert "config" in recs[0] and any("send" in r for r in recs) and any("fault" in r for r in recs)
PY
then ok "trace JSON, filtered text trace and JSON-lines history are well formed"
else bad "trace JSON, filtered text trace and JSON-lines history are well formed"; fi

# --buggify changes a cluster run (and the same flags give the same run).
plain=$("$rmqsim" run "$lib/chaos.textproto" --seed 3 --set phases.chaos=2m --digest-only)
bug1=$("$rmqsim" run "$lib/chaos.textproto" --seed 3 --set phases.chaos=2m --digest-only --buggify)
bug2=$("$rmqsim" run "$lib/chaos.textproto" --seed 3 --set phases.chaos=2m --digest-only --buggify)
if [[ -n $plain && $plain != "$bug1" && $bug1 == "$bug2" ]]; then
  ok "--buggify changes the run, deterministically"
else
  bad "--buggify changes the run, deterministically ($plain / $bug1 / $bug2)"
fi

# --swarm: the summary prints the draw, the replay line carries --swarm, the same seed gives the
# same run and the variant differs from the file's own run.
expect "swarm prints what it drew and a replay line with --swarm" 0 \
  "swarm +topology.name_servers=" "$rmqsim" run "$lib/chaos.textproto" --seed 5 --swarm \
  --set phases.chaos=1m
sw1=$("$rmqsim" run "$lib/chaos.textproto" --seed 5 --set phases.chaos=1m --digest-only --swarm)
sw2=$("$rmqsim" run "$lib/chaos.textproto" --seed 5 --set phases.chaos=1m --digest-only --swarm)
nosw=$("$rmqsim" run "$lib/chaos.textproto" --seed 5 --set phases.chaos=1m --digest-only)
if [[ -n $sw1 && $sw1 == "$sw2" && $sw1 != "$nosw" ]]; then
  ok "--swarm changes the run, deterministically"
else
  bad "--swarm changes the run, deterministically ($sw1 / $sw2 / $nosw)"
fi
expect "a failing swarm seed's replay line carries --swarm" 1 "replay: rmqsim run .* --swarm" \
  "$rmqsim" sweep "$data/broken_promise.textproto" --seeds 1 --swarm
expect "sweep --buggify reports BUGGIFY sites" 0 "buggify sites \(runs enabled" \
  "$rmqsim" sweep "$lib/chaos.textproto" --seeds 1..2 --jobs 2 --buggify --set phases.chaos=1m

expect "list shows the library" 0 "chaos.textproto" "$rmqsim" list "$lib"

# topology.disk_mib: a small disk makes the brokers delete commit-log segments by disk usage (and
# the default disk does not); a size out of range is refused.
"$rmqsim" replay "$lib/scale.textproto" --set topology.disk_mib=16 --set phases.chaos=1m \
  --text-trace "$work/disk16.txt" >/dev/null 2>&1
rc16=$?
"$rmqsim" replay "$lib/scale.textproto" --set phases.chaos=1m --text-trace "$work/disk64g.txt" \
  >/dev/null 2>&1
rc64=$?
if [[ $rc16 -eq 0 && $rc64 -eq 0 ]] && grep -q StoreCommitLogFilesDeleted "$work/disk16.txt" &&
   ! grep -q StoreCommitLogFilesDeleted "$work/disk64g.txt"; then
  ok "topology.disk_mib=16 makes the brokers delete segments by disk usage"
else
  bad "topology.disk_mib=16 makes the brokers delete segments by disk usage ($rc16 / $rc64)"
fi
expect "topology.disk_mib out of range is refused" 2 "topology.disk_mib: must be 16" \
  "$rmqsim" run "$lib/scale.textproto" --set topology.disk_mib=8

# bench: a row per workload with its figures, the CSV beside the table; a run that fails its
# checks makes the row VIOLATION and the exit status 1; bad flags exit 2.
expect "bench --quick runs the idle row and prints its figures" 0   "idle 2h +2h0[0-9]m[0-9]+s +[0-9.]+ +[0-9]+x .* OK"   "$rmqsim" bench --quick --runs 2 --only idle --library "$lib" --csv "$work/bench.csv"
if [[ $(wc -l <"$work/bench.csv") -eq 2 ]] && grep -q '^group,workload,simulated_s' "$work/bench.csv" &&
   grep -qE '^idle,idle 2h,[0-9.]+,[0-9.]+,[0-9.]+,[0-9]+,[0-9]+,[0-9.]+,2,OK,' "$work/bench.csv"; then
  ok "bench --csv writes a header and one row per workload"
else
  bad "bench --csv writes a header and one row per workload"
  sed 's/^/      /' "$work/bench.csv"
fi
mkdir -p "$work/benchlib"
grep -v '^checks' "$lib/idle.textproto" >"$work/benchlib/idle.textproto"  # liveness fails
expect "bench: a run that fails its checks is a VIOLATION row and exit 1" 1 "idle 2h .* VIOLATION"   "$rmqsim" bench --quick --runs 1 --only idle --library "$work/benchlib"
expect "bench: the proxy rows put the proxied run beside the direct one" 0 \
  "through proxy .* OK +events x[0-9.]+, wall x[0-9.]+ of direct" \
  "$rmqsim" bench --quick --runs 1 --only proxy --library "$lib"
# run: a progress line (forced here: stderr is not a terminal), the same run as without it; text
# traces to a file with a filter; --filter alone is a bad flag.
plain=$("$rmqsim" run "$lib/idle.textproto" --set phases.chaos=1m --digest-only 2>&1)
expect "run: a progress line every 5 simulated seconds with RMQSIM_PROGRESS=always" 0 \
  "^  chaos +[0-9ms.]+ simulated \(the quiet phase ends at 3m32\.000s\)" \
  env RMQSIM_PROGRESS=always "$rmqsim" run "$lib/idle.textproto" --set phases.chaos=1m
expect "run: with the progress line, the same digest" 0 "digest +$plain" \
  env RMQSIM_PROGRESS=always "$rmqsim" run "$lib/idle.textproto" --set phases.chaos=1m
expect "run --text-trace with --filter writes only the matching events" 0 "" \
  "$rmqsim" run "$lib/idle.textproto" --set phases.chaos=1m --text-trace "$work/run-trace.txt" \
  --filter BrokerRegister
if [[ -s $work/run-trace.txt ]] && ! grep -qv BrokerRegister "$work/run-trace.txt"; then
  ok "run --text-trace: every line has the filter's text"
else
  bad "run --text-trace: every line has the filter's text"
fi
# --logs: one file per process, with its log lines stamped with simulated time; the same run.
expect "run --logs writes per-process log files and is the same run" 0 "digest +$plain" \
  "$rmqsim" run "$lib/idle.textproto" --set phases.chaos=1m --logs "$work/logs"
if grep -qE '^\+00:00:[0-9.]+ INFO RocketmqBroker - The broker\[broker-a, [0-9.:]+\] boot success' \
     "$work/logs/broker-a.log" 2>/dev/null &&
   grep -q "INFO RocketmqNamesrv - new broker registered" "$work/logs/namesrv-1.log" 2>/dev/null; then
  ok "run --logs: the broker's boot line and the name server's registration line"
else
  bad "run --logs: the broker's boot line and the name server's registration line ($(ls "$work/logs" 2>&1 | head -5 | tr '\n' ' '))"
fi
expect "run --filter without --text-trace exits 2" 2 "text-trace" \
  "$rmqsim" run "$lib/idle.textproto" --filter x
expect "demo: --chaos 0s --quiet 0s is a bad flag, not a violation" 2 "cannot both be zero" \
  "$rmqsim" demo --chaos 0s --quiet 0s
expect "bench: an unknown row group exits 2" 2 "" "$rmqsim" bench --only nope
expect "bench: --runs 0 exits 2" 2 "" "$rmqsim" bench --runs 0

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
