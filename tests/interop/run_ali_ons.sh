#!/usr/bin/env bash
# Interop test: the real npm ali-ons@3.12.0 client against rmq-namesrv + rmq-broker on loopback.
# Usage: run_ali_ons.sh <build-dir>     (CTest runs it; needs node and npm)
set -euo pipefail
build=$(cd "${1:?usage: run_ali_ons.sh <build-dir>}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/rmqsim-interop-XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
wait_port() {  # wait_port <port>: until something listens
  for _ in $(seq 1 100); do
    if /usr/bin/python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$1),0.2)" 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  echo "interop: nothing listens on port $1" >&2
  return 1
}

# The pinned client, installed from the lock file.
if [ ! -d "$here/node_modules/ali-ons" ]; then
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi

ns_port=$(free_port)
broker_port=$(free_port)
"$build/system/node/rmq-namesrv" --listen "127.0.0.1:$ns_port" 2>"$work/namesrv.log" &
pids+=($!)
wait_port "$ns_port"

cat > "$work/broker.conf" <<CONF
brokerClusterName=DefaultCluster
brokerName=broker-a
brokerId=0
brokerIP1=127.0.0.1
listenPort=$broker_port
namesrvAddr=127.0.0.1:$ns_port
storePathRootDir=$work/store
flushDiskType=ASYNC_FLUSH
brokerRole=ASYNC_MASTER
autoCreateTopicEnable=true
CONF
"$build/system/node/rmq-broker" -c "$work/broker.conf" 2>"$work/broker.log" &
pids+=($!)
wait_port "$broker_port"

"$build/system/node/rmq-admin" updateTopic -b "127.0.0.1:$broker_port" -t TopicTest -r 4 -w 4
# ali-ons has no TBW102 fallback: wait until the name server routes the topic.
for _ in $(seq 1 50); do
  if "$build/system/node/rmq-admin" topicRoute -n "127.0.0.1:$ns_port" -t TopicTest >/dev/null 2>&1; then
    break
  fi
  sleep 0.1
done

if ! NAMESRV_ADDR="127.0.0.1:$ns_port" TOPIC=TopicTest COUNT="${COUNT:-1000}" \
    node "$here/ali_ons_roundtrip.js"; then
  echo "--- rmq-namesrv log"; tail -n 50 "$work/namesrv.log"
  echo "--- rmq-broker log"; tail -n 100 "$work/broker.log"
  exit 1
fi

# And our own client in real mode against the same servers (rmq-admin send / consume).
NAMESRV_ADDR="127.0.0.1:$ns_port" "$build/system/node/rmq-admin" sendMessage -t TopicTest \
  --tags TagR --keys KR -c 10 >"$work/send.out"
NAMESRV_ADDR="127.0.0.1:$ns_port" "$build/system/node/rmq-admin" consumeMessage -t TopicTest \
  -g rmq_admin_check -c 1010 --timeout 60s >"$work/consume.out"
got=$(grep -c '^MessageExt' "$work/consume.out")
if [ "$got" -lt 1010 ]; then
  echo "interop: rmq-admin consumed $got of 1010 messages"; exit 1
fi
echo "rmq-admin: sent 10 and consumed all 1010 messages of TopicTest"
