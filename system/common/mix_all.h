// Shared names from MixAll (apache/rocketmq 4.9.8): retry and DLQ topics of a consumer group
// (reference §4.8, §5.9), well-known groups, the master broker id.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace rmqsim::common {

inline constexpr std::string_view kRetryGroupTopicPrefix = "%RETRY%";
inline constexpr std::string_view kDlqGroupTopicPrefix = "%DLQ%";

inline constexpr std::string_view kDefaultProducerGroup = "DEFAULT_PRODUCER";
inline constexpr std::string_view kDefaultConsumerGroup = "DEFAULT_CONSUMER";
inline constexpr std::string_view kToolsConsumerGroup = "TOOLS_CONSUMER";
inline constexpr std::string_view kScheduleConsumerGroup = "SCHEDULE_CONSUMER";
inline constexpr std::string_view kFiltersrvConsumerGroup = "FILTERSRV_CONSUMER";
inline constexpr std::string_view kMonitorConsumerGroup = "__MONITOR_CONSUMER";
// Every Java client (and ali-ons) registers this producer group in its heartbeat.
inline constexpr std::string_view kClientInnerProducerGroup = "CLIENT_INNER_PRODUCER";
inline constexpr std::string_view kSelfTestProducerGroup = "SELF_TEST_P_GROUP";
inline constexpr std::string_view kSelfTestConsumerGroup = "SELF_TEST_C_GROUP";
inline constexpr std::string_view kCidRmqSysPrefix = "CID_RMQ_SYS_";
inline constexpr std::string_view kCidSysRmqTrans = "CID_RMQ_SYS_TRANS";
// QUERY_MESSAGE extField marking a UNIQ_KEY lookup.
inline constexpr std::string_view kUniqueMsgQueryFlag = "_UNIQUE_KEY_QUERY";
inline constexpr std::string_view kDefaultTraceRegionId = "DefaultRegion";
inline constexpr std::string_view kDefaultClusterName = "DefaultCluster";

// brokerId of a master; slaves have ids >= 1.
inline constexpr int64_t kMasterId = 0;

// "%RETRY%" + group.
std::string GetRetryTopic(std::string_view consumer_group);
// "%DLQ%" + group.
std::string GetDlqTopic(std::string_view consumer_group);
bool IsRetryTopic(std::string_view topic);
bool IsDlqTopic(std::string_view topic);
// The group of a "%RETRY%group" or "%DLQ%group" topic; "" for any other topic.
std::string_view GroupOfRetryOrDlqTopic(std::string_view topic);
// Groups starting with "CID_RMQ_SYS_".
bool IsSysConsumerGroup(std::string_view group);

}  // namespace rmqsim::common
