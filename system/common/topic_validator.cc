#include "system/common/topic_validator.h"

#include <string>

#include "system/common/java_string.h"

namespace rmqsim::common {

bool IsValidTopicOrGroupChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '%' ||
         c == '|' || c == '_' || c == '-';
}

bool IsTopicOrGroupIllegal(std::string_view name) {
  for (char c : name) {
    if (!IsValidTopicOrGroupChar(c)) return true;
  }
  return false;
}

namespace {

Status CheckName(std::string_view name, std::string_view kind, size_t max_length) {
  if (JavaTrim(name).empty()) {
    return InvalidArgumentError("the specified " + std::string(kind) + " is blank");
  }
  if (IsTopicOrGroupIllegal(name)) {
    return InvalidArgumentError("the specified " + std::string(kind) + " \"" + std::string(name) +
                                "\" contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$");
  }
  if (name.size() > max_length) {
    return InvalidArgumentError("the specified " + std::string(kind) + " is " +
                                std::to_string(name.size()) + " characters, longer than " +
                                std::to_string(max_length));
  }
  return Status::Ok();
}

}  // namespace

Status ValidateTopic(std::string_view topic) {
  return CheckName(topic, "topic", kTopicMaxLength);
}

Status ValidateGroup(std::string_view group) {
  return CheckName(group, "group", kGroupMaxLength);
}

bool IsSystemTopic(std::string_view topic) {
  static constexpr std::string_view kSystemTopics[] = {
      kAutoCreateTopicKeyTopic,      kRmqSysScheduleTopic, kRmqSysBenchmarkTopic,
      kRmqSysTransHalfTopic,         kRmqSysTraceTopic,    kRmqSysTransOpHalfTopic,
      kRmqSysTransCheckMaxTimeTopic, kRmqSysSelfTestTopic, kRmqSysOffsetMovedEvent,
  };
  for (std::string_view t : kSystemTopics) {
    if (t == topic) return true;
  }
  return topic.substr(0, kSystemTopicPrefix.size()) == kSystemTopicPrefix;
}

bool IsNotAllowedSendTopic(std::string_view topic) {
  static constexpr std::string_view kTopics[] = {
      kRmqSysScheduleTopic,          kRmqSysTransHalfTopic, kRmqSysTransOpHalfTopic,
      kRmqSysTransCheckMaxTimeTopic, kRmqSysSelfTestTopic,  kRmqSysOffsetMovedEvent,
  };
  for (std::string_view t : kTopics) {
    if (t == topic) return true;
  }
  return false;
}

}  // namespace rmqsim::common
