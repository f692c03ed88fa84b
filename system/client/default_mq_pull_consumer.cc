#include "system/client/default_mq_pull_consumer.h"

#include <utility>

#include "system/common/mix_all.h"
#include "system/common/sys_flag.h"
#include "system/common/topic_validator.h"

namespace rmqsim::client {

DefaultMQPullConsumer::DefaultMQPullConsumer(MQClientInstance& instance, PullConsumerConfig config)
    : instance_(instance),
      rt_(instance.runtime()),
      config_(std::move(config)),
      pull_api_(instance, config_.consumer_group) {
  if (config_.message_model == common::MessageModel::kBroadcasting) {
    offset_store_ =
        std::make_unique<LocalFileOffsetStore>(rt_, instance.config().local_offset_store_dir,
                                               instance.client_id(), config_.consumer_group);
  } else {
    offset_store_ = std::make_unique<RemoteBrokerOffsetStore>(instance, config_.consumer_group);
  }
}

DefaultMQPullConsumer::~DefaultMQPullConsumer() = default;

Status DefaultMQPullConsumer::Start() {
  if (running_) return FailedPreconditionError("The PullConsumer service has been started before");
  RMQ_RETURN_IF_ERROR(common::ValidateGroup(config_.consumer_group));
  if (config_.consumer_group == common::kDefaultConsumerGroup) {
    return InvalidArgumentError("consumerGroup can not equal " +
                                std::string(common::kDefaultConsumerGroup) +
                                ", please specify another one.");
  }
  RMQ_RETURN_IF_ERROR(offset_store_->Load());
  RMQ_RETURN_IF_ERROR(instance_.RegisterConsumer(config_.consumer_group, this));
  RMQ_RETURN_IF_ERROR(instance_.Start());
  running_ = true;
  return Status::Ok();
}

Task<void> DefaultMQPullConsumer::Shutdown() {
  if (!running_) co_return;
  offset_store_->PersistAll(pulled_queues_);
  running_ = false;
  co_await instance_.UnregisterConsumer(config_.consumer_group);
}

Task<StatusOr<std::set<MessageQueue>>> DefaultMQPullConsumer::FetchSubscribeMessageQueues(
    std::string topic) {
  auto route = co_await instance_.GetTopicRouteInfoFromNameServer(
      topic, instance_.config().mq_client_api_timeout);
  if (!route.ok()) co_return route.status();
  auto mqs = TopicRouteDataToSubscribeInfo(topic, *route);
  if (mqs.empty()) {
    co_return NotFoundError("Can not find Message Queue for this topic, " + topic);
  }
  co_return mqs;
}

Task<StatusOr<PullResult>> DefaultMQPullConsumer::Pull(MessageQueue mq, std::string sub_expression,
                                                       int64_t offset, int32_t max_nums) {
  auto result =
      co_await PullSyncImpl(std::move(mq), std::move(sub_expression), offset, max_nums, false);
  co_return result;
}

Task<StatusOr<PullResult>> DefaultMQPullConsumer::PullBlockIfNotFound(MessageQueue mq,
                                                                      std::string sub_expression,
                                                                      int64_t offset,
                                                                      int32_t max_nums) {
  auto result =
      co_await PullSyncImpl(std::move(mq), std::move(sub_expression), offset, max_nums, true);
  co_return result;
}

Task<StatusOr<PullResult>> DefaultMQPullConsumer::PullSyncImpl(MessageQueue mq,
                                                               std::string sub_expression,
                                                               int64_t offset, int32_t max_nums,
                                                               bool block) {
  if (!running_) co_return FailedPreconditionError("The consumer service state not OK");
  if (offset < 0) co_return InvalidArgumentError("offset < 0");
  if (max_nums <= 0 || max_nums > limits::kPullBatchSizeMax) {
    co_return InvalidArgumentError("maxNums <= 0 or > 1024");
  }
  auto sub = common::BuildSubscriptionData(mq.topic, sub_expression, common::kExpressionTypeTag, 0);
  if (!sub.ok())
    co_return InvalidArgumentError("parse subscription error: " + sub.status().message());
  // subscriptionAutomatically: the topic shows up in heartbeats.
  if (!subscriptions_.contains(mq.topic)) {
    auto all =
        common::BuildSubscriptionData(mq.topic, common::kSubAll, common::kExpressionTypeTag, 0);
    if (all.ok()) subscriptions_[mq.topic] = std::move(*all);
  }
  if (pulled_queues_.size() < limits::kProcessQueuesMax) pulled_queues_.insert(mq);
  PullArgs args;
  args.mq = mq;
  args.sub_expression = sub->sub_string;
  args.expression_type = sub->expression_type;
  args.sub_version = 0;
  args.offset = offset;
  args.max_nums = max_nums;
  args.sys_flag = common::BuildPullSysFlag(false, block, true, false);
  args.commit_offset = 0;
  args.broker_suspend_max_time = config_.broker_suspend_max_time;
  args.timeout = block ? config_.consumer_timeout_when_suspend : config_.consumer_pull_timeout;
  common::SubscriptionData filter = std::move(*sub);
  ++pulls_;
  auto result = co_await pull_api_.PullKernelImpl(std::move(args), std::move(filter));
  co_return result;
}

void DefaultMQPullConsumer::UpdateConsumeOffset(const MessageQueue& mq, int64_t offset) {
  if (pulled_queues_.size() < limits::kProcessQueuesMax) pulled_queues_.insert(mq);
  offset_store_->UpdateOffset(mq, offset, false);
}

Task<int64_t> DefaultMQPullConsumer::FetchConsumeOffset(MessageQueue mq, bool from_store) {
  if (!from_store) co_return offset_store_->ReadOffsetFromMemory(mq);
  int64_t offset = co_await offset_store_->ReadOffsetFromStore(mq);
  co_return offset;
}

Task<StatusOr<int64_t>> DefaultMQPullConsumer::QueryConsumerOffset(MessageQueue mq) {
  auto result = co_await instance_.QueryConsumerOffset(config_.consumer_group, std::move(mq));
  co_return result;
}

Task<Status> DefaultMQPullConsumer::UpdateConsumerOffsetToBroker(MessageQueue mq, int64_t offset) {
  offset_store_->UpdateOffset(mq, offset, false);
  auto result =
      co_await instance_.UpdateConsumerOffset(config_.consumer_group, std::move(mq), offset);
  co_return result;
}

Task<StatusOr<int64_t>> DefaultMQPullConsumer::MaxOffset(MessageQueue mq) {
  auto result = co_await instance_.MaxOffset(std::move(mq));
  co_return result;
}
Task<StatusOr<int64_t>> DefaultMQPullConsumer::MinOffset(MessageQueue mq) {
  auto result = co_await instance_.MinOffset(std::move(mq));
  co_return result;
}
Task<StatusOr<int64_t>> DefaultMQPullConsumer::SearchOffset(MessageQueue mq, int64_t timestamp_ms) {
  auto result = co_await instance_.SearchOffset(std::move(mq), timestamp_ms);
  co_return result;
}

common::ConsumerData DefaultMQPullConsumer::BuildConsumerData() const {
  common::ConsumerData data;
  data.group_name = config_.consumer_group;
  data.consume_type = common::ConsumeType::kConsumeActively;
  data.message_model = config_.message_model;
  data.consume_from_where = common::ConsumeFromWhere::kConsumeFromLastOffset;
  for (const auto& [topic, sub] : subscriptions_) data.subscription_data_set.push_back(sub);
  return data;
}

std::set<std::string> DefaultMQPullConsumer::SubscribedTopics() const {
  std::set<std::string> out;
  for (const auto& [topic, sub] : subscriptions_) out.insert(topic);
  return out;
}

void DefaultMQPullConsumer::UpdateTopicSubscribeInfo(const std::string&,
                                                     const std::set<MessageQueue>&) {}

void DefaultMQPullConsumer::PersistConsumerOffset() {
  if (running_) offset_store_->PersistAll(pulled_queues_);
}

}  // namespace rmqsim::client
