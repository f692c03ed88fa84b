// DefaultMQPushConsumer (apache/rocketmq 4.9.8 client/consumer/DefaultMQPushConsumer.java with
// DefaultMQPushConsumerImpl, RebalancePushImpl, ConsumeMessageConcurrentlyService): long-polling
// PULL_MESSAGE loops, one coroutine per owned queue, concurrent consumption through a listener.
//
//   DefaultMQPushConsumer consumer(instance, {.consumer_group = "cg"});
//   consumer.Subscribe("TopicTest", "TagA || TagB");
//   consumer.RegisterMessageListener([](const auto& msgs, ConsumeConcurrentlyContext& ctx) {
//     return ConsumeConcurrentlyStatus::CONSUME_SUCCESS;
//   });
//   RMQ_RETURN_IF_ERROR(consumer.Start());
//
// Clustering: queues are shared out by AllocateMessageQueueAveragely every rebalance interval and
// on NOTIFY_CONSUMER_IDS_CHANGED; %RETRY%<group> is subscribed automatically; offsets live on
// the broker. Broadcasting: every queue, offsets in a local file. The committed offset of a queue
// is the smallest offset still in its ProcessQueue (or the next one when it is empty).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "sim/base/lifetime.h"
#include "sim/runtime/task.h"
#include "system/client/client_limits.h"
#include "system/client/mq_client_instance.h"
#include "system/client/offset_store.h"
#include "system/client/process_queue.h"
#include "system/client/pull_api_wrapper.h"
#include "system/common/heartbeat_data.h"
#include "system/common/stored_message.h"

namespace rmqsim::client {

enum class ConsumeConcurrentlyStatus : uint8_t { CONSUME_SUCCESS, RECONSUME_LATER };

struct ConsumeConcurrentlyContext {
  MessageQueue message_queue;
  // 0: the broker picks 3 + reconsumeTimes; < 0: straight to the DLQ.
  int32_t delay_level_when_next_consume = 0;
  // With CONSUME_SUCCESS, the messages after this index are sent back (Java's ackIndex).
  int32_t ack_index = INT32_MAX;
  // How long the listener's work took (the consume thread is busy that long before the status
  // is processed). A listener here returns at once; a slow one in a scenario says so here.
  Duration consume_time{0};
};

using MessageListenerConcurrently = std::function<ConsumeConcurrentlyStatus(
    const std::vector<common::MessageExt>& msgs, ConsumeConcurrentlyContext& context)>;

struct PushConsumerConfig {
  std::string consumer_group;
  common::MessageModel message_model = common::MessageModel::kClustering;
  common::ConsumeFromWhere consume_from_where = common::ConsumeFromWhere::kConsumeFromLastOffset;
  // CONSUME_FROM_TIMESTAMP for a new group: this instant (Java: consumeTimestamp, default half
  // an hour before the consumer was built).
  std::optional<WallTime> consume_timestamp;
  int32_t pull_threshold_for_queue = 1000;
  int32_t pull_threshold_size_for_queue_mib = 100;
  int32_t consume_concurrently_max_span = 2000;
  int32_t pull_batch_size = 32;
  int32_t consume_message_batch_max_size = 1;
  Duration pull_interval = Duration::zero();
  bool post_subscription_when_pull = false;
  int32_t max_reconsume_times = -1;  // -1: 16
  Duration broker_suspend_max_time = limits::kBrokerSuspendMaxTime;
  Duration consumer_timeout_when_suspend = limits::kConsumerTimeoutWhenSuspend;
};

// Per-queue state for inspection.
struct QueueState {
  MessageQueue mq;
  int64_t next_offset = 0;          // next pull offset
  size_t in_flight = 0;             // messages in the ProcessQueue
  int64_t committed_offset = -1;    // offset store, in memory
  int64_t pull_from_broker_id = 0;  // suggestWhichBrokerId followed
  bool dropped = false;
};

class DefaultMQPushConsumer final : public MQConsumerInner {
 public:
  DefaultMQPushConsumer(MQClientInstance& instance, PushConsumerConfig config);
  ~DefaultMQPushConsumer() override;
  DefaultMQPushConsumer(const DefaultMQPushConsumer&) = delete;
  DefaultMQPushConsumer& operator=(const DefaultMQPushConsumer&) = delete;

  // Before Start(). `sub_expression`: "*" or "TagA || TagB".
  Status Subscribe(const std::string& topic, const std::string& sub_expression);
  void RegisterMessageListener(MessageListenerConcurrently listener) {
    listener_ = std::move(listener);
  }
  // Checks the configuration, registers the group (duplicate: Java's error text), loads the
  // offset store, starts the instance if needed, then fetches routes, heartbeats and rebalances.
  Status Start();
  // Stops pulling and consuming, persists the offsets, unregisters (UNREGISTER_CLIENT).
  Task<void> Shutdown();
  bool running() const { return running_; }

  // MQConsumerInner.
  common::ConsumerData BuildConsumerData() const override;
  std::set<std::string> SubscribedTopics() const override;
  void UpdateTopicSubscribeInfo(const std::string& topic,
                                const std::set<MessageQueue>& mqs) override;
  void RebalanceNow() override;
  void PersistConsumerOffset() override;

  // ---------------------------------------------------------------- inspection
  const PushConsumerConfig& config() const { return config_; }
  std::set<MessageQueue> AssignedQueues() const;
  std::vector<QueueState> QueueStates() const;
  const OffsetStore& offset_store() const { return *offset_store_; }
  const std::map<std::string, std::set<MessageQueue>>& topic_subscribe_info() const {
    return topic_subscribe_info_;
  }
  uint64_t messages_consumed() const { return messages_consumed_; }
  uint64_t reconsume_later() const { return reconsume_later_; }
  uint64_t send_backs_ok() const { return send_backs_ok_; }
  uint64_t send_backs_failed() const { return send_backs_failed_; }
  uint64_t pulls() const { return pulls_; }
  uint64_t pull_errors() const { return pull_errors_; }
  uint64_t flow_control_times() const { return flow_control_times_; }
  uint64_t rebalances() const { return rebalances_; }
  uint64_t offset_illegal() const { return offset_illegal_; }

 private:
  struct Entry {
    std::shared_ptr<ProcessQueue> pq;
    int64_t next_offset = 0;
  };
  Task<void> StartTask();
  Task<void> RebalanceTask();
  // RMQ_SIM_ASSERT of CheckOffsetBehindInFlight after every update of the queue's offset.
  void AssertOffsetBehindInFlight(const MessageQueue& mq, const ProcessQueue& pq) const;
  Task<void> RebalanceByTopic(std::string topic);
  Task<int64_t> ComputePullFromWhere(MessageQueue mq);
  Task<void> PullLoop(MessageQueue mq, std::shared_ptr<ProcessQueue> pq);
  Task<void> ConsumeTask(std::vector<common::MessageExt> msgs, std::shared_ptr<ProcessQueue> pq,
                         MessageQueue mq, Duration delay);
  // CONSUMER_SEND_MSG_BACK to the queue's broker.
  Task<bool> SendMessageBack(common::MessageExt msg, int32_t delay_level, std::string broker_name);
  void SubmitConsumeRequest(const std::vector<common::MessageExt>& msgs,
                            const std::shared_ptr<ProcessQueue>& pq, const MessageQueue& mq,
                            Duration delay);
  void RemoveProcessQueue(const MessageQueue& mq, const std::shared_ptr<ProcessQueue>& pq);
  int32_t max_reconsume_times() const {
    return config_.max_reconsume_times < 0 ? 16 : config_.max_reconsume_times;
  }

  MQClientInstance& instance_;
  Runtime& rt_;
  PushConsumerConfig config_;
  WallTime consume_timestamp_;
  MessageListenerConcurrently listener_;
  std::map<std::string, common::SubscriptionData> subscriptions_;
  std::map<std::string, std::set<MessageQueue>> topic_subscribe_info_;
  std::map<MessageQueue, Entry> process_queue_table_;
  std::unique_ptr<OffsetStore> offset_store_;
  PullAPIWrapper pull_api_;
  bool running_ = false;
  bool registered_ = false;
  bool rebalancing_ = false;
  bool rebalance_pending_ = false;
  uint64_t messages_consumed_ = 0;
  uint64_t reconsume_later_ = 0;
  uint64_t send_backs_ok_ = 0;
  uint64_t send_backs_failed_ = 0;
  uint64_t pulls_ = 0;
  uint64_t pull_errors_ = 0;
  uint64_t flow_control_times_ = 0;
  uint64_t rebalances_ = 0;
  uint64_t offset_illegal_ = 0;
  LifetimeGuard guard_;
  TaskScope scope_;
};

}  // namespace rmqsim::client
