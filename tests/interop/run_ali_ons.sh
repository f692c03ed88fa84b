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
    echo "--- rmq-proxy log (last 50 lines)"; tail -n 50 "$work/proxy.log" 2>/dev/null || true
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

# Through rmq-proxy: ali-ons's producer and consumer ask the proxy for routes (develop mode: every
# broker is the proxy; broker-a has a port of its own, which its pulls, offsets and heartbeats
# use) and send and consume through it. Then the statistics on the admin endpoint must count
# exactly what went through, and maintenance mode must refuse sends.
proxy_count=200
proxy_conf() {  # proxy_conf <listen port> <admin port> <broker-a port>
  cat >"$work/proxy.textproto" <<CONF
listen: "127.0.0.1:$1"
admin: "127.0.0.1:$2"
broker_listen { broker_name: "broker-a" address: "127.0.0.1:$3" }
stat_prefix: "interop"
develop_mode: true
routes { prefix: "" cluster: "local" }
clusters {
  name: "local"
  hosts { address: "127.0.0.1:$broker_port" broker_name: "broker-a" }
}
CONF
  server_cmd=("$bin/rmq-proxy" -c "$work/proxy.textproto")
}
# Bad invocations exit 2 and say why (the file, line and field for a bad configuration).
rc=0; "$bin/rmq-proxy" >"$work/bad.out" 2>&1 || rc=$?
[ "$rc" -eq 2 ] || interop_fail "rmq-proxy without -c exited $rc, not 2"
echo 'routes { cluster: "nowhere" }' >"$work/bad.textproto"
rc=0; "$bin/rmq-proxy" -c "$work/bad.textproto" >"$work/bad.out" 2>&1 || rc=$?
[ "$rc" -eq 2 ] || interop_fail "rmq-proxy with a bad file exited $rc, not 2"
grep -q "bad.textproto:1:10: routes\[0\].cluster: no cluster named 'nowhere'" "$work/bad.out" ||
  interop_fail "rmq-proxy's error does not name the line and field: $(cat "$work/bad.out")"
# A topic of its own: the consumer reads from the first offset.
"$bin/rmq-admin" updateTopic -b "127.0.0.1:$broker_port" -t TopicProxy -r 4 -w 4
routed_proxy() { "$bin/rmq-admin" topicRoute -n "127.0.0.1:$ns_port" -t TopicProxy >/dev/null 2>&1; }
wait_for "$interop_deadline" "the name server to route TopicProxy" routed_proxy
start_server proxy "$work/proxy.log" 3 proxy_conf
proxy_port=${server_ports[0]}
admin_port=${server_ports[1]}
if ! NAMESRV_ADDR="127.0.0.1:$proxy_port" TOPIC=TopicProxy COUNT="$proxy_count" DEADLINE_MS="$((interop_deadline * 1000))" \
    node "$here/ali_ons_roundtrip.js"; then
  exit 1
fi
proxy_stat() {  # proxy_stat <name>: the value of rocketmq.interop.<name> on the admin endpoint
  "$interop_py" - "$admin_port" "$1" <<'PY'
import sys, urllib.request
port, name = sys.argv[1], sys.argv[2]
text = urllib.request.urlopen(f"http://127.0.0.1:{port}/stats/prometheus", timeout=10).read().decode()
key = "envoy_rocketmq_interop_" + name + " "
values = [l[len(key):] for l in text.splitlines() if l.startswith(key)]
if len(values) != 1:
    sys.exit(f"stat {name}: {len(values)} lines in the Prometheus text")
print(values[0])
PY
}
sends=$(( $(proxy_stat send_message_v1) + $(proxy_stat send_message_v2) ))
[ "$sends" -eq "$proxy_count" ] || interop_fail "the proxy counted $sends sends, not $proxy_count"
# Every send succeeded; pulls, offset queries and relayed heartbeats add their own successes.
[ "$(proxy_stat response_success)" -gt "$proxy_count" ] ||
  interop_fail "response_success $(proxy_stat response_success) is not above $proxy_count sends"
[ "$(proxy_stat request_decoding_error)" -eq 0 ] || interop_fail "request_decoding_error != 0"
[ "$(proxy_stat get_topic_route)" -ge 1 ] || interop_fail "no route query went through the proxy"
[ "$(proxy_stat heartbeat)" -ge 1 ] || interop_fail "no heartbeat went through the proxy"
[ "$(proxy_stat get_consumer_list)" -ge 1 ] || interop_fail "no consumer list query went through the proxy"
# The consumer has exited: its held pulls ended with its connections.
for g in send_message_v1_active send_message_v2_active total_pending; do
  [ "$(proxy_stat "$g")" -eq 0 ] || interop_fail "gauge $g is not back at 0"
done
interop_say "ali-ons sent and consumed $proxy_count messages through rmq-proxy; its statistics agree"
# Maintenance mode: a send through the proxy is refused and counted.
"$interop_py" - "$admin_port" <<'PY'
import sys, urllib.request
req = urllib.request.Request(f"http://127.0.0.1:{sys.argv[1]}/maintenance?cluster=local&enabled=true", method="POST")
urllib.request.urlopen(req, timeout=10).read()
PY
if NAMESRV_ADDR="127.0.0.1:$proxy_port" "$bin/rmq-admin" sendMessage -t TopicProxy -c 1 \
    >"$work/maint.out" 2>&1; then
  interop_fail "a send through the proxy in maintenance mode succeeded"
fi
[ "$(proxy_stat maintenance_failure)" -ge 1 ] || interop_fail "maintenance_failure not counted"
interop_say "maintenance mode refuses sends ($(proxy_stat maintenance_failure) refused)"
stop_server proxy
