// Route data turned into what producers and consumers use (MQClientInstance
// topicRouteData2TopicPublishInfo / topicRouteData2TopicSubscribeInfo, TopicPublishInfo and
// ThreadLocalIndex in apache/rocketmq 4.9.8).
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "sim/base/random.h"
#include "system/common/message_queue.h"
#include "system/common/route_data.h"

namespace rmqsim::client {

using common::MessageQueue;

// ThreadLocalIndex: a counter that starts at a random value; each Next() increments it and
// returns it masked to a non-negative int (index & Integer.MAX_VALUE).
class SendWhichQueue {
 public:
  explicit SendWhichQueue(int32_t start = 0) : index_(start) {}
  static SendWhichQueue Random(RandomSource& random) {
    return SendWhichQueue(static_cast<int32_t>(random.Next64()));
  }
  int32_t Next() {
    index_ = static_cast<int32_t>(static_cast<uint32_t>(index_) + 1u);
    return index_ & 0x7FFFFFFF;
  }
  int32_t value() const { return index_; }

 private:
  int32_t index_;
};

struct TopicPublishInfo {
  bool order_topic = false;
  bool have_topic_router_info = false;
  // Writable queues of brokers with a master, brokers sorted by name, queue ids ascending.
  std::vector<MessageQueue> message_queue_list;
  SendWhichQueue send_which_queue;
  common::TopicRouteData route;

  bool ok() const { return !message_queue_list.empty(); }
  // selectOneMessageQueue(lastBrokerName): the next queue round robin, skipping the broker of
  // the previous failed attempt when another one exists. Requires ok().
  MessageQueue SelectOneMessageQueue(const std::optional<std::string>& last_broker_name);
  MessageQueue SelectOneMessageQueue();
  // Write queue count of `broker_name` in the route; -1 if absent.
  int32_t QueueIdByBroker(std::string_view broker_name) const;
};

// Writable QueueData (perm W) whose broker has a master (id 0): writeQueueNums queues each.
// orderTopicConf ("brokerName:num;...") overrides when present (order_topic = true).
TopicPublishInfo TopicRouteDataToPublishInfo(std::string_view topic,
                                             const common::TopicRouteData& route);
// Readable QueueData (perm R): readQueueNums queues each, whatever brokers are alive.
std::set<MessageQueue> TopicRouteDataToSubscribeInfo(std::string_view topic,
                                                     const common::TopicRouteData& route);

// AllocateMessageQueueAveragely.allocate: `mqs` and `cids` sorted; an empty result when
// `current_cid` is not in `cids`.
std::vector<MessageQueue> AllocateMessageQueueAveragely(const std::string& current_cid,
                                                        const std::vector<MessageQueue>& mqs,
                                                        const std::vector<std::string>& cids);

}  // namespace rmqsim::client
