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
// MessageStoreConfig::SetByName name, the old spelling mapedFileSizeCommitLog, and Java settings
// that mean nothing here (thread-pool sizes, rocketmqHome, ...), which are accepted silently.
StatusOr<BrokerConf> ParseBrokerConf(std::string_view text, const std::string& origin,
                                     const std::optional<std::string>& namesrv_addr_env,
                                     BrokerConf base = {});

}  // namespace rmqsim::node
