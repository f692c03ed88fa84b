// MessageQueue (apache/rocketmq 4.9.8 common/message/MessageQueue.java): one queue of a topic on
// one broker. Ordered by topic, then broker name, then queue id, as MessageQueue.compareTo.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "sim/base/status.h"

namespace rmqsim::common {

struct MessageQueue {
  std::string topic;
  std::string broker_name;
  int32_t queue_id = 0;

  // "MessageQueue [topic=T, brokerName=B, queueId=N]" (as Java's toString).
  std::string ToString() const;

  friend auto operator<=>(const MessageQueue&, const MessageQueue&) = default;
};

// {"brokerName":"B","queueId":0,"topic":"T"}
std::string EncodeMessageQueueJson(const MessageQueue& queue);
StatusOr<MessageQueue> DecodeMessageQueueJson(std::string_view json);

}  // namespace rmqsim::common
