// Message: what a producer sends and a consumer receives (Message in apache/rocketmq 4.9.8):
// topic, user flag, properties and body, with typed accessors for the well-known properties.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/base/status.h"
#include "system/common/byte_buffer.h"
#include "system/common/properties.h"

namespace rmqsim::common {

class Message {
 public:
  Message() = default;
  Message(std::string topic, Bytes body) : topic_(std::move(topic)), body_(std::move(body)) {}

  const std::string& topic() const { return topic_; }
  void set_topic(std::string topic) { topic_ = std::move(topic); }
  int32_t flag() const { return flag_; }
  void set_flag(int32_t flag) { flag_ = flag; }
  const Bytes& body() const { return body_; }
  Bytes& mutable_body() { return body_; }
  void set_body(Bytes body) { body_ = std::move(body); }
  const Properties& properties() const { return properties_; }
  Properties& mutable_properties() { return properties_; }
  void set_properties(Properties properties) { properties_ = std::move(properties); }

  std::optional<std::string> GetProperty(std::string_view name) const;
  bool HasProperty(std::string_view name) const;
  void PutProperty(std::string_view name, std::string value);
  void ClearProperty(std::string_view name);

  // TAGS; "" when absent.
  std::string tags() const;
  void SetTags(std::string tags);
  // KEYS as stored (several keys separated by single spaces); "" when absent.
  std::string keys() const;
  // The keys split on ' ', empty parts dropped (as the broker's index service does).
  std::vector<std::string> KeyList() const;
  void SetKeys(std::string keys);
  void SetKeys(const std::vector<std::string>& keys);  // joined with ' '
  // UNIQ_KEY, the client-side message id (§4.6); "" when absent.
  std::string unique_key() const;
  void SetUniqueKey(std::string id);
  // WAIT; true when absent, else Boolean.parseBoolean.
  bool wait_store_msg_ok() const;
  void SetWaitStoreMsgOk(bool wait);
  // DELAY; 0 when absent, an error when not a Java int.
  StatusOr<int32_t> DelayTimeLevel() const;
  void SetDelayTimeLevel(int32_t level);
  // RECONSUME_TIME and MAX_RECONSUME_TIMES; nullopt when absent, an error when not a Java int.
  StatusOr<std::optional<int32_t>> ReconsumeTime() const;
  StatusOr<std::optional<int32_t>> MaxReconsumeTimes() const;
  // RETRY_TOPIC, REAL_TOPIC, ORIGIN_MESSAGE_ID, PGROUP, CLUSTER; "" when absent.
  std::string retry_topic() const;
  std::string real_topic() const;
  std::string origin_message_id() const;
  std::string producer_group() const;
  std::string cluster() const;
  // REAL_QID; nullopt when absent, an error when not a Java int.
  StatusOr<std::optional<int32_t>> RealQueueId() const;
  // TRAN_MSG parsed with Boolean.parseBoolean; false when absent.
  bool transaction_prepared() const;

  friend bool operator==(const Message&, const Message&) = default;

 private:
  std::string topic_;
  int32_t flag_ = 0;
  Properties properties_;
  Bytes body_;
};

}  // namespace rmqsim::common
