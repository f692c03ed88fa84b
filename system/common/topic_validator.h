// Topic and group names (TopicValidator and client Validators in apache/rocketmq 4.9.8; reference
// §4.8): the system topics, the valid alphabet ^[%|a-zA-Z0-9_-]+$, length limits.
#pragma once

#include <cstddef>
#include <string_view>

#include "sim/base/status.h"

namespace rmqsim::common {

// TopicValidator.AUTO_CREATE_TOPIC_KEY_TOPIC: template for auto-created topics.
inline constexpr std::string_view kAutoCreateTopicKeyTopic = "TBW102";
inline constexpr std::string_view kRmqSysScheduleTopic = "SCHEDULE_TOPIC_XXXX";
inline constexpr std::string_view kRmqSysBenchmarkTopic = "BenchmarkTest";
inline constexpr std::string_view kRmqSysTransHalfTopic = "RMQ_SYS_TRANS_HALF_TOPIC";
inline constexpr std::string_view kRmqSysTraceTopic = "RMQ_SYS_TRACE_TOPIC";
inline constexpr std::string_view kRmqSysTransOpHalfTopic = "RMQ_SYS_TRANS_OP_HALF_TOPIC";
inline constexpr std::string_view kRmqSysTransCheckMaxTimeTopic = "TRANS_CHECK_MAX_TIME_TOPIC";
inline constexpr std::string_view kRmqSysSelfTestTopic = "SELF_TEST_TOPIC";
inline constexpr std::string_view kRmqSysOffsetMovedEvent = "OFFSET_MOVED_EVENT";
// Any topic starting with this is a system topic.
inline constexpr std::string_view kSystemTopicPrefix = "rmq_sys_";

// TopicValidator.TOPIC_MAX_LENGTH (also the client's Validators.TOPIC_MAX_LENGTH).
inline constexpr size_t kTopicMaxLength = 127;
// Validators.CHARACTER_MAX_LENGTH, the client's limit for group names.
inline constexpr size_t kGroupMaxLength = 255;

// True if every character is in [%|a-zA-Z0-9_-] (an empty name is not illegal by this test).
bool IsTopicOrGroupIllegal(std::string_view name);
bool IsValidTopicOrGroupChar(char c);

// TopicValidator.validateTopic: blank (empty or whitespace), illegal characters, longer than
// 127. kInvalidArgument naming the topic and the rule.
Status ValidateTopic(std::string_view topic);
// Validators.checkGroup: blank, longer than 255, illegal characters.
Status ValidateGroup(std::string_view group);

// The fixed system topics above, or a name starting with "rmq_sys_".
bool IsSystemTopic(std::string_view topic);
// Topics clients may not send to (TopicValidator.NOT_ALLOWED_SEND_TOPIC_SET).
bool IsNotAllowedSendTopic(std::string_view topic);

}  // namespace rmqsim::common
