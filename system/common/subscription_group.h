// SubscriptionGroupConfig and SubscriptionGroupWrapper (common/.../subscription/
// SubscriptionGroupConfig.java, broker/.../subscription/SubscriptionGroupWrapper in 4.9.8): a
// consumer group's broker-side settings, the body of GET_ALL_SUBSCRIPTIONGROUP_CONFIG (201) and the
// content of subscriptionGroup.json:
//
//   {"dataVersion":{"counter":2,"timestamp":1767225600000},
//    "subscriptionGroupTable":{"G":{"brokerId":0,"consumeBroadcastEnable":true,...}}}
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "sim/base/status.h"
#include "system/common/register_broker_body.h"

namespace rmqsim::common {

// Defaults of SubscriptionGroupConfig.
struct SubscriptionGroupConfig {
  std::string group_name;
  bool consume_enable = true;
  bool consume_from_min_enable = true;
  bool consume_broadcast_enable = true;
  int32_t retry_queue_nums = 1;
  int32_t retry_max_times = 16;
  // The broker id a consumer should pull from normally, and when it consumes slowly (the pull
  // response's suggestWhichBrokerId when slaveReadEnable is on).
  int64_t broker_id = 0;
  int64_t which_broker_when_consume_slowly = 1;
  bool notify_consumer_ids_changed_enable = true;
  friend bool operator==(const SubscriptionGroupConfig&, const SubscriptionGroupConfig&) = default;
};

struct SubscriptionGroupWrapper {
  std::map<std::string, SubscriptionGroupConfig> subscription_group_table;
  DataVersion data_version;
};

// One group's config as JSON (UPDATE_AND_CREATE_SUBSCRIPTIONGROUP's body); missing members keep
// the defaults; groupName is required.
std::string EncodeSubscriptionGroupConfig(const SubscriptionGroupConfig& config);
StatusOr<SubscriptionGroupConfig> DecodeSubscriptionGroupConfig(std::string_view json);

// fastjson's output: keys in alphabetical order.
std::string EncodeSubscriptionGroupWrapper(const SubscriptionGroupWrapper& wrapper);
// Missing members keep the defaults; a group without groupName takes its table key.
// kInvalidArgument naming the JSON path.
StatusOr<SubscriptionGroupWrapper> DecodeSubscriptionGroupWrapper(std::string_view json);

}  // namespace rmqsim::common
