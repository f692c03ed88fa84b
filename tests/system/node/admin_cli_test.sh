#!/usr/bin/env bash
# rmq-admin against real rmq-namesrv + rmq-broker on loopback: every verb's exit status, its
# table, its --json output (parsed with python's json module), and the errors: name server down,
# broker down, unknown command, bad flag, server-side refusals.
# Usage: admin_cli_test.sh <build-dir>     (CTest runs it; needs /usr/bin/python3)
set -euo pipefail
build=$(cd "${1:?usage: admin_cli_test.sh <build-dir>}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
bin="$build/system/node"
interop_tag=admin_cli
interop_server_cap=180  # above the CTest TIMEOUT (120 s) of admin_cli
# shellcheck source=../../interop/lib.sh
source "$here/../../interop/lib.sh"
work=$(mktemp -d /tmp/rmqsim-admin-cli-XXXXXX)
cleanup() {
  local rc=$?
  stop_all_servers
  if [ "$rc" -ne 0 ]; then
    echo "--- last command's stdout"; cat "$work/out" 2>/dev/null || true
    echo "--- last command's stderr"; cat "$work/err" 2>/dev/null || true
    echo "--- rmq-broker log (last 40 lines)"; tail -n 40 "$work/broker.log" 2>/dev/null || true
  fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() { interop_fail "$*"; }

# run <expected status> <what> <rmq-admin args...>: runs rmq-admin (bounded), stdout to
# $work/out, stderr to $work/err, and fails unless the exit status is the expected one.
run() {
  local want=$1 what=$2 rc=0
  shift 2
  timeout --kill-after=5 60 "$bin/rmq-admin" "$@" >"$work/out" 2>"$work/err" || rc=$?
  [ "$rc" -eq "$want" ] || fail "$what: rmq-admin $* exited $rc, expected $want"
}
# out_has / err_has <fixed text>: the last command's stdout / stderr contains it.
out_has() { grep -qF -- "$1" "$work/out" || fail "stdout of the last command lacks '$1'"; }
err_has() { grep -qF -- "$1" "$work/err" || fail "stderr of the last command lacks '$1'"; }
# json_ok: the last command's stdout is one valid JSON document.
json_ok() {
  "$interop_py" -c 'import json,sys; json.load(sys.stdin)' <"$work/out" ||
    fail "stdout of the last command is not valid JSON: $(head -c 300 "$work/out")"
}
# json_eval <python expression over j>: prints the expression's value for the last stdout.
json_eval() {
  "$interop_py" -c "import json,sys; j=json.load(sys.stdin); print($1)" <"$work/out"
}

# ---------------------------------------------------------------- usage errors (no servers)
dead_port=$(pick_ports 1)
run 2 "unknown command" fooBar -n "127.0.0.1:$dead_port"
err_has "unknown command 'fooBar'"
err_has "commands: updateTopic"
run 2 "bad flag" topicList --no-such-flag
run 2 "missing required flag" topicStatus
run 2 "bad boolean" resetOffsetByTime -g G -t T -s now -f maybe
err_has "not true or false"
run 2 "bad msg id" queryMsgById -i not-an-id
err_has "not an offset message id"

# ---------------------------------------------------------------- name server down
for verb in "topicList" "clusterList" "topicRoute -t T" "sendMessage -t T" \
    "consumeMessage -t T --timeout 5s"; do
  # shellcheck disable=SC2086  # the verb's words
  run 2 "$verb with the name server down" $verb -n "127.0.0.1:$dead_port"
  err_has "name server at 127.0.0.1:$dead_port is unreachable"
done

# ---------------------------------------------------------------- servers
namesrv_conf() { server_cmd=("$bin/rmq-namesrv" --listen "127.0.0.1:$1"); }
start_server namesrv "$work/namesrv.log" 1 namesrv_conf
ns="127.0.0.1:${server_ports[0]}"
broker_conf() {  # broker_conf <listenPort> <haListenPort>
  cat >"$work/broker.conf" <<CONF
brokerClusterName=DefaultCluster
brokerName=broker-a
brokerId=0
brokerIP1=127.0.0.1
listenPort=$1
haListenPort=$2
namesrvAddr=$ns
storePathRootDir=$work/store
flushDiskType=ASYNC_FLUSH
brokerRole=ASYNC_MASTER
CONF
  # debug: a slow or stuck shutdown shows the last step it finished in the log tail below
  server_cmd=("$bin/rmq-broker" -c "$work/broker.conf" --log-level debug)
}
start_server broker "$work/broker.log" 2 broker_conf
broker="127.0.0.1:${server_ports[0]}"
export NAMESRV_ADDR=$ns

# ---------------------------------------------------------------- rmq-broker's own errors
# runb <status> <what> <args...>: runs rmq-broker (20 s at most), checks its exit status.
runb() {
  local want=$1 what=$2 rc=0
  shift 2
  timeout 20 "$bin/rmq-broker" "$@" --log-dir "$work/logs-refused" >"$work/out" 2>"$work/err" ||
    rc=$?
  [ "$rc" -eq "$want" ] || fail "rmq-broker $what: exit status $rc, expected $want: $(cat "$work/err")"
}
runb 2 "-c <directory>" -c "$work"
err_has "is a directory, not a configuration file"
read -r -a spare <<<"$(pick_ports 2)"
# A second broker on the store in use (its own ports): refused by the store lock.
sed -e "s/^listenPort=.*/listenPort=${spare[0]}/" -e "s/^haListenPort=.*/haListenPort=${spare[1]}/" \
  "$work/broker.conf" >"$work/broker-same-store.conf"
runb 1 "on a store in use" -c "$work/broker-same-store.conf"
err_has "Lock failed, MQ already started"
# Ports in use: the message names the port's setting.
sed -e "s#^storePathRootDir=.*#storePathRootDir=$work/store-2#" \
  -e "s/^haListenPort=.*/haListenPort=${spare[1]}/" "$work/broker.conf" >"$work/broker-port.conf"
runb 1 "on a listenPort in use" -c "$work/broker-port.conf"
err_has "listenPort ${broker#127.0.0.1:}"
err_has "address already in use"
sed -e "s#^storePathRootDir=.*#storePathRootDir=$work/store-3#" \
  -e "s/^listenPort=.*/listenPort=${spare[0]}/" "$work/broker.conf" >"$work/broker-ha-port.conf"
runb 1 "on an haListenPort in use" -c "$work/broker-ha-port.conf"
err_has "HA port (haListenPort"

# The broker registers at start; wait until the name server lists it.
registered() { "$bin/rmq-admin" clusterList --json 2>/dev/null | grep -qF "$broker"; }
wait_for 30 "the broker to register" registered

# ---------------------------------------------------------------- topics
run 0 "updateTopic -b" updateTopic -b "$broker" -t TopicA -r 4 -w 4
out_has "create topic to $broker success."
out_has "TopicConfig [topicName=TopicA, readQueueNums=4, writeQueueNums=4, perm=RW-"
run 0 "updateTopic -c --json" updateTopic -c DefaultCluster -t TopicB -r 2 -w 2 --json
json_ok
[ "$(json_eval 'j["brokers"]')" = "['$broker']" ] || fail "updateTopic -c did not reach $broker"
run 1 "updateTopic with 100000 queues" updateTopic -b "$broker" -t TopicBad -r 100000 -w 4
err_has "readQueueNums 100000 is out of range [0, 1024]"
err_has "SYSTEM_ERROR (1)"
run 1 "updateTopic with perm 999" updateTopic -b "$broker" -t TopicBad -p 999
err_has "topicPermission value: 999 is invalid."
run 2 "updateTopic without -b or -c" updateTopic -t TopicBad

routed() { "$bin/rmq-admin" topicRoute -t "$1" >/dev/null 2>&1; }
wait_for 30 "the route of TopicA" routed TopicA
run 0 "topicRoute" topicRoute -t TopicA
out_has '"brokerName": "broker-a"'
run 0 "topicRoute --json" topicRoute -t TopicA --json
json_ok
run 1 "topicRoute of an unknown topic" topicRoute -t NoSuchTopic
err_has "TOPIC_NOT_EXIST (17)"

run 0 "clusterList" clusterList
out_has "#Cluster Name"
out_has "#InTPS(LOAD)"
grep -qE "^DefaultCluster +broker-a +0 +$broker +V4_9_8 " "$work/out" ||
  fail "clusterList has no row for broker-a at $broker"
run 0 "clusterList -m" clusterList -m
out_has "#InTotalToday"
# -i: the table again every second until interrupted (here by timeout's SIGTERM after 6 s).
rc=0
timeout -k 5 6 "$bin/rmq-admin" clusterList -i 1 >"$work/out" 2>"$work/err" || rc=$?
[ "$rc" -eq 124 ] || fail "clusterList -i 1: exit status $rc, expected 124 (stopped by timeout)"
tables=$(grep -c "^#Cluster Name" "$work/out" || true)
[ "$tables" -ge 2 ] || fail "clusterList -i 1 printed $tables table(s) in 6 s, expected 2 or more"
run 2 "clusterList -i 0" clusterList -i 0
run 0 "clusterList --json" clusterList --json
json_ok
[ "$(json_eval 'j["clusterInfo"]["brokerAddrTable"]["broker-a"]["brokerAddrs"]["0"]')" = "$broker" ] ||
  fail "clusterList --json does not map broker-a/0 to $broker"

run 0 "topicList" topicList
grep -qx TopicA "$work/out" || fail "topicList lacks TopicA"
run 0 "topicList --json" topicList --json
json_ok
run 0 "topicList -c" topicList -c
out_has "#Consumer Group"

# ---------------------------------------------------------------- messages
run 0 "sendMessage" sendMessage -t TopicA --keys KeyOne --tags TagA -c 5
[ "$(grep -c '^SendResult \[sendStatus=SEND_OK' "$work/out")" -eq 5 ] || fail "5 SEND_OK expected"
offset_id=$(sed -n 's/.*offsetMsgId=\([0-9A-F]*\),.*/\1/p' "$work/out" | head -n 1)
[ -n "$offset_id" ] || fail "no offsetMsgId in the sendMessage output"
client_id=$(sed -n 's/.*, msgId=\([0-9A-F]*\),.*/\1/p' "$work/out" | sed -n 2p)
[ -n "$client_id" ] || fail "no msgId in the sendMessage output"
run 0 "sendMessage --json" sendMessage -t TopicA --keys KeyTwo --json
json_ok

run 0 "topicStatus" topicStatus -t TopicA
out_has "#Broker Name"
out_has "#Last Updated"
run 0 "topicStatus --json" topicStatus -t TopicA --json
json_ok
[ "$(json_eval 'sum(q["maxOffset"] for q in j["queues"])')" = 6 ] || fail "topicStatus: 6 messages"
run 1 "topicStatus of an unknown topic" topicStatus -t NoSuchTopic
err_has "TOPIC_NOT_EXIST"

run 0 "queryMsgById" queryMsgById -i "$offset_id"
out_has "Topic:               TopicA"
out_has "Keys:                [KeyOne]"
run 0 "queryMsgById --json" queryMsgById -i "$offset_id" --json
json_ok
[ "$(json_eval 'j["keys"]')" = KeyOne ] || fail "queryMsgById --json: keys"

run 0 "queryMsgByKey" queryMsgByKey -t TopicA -k KeyOne
[ "$(grep -cE '^[0-9A-F]{32} ' "$work/out")" -eq 5 ] || fail "queryMsgByKey: 5 messages expected"
run 0 "queryMsgByKey --json" queryMsgByKey -t TopicA -k KeyTwo --json
json_ok
[ "$(json_eval 'len(j["messages"])')" = 1 ] || fail "queryMsgByKey KeyTwo: 1 message expected"
run 1 "queryMsgByKey without a match" queryMsgByKey -t TopicA -k NoSuchKey
err_has "no message"

run 0 "queryMsgByUniqueKey" queryMsgByUniqueKey -i "$client_id" -t TopicA
out_has "Topic:               TopicA"
out_has "Message Body:        Hello RocketMQ #1"
run 0 "queryMsgByUniqueKey --json" queryMsgByUniqueKey -i "$client_id" -t TopicA -a --json
[ "$(json_eval 'j["messages"][0]["msgId"]')" = "$client_id" ] || fail "queryMsgByUniqueKey: msgId"
[ "$(json_eval 'len(j["messages"])')" = 1 ] || fail "queryMsgByUniqueKey: 1 message expected"
run 1 "queryMsgByUniqueKey of an id never sent" queryMsgByUniqueKey -t TopicA \
  -i "${client_id:0:24}FFFFFFFF"
err_has "no message"
run 2 "queryMsgByUniqueKey of a bad id" queryMsgByUniqueKey -t TopicA -i "$offset_id-x"
err_has "is not a client message id"
run 2 "queryMsgById of a client id" queryMsgById -i "$client_id"
err_has "queryMsgByUniqueKey -i ID -t TOPIC"

run 0 "consumeMessage" consumeMessage -t TopicA -g GroupA -c 6 --timeout 30s
[ "$(grep -c '^MessageExt ' "$work/out")" -ge 6 ] || fail "consumeMessage: 6 messages expected"
run 1 "consumeMessage timeout" consumeMessage -t TopicB -g GroupB -c 3 --timeout 2s
err_has "got 0 of 3 messages of TopicB within 2s"

# ---------------------------------------------------------------- consumers
run 0 "consumerProgress" consumerProgress -g GroupA
out_has "#Consumer Offset"
out_has "Diff Total: "
run 0 "consumerProgress --json" consumerProgress -g GroupA -t TopicA --json
json_ok
run 1 "consumerConnection of an offline group" consumerConnection -g GroupA
err_has "CONSUMER_NOT_ONLINE"
# No consumer online: the tool moves the offsets itself (mqadmin's old way) back to the start.
run 0 "resetOffsetByTime" resetOffsetByTime -g GroupA -t TopicA -s 0
out_has "#rollbackOffset"
run 0 "consumerProgress after the reset" consumerProgress -g GroupA -t TopicA --json
[ "$(json_eval 'j["diffTotal"]')" = 6 ] || fail "after the reset GroupA should lag by 6"
run 0 "resetOffsetByTime now --json" resetOffsetByTime -g GroupA -t TopicA -s now --json
json_ok

# ---------------------------------------------------------------- broker status and config
run 0 "brokerStatus" brokerStatus -b "$broker"
out_has "brokerVersionDesc"
grep -qE "^msgPutTotalTodayNow +: 6$" "$work/out" || fail "brokerStatus: 6 messages put"
run 0 "brokerStatus -c --json" brokerStatus -c DefaultCluster --json
json_ok
run 0 "getBrokerConfig" getBrokerConfig -b "$broker"
out_has "============$broker============"
grep -qE "^brokerName +=  broker-a$" "$work/out" || fail "getBrokerConfig: brokerName"
run 0 "getBrokerConfig -c --json" getBrokerConfig -c DefaultCluster --json
json_ok
run 0 "updateBrokerConfig" updateBrokerConfig -b "$broker" -k brokerPermission -v 4
out_has "update broker config success, $broker"
run 0 "getBrokerConfig after the update" getBrokerConfig -b "$broker" --json
[ "$(json_eval "j['$broker']['brokerPermission']")" = 4 ] || fail "brokerPermission is not 4"
# As Java's Configuration.persist: the broker's -c file gets the new value (its other lines stay).
grep -qx "brokerPermission=4" "$work/broker.conf" || fail "broker.conf lacks brokerPermission=4"
grep -qx "brokerName=broker-a" "$work/broker.conf" || fail "broker.conf lost brokerName"
run 0 "updateBrokerConfig back" updateBrokerConfig -c DefaultCluster -k brokerPermission -v 6
grep -qx "brokerPermission=6" "$work/broker.conf" || fail "broker.conf lacks brokerPermission=6"
run 1 "updateBrokerConfig unknown key" updateBrokerConfig -b "$broker" -k noSuchKey -v 1
err_has "unknown broker setting noSuchKey"
run 1 "updateBrokerConfig fixed key" updateBrokerConfig -b "$broker" -k listenPort -v 1
err_has "can not be changed while the broker runs"
run 1 "updateBrokerConfig black-listed key" updateBrokerConfig -b "$broker" -k rocketmqHome -v /x
err_has "NO_PERMISSION"
run 0 "updateSubGroup" updateSubGroup -b "$broker" -g GroupC --json
json_ok

# ---------------------------------------------------------------- delete, unreachable broker
run 0 "deleteTopic" deleteTopic -c DefaultCluster -t TopicB
out_has "delete topic [TopicB] from cluster [DefaultCluster] success."
out_has "delete topic [TopicB] from NameServer success."
run 1 "topicRoute of the deleted topic" topicRoute -t TopicB
err_has "TOPIC_NOT_EXIST"
run 1 "deleteTopic of an unknown cluster" deleteTopic -c NoCluster -t TopicA
err_has "knows no cluster 'NoCluster'"
run 2 "brokerStatus of a dead broker" brokerStatus -b "127.0.0.1:$dead_port"
err_has "broker at 127.0.0.1:$dead_port is unreachable"

stop_server broker
stop_server namesrv
echo "admin_cli: all verbs passed"
