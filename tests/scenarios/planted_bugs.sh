#!/usr/bin/env bash
# The framework's power: every planted bug (sim/base/planted_bugs.h, `rmqsim list`) is caught by
# a library scenario within a bounded number of seeds, by the checker or run-time invariant that
# should catch it. For each bug: seeds are run one by one (the bug on) until one fails; the test
# fails if none does within the bound, or if the failure is not the expected one. Prints the
# seed and the seconds each bug needed. Usage: planted_bugs.sh <rmqsim> <source-dir>
set -uo pipefail
rmqsim=${1:?usage: planted_bugs.sh <rmqsim> <source-dir>}
src=${2:?usage: planted_bugs.sh <rmqsim> <source-dir>}
lib=$src/scenarios/library
passed=0
failed=0
# bug | scenario file | seeds at most | what must report it (regex on the run's output)
table=(
  "namesrv.never_purge|heartbeat_drop|3|check routes +FAIL: .* [1-9][0-9]* stale routes"
  "namesrv.expire_early|heartbeat_drop|3|check routes +FAIL: [1-9][0-9]* early purges"
  "store.sync_flush_no_wait|power_loss_matrix|6|check delivery +FAIL"
  "store.recover_drop_last|master_failover_sync|4|check delivery +FAIL: [1-9][0-9]* SEND_OK lost"
  "ha.slave_acks_ahead|chaos|3|assertion failed: offset <= std::max\\(c.slave_request_offset"
  "ha.slave_flips_byte|chaos|6|check replicas +FAIL: .*differs from its master|check replicas +FAIL"
  "broker.pull_skip_message|chaos|3|check delivery +FAIL: [1-9][0-9]* SEND_OK lost"
  "broker.send_back_dropped|consumer_rebalance|3|check retry +FAIL"
  "client.commit_on_receipt|consumer_rebalance|3|committing it would skip it"
  "client.rebalance_drops_queue|chaos|3|check liveness +FAIL: .*queues lagging|check delivery +FAIL"
  "proxy.route_gauge_leak|proxy_chaos|2|check proxy +FAIL: .*inconsistencies"
  "proxy.response_counted_twice|proxy_chaos|2|check proxy +FAIL: .*inconsistencies"
  "proxy.send_v2_counted_as_v1|proxy_chaos|2|check proxy +FAIL: .*inconsistencies"
  "proxy.refused_upstream_counted|proxy_chaos|3|check proxy +FAIL: .*inconsistencies"
  "broker.pop_revive_dropped|proxy_failover|3|check delivery +FAIL: [1-9][0-9]* SEND_OK lost"
)
# Every planted bug the binary knows is in the table.
known=$("$rmqsim" list "$lib" | sed -n '/^planted bugs/,/^fault kinds/p' | awk 'NR>1 && $1 != "fault" {print $1}')
for bug in $known; do
  if ! printf '%s\n' "${table[@]}" | grep -q "^$bug|"; then
    echo "FAIL $bug: a planted bug without a catching scenario here"
    failed=$((failed + 1))
  fi
done
printf '%-30s %-22s %5s %8s  %s\n' "planted bug" "scenario" "seed" "seconds" "caught by"
for row in "${table[@]}"; do
  IFS='|' read -r bug file max pattern <<<"$row"
  start=$(date +%s%N)
  caught=""
  for seed in $(seq 1 "$max"); do
    out=$("$rmqsim" run "$lib/$file.textproto" --seed "$seed" --plant "$bug" 2>&1)
    rc=$?
    if [[ $rc -ne 0 ]]; then
      secs=$(( ($(date +%s%N) - start) / 1000000 ))
      if grep -qE -- "$pattern" <<<"$out" && grep -q "replay.*--plant $bug" <<<"$out"; then
        what=$(grep -oE -- "$pattern" <<<"$out" | head -1 | cut -c1-60)
        printf '%-30s %-22s %5s %8s  %s\n' "$bug" "$file" "$seed" \
          "$((secs / 1000)).$(printf '%03d' $((secs % 1000)))" "$what"
        caught=yes
      else
        echo "FAIL $bug: seed $seed failed (exit $rc) but not as expected (/$pattern/):"
        echo "$out" | grep -E "FAIL|assertion|violation|replay" | head -5 | sed 's/^/      /'
        caught=wrong
      fi
      break
    fi
  done
  if [[ $caught == yes ]]; then
    passed=$((passed + 1))
  else
    [[ -z $caught ]] && echo "FAIL $bug: not caught by $file within $max seeds"
    failed=$((failed + 1))
  fi
done
echo "$passed caught, $failed not"
[[ $failed -eq 0 ]]
