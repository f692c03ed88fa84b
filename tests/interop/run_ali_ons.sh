#!/usr/bin/env bash
# Interop test: the real npm ali-ons@3.12.0 client against rmq-namesrv + rmq-broker on loopback.
# Usage: run_ali_ons.sh <build-dir>     (CTest runs it; needs node, npm and /usr/bin/python3)
# Every wait polls until its condition holds, bounded by INTEROP_DEADLINE (120 s, see lib.sh).
set -euo pipefail
build=$(cd "${1:?usage: run_ali_ons.sh <build-dir>}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
bin="$build/system/node"
interop_tag=interop
interop_server_cap=600  # the CTest TIMEOUT of interop_ali_ons
# shellcheck source=lib.sh
source "$here/lib.sh"
work=$(mktemp -d /tmp/rmqsim-interop-XXXXXX)
cleanup() {
  local rc=$?
  stop_all_servers
  if [ "$rc" -ne 0 ]; then
    echo "--- rmq-namesrv log (last 50 lines)"; tail -n 50 "$work/namesrv.log" 2>/dev/null || true
    echo "--- rmq-broker log (last 100 lines)"; tail -n 100 "$work/broker.log" 2>/dev/null || true
  fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The pinned client, installed from the lock file.
if [ ! -d "$here/node_modules/ali-ons" ]; then
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi

namesrv_conf() {  # namesrv_conf <port>
  server_cmd=("$bin/rmq-namesrv" --listen "127.0.0.1:$1")
}
start_server namesrv "$work/namesrv.log" 1 namesrv_conf
ns_port=${server_ports[0]}

# haListenPort is set (else listenPort + 1, which nobody checked was free); an ASYNC_MASTER
# listens on both.
broker_conf() {  # broker_conf <listenPort> <haListenPort>
  cat >"$work/broker.conf" <<CONF
brokerClusterName=DefaultCluster
brokerName=broker-a
brokerId=0
brokerIP1=127.0.0.1
listenPort=$1
haListenPort=$2
namesrvAddr=127.0.0.1:$ns_port
storePathRootDir=$work/store
flushDiskType=ASYNC_FLUSH
brokerRole=ASYNC_MASTER
autoCreateTopicEnable=true
CONF
  server_cmd=("$bin/rmq-broker" -c "$work/broker.conf")
}
start_server broker "$work/broker.log" 2 broker_conf
broker_port=${server_ports[0]}

"$bin/rmq-admin" updateTopic -b "127.0.0.1:$broker_port" -t TopicTest -r 4 -w 4
# ali-ons has no TBW102 fallback: wait until the name server routes the topic.
routed() { "$bin/rmq-admin" topicRoute -n "127.0.0.1:$ns_port" -t TopicTest >/dev/null 2>&1; }
wait_for "$interop_deadline" "the name server to route TopicTest (broker registration)" routed

if ! NAMESRV_ADDR="127.0.0.1:$ns_port" TOPIC=TopicTest COUNT="${COUNT:-1000}" \
    DEADLINE_MS="${DEADLINE_MS:-$((interop_deadline * 1000))}" \
    node "$here/ali_ons_roundtrip.js"; then
  exit 1  # the logs follow (cleanup)
fi

# And our own client in real mode against the same servers (rmq-admin send / consume).
NAMESRV_ADDR="127.0.0.1:$ns_port" "$bin/rmq-admin" sendMessage -t TopicTest \
  --tags TagR --keys KR -c 10 >"$work/send.out"
# consumeMessage returns once it has 1010 messages, or (status 1) after the timeout with what it
# got; the count below says which.
NAMESRV_ADDR="127.0.0.1:$ns_port" "$bin/rmq-admin" consumeMessage -t TopicTest \
  -g rmq_admin_check -c 1010 --timeout "${interop_deadline}s" >"$work/consume.out" || true
got=$(grep -c '^MessageExt' "$work/consume.out" || true)
if [ "$got" -lt 1010 ]; then
  echo "interop: rmq-admin consumed $got of 1010 messages within ${interop_deadline} s"; exit 1
fi
echo "rmq-admin: sent 10 and consumed all 1010 messages of TopicTest"
