#include "system/common/message_queue.h"

#include "system/common/json_internal.h"

namespace rmqsim::common {

std::string MessageQueue::ToString() const {
  return "MessageQueue [topic=" + topic + ", brokerName=" + broker_name +
         ", queueId=" + std::to_string(queue_id) + "]";
}

namespace json_internal {

Json MessageQueueToJson(const MessageQueue& q) {
  Json j = Json::object();
  j["brokerName"] = q.broker_name;
  j["queueId"] = q.queue_id;
  j["topic"] = q.topic;
  return j;
}

Status MessageQueueFromJson(const Json& j, const std::string& path, MessageQueue* out) {
  RMQ_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Make(j, path));
  MessageQueue q;
  RMQ_RETURN_IF_ERROR(r.String("topic", &q.topic, /*required=*/true));
  RMQ_RETURN_IF_ERROR(r.String("brokerName", &q.broker_name, /*required=*/true));
  RMQ_RETURN_IF_ERROR(r.Int32("queueId", &q.queue_id, /*required=*/true));
  *out = std::move(q);
  return Status::Ok();
}

}  // namespace json_internal

std::string EncodeMessageQueueJson(const MessageQueue& queue) {
  return json_internal::Dump(json_internal::MessageQueueToJson(queue), false);
}

StatusOr<MessageQueue> DecodeMessageQueueJson(std::string_view json) {
  RMQ_ASSIGN_OR_RETURN(json_internal::Json j, json_internal::Parse(json, "MessageQueue"));
  MessageQueue q;
  RMQ_RETURN_IF_ERROR(json_internal::MessageQueueFromJson(j, "MessageQueue", &q));
  return q;
}

}  // namespace rmqsim::common
