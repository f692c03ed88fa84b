#include "system/common/message.h"

#include "system/common/java_string.h"
#include "system/common/message_const.h"

namespace rmqsim::common {
namespace {

StatusOr<std::optional<int32_t>> OptionalInt(const Message& m, std::string_view name) {
  std::optional<std::string> v = m.GetProperty(name);
  if (!v) return std::optional<int32_t>();
  RMQ_ASSIGN_OR_RETURN(int32_t parsed, ParseJavaInt(*v, "property " + std::string(name)));
  return std::optional<int32_t>(parsed);
}

}  // namespace

std::optional<std::string> Message::GetProperty(std::string_view name) const {
  auto it = properties_.find(std::string(name));
  if (it == properties_.end()) return std::nullopt;
  return it->second;
}

bool Message::HasProperty(std::string_view name) const {
  return properties_.count(std::string(name)) != 0;
}

void Message::PutProperty(std::string_view name, std::string value) {
  properties_[std::string(name)] = std::move(value);
}

void Message::ClearProperty(std::string_view name) {
  properties_.erase(std::string(name));
}

std::string Message::tags() const {
  return GetProperty(kPropertyTags).value_or("");
}
void Message::SetTags(std::string tags) {
  PutProperty(kPropertyTags, std::move(tags));
}

std::string Message::keys() const {
  return GetProperty(kPropertyKeys).value_or("");
}

std::vector<std::string> Message::KeyList() const {
  std::vector<std::string> out;
  const std::string all = keys();
  size_t start = 0;
  while (start <= all.size()) {
    size_t end = all.find(kKeySeparator, start);
    if (end == std::string::npos) end = all.size();
    if (end > start) out.push_back(all.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

void Message::SetKeys(std::string keys) {
  PutProperty(kPropertyKeys, std::move(keys));
}

void Message::SetKeys(const std::vector<std::string>& keys) {
  std::string joined;
  for (size_t i = 0; i < keys.size(); ++i) {
    if (i > 0) joined += kKeySeparator;
    joined += keys[i];
  }
  SetKeys(std::move(joined));
}

std::string Message::unique_key() const {
  return GetProperty(kPropertyUniqClientMessageIdKeyidx).value_or("");
}
void Message::SetUniqueKey(std::string id) {
  PutProperty(kPropertyUniqClientMessageIdKeyidx, std::move(id));
}

bool Message::wait_store_msg_ok() const {
  std::optional<std::string> v = GetProperty(kPropertyWaitStoreMsgOk);
  return !v || ParseJavaBoolean(*v);
}
void Message::SetWaitStoreMsgOk(bool wait) {
  PutProperty(kPropertyWaitStoreMsgOk, wait ? "true" : "false");
}

StatusOr<int32_t> Message::DelayTimeLevel() const {
  RMQ_ASSIGN_OR_RETURN(std::optional<int32_t> v, OptionalInt(*this, kPropertyDelayTimeLevel));
  return v.value_or(0);
}
void Message::SetDelayTimeLevel(int32_t level) {
  PutProperty(kPropertyDelayTimeLevel, std::to_string(level));
}

StatusOr<std::optional<int32_t>> Message::ReconsumeTime() const {
  return OptionalInt(*this, kPropertyReconsumeTime);
}
StatusOr<std::optional<int32_t>> Message::MaxReconsumeTimes() const {
  return OptionalInt(*this, kPropertyMaxReconsumeTimes);
}
StatusOr<std::optional<int32_t>> Message::RealQueueId() const {
  return OptionalInt(*this, kPropertyRealQueueId);
}

std::string Message::retry_topic() const {
  return GetProperty(kPropertyRetryTopic).value_or("");
}
std::string Message::real_topic() const {
  return GetProperty(kPropertyRealTopic).value_or("");
}
std::string Message::origin_message_id() const {
  return GetProperty(kPropertyOriginMessageId).value_or("");
}
std::string Message::producer_group() const {
  return GetProperty(kPropertyProducerGroup).value_or("");
}
std::string Message::cluster() const {
  return GetProperty(kPropertyCluster).value_or("");
}

bool Message::transaction_prepared() const {
  std::optional<std::string> v = GetProperty(kPropertyTransactionPrepared);
  return v && ParseJavaBoolean(*v);
}

}  // namespace rmqsim::common
