// Small JSON bodies of client management (reference §3.6): GET_CONSUMER_LIST_BY_GROUP response
// (GetConsumerListByGroupResponseBody), LOCK_BATCH_MQ request/response and UNLOCK_BATCH_MQ request
// (LockBatchRequestBody, LockBatchResponseBody, UnlockBatchRequestBody in apache/rocketmq 4.9.8).
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "sim/base/status.h"
#include "system/common/message_queue.h"

namespace rmqsim::common {

struct ConsumerListBody {
  std::vector<std::string> consumer_id_list;  // JSON "consumerIdList"
  friend bool operator==(const ConsumerListBody&, const ConsumerListBody&) = default;
};
std::string EncodeConsumerListBody(const ConsumerListBody& body);
StatusOr<ConsumerListBody> DecodeConsumerListBody(std::string_view json);

// LOCK_BATCH_MQ and UNLOCK_BATCH_MQ requests have the same members.
struct LockBatchRequestBody {
  std::string consumer_group;
  std::string client_id;
  std::set<MessageQueue> mq_set;
  friend bool operator==(const LockBatchRequestBody&, const LockBatchRequestBody&) = default;
};
using UnlockBatchRequestBody = LockBatchRequestBody;
std::string EncodeLockBatchRequestBody(const LockBatchRequestBody& body);
StatusOr<LockBatchRequestBody> DecodeLockBatchRequestBody(std::string_view json);

struct LockBatchResponseBody {
  std::set<MessageQueue> lock_ok_mq_set;  // JSON "lockOKMQSet"
  friend bool operator==(const LockBatchResponseBody&, const LockBatchResponseBody&) = default;
};
std::string EncodeLockBatchResponseBody(const LockBatchResponseBody& body);
StatusOr<LockBatchResponseBody> DecodeLockBatchResponseBody(std::string_view json);

}  // namespace rmqsim::common
