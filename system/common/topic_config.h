// TopicConfig (apache/rocketmq 4.9.8 common/TopicConfig.java): a topic as a broker holds it. JSON
// inside the REGISTER_BROKER body (§3.7) and topics.json; the space-separated text form inside the
// compressed REGISTER_BROKER body.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "sim/base/status.h"
#include "system/common/perm_name.h"

namespace rmqsim::common {

enum class TopicFilterType { kSingleTag, kMultiTag };
// "SINGLE_TAG" / "MULTI_TAG".
std::string_view TopicFilterTypeName(TopicFilterType type);
StatusOr<TopicFilterType> ParseTopicFilterType(std::string_view name);

// TopicConfig.defaultReadQueueNums / defaultWriteQueueNums.
inline constexpr int32_t kDefaultTopicQueueNums = 16;

struct TopicConfig {
  std::string topic_name;
  int32_t read_queue_nums = kDefaultTopicQueueNums;
  int32_t write_queue_nums = kDefaultTopicQueueNums;
  int32_t perm = kPermReadWrite;
  TopicFilterType topic_filter_type = TopicFilterType::kSingleTag;
  int32_t topic_sys_flag = 0;
  bool order = false;

  friend bool operator==(const TopicConfig&, const TopicConfig&) = default;
};

// TopicConfig.encode(): "name readQueueNums writeQueueNums perm topicFilterType". Carries neither
// topicSysFlag nor order.
std::string EncodeTopicConfigText(const TopicConfig& config);
// TopicConfig.decode(): exactly five space-separated fields; other fields keep their defaults.
StatusOr<TopicConfig> DecodeTopicConfigText(std::string_view text);

// {"order":false,"perm":6,"readQueueNums":4,"topicFilterType":"SINGLE_TAG","topicName":"T",
//  "topicSysFlag":0,"writeQueueNums":4} (keys sorted, as fastjson writes them).
std::string EncodeTopicConfigJson(const TopicConfig& config);
// Missing members keep the Java defaults.
StatusOr<TopicConfig> DecodeTopicConfigJson(std::string_view json);

}  // namespace rmqsim::common
