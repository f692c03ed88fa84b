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
# Usage: run_ha_master_slave.sh <build-dir>     (CTest runs it; needs /usr/bin/python3)
# Every wait polls until its condition holds and is bounded by INTEROP_DEADLINE (120 s, see
# lib.sh); a hang fails the test. COUNT overrides the messages of broker-ha (200).
set -euo pipefail
build=$(cd "${1:?usage: run_ha_master_slave.sh <build-dir>}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
bin="$build/system/node"
interop_tag=ha
interop_server_cap=360  # above the CTest TIMEOUT of interop_ha_master_slave (300)
# shellcheck source=lib.sh
source "$here/lib.sh"
work=$(mktemp -d /tmp/rmqsim-ha-XXXXXX)
count_a="${COUNT:-200}"
count_b=50
start_time=$SECONDS

say() { interop_say "$@"; }
fail() { interop_fail "$@"; }

cleanup() {
  local rc=$?
  stop_all_servers
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

# Servers (lib.sh start_server) run under a hard cap, so none outlives a test killed from
# outside; their stdout goes to the log as well, so no stray server holds CTest's output pipe
# open. rmq-admin runs under a cap above its own --timeout.
admin() { timeout --kill-after=5 $((interop_deadline + 60)) "$bin/rmq-admin" "$@"; }
# Waits (the slave's registration, HA connection and topic sync, ...) use this deadline.
limit=$interop_deadline
# Blocks in use by a commit-log directory, in KiB (segments are sparse files).
commitlog_kib() { du -sk "$1/commitlog" 2>/dev/null | cut -f1 || echo 0; }

namesrv_conf() {  # namesrv_conf <port>
  server_cmd=("$bin/rmq-namesrv" --listen "127.0.0.1:$1")
}
start_server namesrv "$work/namesrv.log" 1 namesrv_conf
ns="127.0.0.1:${server_ports[0]}"

# run_group <brokerName> <learn|explicit> <count>
run_group() {
  local name=$1 mode=$2 count=$3
  local m_port m_ha s_port="" s_ha="" master slave
  local topic="HaTopic-$name" probe="HaProbe-$name" expected="$work/$name-expected"
  : >"$expected"
  local mlog="$work/$name-master.log" slog="$work/$name-slave.log"

  # Broker configurations, written by start_server's callback for the ports it picked.
  master_conf() {  # master_conf <listenPort> <haListenPort>
    cat >"$work/$name-master.conf" <<CONF
brokerClusterName=HaCluster
brokerName=$name
brokerId=0
brokerIP1=127.0.0.1
listenPort=$1
haListenPort=$2
namesrvAddr=$ns
storePathRootDir=$work/$name-master-store
flushDiskType=ASYNC_FLUSH
brokerRole=SYNC_MASTER
CONF
    server_cmd=("$bin/rmq-broker" -c "$work/$name-master.conf" --trace)
  }
  slave_conf() {  # slave_conf <listenPort> <haListenPort>
    cat >"$work/$name-slave.conf" <<CONF
brokerClusterName=HaCluster
brokerName=$name
brokerId=1
brokerIP1=127.0.0.1
listenPort=$1
haListenPort=$2
namesrvAddr=$ns
storePathRootDir=$work/$name-slave-store
flushDiskType=ASYNC_FLUSH
brokerRole=SLAVE
CONF
    if [ "$mode" = explicit ]; then
      echo "haMasterAddress=127.0.0.1:$m_ha" >>"$work/$name-slave.conf"
    fi
    server_cmd=("$bin/rmq-broker" -c "$work/$name-slave.conf" --trace)
    server_listen=("$1")  # a slave does not listen on its haListenPort
  }

  # The master first, with its topics, so the slave's first sync (3 s after start) copies them.
  # Ready once it accepts connections on listenPort and haListenPort.
  start_server "$name-master" "$mlog" 2 master_conf
  m_port=${server_ports[0]} m_ha=${server_ports[1]}
  master="127.0.0.1:$m_port"
  admin updateTopic -b "$master" -t "$topic" -r 4 -w 4 >/dev/null
  admin updateTopic -b "$master" -t "$probe" -r 1 -w 1 >/dev/null
  routed() { admin topicRoute -n "$ns" -t "$1" >/dev/null 2>&1; }
  wait_for "$limit" "the route of $topic" routed "$topic"

  # A restart (explicit mode) keeps the slave's ports; only if one was taken meanwhile does
  # start_server move it to new ones, and $slave follows.
  start_slave() {
    start_server "$name-slave" "$slog" 2 slave_conf ${s_port:+"$s_port" "$s_ha"}
    if [ -n "$s_port" ] && [ "$s_port $s_ha" != "${server_ports[*]}" ]; then
      say "$name: the slave restarted on new ports ${server_ports[*]} (its old ones were taken)"
    fi
    s_port=${server_ports[0]} s_ha=${server_ports[1]}
    slave="127.0.0.1:$s_port"
  }
  start_slave
  say "$name: master $master (HA $m_ha), slave $slave (HA $s_ha), slave learns the master: $mode"

  # The name server lists the slave under brokerId 1 next to the master's 0.
  clusterlist_has() { admin clusterList --json -n "$ns" 2>/dev/null | grep -qF "$1"; }
  wait_for "$limit" "clusterList to list the slave" \
    clusterlist_has "\"$name\":{\"brokerAddrs\":{\"0\":\"$master\",\"1\":\"$slave\"}"
  admin topicRoute --json -n "$ns" -t "$topic" >"$work/$name-route-before.out"
  grep -qF "\"brokerAddrs\":{\"0\":\"$master\",\"1\":\"$slave\"},\"brokerName\":\"$name\"" \
    "$work/$name-route-before.out" || fail "$name: topicRoute does not list master 0 and slave 1"
  say "$name: clusterList and topicRoute list brokerId 0 = $master, brokerId 1 = $slave"

  # Where the slave's HA client goes.
  has_line() { grep -sqF -- "$2" "$1"; }
  wait_for "$limit" "the slave to connect to the master's HA port" \
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
    wait_for "$limit" "a SEND_OK from the SYNC_MASTER (slave connected)" probe SEND_OK
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
    stop_server "$name-slave"
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
  wait_for "$limit" "the slave to copy $topic from the master" \
    has_line "$work/$name-slave-store/config/topics.json" "\"$topic\""

  stop_server "$name-master"
  say "$name: master stopped (SIGTERM, exit 0)"
  admin topicRoute --json -n "$ns" -t "$topic" >"$work/$name-route-after.out"
  grep -qF "\"brokerAddrs\":{\"1\":\"$slave\"},\"brokerName\":\"$name\"" \
    "$work/$name-route-after.out" || fail "$name: after the master stopped the route is not the slave only"
  admin clusterList --json -n "$ns" | grep -qF "\"$name\":{\"brokerAddrs\":{\"1\":\"$slave\"}" ||
    fail "$name: clusterList does not show the slave alone"
  # No master, no writes.
  if admin sendMessage -n "$ns" -t "$topic" --body refused >"$work/$name-refused.out" 2>&1; then
    fail "$name: a send succeeded with only the slave up"
  fi

  admin consumeMessage -n "$ns" -t "$topic" -g "ha_check_$name" -c "$count" --timeout "${limit}s" \
    >"$work/$name-consume.out" ||
    fail "$name: consumeMessage did not get $count messages in $limit s"
  local got distinct
  got=$(grep -c "^MessageExt .*, body=ha-$name-[0-9]* #[0-9]*\]$" "$work/$name-consume.out" || true)
  distinct=$(sed -n "s/^MessageExt .*, body=\(ha-$name-[0-9]* #[0-9]*\)\]$/\1/p" \
    "$work/$name-consume.out" | sort -u)
  [ "$distinct" = "$(cat "$expected")" ] ||
    fail "$name: the bodies read from the slave differ from those sent ($got read)"
  [ "$(grep -c '^MessageExt' "$work/$name-consume.out")" -eq "$got" ] ||
    fail "$name: the consumer read messages that were not sent"
  say "$name: consumed all $count messages from the slave ($got deliveries)"
  stop_server "$name-slave"
}

run_group broker-ha learn "$count_a"
run_group broker-hb explicit "$count_b"
stop_server namesrv
say "OK in $((SECONDS - start_time)) s"
