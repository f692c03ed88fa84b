// broker.conf (RocketMQ's BrokerStartup reads it with MixAll.properties2Object into BrokerConfig,
// NettyServerConfig and MessageStoreConfig): parsed into broker::BrokerConfig and
// store::MessageStoreConfig. Unknown keys are warnings naming file:line; a bad value is an error
// naming the file, the line and the key.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/base/status.h"
#include "system/broker/broker_config.h"
#include "system/store/message_store_config.h"

namespace rmqsim::node {

struct BrokerConf {
  broker::BrokerConfig broker;
  store::MessageStoreConfig store;
  // "broker.conf:7 (fooBar): unknown key ignored"
  std::vector<std::string> warnings;
};

// Parses `text` (named `origin` in messages) over the defaults in `base`. `namesrv_addr_env` is
// the NAMESRV_ADDR environment variable, used when the file has no namesrvAddr (the caller reads
// the environment: component code does not). Accepted keys: every BrokerConfig::SetByName and
// MessageStoreConfig::SetByName name (the HA ones included: brokerRole, haListenPort,
// haMasterAddress, slaveReadEnable, slaveTimeout, haSendHeartbeatInterval, haHousekeepingInterval,
// haTransferBatchSize, haSlaveFallbehindMax), the old spelling mapedFileSizeCommitLog, and Java
// settings that mean nothing here (thread-pool sizes, rocketmqHome, ...), which are accepted
// silently. An out-of-range value (Validate) and a haMasterAddress that is not host:port name
// their line and key too. As BrokerStartup does: haListenPort defaults to listenPort + 1 (a
// haListenPort in the file wins, as in 5.x; 4.9.8 always overrides it), a master's brokerId is
// 0 whatever the file says (a warning), and a SLAVE's brokerId must be > 0 (an error).
StatusOr<BrokerConf> ParseBrokerConf(std::string_view text, const std::string& origin,
                                     const std::optional<std::string>& namesrv_addr_env,
                                     BrokerConf base = {});

}  // namespace rmqsim::node
