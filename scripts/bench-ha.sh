#!/usr/bin/env bash
# The HA benchmark: the same fault-free workload on a cluster whose broker groups have
# one slave each, once with ASYNC_MASTER and once with SYNC_MASTER masters, side by side:
# simulated-to-wall ratio, events per second and peak memory (each run is its own process).
# Usage: scripts/bench-ha.sh [extra rmqsim run flags...]   (build first: scripts/build.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/scenarios/rmqsim
[[ -x "$bin" ]] || { echo "bench-ha: $bin is missing; run scripts/build.sh first" >&2; exit 2; }
workload=(scenarios/library/chaos.textproto --set faults.nemesis.enabled=false
          --set workload.producers[0].rate=200 --set phases.chaos=10m --set phases.quiet=30s
          --set phases.quiet_max=30s "$@")
printf '%-13s %-12s %-10s %-9s %-12s %-12s %s\n' role simulated wall ratio events events/s peakRSS
for role in async sync; do
  flags=()
  [[ $role == async ]] && flags=(--set topology.broker_groups[0].role=ASYNC_MASTER
                                 --set topology.broker_groups[1].role=ASYNC_MASTER)
  out=$("$bin" run "${workload[@]}" "${flags[@]}")
  sim=$(sed -n 's/^  simulated *\([^,]*\), \([0-9]*\) events.*/\1/p' <<<"$out")
  events=$(sed -n 's/^  simulated *[^,]*, \([0-9]*\) events.*/\1/p' <<<"$out")
  speed=$(sed -n 's/^  speed *//p' <<<"$out")
  wall=$(sed -n 's/^\([0-9.]*s\) wall.*/\1/p' <<<"$speed")
  ratio=$(sed -n 's/.*wall, \([0-9.]*x\) real time.*/\1/p' <<<"$speed")
  evs=$(sed -n 's/.*real time, \([0-9.]*M\) events\/s.*/\1/p' <<<"$speed")
  rss=$(sed -n 's/.*peak RSS \(.*\)$/\1/p' <<<"$speed")
  ok=$(sed -n 's/^  result *//p' <<<"$out")
  [[ $ok == OK ]] || { echo "$out" >&2; echo "bench-ha: the $role run failed its checks" >&2; exit 1; }
  printf '%-13s %-12s %-10s %-9s %-12s %-12s %s\n' "${role^^}_MASTER" "$sim" "$wall" "$ratio" \
    "$events" "${evs}/s" "$rss"
done
