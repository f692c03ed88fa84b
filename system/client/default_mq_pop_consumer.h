// A pop consumer (RocketMQ 5.x's DefaultMQPushConsumer in POP request mode with
// MQClientAPIImpl.popMessageAsync / ackMessageAsync / changeInvisibleTimeAsync; not in 4.9.8):
// the broker, not the client, shares the queues out. For every broker of a subscribed topic's
// route one loop pops (queueId -1, popBatchNums 32, popInvisibleTime 60 s, long polling 15 s),
// hands each message to the listener and then acknowledges it (ACK_MESSAGE) or, when the listener
// declines it, makes it visible again after a back-off (CHANGE_MESSAGE_INVISIBLETIME). A message
// neither acknowledged nor changed in time comes back from the broker's revive service.
//
//   DefaultMQPopConsumer consumer(instance, {.consumer_group = "pop-cg"});
//   consumer.Subscribe("TopicTest", "*");
//   consumer.RegisterListener([](const PopMessage& m) { return true; });   // true: ack
//   RMQ_RETURN_IF_ERROR(consumer.Start());
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "sim/runtime/task.h"
#include "system/client/mq_client_instance.h"
#include "system/common/pop_protocol.h"
#include "system/common/stored_message.h"

namespace rmqsim::client {

struct PopConsumerConfig {
  std::string consumer_group;
  Duration invisible_time = seconds(60);  // popInvisibleTime
  int32_t batch = 32;                      // popBatchNums
  Duration poll_time = seconds(15);        // long polling on the broker
  Duration rpc_slack = seconds(10);        // the RPC timeout is poll_time + this
  Duration delay_after_error = seconds(1);
  int32_t init_mode = 0;                   // ConsumeInitMode: 0 MIN, 1 MAX
};

// One popped message: the message as the application sees it (a revived copy carries its
// original topic) and what its acknowledgement needs.
struct PopMessage {
  common::MessageExt ext;
  std::string popped_topic;  // the topic it was stored in (maybe %RETRY%<group>_<topic>)
  std::string broker_name;
  std::string broker_addr;
  std::string extra_info;    // the receipt handle
};

struct PopResult {
  int32_t code = 0;  // SUCCESS, POLLING_TIMEOUT, ...
  std::string remark;
  std::vector<PopMessage> msgs;
  int64_t rest_num = 0;
};

class DefaultMQPopConsumer final : public MQConsumerInner {
 public:
  // true: consumed (acknowledged); false: reconsume later.
  using Listener = std::function<bool(const PopMessage&)>;

  DefaultMQPopConsumer(MQClientInstance& instance, PopConsumerConfig config);
  ~DefaultMQPopConsumer() override;
  DefaultMQPopConsumer(const DefaultMQPopConsumer&) = delete;
  DefaultMQPopConsumer& operator=(const DefaultMQPopConsumer&) = delete;

  Status Subscribe(std::string topic, std::string expression);
  void RegisterListener(Listener listener) { listener_ = std::move(listener); }
  // Paused: no new pops (those in flight finish).
  void set_paused(bool paused) { paused_ = paused; }
  Status Start();
  Task<void> Shutdown();

  // The requests, one each.
  Task<StatusOr<PopResult>> Pop(std::string broker_addr, std::string broker_name,
                                std::string topic, std::string expression, int32_t queue_id,
                                int32_t max_nums, Duration invisible_time, Duration poll_time);
  Task<Status> Ack(PopMessage m);
  // The message's new receipt handle.
  Task<StatusOr<std::string>> ChangeInvisibleTime(PopMessage m, Duration invisible_time);

  // MQConsumerInner.
  common::ConsumerData BuildConsumerData() const override;
  std::set<std::string> SubscribedTopics() const override;
  void UpdateTopicSubscribeInfo(const std::string& topic,
                                const std::set<MessageQueue>& mqs) override;
  void RebalanceNow() override {}
  void PersistConsumerOffset() override {}

  uint64_t pops() const { return pops_; }
  uint64_t acks() const { return acks_; }
  uint64_t ack_failures() const { return ack_failures_; }
  uint64_t changes() const { return changes_; }

 private:
  Task<void> PopLoop(std::string topic, std::string broker_name);
  // The delay before a declined message is seen again (by its reconsume count).
  static Duration Backoff(int32_t reconsume_times);

  MQClientInstance& instance_;
  PopConsumerConfig config_;
  std::map<std::string, common::SubscriptionData> subscriptions_;
  std::set<std::pair<std::string, std::string>> loops_;  // topic, broker name
  Listener listener_;
  bool running_ = false;
  bool paused_ = false;
  uint64_t pops_ = 0;
  uint64_t acks_ = 0;
  uint64_t ack_failures_ = 0;
  uint64_t changes_ = 0;
  TaskScope scope_;
};

}  // namespace rmqsim::client
