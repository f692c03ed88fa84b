#!/usr/bin/env bash
# Real-mode HA test on loopback: rmq-namesrv, then per broker group a SYNC_MASTER (brokerId 0) and
# its SLAVE (brokerId 1, same brokerName) as separate rmq-broker processes replicating over TCP.
#
#   group broker-ha: the slave has no haMasterAddress and learns the master's HA address from the
#                    name server's REGISTER_BROKER answer;
#   group broker-hb: the slave names the master with haMasterAddress; halfway through the sends
#                    the slave stops (the SYNC_MASTER then answers SLAVE_NOT_AVAILABLE) and
#                    restarts on its store, catches up, and sends are SEND_OK again.
#
# For each group: the slave registers with brokerId 1 (clusterList, topicRoute); once the slave is
# connected every send to the SYNC_MASTER is SEND_OK (the slave acknowledged it over the HA port);
# the slave's commit log grows and holds every body; the slave copies the topic config; then the
# master stops gracefully (SIGTERM, it unregisters), the route lists only the slave, a send is
# refused, and rmq-admin consumeMessage reads every message from the slave.
#
# Usage: run_ha_master_slave.sh <build-dir>     (CTest runs it; needs python3 for free ports)
# Every wait is bounded; a hang fails the test. COUNT overrides the messages of broker-ha (200).
set -euo pipefail
build=$(cd "${1:?usage: run_ha_master_slave.sh <build-dir>}" && pwd)
bin="$build/system/node"
work=$(mktemp -d /tmp/rmqsim-ha-XXXXXX)
count_a="${COUNT:-200}"
count_b=50
start_time=$SECONDS
declare -A pids=()  # name -> pid of the servers still running

say() { echo "ha: $*"; }
fail() {
  echo "ha: FAIL: $*" >&2
  exit 1
}

cleanup() {
  local rc=$?
  for name in "${!pids[@]}"; do kill -TERM "${pids[$name]}" 2>/dev/null || true; done
  for name in "${!pids[@]}"; do
    for _ in $(seq 1 50); do kill -0 "${pids[$name]}" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "${pids[$name]}" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  if [ "$rc" -ne 0 ]; then
    for log in "$work"/*.log "$work"/*.out; do
      [ -f "$log" ] || continue
      echo "--- $(basename "$log") (last 40 lines)"
      tail -n 40 "$log"
    done
  fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# n distinct free loopback ports (all bound at once, so no two are equal).
free_ports() {
  /usr/bin/python3 - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
}
wait_port() {  # wait_port <port>: until something listens (10 s)
  for _ in $(seq 1 100); do
    if /usr/bin/python3 -c "import socket; socket.create_connection(('127.0.0.1',$1),0.2)" \
        2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  fail "nothing listens on port $1"
}
# wait_for <seconds> <what> <command...>: retries the command every 0.2 s until it succeeds.
wait_for() {
  local limit=$1 what=$2
  shift 2
  local deadline=$((SECONDS + limit))
  until "$@"; do
    [ "$SECONDS" -lt "$deadline" ] || fail "timed out after ${limit}s waiting for $what"
    sleep 0.2
  done
}
admin() { timeout --kill-after=5 60 "$bin/rmq-admin" "$@"; }
# Servers run under a hard cap too, so none outlives a test killed from outside (timeout passes
# SIGTERM on and exits with the server's status). Not a function: $! must be timeout's pid. Their
# stdout goes to the log as well, so no stray server holds CTest's output pipe open.
server=(timeout --kill-after=5 300)
# stop <name>: SIGTERM, wait for the process to exit (15 s) and check it exited 0.
stop() {
  local name=$1 p=${pids[$1]} rc=0
  kill -TERM "$p"
  for _ in $(seq 1 150); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$p" 2>/dev/null && fail "$name did not exit within 15 s of SIGTERM"
  wait "$p" || rc=$?
  unset "pids[$name]"
  [ "$rc" -eq 0 ] || fail "$name exited with status $rc after SIGTERM"
}
# Blocks in use by a commit-log directory, in KiB (segments are sparse files).
commitlog_kib() { du -sk "$1/commitlog" 2>/dev/null | cut -f1 || echo 0; }

read -r ns_port <<<"$(free_ports 1)"
ns="127.0.0.1:$ns_port"
"${server[@]}" "$bin/rmq-namesrv" --listen "$ns" >"$work/namesrv.log" 2>&1 &
pids[namesrv]=$!
wait_port "$ns_port"

# run_group <brokerName> <learn|explicit> <count>
run_group() {
  local name=$1 mode=$2 count=$3
  local m_port m_ha s_port s_ha
  read -r m_port m_ha s_port s_ha <<<"$(free_ports 4)"
  local master="127.0.0.1:$m_port" slave="127.0.0.1:$s_port"
  local topic="HaTopic-$name" probe="HaProbe-$name" expected="$work/$name-expected"
  : >"$expected"
  local mlog="$work/$name-master.log" slog="$work/$name-slave.log"
  say "$name: master $master (HA $m_ha), slave $slave (HA $s_ha), slave learns the master: $mode"

  cat >"$work/$name-master.conf" <<CONF
brokerClusterName=HaCluster
brokerName=$name
brokerId=0
brokerIP1=127.0.0.1
listenPort=$m_port
haListenPort=$m_ha
namesrvAddr=$ns
storePathRootDir=$work/$name-master-store
flushDiskType=ASYNC_FLUSH
brokerRole=SYNC_MASTER
CONF
  cat >"$work/$name-slave.conf" <<CONF
brokerClusterName=HaCluster
brokerName=$name
brokerId=1
brokerIP1=127.0.0.1
listenPort=$s_port
haListenPort=$s_ha
namesrvAddr=$ns
storePathRootDir=$work/$name-slave-store
flushDiskType=ASYNC_FLUSH
brokerRole=SLAVE
CONF
  if [ "$mode" = explicit ]; then echo "haMasterAddress=127.0.0.1:$m_ha" >>"$work/$name-slave.conf"; fi

  # The master first, with its topics, so the slave's first sync (3 s after start) copies them.
  "${server[@]}" "$bin/rmq-broker" -c "$work/$name-master.conf" --trace >"$mlog" 2>&1 &
  pids[$name-master]=$!
  wait_port "$m_port"
  wait_port "$m_ha"
  admin updateTopic -b "$master" -t "$topic" -r 4 -w 4 >/dev/null
  admin updateTopic -b "$master" -t "$probe" -r 1 -w 1 >/dev/null
  routed() { admin topicRoute -n "$ns" -t "$1" >/dev/null 2>&1; }
  wait_for 10 "the route of $topic" routed "$topic"

  start_slave() {
    "${server[@]}" "$bin/rmq-broker" -c "$work/$name-slave.conf" --trace >>"$slog" 2>&1 &
    pids[$name-slave]=$!
    wait_port "$s_port"
  }
  start_slave

  # The name server lists the slave under brokerId 1 next to the master's 0.
  clusterlist_has() { admin clusterList -n "$ns" 2>/dev/null | grep -qF "$1"; }
  wait_for 10 "clusterList to list the slave" \
    clusterlist_has "\"$name\":{\"brokerAddrs\":{0:\"$master\",1:\"$slave\"}"
  admin topicRoute -n "$ns" -t "$topic" >"$work/$name-route-before.out"
  grep -qF "\"brokerAddrs\":{\"0\":\"$master\",\"1\":\"$slave\"},\"brokerName\":\"$name\"" \
    "$work/$name-route-before.out" || fail "$name: topicRoute does not list master 0 and slave 1"
  say "$name: clusterList and topicRoute list brokerId 0 = $master, brokerId 1 = $slave"

  # Where the slave's HA client goes.
  has_line() { grep -sqF -- "$2" "$1"; }
  wait_for 10 "the slave to connect to the master's HA port" \
    has_line "$slog" "HAConnectedToMaster Master=127.0.0.1:$m_ha "
  if [ "$mode" = learn ]; then
    has_line "$slog" "HAMasterAddressUpdated From= To=127.0.0.1:$m_ha" ||
      fail "$name: the slave did not take the master's HA address from the name server"
  else
    if has_line "$slog" "HAMasterAddressUpdated"; then
      fail "$name: the slave with haMasterAddress followed the name server's address"
    fi
  fi

  # A SYNC_MASTER answers SLAVE_NOT_AVAILABLE until the slave reported an offset: probe until
  # SEND_OK (other topic, so the checks below count only their own messages).
  probe() {  # probe <status>: one send to the probe topic answered with that status
    admin sendMessage -n "$ns" -t "$probe" --body probe >>"$work/$name-probe.out" 2>&1 &&
      tail -n 1 "$work/$name-probe.out" | grep -q "^SendResult \[sendStatus=$1,"
  }
  wait_for_slave() {
    wait_for 15 "a SEND_OK from the SYNC_MASTER (slave connected)" probe SEND_OK
    say "$name: slave connected ($(grep -c '^SendResult' "$work/$name-probe.out") probe send(s)" \
      "so far, $(grep -c 'sendStatus=SLAVE_NOT_AVAILABLE' "$work/$name-probe.out" || true)" \
      "SLAVE_NOT_AVAILABLE)"
  }
  # send_part <part> <n>: n sends, every one SEND_OK; the bodies ha-<name>-<part> #i are expected.
  send_part() {
    local body="ha-$name-$1" n=$2 out="$work/$name-send-$1.out" results ok
    admin sendMessage -n "$ns" -t "$topic" --body "$body" -c "$n" >"$out" ||
      fail "$name: rmq-admin sendMessage failed"
    results=$(grep -c '^SendResult' "$out" || true)
    ok=$(grep -c '^SendResult \[sendStatus=SEND_OK,' "$out" || true)
    [ "$results" -eq "$n" ] || fail "$name: $results send results for $n sends"
    if [ "$ok" -ne "$n" ]; then
      grep '^SendResult' "$out" | grep -v 'sendStatus=SEND_OK,' | cut -d, -f1 | sort | uniq -c >&2
      fail "$name: only $ok of $n sends were SEND_OK"
    fi
    for i in $(seq 0 $((n - 1))); do echo "$body #$i"; done >>"$expected"
    say "$name: $n of $n sends SEND_OK from the SYNC_MASTER"
  }

  wait_for_slave
  local kib_before
  kib_before=$(commitlog_kib "$work/$name-slave-store")
  if [ "$mode" = explicit ]; then
    send_part 1 $((count / 2))
    stop "$name-slave"
    probe SLAVE_NOT_AVAILABLE ||
      fail "$name: with its slave stopped the SYNC_MASTER did not answer SLAVE_NOT_AVAILABLE"
    say "$name: slave stopped, the SYNC_MASTER answers SLAVE_NOT_AVAILABLE"
    start_slave
    wait_for_slave
    send_part 2 $((count - count / 2))
  else
    send_part 1 "$count"
  fi
  sort -o "$expected" "$expected"

  # SEND_OK means the slave acknowledged the bytes: they are in its commit log now.
  local kib_after in_log
  kib_after=$(commitlog_kib "$work/$name-slave-store")
  in_log=$(cat "$work/$name-slave-store"/commitlog/* | grep -a -o "ha-$name-[0-9]* #[0-9]*" |
    sort -u)
  [ "$kib_after" -gt "$kib_before" ] ||
    fail "$name: the slave's commit log did not grow ($kib_before KiB -> $kib_after KiB)"
  [ "$in_log" = "$(cat "$expected")" ] ||
    fail "$name: the slave's commit log holds $(echo "$in_log" | grep -c . || true) of $count bodies"
  say "$name: slave commit log $kib_before KiB -> $kib_after KiB, holds all $count bodies"

  # SlaveSynchronize copies the topic config (else the slave refuses pulls of an unknown topic).
  wait_for 20 "the slave to copy $topic from the master" \
    has_line "$work/$name-slave-store/config/topics.json" "\"$topic\""

  stop "$name-master"
  say "$name: master stopped (SIGTERM, exit 0)"
  admin topicRoute -n "$ns" -t "$topic" >"$work/$name-route-after.out"
  grep -qF "\"brokerAddrs\":{\"1\":\"$slave\"},\"brokerName\":\"$name\"" \
    "$work/$name-route-after.out" || fail "$name: after the master stopped the route is not the slave only"
  admin clusterList -n "$ns" | grep -qF "\"$name\":{\"brokerAddrs\":{1:\"$slave\"}" ||
    fail "$name: clusterList does not show the slave alone"
  # No master, no writes.
  if admin sendMessage -n "$ns" -t "$topic" --body refused >"$work/$name-refused.out" 2>&1; then
    fail "$name: a send succeeded with only the slave up"
  fi

  admin consumeMessage -n "$ns" -t "$topic" -g "ha_check_$name" -c "$count" --timeout 30s \
    >"$work/$name-consume.out" || fail "$name: consumeMessage did not get $count messages in 30 s"
  local got distinct
  got=$(grep -c "^MessageExt .*, body=ha-$name-[0-9]* #[0-9]*\]$" "$work/$name-consume.out" || true)
  distinct=$(sed -n "s/^MessageExt .*, body=\(ha-$name-[0-9]* #[0-9]*\)\]$/\1/p" \
    "$work/$name-consume.out" | sort -u)
  [ "$distinct" = "$(cat "$expected")" ] ||
    fail "$name: the bodies read from the slave differ from those sent ($got read)"
  [ "$(grep -c '^MessageExt' "$work/$name-consume.out")" -eq "$got" ] ||
    fail "$name: the consumer read messages that were not sent"
  say "$name: consumed all $count messages from the slave ($got deliveries)"
  stop "$name-slave"
}

run_group broker-ha learn "$count_a"
run_group broker-hb explicit "$count_b"
stop namesrv
say "OK in $((SECONDS - start_time)) s"
