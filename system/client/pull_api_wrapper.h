// PullAPIWrapper (apache/rocketmq 4.9.8 client/impl/consumer/PullAPIWrapper.java with
// MQClientAPIImpl.pullMessage/processPullResponse): one PULL_MESSAGE and the client-side
// processing of its answer (decode, inflate, tag filter, MIN/MAX_OFFSET properties), and the
// per-queue broker id to pull from next (suggestWhichBrokerId).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "sim/runtime/task.h"
#include "system/client/mq_client_instance.h"
#include "system/client/pull_result.h"
#include "system/common/heartbeat_data.h"

namespace rmqsim::client {

struct PullArgs {
  MessageQueue mq;
  // Sent as `subscription` only when set (push consumers send it only with
  // postSubscriptionWhenPull); client-side filtering always uses `filter`.
  std::optional<std::string> sub_expression;
  std::string expression_type = "TAG";
  int64_t sub_version = 0;
  int64_t offset = 0;
  int32_t max_nums = 32;
  int32_t sys_flag = 0;
  int64_t commit_offset = 0;
  Duration broker_suspend_max_time = seconds(15);
  Duration timeout = seconds(30);
};

class PullAPIWrapper {
 public:
  PullAPIWrapper(MQClientInstance& instance, std::string group)
      : instance_(instance), group_(std::move(group)) {}

  // Pulls from the broker id remembered for the queue (master by default; a missing slave
  // falls back as findBrokerAddressInSubscribe does). Clears the commit flag when the address
  // is a slave's. Errors: kNotFound (no broker), transport errors, kUnavailable
  // "CODE: n  DESC: ..." for an unexpected response code.
  Task<StatusOr<PullResult>> PullKernelImpl(PullArgs args, common::SubscriptionData filter);

  int64_t RecalculatePullFromWhichNode(const MessageQueue& mq) const;
  void UpdatePullFromWhichNode(const MessageQueue& mq, int64_t broker_id);
  const std::map<MessageQueue, int64_t>& pull_from_which_node() const {
    return pull_from_which_node_;
  }
  // The address the last pull of `mq` went to.
  std::optional<std::string> last_pull_addr(const MessageQueue& mq) const;

 private:
  // The records of a pull body from a bad one on (at least 1), by their TOTALSIZE fields.
  static int32_t CountRecords(common::ByteSpan bytes);
  MQClientInstance& instance_;
  std::string group_;
  std::map<MessageQueue, int64_t> pull_from_which_node_;
  std::map<MessageQueue, std::string> last_pull_addr_;
};

// msgId of a consumed message: its UNIQ_KEY, or the offset msg id.
std::string ConsumedMessageId(const common::MessageExt& msg);

}  // namespace rmqsim::client
