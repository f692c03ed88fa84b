#include "system/common/consumer_bodies.h"

#include "system/common/json_internal.h"

namespace rmqsim::common {
namespace {

using json_internal::Json;
using json_internal::ObjectReader;

Json QueuesToJson(const std::set<MessageQueue>& queues) {
  Json a = Json::array();
  for (const MessageQueue& q : queues) a.push_back(json_internal::MessageQueueToJson(q));
  return a;
}

Status QueuesFromJson(const ObjectReader& r, const char* key, std::set<MessageQueue>* out) {
  RMQ_ASSIGN_OR_RETURN(const Json* a, r.Array(key));
  if (a == nullptr) return Status::Ok();
  for (size_t i = 0; i < a->size(); ++i) {
    MessageQueue q;
    RMQ_RETURN_IF_ERROR(json_internal::MessageQueueFromJson(
        (*a)[i], r.PathOf(key) + "[" + std::to_string(i) + "]", &q));
    out->insert(std::move(q));
  }
  return Status::Ok();
}

}  // namespace

std::string EncodeConsumerListBody(const ConsumerListBody& body) {
  Json j = Json::object();
  j["consumerIdList"] = body.consumer_id_list;
  return json_internal::Dump(j, false);
}

StatusOr<ConsumerListBody> DecodeConsumerListBody(std::string_view json) {
  RMQ_ASSIGN_OR_RETURN(Json j, json_internal::Parse(json, "GetConsumerListByGroupResponseBody"));
  RMQ_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Make(j, "GetConsumerListByGroupResponseBody"));
  ConsumerListBody body;
  RMQ_ASSIGN_OR_RETURN(const Json* ids, r.Array("consumerIdList"));
  if (ids != nullptr) {
    for (size_t i = 0; i < ids->size(); ++i) {
      std::string id;
      RMQ_RETURN_IF_ERROR(json_internal::AsString(
          (*ids)[i], r.PathOf("consumerIdList") + "[" + std::to_string(i) + "]", &id));
      body.consumer_id_list.push_back(std::move(id));
    }
  }
  return body;
}

std::string EncodeLockBatchRequestBody(const LockBatchRequestBody& body) {
  Json j = Json::object();
  j["clientId"] = body.client_id;
  j["consumerGroup"] = body.consumer_group;
  j["mqSet"] = QueuesToJson(body.mq_set);
  return json_internal::Dump(j, false);
}

StatusOr<LockBatchRequestBody> DecodeLockBatchRequestBody(std::string_view json) {
  RMQ_ASSIGN_OR_RETURN(Json j, json_internal::Parse(json, "LockBatchRequestBody"));
  RMQ_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Make(j, "LockBatchRequestBody"));
  LockBatchRequestBody body;
  RMQ_RETURN_IF_ERROR(r.String("consumerGroup", &body.consumer_group));
  RMQ_RETURN_IF_ERROR(r.String("clientId", &body.client_id));
  RMQ_RETURN_IF_ERROR(QueuesFromJson(r, "mqSet", &body.mq_set));
  return body;
}

std::string EncodeLockBatchResponseBody(const LockBatchResponseBody& body) {
  Json j = Json::object();
  j["lockOKMQSet"] = QueuesToJson(body.lock_ok_mq_set);
  return json_internal::Dump(j, false);
}

StatusOr<LockBatchResponseBody> DecodeLockBatchResponseBody(std::string_view json) {
  RMQ_ASSIGN_OR_RETURN(Json j, json_internal::Parse(json, "LockBatchResponseBody"));
  RMQ_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Make(j, "LockBatchResponseBody"));
  LockBatchResponseBody body;
  RMQ_RETURN_IF_ERROR(QueuesFromJson(r, "lockOKMQSet", &body.lock_ok_mq_set));
  return body;
}

}  // namespace rmqsim::common
