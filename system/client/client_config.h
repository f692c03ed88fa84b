// ClientConfig (apache/rocketmq 4.9.8 client/ClientConfig.java): what every producer and
// consumer of one MQClientInstance shares: the name-server list, the client id, the timers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sim/base/status.h"
#include "sim/base/time.h"
#include "sim/runtime/address.h"
#include "system/client/client_limits.h"

namespace rmqsim::client {

struct ClientConfig {
  // "host:port;host:port". In real mode the composition root may pass getenv("NAMESRV_ADDR").
  std::string namesrv_addr;
  // The IP in the client id (ip@instanceName) and in UNIQ_KEY message ids. Java takes the first
  // non-loopback address; in simulation pass the machine's IP.
  std::string client_ip = "127.0.0.1";
  // "DEFAULT" is replaced by "<pid>#<monotonic ns>" when the instance is built (Java's
  // changeInstanceNameToPID); give an explicit name for a client id that survives restarts.
  std::string instance_name = "DEFAULT";
  std::string unit_name;  // appended as "@unit" when set
  // The "pid" in UNIQ_KEY ids and in the default instance name; negative: drawn from
  // Runtime::random() (deterministic in simulation).
  int32_t pid = -1;
  Duration poll_name_server_interval = limits::kPollNameServerIntervalDefault;
  Duration heartbeat_broker_interval = limits::kHeartbeatBrokerIntervalDefault;
  Duration persist_consumer_offset_interval = limits::kPersistConsumerOffsetIntervalDefault;
  Duration mq_client_api_timeout = limits::kMqClientApiTimeoutDefault;
  // RebalanceService wait (system property rocketmq.client.rebalance.waitInterval).
  Duration rebalance_interval = limits::kRebalanceIntervalDefault;
  Duration pull_time_delay_when_exception = limits::kPullTimeDelayWhenExceptionDefault;
  // Where broadcasting consumers keep offsets (rocketmq.client.localOffsetStoreDir), relative
  // to the runtime's data directory: <dir>/<clientId>/<group>/offsets.json.
  std::string local_offset_store_dir = ".rocketmq_offsets";
};

// Splits "a:1;b:2" (spaces around entries ignored, empty entries skipped) into addresses.
// kInvalidArgument naming the bad entry; more than limits::kNamesrvAddrsMax entries is an error.
StatusOr<std::vector<Address>> ParseNamesrvAddr(std::string_view list);

// ip@instanceName[@unitName] (ClientConfig.buildMQClientId).
std::string BuildMQClientId(std::string_view client_ip, std::string_view instance_name,
                            std::string_view unit_name);

// Applies one configuration key in the Java property spelling (namesrvAddr, clientIP,
// instanceName, unitName, pollNameServerInterval, heartbeatBrokerInterval,
// persistConsumerOffsetInterval, mqClientApiTimeout, pullTimeDelayMillsWhenException — intervals
// in milliseconds). Unknown keys are kNotFound, bad values kInvalidArgument.
Status ApplyClientConfigProperty(ClientConfig& config, std::string_view key,
                                 std::string_view value);

}  // namespace rmqsim::client
