// DefaultMQPullConsumer (apache/rocketmq 4.9.8 client/consumer/DefaultMQPullConsumer.java with
// DefaultMQPullConsumerImpl and MQAdminImpl): the application pulls queues itself.
//
//   DefaultMQPullConsumer consumer(instance, {.consumer_group = "pull-cg"});
//   RMQ_RETURN_IF_ERROR(consumer.Start());
//   auto mqs = co_await consumer.FetchSubscribeMessageQueues("TopicTest");
//   auto r = co_await consumer.Pull(mq, "TagA", offset, 32);   // FOUND, NO_NEW_MSG, ...
//
// Pulls carry the subscription (SUBSCRIPTION flag), never suspend (pullBlockIfNotFound does,
// up to brokerSuspendMaxTimeMillis 20 s) and never commit; offsets are kept with
// UpdateConsumeOffset (memory) and sent by the instance's persist timer (clustering), or sent at
// once with UpdateConsumerOffsetToBroker.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "sim/runtime/task.h"
#include "system/client/client_limits.h"
#include "system/client/mq_client_instance.h"
#include "system/client/offset_store.h"
#include "system/client/pull_api_wrapper.h"
#include "system/client/pull_result.h"

namespace rmqsim::client {

struct PullConsumerConfig {
  std::string consumer_group;
  common::MessageModel message_model = common::MessageModel::kClustering;
  Duration broker_suspend_max_time = limits::kPullConsumerBrokerSuspendMaxTime;
  Duration consumer_timeout_when_suspend = limits::kConsumerTimeoutWhenSuspend;
  Duration consumer_pull_timeout = limits::kPullConsumerTimeout;
};

class DefaultMQPullConsumer final : public MQConsumerInner {
 public:
  DefaultMQPullConsumer(MQClientInstance& instance, PullConsumerConfig config);
  ~DefaultMQPullConsumer() override;
  DefaultMQPullConsumer(const DefaultMQPullConsumer&) = delete;
  DefaultMQPullConsumer& operator=(const DefaultMQPullConsumer&) = delete;

  Status Start();
  Task<void> Shutdown();

  // The readable queues of `topic` from the name server (kNotFound when there are none:
  // "Can not find Message Queue for this topic, <topic>").
  Task<StatusOr<std::set<MessageQueue>>> FetchSubscribeMessageQueues(std::string topic);
  // One non-blocking pull. maxNums 1..1024 (kInvalidArgument otherwise).
  Task<StatusOr<PullResult>> Pull(MessageQueue mq, std::string sub_expression, int64_t offset,
                                  int32_t max_nums);
  // A pull the broker may hold (long polling) when there is nothing new.
  Task<StatusOr<PullResult>> PullBlockIfNotFound(MessageQueue mq, std::string sub_expression,
                                                 int64_t offset, int32_t max_nums);

  // Offsets: memory (persisted every persistConsumerOffsetInterval for the queues pulled), the
  // store (QUERY_CONSUMER_OFFSET / the offsets file: kOffsetNotFound when none), and a direct
  // UPDATE_CONSUMER_OFFSET that waits for the broker's answer.
  void UpdateConsumeOffset(const MessageQueue& mq, int64_t offset);
  Task<int64_t> FetchConsumeOffset(MessageQueue mq, bool from_store);
  Task<StatusOr<int64_t>> QueryConsumerOffset(MessageQueue mq);
  Task<Status> UpdateConsumerOffsetToBroker(MessageQueue mq, int64_t offset);

  Task<StatusOr<int64_t>> MaxOffset(MessageQueue mq);
  Task<StatusOr<int64_t>> MinOffset(MessageQueue mq);
  Task<StatusOr<int64_t>> SearchOffset(MessageQueue mq, int64_t timestamp_ms);

  // MQConsumerInner.
  common::ConsumerData BuildConsumerData() const override;
  std::set<std::string> SubscribedTopics() const override;
  void UpdateTopicSubscribeInfo(const std::string& topic,
                                const std::set<MessageQueue>& mqs) override;
  void RebalanceNow() override {}
  void PersistConsumerOffset() override;

  const PullAPIWrapper& pull_api() const { return pull_api_; }
  uint64_t pulls() const { return pulls_; }

 private:
  Task<StatusOr<PullResult>> PullSyncImpl(MessageQueue mq, std::string sub_expression,
                                          int64_t offset, int32_t max_nums, bool block);

  MQClientInstance& instance_;
  Runtime& rt_;
  PullConsumerConfig config_;
  std::map<std::string, common::SubscriptionData> subscriptions_;  // subscriptionAutomatically
  std::set<MessageQueue> pulled_queues_;  // persisted by the timer; bounded by kProcessQueuesMax
  std::unique_ptr<OffsetStore> offset_store_;
  PullAPIWrapper pull_api_;
  bool running_ = false;
  uint64_t pulls_ = 0;
};

}  // namespace rmqsim::client
