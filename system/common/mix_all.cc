#include "system/common/mix_all.h"

namespace rmqsim::common {
namespace {

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

}  // namespace

std::string GetRetryTopic(std::string_view consumer_group) {
  return std::string(kRetryGroupTopicPrefix) + std::string(consumer_group);
}

std::string GetDlqTopic(std::string_view consumer_group) {
  return std::string(kDlqGroupTopicPrefix) + std::string(consumer_group);
}

bool IsRetryTopic(std::string_view topic) {
  return StartsWith(topic, kRetryGroupTopicPrefix);
}

bool IsDlqTopic(std::string_view topic) {
  return StartsWith(topic, kDlqGroupTopicPrefix);
}

std::string_view GroupOfRetryOrDlqTopic(std::string_view topic) {
  if (IsRetryTopic(topic)) return topic.substr(kRetryGroupTopicPrefix.size());
  if (IsDlqTopic(topic)) return topic.substr(kDlqGroupTopicPrefix.size());
  return {};
}

bool IsSysConsumerGroup(std::string_view group) {
  return StartsWith(group, kCidRmqSysPrefix);
}

}  // namespace rmqsim::common
